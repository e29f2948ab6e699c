//! Rendering untrusted text to inert HTML.
//!
//! Everything a stranger (or another site) can write goes through one of these functions
//! before it reaches a page:
//!
//! - [`markdown_to_html`]: posts, pages, comments written in Markdown;
//! - [`sanitise_html`] / [`sanitise_html_with_base`]: HTML from elsewhere (feed items,
//!   pasted content);
//! - [`plain_text`]: summaries and snippets (text, not HTML: the template escapes it).
//!
//! The allow-list ([`cleaner`]) keeps the elements a blog post needs (headings, paragraphs,
//! lists, links, emphasis, code, quotes, tables, images) and nothing that can run script,
//! load a frame, submit a form or carry style: no `script`/`style`/`iframe`/`object`/`form`,
//! no `on…` attributes, no `style` or `class` from the input, links only to
//! `http`/`https`/`mailto` or relative URLs, images only from `http`/`https` or relative
//! URLs (never `data:`).
//!
//! The GOV.UK typography classes (`govuk-body` on `p`, `govuk-link` on `a`, …) are set by
//! ammonia itself ([`ammonia::Builder::set_tag_attribute_value`]), so they replace whatever
//! the input said. A small post-pass over ammonia's serialised output then adds the two
//! attributes that depend on the content: `rel="noopener noreferrer"` on links to other
//! sites, and a stable `id` on each heading produced from Markdown. The post-pass only ever
//! inserts ` name="value"` pairs whose values are made of `[a-z0-9 -]`, right after a tag
//! name, so it cannot introduce markup or script.

use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A heading of a rendered Markdown document, for a page's contents list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    /// 2 to 6 (a Markdown `#` heading becomes level 2: the page title is the one `h1`).
    pub level: u8,
    /// The heading's text, entities decoded.
    pub text: String,
    /// The `id` attribute of the heading in [`markdown_to_html`]'s output: a slug of the
    /// text, unique within the document.
    pub id: String,
}

/// Ids that the page layout uses; a heading never takes them.
const RESERVED_IDS: &[&str] = &["main-content", "content", "top"];

