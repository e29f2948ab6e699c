//! Property tests: the normaliser and the engine never panic and keep their promises on any input.

use proptest::prelude::*;
use textkit::{Config, Response, analyse, normalise};

/// Text that looks like what arrives from real sources: markup, entities, odd Unicode.
fn messy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "\\PC{0,12}",
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<b>".to_string()),
        Just("<script>x</script>".to_string()),
        Just("<!-- c -->".to_string()),
        Just("&amp;".to_string()),
        Just("&lt;b&gt;".to_string()),
        Just("&amp;lt;".to_string()),
        Just("&#x3C;".to_string()),
        Just("&#65308;".to_string()),
        Just("&nbsp;".to_string()),
        Just("&#0;".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{FF1C}".to_string()),
        Just("\u{FE64}".to_string()),
        Just("e\u{301}".to_string()),
        Just("\u{301}".to_string()),
        Just("\t\r\n".to_string()),
        Just("<".to_string()),
        Just("&".to_string()),
        Just(">".to_string()),
        Just("ﬁ".to_string()),
        Just("ŵ".to_string()),
        Just("公共".to_string()),
        Just("النقل".to_string()),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn normalise_is_idempotent(s in messy()) {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
    }

    #[test]
    fn normalised_text_is_clean(s in messy()) {
        let out = normalise(&s);
        prop_assert!(!out.chars().any(|c| c.is_control()), "control character in {:?}", out);
        prop_assert!(!out.contains("  "), "double space in {:?}", out);
        prop_assert_eq!(out.trim(), out.as_str());
        // No tag: a `<` that starts a tag name is never closed by a `>` before the next `<`.
        let chars: Vec<char> = out.chars().collect();
        for i in 0..chars.len().saturating_sub(1) {
            if chars[i] == '<' && (chars[i + 1].is_ascii_alphabetic() || matches!(chars[i + 1], '/' | '!' | '?')) {
                let next = chars[i + 1..].iter().find(|c| **c == '<' || **c == '>');
                prop_assert!(next != Some(&'>'), "tag in {:?}", out);
            }
        }
        prop_assert!(!out.contains("<script"), "script tag in {:?}", out);
    }

    #[test]
    fn normalise_never_panics_on_any_string(s in "\\PC*|.*") {
        let _ = normalise(&s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every response ends up in a theme or in `unassigned`, counts match members, and no
    /// input makes the engine panic.
    #[test]
    fn every_response_is_accounted_for(texts in proptest::collection::vec(messy(), 0..40)) {
        let responses: Vec<Response> = texts.iter().enumerate().map(|(i, t)| Response::new(format!("r{i}"), t.clone(), None)).collect();
        let a = analyse(&responses, &Config::default());
        let mut seen = std::collections::HashSet::new();
        for t in &a.themes {
            prop_assert_eq!(t.count, t.members.len());
            prop_assert!(t.share >= 0.0 && t.share <= 1.0);
            seen.extend(t.members.iter().cloned());
        }
        for u in &a.unassigned {
            prop_assert!(!seen.contains(u), "{} is both in a theme and unassigned", u);
            seen.insert(u.clone());
        }
        prop_assert_eq!(seen.len(), responses.len());
    }
}
