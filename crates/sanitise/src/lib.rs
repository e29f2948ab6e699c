//! Rendering untrusted text to inert HTML.
//!
//! Everything a stranger (or another site) can write goes through one of these functions
//! before it reaches a page:
//!
//! - [`render_markdown`]: posts, pages, exercises and the register's texts written in
//!   Markdown, rendered once when saved and stored;
//! - [`sanitise_html`] / [`sanitise_html_with_base`]: HTML from elsewhere (feed items,
//!   pasted content), cleaned once when fetched and stored;
//! - [`plain_text`]: summaries and snippets (text, not HTML: the template escapes it).
//!
//! No input can make these slow: HTML is only cleaned after [`budget::check`] has bounded
//! the work it takes (nesting at most [`MAX_DEPTH`] deep), Markdown may have at most
//! [`MAX_HEADINGS`] headings and grow at most [`MAX_GROWTH`] times, and text is read with the
//! tokenizer alone ([`text`]). What is refused says why ([`TooComplex`]), for an editor's
//! error message or a feed's recorded error.
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

pub mod blocks;
mod budget;
mod text;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

pub use budget::MAX_DEPTH;

/// A heading of a rendered Markdown document, for a page's contents list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    /// 2 to 6 (a Markdown `#` heading becomes level 2: the page title is the one `h1`).
    pub level: u8,
    /// The heading's text, entities decoded.
    pub text: String,
    /// The `id` attribute of the heading in [`render_markdown`]'s output: a slug of the
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

static CLEANER: LazyLock<Builder<'static>> = LazyLock::new(|| cleaner(None));

/// Cleans `html` and re-cleans the result until it stops changing (at most three more
/// times). Some tag soup (an `<a>` inside an `<a>` with a table between them) serialises to
/// HTML that a browser parses into a different tree; re-cleaning makes the output a fixed
/// point, so what the browser builds from it is exactly the tree that was sanitised.
///
/// [`budget::check`] first, so that no input makes this slow, and each result may be at most
/// [`MAX_CLEAN_GROWTH`] times the input plus [`CLEAN_GROWTH_ALLOWANCE`]: the tree builder
/// can copy an element left open into every paragraph that follows, and the copies would
/// make every later pass (and every view) slower.
fn clean_stable(builder: &Builder<'_>, html: &str) -> Result<String, TooComplex> {
    budget::check(html)?;
    let cap = html
        .len()
        .saturating_mul(MAX_CLEAN_GROWTH)
        .saturating_add(CLEAN_GROWTH_ALLOWANCE);
    let within_cap = |out: String| {
        if out.len() > cap {
            Err(TooComplex::TooTangled)
        } else {
            Ok(out)
        }
    };
    let mut out = within_cap(builder.clean(html).to_string())?;
    for _ in 0..3 {
        let next = within_cap(builder.clean(&out).to_string())?;
        if next == out {
            break;
        }
        out = next;
    }
    Ok(out)
}

/// Cleaned HTML may be at most this many times as long as what went in, plus
/// [`CLEAN_GROWTH_ALLOWANCE`] bytes. The classes ammonia sets grow dense markup about seven
/// times (`<p>x` becomes `<p class="govuk-body">x</p>`); copies made by the tree builder
/// grow it without bound.
const MAX_CLEAN_GROWTH: usize = 8;
const CLEAN_GROWTH_ALLOWANCE: usize = 64 * 1024;

/// The version of what [`render_markdown`] makes: raise it when its output changes, and
/// stored documents rendered by an older version are rendered again (Townhall's `posts`).
pub const RENDERER: i64 = 1;

/// The most headings a document may have (a long strategy has a few hundred).
pub const MAX_HEADINGS: usize = 1_000;

/// Markdown's HTML may be at most this many times as long as the Markdown, plus
/// [`GROWTH_ALLOWANCE`] bytes: a link definition used thousands of times cannot make
/// megabytes out of kilobytes.
const MAX_GROWTH: usize = 8;
const GROWTH_ALLOWANCE: usize = 16 * 1024;

/// Why a text cannot be turned into HTML within bounded work. Each reads after "The text"
/// and says what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error(
        "nests block quotes, lists or HTML elements more than {MAX_DEPTH} levels deep: flatten the deepest parts"
    )]
    TooDeep,
    #[error("has more than {MAX_HEADINGS} headings: split it into several pages")]
    TooManyHeadings,
    #[error(
        "would be more than {MAX_GROWTH} times as long once formatted: use long links and references fewer times"
    )]
    TooLong,
    #[error(
        "has HTML too tangled to clean (such as tables inside links, many times over): simplify the HTML"
    )]
    TooTangled,
}

/// A Markdown document rendered to safe HTML, with its headings for a contents list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
}

