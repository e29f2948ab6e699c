//! When wrong passwords hold sign-in back: the rules, apart from the counting.
//!
//! A plain lock on an account after a few wrong passwords lets anyone who knows an email
//! address lock its owner out. So failures are counted three ways in a 15-minute window:
//!
//! - per **address**: past [`ADDRESS_LIMIT`] that address is refused, whoever it tries;
//! - per **account**: past [`ACCOUNT_LIMIT`] the account is refused to every browser that has
//!   not signed in to it before (OWASP's "device cookies"), so guessing from many addresses
//!   gets nowhere, and the owner's own browser still gets in at once;
//! - per **known browser**: one that then fails [`DEVICE_LIMIT`] times is no longer trusted
//!   (a stolen cookie buys a few guesses, not many).
//!
//! Someone on a new browser while their account is under attack resets their password: the
//! browser that follows the link becomes known to the account.

/// The window in which failures are counted.
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failures allowed from one address in a window (offices share addresses).
pub const ADDRESS_LIMIT: i64 = 10;
/// Failures for one account in a window before new browsers are refused.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures from one known browser in a window before it is treated as new.
pub const DEVICE_LIMIT: i64 = 5;

/// The failures counted so far in the open windows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Failures {
    pub from_address: i64,
    pub for_account: i64,
    /// Failures from this browser, when it has signed in to the account before.
    pub from_known_browser: Option<i64>,
}

/// Why a sign-in is refused before the password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Address,
    Account,
}

impl Failures {
    /// Whether this attempt may go ahead.
    pub fn held(&self) -> Option<Held> {
        if self.from_address >= ADDRESS_LIMIT {
            return Some(Held::Address);
        }
        let trusted = self.from_known_browser.is_some_and(|n| n < DEVICE_LIMIT);
        (self.for_account >= ACCOUNT_LIMIT && !trusted).then_some(Held::Account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strangers_cannot_lock_the_owner_out() {
        let attacked = Failures {
            for_account: 50,
            ..Default::default()
        };
        assert_eq!(attacked.held(), Some(Held::Account));
        let owner = Failures {
            from_known_browser: Some(0),
            ..attacked
        };
        assert_eq!(owner.held(), None);
        let stolen_cookie = Failures {
            from_known_browser: Some(DEVICE_LIMIT),
            ..attacked
        };
        assert_eq!(stolen_cookie.held(), Some(Held::Account));
        let busy_address = Failures {
            from_address: ADDRESS_LIMIT,
            from_known_browser: Some(0),
            ..Default::default()
        };
        assert_eq!(busy_address.held(), Some(Held::Address));
        assert_eq!(Failures::default().held(), None);
    }
}