const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Classes GOV.UK Frontend's typography expects, set on every such element.
const CLASSES: &[(&str, &str)] = &[
    ("a", "govuk-link"),
    ("p", "govuk-body"),
    ("ul", "govuk-list govuk-list--bullet"),
    ("ol", "govuk-list govuk-list--number"),
    ("h2", "govuk-heading-l"),
    ("h3", "govuk-heading-m"),
    ("h4", "govuk-heading-s"),
    ("h5", "govuk-heading-s"),
    ("h6", "govuk-heading-s"),
    ("blockquote", "govuk-inset-text"),
    (
        "hr",
        "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    ),
    ("table", "govuk-table"),
    ("caption", "govuk-table__caption govuk-table__caption--m"),
    ("thead", "govuk-table__head"),
    ("tbody", "govuk-table__body"),
    ("tr", "govuk-table__row"),
    ("th", "govuk-table__header"),
    ("td", "govuk-table__cell"),
];

/// The allow-list shared by every function here. `base`, when given, makes relative URLs
/// absolute against it (for HTML republished from another site).
fn cleaner(base: Option<url::Url>) -> Builder<'static> {
    let mut b = Builder::empty();
    b.tags(ALLOWED_TAGS.iter().copied().collect())
        // Elements whose content is dropped along with them.
        .clean_content_tags(
            [
                "script",
                "style",
                "iframe",
                "object",
                "embed",
                "noscript",
                "template",
                "svg",
                "math",
                "textarea",
                "select",
                "title",
                "xmp",
                "noembed",
                "noframes",
                "plaintext",
            ]
            .into_iter()
            .collect(),
        )
        .tag_attributes(
            [
                ("a", ["href", "title"].into_iter().collect()),
                ("img", ["src", "alt", "title"].into_iter().collect()),
                ("abbr", ["title"].into_iter().collect()),
                ("ol", ["start"].into_iter().collect()),
                ("th", ["colspan", "rowspan", "scope"].into_iter().collect()),
                ("td", ["colspan", "rowspan"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .generic_attributes(["lang"].into_iter().collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(match base {
            Some(base) => UrlRelative::RewriteWithBase(base),
            None => UrlRelative::PassThrough,
        })
        // `rel` is added by the post-pass, on external links only.
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Images: http, https or relative only (ammonia's scheme list also allows mailto).
            ("img", "src") => {
                let v = value.trim_start().to_ascii_lowercase();
                let scheme_end = v.find(':');
                let first_delimiter = v.find(['/', '?', '#']);
                let relative = match (scheme_end, first_delimiter) {
                    (None, _) => true,
                    (Some(c), Some(d)) => d < c,
                    (Some(_), None) => false,
                };
                (relative || v.starts_with("http:") || v.starts_with("https:"))
                    .then(|| value.into())
            }
            ("ol", "start") => value
                .trim()
                .parse::<u32>()
                .ok()
                .map(|n| n.to_string().into()),
            ("td" | "th", "colspan" | "rowspan") => value
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .map(|n| n.to_string().into()),
            ("th", "scope") => ["row", "col", "rowgroup", "colgroup"]
                .contains(&value)
                .then(|| value.into()),
            _ => Some(value.into()),
        });
    for (tag, class) in CLASSES {
        b.set_tag_attribute_value(*tag, "class", *class);
    }
    b
}

/// Strips every tag, dropping the content of non-text elements.
static TEXT_ONLY: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::empty();
    b.clean_content_tags(
        [
            "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
            "textarea", "select", "title", "xmp", "noembed", "noframes", "head",
        ]
        .into_iter()
        .collect(),
    );
    b
});

static CLEANER: LazyLock<Builder<'static>> = LazyLock::new(|| cleaner(None));

/// Cleans `html` and re-cleans the result until it stops changing (at most three more
/// times). Some tag soup (an `<a>` inside an `<a>` with a table between them) serialises to
/// HTML that a browser parses into a different tree; re-cleaning makes the output a fixed
/// point, so what the browser builds from it is exactly the tree that was sanitised.
fn clean_stable(builder: &Builder<'_>, html: &str) -> String {
    let mut out = builder.clean(html).to_string();
    for _ in 0..3 {
        let next = builder.clean(&out).to_string();
        if next == out {
            break;
        }
        out = next;
    }
    out
}

/// Renders Markdown (CommonMark with tables, strikethrough and smart punctuation) to safe
/// HTML with GOV.UK classes. Raw HTML in the Markdown goes through the same allow-list as
/// [`sanitise_html`]. A `#` heading becomes an `h2` (the page title is the `h1`), and each
/// heading gets a unique `id` (see [`headings`]).
pub fn markdown_to_html(markdown: &str) -> String {
    render_markdown(markdown).0
}

/// The headings of [`markdown_to_html`]'s output, in order, with the ids it gave them.
pub fn headings(markdown: &str) -> Vec<Heading> {
    render_markdown(markdown).1
}

fn render_markdown(markdown: &str) -> (String, Vec<Heading>) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    // Heading attributes (`{#id .class}`) are off, and ammonia drops ids and classes anyway.
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        }) => Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        }),
        Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
            Event::End(TagEnd::Heading(HeadingLevel::H2))
        }
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut unsafe_html, events);
    let clean = clean_stable(&CLEANER, &unsafe_html);
    post_pass(&clean, true)
}

/// Sanitises HTML from elsewhere (feed items, pasted content) with the allow-list described
/// in the module documentation. Relative URLs are kept as they are.
pub fn sanitise_html(html: &str) -> String {
    post_pass(&clean_stable(&CLEANER, html), false).0
}

/// [`sanitise_html`], with relative URLs made absolute against `base` (the address of the
/// page or feed the HTML came from), so republished content links back to its source.
pub fn sanitise_html_with_base(html: &str, base: &url::Url) -> String {
    let cleaned = clean_stable(&cleaner(Some(base.clone())), html);
    post_pass(&cleaned, false).0
}

