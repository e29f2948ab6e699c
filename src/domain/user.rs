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

/// Checks a new password against the length policy.
pub fn check_new_password(password: &str) -> Result<(), String> {
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
    Ok(())
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
    fn passwords_have_a_length_policy() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("correct horse battery").is_ok());
        assert!(check_new_password(&"x".repeat(2000)).is_err());
    }
}
