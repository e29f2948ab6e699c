//! Markdown → safe HTML (a post, a page, an exercise) never panics and takes time in
//! proportion to the input's length, whatever its structure: 150 ms for 64 KB
//! (checked on the corpus after fuzzing; `budget.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("budget.rs");

fuzz_target!(|data: &[u8]| {
    let rendered = within_bound(data, sanitise::render_markdown);
    if let Ok(r) = rendered {
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(r.headings.len() <= sanitise::MAX_HEADINGS);
    }
});