/// Plain text for summaries and snippets, from HTML or Markdown: tags stripped (the content
/// of `script`, `style` and the like dropped), entities decoded, whitespace collapsed, and
/// cut at a word boundary with "…" when longer than `max_chars` characters.
///
/// The result is text, not HTML: templates must escape it (minijinja's autoescape does).
pub fn plain_text(html_or_markdown: &str, max_chars: usize) -> String {
    // Markdown → HTML first (HTML input passes through it mostly unchanged), so `**bold**`
    // and `[text](url)` become their text.
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        Parser::new_ext(
            html_or_markdown,
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        ),
    );
    html_to_text(&html, max_chars)
}

/// [`plain_text`] for input known to be HTML (or plain text that may contain entities), such
/// as a feed item's title: no Markdown step, so "1. Introduction" stays as it is.
pub fn html_to_text(html: &str, max_chars: usize) -> String {
    let html = space_block_boundaries(html);
    let text = decode_entities(&TEXT_ONLY.clean(&html).to_string());
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_at_word(&collapsed, max_chars)
}

/// Cuts `text` to at most `max_chars` characters (counting the ellipsis), at a word boundary.
fn truncate_at_word(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    if max_chars == 0 {
        return String::new();
    }
    let keep = max_chars - 1; // room for "…"
    let byte_end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let head = &text[..byte_end];
    // Cut at the last space if the cut fell inside a word (and a space exists).
    let next_is_space = text[byte_end..].starts_with(' ');
    let cut = if next_is_space {
        head
    } else {
        match head.rfind(' ') {
            Some(i) if i > 0 => &head[..i],
            _ => head,
        }
    };
    let cut = cut.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c));
    format!("{cut}…")
}

/// Puts a space before block-level tags so `<p>a</p><p>b</p>` reads "a b", not "ab".
fn space_block_boundaries(html: &str) -> String {
    const BLOCKS: &[&str] = &[
        "p",
        "br",
        "div",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "tr",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "hr",
        "dt",
        "dd",
        "section",
        "article",
        "table",
    ];
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = rest[i + 1..].strip_prefix('/').unwrap_or(&rest[i + 1..]);
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            out.push(' ');
        }
        out.push('<');
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}

