//! The sanitiser against the XSS corpus (`tests/fixtures/xss.txt`), checked by parsing the
//! output the way a browser would. Other modules reuse [`xss_corpus`] and [`assert_inert`].

use proptest::prelude::*;
use scraper::{Html, Selector};
use townhall::sanitise::{plain_text, render_markdown};

fn markdown_to_html(markdown: &str) -> String {
    render_markdown(markdown).expect("within the limits").html
}

fn sanitise_html(html: &str) -> String {
    townhall::sanitise::sanitise_html(html).expect("within the limits")
}

/// The payloads of `tests/fixtures/xss.txt`, one a line; `\n` in a line stands for a newline
/// (for Markdown that needs several lines, such as reference links).
pub fn xss_corpus() -> Vec<String> {
    include_str!("../fixtures/xss.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.replace("\\n", "\n"))
        .collect()
}

const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "style", "base", "meta", "form",
    "link", "svg", "math", "input", "button", "textarea", "select", "template", "noscript",
    "video", "audio", "source", "body",
];

/// Panics unless `html`, parsed as a fragment, has no element that can run script or load
/// something, no event-handler attribute, no `style` attribute, and no URL attribute with a
/// `javascript:`, `vbscript:` or `data:` scheme (after decoding, trimming and lower-casing,
/// and ignoring the tabs and newlines browsers strip from URLs).
pub fn assert_inert(html: &str, payload: &str) {
    let fragment = Html::parse_fragment(html);
    for name in FORBIDDEN_ELEMENTS {
        let selector = Selector::parse(name).unwrap();
        assert!(
            fragment.select(&selector).next().is_none(),
            "<{name}> survived\n payload: {payload}\n output: {html}"
        );
    }
    let all = Selector::parse("*").unwrap();
    for element in fragment.select(&all) {
        for (name, value) in element.value().attrs() {
            let name = name.to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "event handler {name} survived\n payload: {payload}\n output: {html}"
            );
            assert_ne!(
                name, "style",
                "style survived\n payload: {payload}\n output: {html}"
            );
            assert!(
                !matches!(
                    name.as_str(),
                    "srcdoc" | "formaction" | "action" | "background" | "ping"
                ),
                "{name} survived\n payload: {payload}\n output: {html}"
            );
            if matches!(
                name.as_str(),
                "href" | "src" | "xlink:href" | "data" | "cite" | "poster"
            ) {
                let normalised: String = value
                    .chars()
                    .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                    .collect::<String>()
                    .trim_matches(|c: char| c.is_whitespace() || c.is_control())
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !normalised.starts_with(scheme),
                        "{name}={value:?} survived\n payload: {payload}\n output: {html}"
                    );
                }
            }
        }
    }
}

#[test]
fn corpus_is_big_enough() {
    assert!(xss_corpus().len() >= 40);
}

#[test]
fn sanitise_html_makes_every_payload_inert() {
    for payload in xss_corpus() {
        assert_inert(&sanitise_html(&payload), &payload);
    }
}

#[test]
fn markdown_to_html_makes_every_payload_inert() {
    for payload in xss_corpus() {
        assert_inert(&markdown_to_html(&payload), &payload);
        // Payloads inside a larger document too (lists, quotes, tables around them).
        let document =
            format!("# Title\n\n- item {payload}\n\n> {payload}\n\n| a |\n|---|\n| {payload} |\n");
        assert_inert(&markdown_to_html(&document), &payload);
    }
}

#[test]
fn plain_text_keeps_no_markup_from_any_payload() {
    // Payloads in backticks are Markdown code: their text is meant to be shown.
    for payload in xss_corpus().into_iter().filter(|p| !p.contains('`')) {
        let text = plain_text(&payload, 500);
        // Text, not HTML: whatever is left is escaped by the template. It must never carry
        // the content of script or style elements as readable text either.
        assert!(!text.contains("alert(1)</script>"), "{payload} → {text}");
        assert!(!text.contains("@import"), "{payload} → {text}");
    }
}

#[test]
fn code_is_shown_as_text_and_script_is_dropped() {
    let text = plain_text(
        "`<script>alert(1)</script>` and <script>alert(2)</script>",
        100,
    );
    assert_eq!(text, "<script>alert(1)</script> and");
}

#[test]
fn the_safe_parts_of_a_payload_survive() {
    let html =
        sanitise_html(r#"<p>Hello <a href="https://ok.example/" onclick="x()">there</a></p>"#);
    assert_eq!(
        html,
        r#"<p class="govuk-body">Hello <a rel="noopener noreferrer" href="https://ok.example/" class="govuk-link">there</a></p>"#
    );
    let html = markdown_to_html("[x](javascript:alert(1)) and ![alt](javascript:alert(2))");
    assert!(html.contains(">x</a>"), "{html}");
    assert!(!html.to_ascii_lowercase().contains("javascript"), "{html}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sanitise_html_never_panics_and_is_stable(input in "(<[a-z/!]{0,3}[ a-z=\"'>]{0,6}|[a-z &;#<>\"'=/:]{0,8}|javascript:|onerror=|<script>|<a href=|<img src=|<p>|</p>|<table>|<td>|&lt;){0,24}") {
        let once = sanitise_html(&input);
        let twice = sanitise_html(&once);
        prop_assert_eq!(&once, &twice);
        assert_inert(&once, &input);
    }

    #[test]
    fn sanitise_html_never_panics_on_any_string(input in any::<String>()) {
        let once = sanitise_html(&input);
        let _ = markdown_to_html(&input);
        let _ = plain_text(&input, 50);
        assert_inert(&once, &input);
    }

    #[test]
    fn plain_text_respects_max_chars(input in "[a-z <>/&;]{0,200}", max in 0usize..80) {
        prop_assert!(plain_text(&input, max).chars().count() <= max);
    }
}
