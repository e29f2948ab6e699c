//! The normaliser never panics, is idempotent, and leaves no control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = textkit::normalise(&text);
    assert_eq!(textkit::normalise(&once), once);
    assert!(!once.chars().any(char::is_control));
});