/// Decodes the entities html5ever's serialiser writes in text (ammonia's output).
fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Adds `rel="noopener noreferrer"` to links to other sites and, when `heading_ids`, a
/// unique `id` to every heading, scanning ammonia's serialised output. That output is
/// well formed: a `<` outside a tag is always written `&lt;`, attribute values are always
/// double-quoted with `"` written `&quot;`, and there are no comments; so every `<` met
/// between tags starts a tag, and a tag ends at the first `>` outside quotes.
fn post_pass(html: &str, heading_ids: bool) -> (String, Vec<Heading>) {
    let mut out = String::with_capacity(html.len() + 64);
    let mut headings = Vec::new();
    let mut used: HashSet<String> = RESERVED_IDS.iter().map(|s| s.to_string()).collect();
    let mut pos = 0;
    while let Some(offset) = html[pos..].find('<') {
        let start = pos + offset;
        out.push_str(&html[pos..start]);
        let end = tag_end(html, start);
        let tag = &html[start..end];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let name_end = 1 + name.len();
        match name.as_str() {
            "a" if is_external(attribute(tag, "href").as_deref()) => {
                out.push_str(&tag[..name_end]);
                out.push_str(r#" rel="noopener noreferrer""#);
                out.push_str(&tag[name_end..]);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if heading_ids => {
                let level = name.as_bytes()[1] - b'0';
                let close = format!("</{name}>");
                let inner_end = html[end..].find(&close).map_or(html.len(), |i| end + i);
                let text = heading_text(&html[end..inner_end]);
                let id = unique_slug(&text, &mut used);
                out.push_str(&tag[..name_end]);
                out.push_str(&format!(r#" id="{id}""#));
                out.push_str(&tag[name_end..]);
                headings.push(Heading { level, text, id });
            }
            _ => out.push_str(tag),
        }
        pos = end;
    }
    out.push_str(&html[pos..]);
    (out, headings)
}

/// The index just past the `>` that ends the tag starting at `start`.
fn tag_end(html: &str, start: usize) -> usize {
    let bytes = html.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = start + 1;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The (entity-decoded) value of attribute `name` in a serialised start tag, reading the
/// attributes in order (so text inside another attribute's value is never mistaken for it).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let inner = tag.strip_prefix('<')?.trim_end_matches('>');
    let mut rest = inner.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    loop {
        rest = rest.trim_start_matches([' ', '/']);
        if rest.is_empty() {
            return None;
        }
        let name_end = rest.find(['=', ' ']).unwrap_or(rest.len());
        let attr_name = &rest[..name_end];
        rest = &rest[name_end..];
        let value = if let Some(after) = rest.strip_prefix("=\"") {
            let end = after.find('"')?;
            rest = &after[end + 1..];
            Some(&after[..end])
        } else {
            // Unquoted or stray `=` (never in html5ever's output): skip it, keep progressing.
            rest = rest.strip_prefix('=').unwrap_or(rest);
            None
        };
        if attr_name.eq_ignore_ascii_case(name) {
            return Some(decode_entities(value.unwrap_or_default()));
        }
    }
}

/// Absolute http(s) and scheme-relative links lead to other sites.
fn is_external(href: Option<&str>) -> bool {
    let Some(href) = href else { return false };
    let h = href.trim_start().to_ascii_lowercase();
    h.starts_with("http://") || h.starts_with("https://") || h.starts_with("//")
}

/// The text of a heading's inner HTML: tags removed, entities decoded, whitespace collapsed.
fn heading_text(inner: &str) -> String {
    let mut text = String::new();
    let mut pos = 0;
    while let Some(offset) = inner[pos..].find('<') {
        text.push_str(&inner[pos..pos + offset]);
        pos = tag_end(inner, pos + offset);
    }
    text.push_str(&inner[pos..]);
    decode_entities(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A lower-case ASCII slug of `text` (`[a-z0-9-]`), made unique with `-2`, `-3`, ….
fn unique_slug(text: &str, used: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let base = if slug.is_empty() { "section" } else { slug }.to_string();
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_gets_govuk_classes() {
        let html = markdown_to_html(
            "Hello *world*\n\n- one\n- two\n\n1. a\n2. b\n\n[link](/x)\n\n> quoted\n",
        );
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
        let html = markdown_to_html("[a](https://example.org/) [b](/local) [c](mailto:x@y.z)");
        assert!(
            html.contains(r#"<a rel="noopener noreferrer" href="https://example.org/" class="govuk-link">a</a>"#),
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
        let html = sanitise_html(r#"<a title='x href="https://e.org/' href="/local">a</a>"#);
        assert!(!html.contains("rel="), "{html}");
        let html = sanitise_html(r#"<a title=' href="/x' href="https://e.org/">a</a>"#);
        assert!(
            html.starts_with(r#"<a rel="noopener noreferrer" "#),
            "{html}"
        );
    }

    #[test]
    fn input_classes_and_styles_are_replaced() {
        let html = sanitise_html(
            r#"<p class="evil" style="color:red" id="main-content" onclick="x()">hi</p>"#,
        );
        assert_eq!(html, r#"<p class="govuk-body">hi</p>"#);
    }

    #[test]
    fn headings_have_unique_stable_ids() {
        let md =
            "# Our plan\n\ntext\n\n## Why & how\n\n## Why & how\n\n### Main content\n\n## ?!\n";
        let hs = headings(md);
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
        let html = markdown_to_html(md);
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
        let html = markdown_to_html("| a | b |\n|:--|--:|\n| 1 | 2 |\n");
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
        let ok = sanitise_html(r#"<img src="https://x.org/a.png" alt="A"><img src="/b.png">"#);
        assert_eq!(
            ok,
            r#"<img src="https://x.org/a.png" alt="A"><img src="/b.png">"#
        );
        for bad in [
            r#"<img src="data:image/png;base64,AAAA">"#,
            r#"<img src="mailto:a@b.c">"#,
            r#"<img src="javascript:alert(1)">"#,
        ] {
            assert_eq!(sanitise_html(bad), "<img>", "{bad}");
        }
    }

    #[test]
    fn relative_urls_rewritten_against_base() {
        let base = url::Url::parse("https://blog.example.org/posts/feed.xml").unwrap();
        let html = sanitise_html_with_base(r#"<a href="../about">x</a><img src="p.png">"#, &base);
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
}
