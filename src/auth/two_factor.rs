//! Two-factor sign-in with an authenticator app: time-based one-time codes (TOTP, RFC 6238:
//! HMAC-SHA1, six digits, 30-second steps, one step of clock drift either way) and single-use
//! recovery codes. The QR code is drawn here as SVG, so setting up asks nothing of another site.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Recovery codes given at set-up.
pub const RECOVERY_CODES: usize = 10;

/// A new shared secret: 20 random bytes (160 bits, RFC 4226's recommendation), in base32 as
/// people type it and as it is stored.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    Secret::new_stack(bytes).to_base32()
}

/// The authenticator for a base32 `secret` (`None` when it is not one) under `account`.
fn authenticator(secret: &str, account: &str, issuer: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret.trim()).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account.replace(':', " "))
        .with_issuer(Some(issuer.replace(':', " ")))
        .build()
        .ok()
}

/// The time step `code` belongs to, when it is right for `secret` at `unix_secs` (spaces in
/// the code are ignored). The caller takes each step once (RFC 6238 §5.2).
pub fn check(secret: &str, code: &str, unix_secs: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = authenticator(secret, "account", "Townhall")?;
    let step = totp.check(&code, u64::try_from(unix_secs).ok()?)?;
    i64::try_from(step).ok()
}

/// The code for `secret` at `unix_secs`, as an authenticator app shows it (for tests and the
/// set-up page's check).
pub fn code_at(secret: &str, unix_secs: i64) -> Option<String> {
    let totp = authenticator(secret, "account", "Townhall")?;
    Some(totp.generate(u64::try_from(unix_secs).ok()?).to_string())
}

/// What an authenticator app scans: the `otpauth://` address as an inline SVG QR code, with
/// a text alternative. `None` when the secret is not base32.
pub fn qr_code(secret: &str, account: &str, issuer: &str) -> Option<String> {
    let url = authenticator(secret, account, issuer)?.to_url().ok()?;
    let code = QrCode::new(url.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in the page: without the XML declaration, and named for screen readers.
    let image = image
        .trim_start_matches(|c| c != '>')
        .trim_start_matches('>');
    Some(image.replacen(
        "<svg ",
        r#"<svg role="img" aria-label="QR code for your authenticator app" "#,
        1,
    ))
}

/// Ten new recovery codes, `xxxxx-xxxxx` from an alphabet without look-alikes (about 50
/// bits each, ample for a code that works once and is rate limited).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes).expect("the operating system provides randomness");
            // 256 = 8 × 31 + 8: the bias towards the first 8 letters is under 1 in 32, and
            // guessing still needs ~10^14 tries.
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A recovery code as typed (any case, spaces or no hyphen) in its stored, hashed form.
pub fn recovery_code_hash(typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    super::token_hash(&format!("recovery:{normal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B: the SHA-1 key "12345678901234567890" at 59 s gives 94287082
        // (eight digits); its last six are the six-digit code.
        let secret = Secret::new_stack(*b"12345678901234567890").to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(check(&secret, "287 082", 59), Some(1));
        // One step of drift either way, no more.
        assert_eq!(check(&secret, "287082", 89), Some(1));
        assert_eq!(check(&secret, "287082", 120), None);
        assert_eq!(check(&secret, "28708", 59), None);
        assert_eq!(check(&secret, "abcdef", 59), None);
        assert_eq!(check("not base32!", "287082", 59), None);
    }

    #[test]
    fn secrets_recovery_codes_and_the_qr_code() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, new_secret());
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
        );
        assert_eq!(
            recovery_code_hash(&codes[0]),
            recovery_code_hash(&codes[0].to_uppercase().replace('-', " "))
        );
        let svg = qr_code(&secret, "ada@example.org", "Townhall").unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..60]);
        assert!(svg.ends_with("</svg>"));
    }
}
