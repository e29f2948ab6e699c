//! Users: email addresses and passwords as people type them.

use serde::Serialize;

/// An email address, trimmed and lower-cased so that sign-in ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, String> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter an email address".into());
        }
        if s.len() > 254 {
            return Err("Email address must be 254 characters or fewer".into());
        }
        let (local, domain) = s
            .split_once('@')
            .ok_or("Enter an email address in the correct format, like name@example.org")?;
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && !domain.contains('@');
        if !ok {
            return Err(
                "Enter an email address in the correct format, like name@example.org".into(),
            );
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The shortest password accepted; long passphrases beat complexity rules (NCSC guidance).
pub const MIN_PASSWORD_LEN: usize = 12;
/// Argon2 hashes any length, but an unbounded one is a cheap denial of service.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Only this much of a password is weighed for guessability: past it, length alone makes it
/// strong, and the estimate's work grows with the square of the length.
const WEIGHED_CHARS: usize = 64;

/// Checks a new password (ASVS 2.1): 12 to 1,024 characters, any characters, no composition
/// rules, and not one that is commonly used or breached, nor made from `about_the_user` (their
/// name and email address). The list of common and breached passwords (some 30,000, with
/// variants such as `P@ssw0rd123!`) comes with the zxcvbn estimator; a password it judges
/// guessable in fewer than about 10^8 tries (score below 3) is refused.
pub fn check_new_password(password: &str, about_the_user: &[&str]) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!(
            "Password must be {MIN_PASSWORD_LEN} characters or more"
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(format!(
            "Password must be {MAX_PASSWORD_LEN} characters or fewer"
        ));
    }
    let weighed: String = password.chars().take(WEIGHED_CHARS).collect();
    let words = words_about(about_the_user);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if zxcvbn::zxcvbn(&weighed, &words).score() < zxcvbn::Score::Three {
        return Err(
            "Choose a password that is harder to guess: this one is common, or close \
                    to a common one, or made from your name or email address. Three or four \
                    unrelated words together make a good password"
                .into(),
        );
    }
    Ok(())
}

/// Why a one-time link to set a password was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkPurpose {
    /// The user asked ("Forgot your password?") or an admin sent one.
    Reset,
    /// An admin added the user, who chooses their first password.
    Invitation,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Reset => "reset",
            LinkPurpose::Invitation => "invitation",
        }
    }

    /// How long a link works: half an hour to reset (ASVS 2.5), a week to accept an
    /// invitation (people are not always at their desk the day they are added).
    pub fn valid_secs(self) -> i64 {
        match self {
            LinkPurpose::Reset => 30 * 60,
            LinkPurpose::Invitation => 7 * 86_400,
        }
    }
}

impl TryFrom<String> for LinkPurpose {
    type Error = String;
    fn try_from(s: String) -> Result<LinkPurpose, String> {
        match s.as_str() {
            "reset" => Ok(LinkPurpose::Reset),
            "invitation" => Ok(LinkPurpose::Invitation),
            other => Err(format!("unknown link purpose {other:?}")),
        }
    }
}

/// What a password made from these (a name, an email address) would be made of: each whole,
/// its words, and its words run together ("Ada Lovelace" gives "adalovelace" too).
fn words_about(about_the_user: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for input in about_the_user {
        let lower = input.to_lowercase();
        let parts: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .collect();
        words.push(parts.concat());
        words.extend(parts.iter().map(|w| w.to_string()));
        words.push(lower.clone());
    }
    words
}

/// Who must sign in with a second factor (`--two-factor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TwoFactorPolicy {
    /// Everyone who administers anything (the default; ASVS level 2).
    #[default]
    Admins,
    /// Every account.
    Everyone,
    /// Nobody is made to, though anyone may set it up: for a demo or a trial only.
    Optional,
}

impl TwoFactorPolicy {
    pub fn parse(s: &str) -> Result<TwoFactorPolicy, String> {
        match s.trim() {
            "admins" => Ok(TwoFactorPolicy::Admins),
            "everyone" => Ok(TwoFactorPolicy::Everyone),
            "optional" => Ok(TwoFactorPolicy::Optional),
            other => Err(format!(
                "{other:?} is not a two-factor policy: use admins, everyone or optional"
            )),
        }
    }

    /// True when an account that does (or does not) administer must have a second factor.
    pub fn requires(self, administers: bool) -> bool {
        match self {
            TwoFactorPolicy::Admins => administers,
            TwoFactorPolicy::Everyone => true,
            TwoFactorPolicy::Optional => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.ORG ").unwrap().as_str(),
            "ada@example.org"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.org",
            "ada@x",
            "a b@x.org",
            "a@b@x.org",
            "ada@.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_are_long_and_not_common() {
        assert!(check_new_password("short", &[]).is_err());
        assert!(check_new_password("correct horse battery", &[]).is_ok());
        assert!(check_new_password(&"x".repeat(2000), &[]).is_err());
        // Breached and common ones, and their usual variants, are refused at any length.
        for common in [
            "password1234",
            "P@ssw0rd1234",
            "qwertyuiop123",
            "123456789012",
        ] {
            assert!(check_new_password(common, &[]).is_err(), "{common}");
        }
        let about = ["ada.lovelace@example.org", "Ada Lovelace"];
        assert!(check_new_password("adalovelace2026", &about).is_err());
        // Any characters count, and a long passphrase needs no digits or symbols.
        assert!(check_new_password("tangerine paperclip orbit", &about).is_ok());
        assert!(check_new_password("ça va très bien merci", &about).is_ok());
        assert!(check_new_password(&"kettle plum ".repeat(80), &about).is_ok());
    }

    #[test]
    fn admins_need_a_second_factor_unless_it_is_optional() {
        assert!(TwoFactorPolicy::default().requires(true));
        assert!(!TwoFactorPolicy::Admins.requires(false));
        assert!(TwoFactorPolicy::Everyone.requires(false));
        assert!(!TwoFactorPolicy::Optional.requires(true));
        assert!(TwoFactorPolicy::parse("sometimes").is_err());
    }
}
