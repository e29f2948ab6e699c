//! The sanitiser's unit tests.

use super::*;

fn html_of(markdown: &str) -> String {
    render_markdown(markdown).unwrap().html
}

fn clean(html: &str) -> String {
    sanitise_html(html).unwrap()
}

#[test]
fn markdown_gets_govuk_classes() {
    let html = html_of("Hello *world*\n\n- one\n- two\n\n1. a\n2. b\n\n[link](/x)\n\n> quoted\n");
    assert!(
        html.contains(r#"<p class="govuk-body">Hello <em>world</em></p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<ul class="govuk-list govuk-list--bullet">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<ol class="govuk-list govuk-list--number">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/x" class="govuk-link">link</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<blockquote class="govuk-inset-text">"#),
        "{html}"
    );
}

#[test]
fn external_links_get_rel_internal_do_not() {
    let html = html_of("[a](https://example.org/) [b](/local) [c](mailto:x@y.z)");
    assert!(
        html.contains(
            r#"<a rel="noopener noreferrer" href="https://example.org/" class="govuk-link">a</a>"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/local" class="govuk-link">b</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="mailto:x@y.z" class="govuk-link">c</a>"#),
        "{html}"
    );
}

#[test]
fn rel_depends_on_the_href_attribute_only() {
    let html = clean(r#"<a title='x href="https://e.org/' href="/local">a</a>"#);
    assert!(!html.contains("rel="), "{html}");
    let html = clean(r#"<a title=' href="/x' href="https://e.org/">a</a>"#);
    assert!(
        html.starts_with(r#"<a rel="noopener noreferrer" "#),
        "{html}"
    );
}

#[test]
fn input_classes_and_styles_are_replaced() {
    let html = clean(r#"<p class="evil" style="color:red" id="main-content" onclick="x()">hi</p>"#);
    assert_eq!(html, r#"<p class="govuk-body">hi</p>"#);
}

#[test]
fn headings_have_unique_stable_ids() {
    let md = "# Our plan\n\ntext\n\n## Why & how\n\n## Why & how\n\n### Main content\n\n## ?!\n";
    let hs = render_markdown(md).unwrap().headings;
    let ids: Vec<_> = hs.iter().map(|h| (h.level, h.id.as_str())).collect();
    assert_eq!(
        ids,
        [
            (2, "our-plan"),
            (2, "why-how"),
            (2, "why-how-2"),
            (3, "main-content-2"),
            (2, "section")
        ]
    );
    assert_eq!(hs[1].text, "Why & how");
    let html = html_of(md);
    assert!(
        html.contains(r#"<h2 id="our-plan" class="govuk-heading-l">Our plan</h2>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<h3 id="main-content-2" class="govuk-heading-m">"#),
        "{html}"
    );
    assert!(!html.contains("<h1"), "{html}");
}

#[test]
fn tables_get_govuk_classes_and_lose_inline_style() {
    let html = html_of("| a | b |\n|:--|--:|\n| 1 | 2 |\n");
    assert!(html.contains(r#"<table class="govuk-table">"#), "{html}");
    assert!(
        html.contains(r#"<th class="govuk-table__header">a</th>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<td class="govuk-table__cell">2</td>"#),
        "{html}"
    );
    assert!(!html.contains("style"), "{html}");
}

#[test]
fn images_only_from_http_or_relative() {
    let ok = clean(r#"<img src="https://x.org/a.png" alt="A"><img src="/b.png">"#);
    assert_eq!(
        ok,
        r#"<img src="https://x.org/a.png" alt="A"><img src="/b.png">"#
    );
    for bad in [
        r#"<img src="data:image/png;base64,AAAA">"#,
        r#"<img src="mailto:a@b.c">"#,
        r#"<img src="javascript:alert(1)">"#,
    ] {
        assert_eq!(clean(bad), "<img>", "{bad}");
    }
}

#[test]
fn relative_urls_rewritten_against_base() {
    let base = url::Url::parse("https://blog.example.org/posts/feed.xml").unwrap();
    let html =
        sanitise_html_with_base(r#"<a href="../about">x</a><img src="p.png">"#, &base).unwrap();
    assert!(
        html.contains(r#"href="https://blog.example.org/about""#),
        "{html}"
    );
    assert!(
        html.contains(r#"src="https://blog.example.org/posts/p.png""#),
        "{html}"
    );
    assert!(html.contains(r#"rel="noopener noreferrer""#), "{html}");
}

#[test]
fn plain_text_strips_decodes_and_cuts_at_words() {
    assert_eq!(
        plain_text(
            "<p>Fish &amp; chips</p><p>are <b>good</b></p><script>x()</script>",
            100
        ),
        "Fish & chips are good"
    );
    assert_eq!(
        plain_text("**Bold** and [a link](https://x.org)", 100),
        "Bold and a link"
    );
    assert_eq!(plain_text("one two three four", 12), "one two…");
    assert_eq!(plain_text("one two three four", 8), "one two…");
    assert_eq!(plain_text("onetwothreefour", 6), "onetw…");
    assert_eq!(plain_text("short", 5), "short");
    assert_eq!(plain_text("&lt;script&gt;", 50), "<script>");
}

#[test]
fn hostile_markdown_is_refused_by_its_limit() {
    let quotes = format!("{} deep", ">".repeat(32_000));
    assert_eq!(render_markdown(&quotes), Err(TooComplex::TooDeep));
    let list: String = (0..MAX_DEPTH)
        .map(|i| format!("{}- x\n", "  ".repeat(i)))
        .collect();
    assert_eq!(render_markdown(&list), Err(TooComplex::TooDeep));
    let headings = "# Same\n\n".repeat(MAX_HEADINGS + 1);
    assert_eq!(render_markdown(&headings), Err(TooComplex::TooManyHeadings));
}

#[test]
fn rendered_html_cannot_outgrow_its_markdown() {
    // pulldown-cmark stops expanding a reference used very many times itself; the cap
    // holds whatever it does.
    let references = format!(
        "[x]: https://example.org/{}\n\n{}",
        "a".repeat(10_000),
        "[x] ".repeat(20_000)
    );
    let cap = references.len() * MAX_GROWTH + GROWTH_ALLOWANCE;
    match render_markdown(&references) {
        Ok(rendered) => assert!(rendered.html.len() <= cap, "{}", rendered.html.len()),
        Err(e) => assert_eq!(e, TooComplex::TooLong),
    }
    let mut small = CappedString {
        text: String::new(),
        cap: 100,
    };
    let long = "para\n\n".repeat(100);
    let written = pulldown_cmark::html::write_html_fmt(&mut small, Parser::new(&long));
    assert!(written.is_err() && small.text.len() <= 100);
}

#[test]
fn many_headings_alike_get_distinct_ids() {
    let rendered = render_markdown(&"## Same\n\n".repeat(MAX_HEADINGS)).unwrap();
    let ids: HashSet<_> = rendered.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), MAX_HEADINGS);
    assert_eq!(rendered.headings[2].id, "same-3");
}

#[test]
fn nesting_up_to_the_limit_renders() {
    let quotes = format!("{} deep", "> ".repeat(MAX_DEPTH - 2));
    assert!(render_markdown(&quotes).unwrap().html.contains("deep"));
}