/// Renders Markdown (CommonMark with tables, strikethrough and smart punctuation) to safe
/// HTML with GOV.UK classes. Raw HTML in the Markdown goes through the same allow-list as
/// [`sanitise_html`]. A `#` heading becomes an `h2` (the page title is the `h1`), and each
/// heading gets a unique `id`.
///
/// The work is bounded whatever the input: at most [`MAX_HEADINGS`] headings, HTML at most
/// [`MAX_GROWTH`] times the Markdown, nesting at most [`MAX_DEPTH`] deep, and the cleaning
/// within [`budget`]'s step count. Call it when text is saved, never for each view.
pub fn render_markdown(markdown: &str) -> Result<Rendered, TooComplex> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let (mut headings, mut depth) = (0, 0);
    let mut refused = None;
    // Heading attributes (`{#id .class}`) are off, and ammonia drops ids and classes anyway.
    let events = Parser::new_ext(markdown, options)
        .map(|event| match event {
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
        })
        // Stops at the first heading or nesting over the limits: what follows is never read.
        .take_while(|event| {
            match event {
                Event::Start(tag) => {
                    depth += 1;
                    headings += usize::from(matches!(tag, Tag::Heading { .. }));
                }
                Event::End(_) => depth -= 1,
                _ => {}
            }
            if depth > MAX_DEPTH {
                refused = Some(TooComplex::TooDeep);
            } else if headings > MAX_HEADINGS {
                refused = Some(TooComplex::TooManyHeadings);
            }
            refused.is_none()
        });
    let mut unsafe_html = CappedString {
        text: String::with_capacity(markdown.len() * 3 / 2),
        cap: markdown
            .len()
            .saturating_mul(MAX_GROWTH)
            .saturating_add(GROWTH_ALLOWANCE),
    };
    let written = pulldown_cmark::html::write_html_fmt(&mut unsafe_html, events);
    if let Some(refusal) = refused {
        return Err(refusal);
    }
    written.map_err(|_| TooComplex::TooLong)?;
    let clean = clean_stable(&CLEANER, &unsafe_html.text)?;
    let (html, headings) = post_pass(&clean, true);
    Ok(Rendered { html, headings })
}

/// A string that refuses to grow past `cap` bytes (the writer then reports an error, which
/// stops the renderer).
struct CappedString {
    text: String,
    cap: usize,
}

impl std::fmt::Write for CappedString {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.text.len() + s.len() > self.cap {
            return Err(std::fmt::Error);
        }
        self.text.push_str(s);
        Ok(())
    }
}

/// Text shown as it is, in GOV.UK paragraphs (one per blank-line-separated block), for a
/// document that [`render_markdown`] refuses but that must still be shown. Linear in the text.
pub fn plain_paragraphs(text: &str) -> Rendered {
    let mut html = String::with_capacity(text.len() + 64);
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        html.push_str(r#"<p class="govuk-body">"#);
        html.push_str(&escape(block));
        html.push_str("</p>");
    }
    Rendered {
        html,
        headings: Vec::new(),
    }
}

/// `text` with `&`, `<`, `>` and `"` escaped, to put in HTML as text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sanitises HTML from elsewhere (feed items, pasted content) with the allow-list described
/// in the module documentation. Relative URLs are kept as they are.
pub fn sanitise_html(html: &str) -> Result<String, TooComplex> {
    Ok(post_pass(&clean_stable(&CLEANER, html)?, false).0)
}

/// [`sanitise_html`], with relative URLs made absolute against `base` (the address of the
/// page or feed the HTML came from), so republished content links back to its source.
pub fn sanitise_html_with_base(html: &str, base: &url::Url) -> Result<String, TooComplex> {
    let cleaned = clean_stable(&cleaner(Some(base.clone())), html)?;
    Ok(post_pass(&cleaned, false).0)
}

/// Plain text for summaries and snippets, from HTML or Markdown: tags stripped (the content
/// of `script`, `style` and the like dropped), entities decoded, whitespace collapsed, and
/// cut at a word boundary with "…" when longer than `max_chars` characters.
///
/// The result is text, not HTML: templates must escape it (minijinja's autoescape does).
pub fn plain_text(html_or_markdown: &str, max_chars: usize) -> String {
    // Markdown → HTML first (HTML input passes through it mostly unchanged), so `**bold**`
    // and `[text](url)` become their text. A summary needs only the start, so the HTML is cut
    // off where it would outgrow the input many times over.
    let mut html = CappedString {
        text: String::new(),
        cap: html_or_markdown
            .len()
            .saturating_mul(MAX_GROWTH)
            .saturating_add(GROWTH_ALLOWANCE),
    };
    let _cut_short = pulldown_cmark::html::write_html_fmt(
        &mut html,
        Parser::new_ext(
            html_or_markdown,
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        ),
    );
    html_to_text(&html.text, max_chars)
}

/// [`plain_text`] for input known to be HTML (or plain text that may contain entities), such
/// as a feed item's title: no Markdown step, so "1. Introduction" stays as it is. Linear in
/// the input however it nests (the tokenizer alone, no tree).
pub fn html_to_text(html: &str, max_chars: usize) -> String {
    let text = text::text_of(html);
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
    let mut used = Used {
        ids: RESERVED_IDS.iter().map(|s| s.to_string()).collect(),
        next: HashMap::new(),
    };
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
/// `next` remembers the next number to try for each slug, so a thousand headings alike cost
/// a thousand steps, not half a million.
fn unique_slug(text: &str, used: &mut Used) -> String {
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
    let n = used.next.entry(base.clone()).or_insert(2);
    let mut candidate = base.clone();
    while !used.ids.insert(candidate.clone()) {
        candidate = format!("{base}-{n}");
        *n += 1;
    }
    candidate
}

/// The heading ids given so far, and the next suffix to try for each slug.
struct Used {
    ids: HashSet<String>,
    next: HashMap<String, usize>,
}

#[cfg(test)]
mod tests;
