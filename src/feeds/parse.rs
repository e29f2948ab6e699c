//! Parsing a fetched feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into items ready to republish.

use crate::domain::feed::FeedItem;
use std::fmt;

use sha2::{Digest, Sha256};
use url::Url;

use crate::sanitise::{TooComplex, escape, html_to_text, sanitise_html_with_base};

/// The most items taken from one feed (the first ones, which feeds put newest first), so a
/// huge feed cannot flood a blog.
pub const MAX_ITEMS: usize = 200;

/// The longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// A feed, parsed and made safe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFeed {
    /// The feed's title as plain text ("Untitled" when it has none).
    pub title: String,
    /// The site the feed belongs to (absolute http/https), when it says.
    pub site_url: Option<String>,
    /// At most [`MAX_ITEMS`] items, in the feed's order.
    pub items: Vec<FeedItem>,
    /// Items left out because their HTML could not be cleaned within bounded work: each
    /// title with the reason, for the subscription's recorded error.
    pub skipped: Vec<String>,
}

/// Why a body is not a feed. `Display` gives one line for an editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// The body is not a feed in any format we read (or not well-formed).
    NotAFeed { reason: String },
    /// The base URL given by the caller is not a valid absolute URL.
    BadBaseUrl { url: String },
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::NotAFeed { reason } => write!(f, "not a feed: {reason}"),
            FeedError::BadBaseUrl { url } => write!(f, "“{url}” is not a web address"),
        }
    }
}

impl std::error::Error for FeedError {}

/// Parses `body` (the bytes as fetched: feed-rs reads the XML encoding declaration itself)
/// into a [`ParsedFeed`]. `base_url` is the address the feed was fetched from
/// ([`super::FetchOutcome::Fetched::final_url`]); relative links resolve against it.
pub fn parse(body: &[u8], base_url: &str) -> Result<ParsedFeed, FeedError> {
    let base = Url::parse(base_url).map_err(|_| FeedError::BadBaseUrl {
        url: base_url.to_string(),
    })?;
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // Leave missing ids empty: we choose the fallback ourselves (feed-rs would use a
        // random UUID as a last resort, which is not stable across fetches).
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(body).map_err(|e| FeedError::NotAFeed {
        reason: not_a_feed_reason(&e),
    })?;

    let title = feed
        .title
        .as_ref()
        .map(|t| text_title(&t.content))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled".to_string());
    let site_url = feed
        .links
        .iter()
        .filter(|l| l.rel.as_deref() != Some("self") && l.rel.as_deref() != Some("hub"))
        .find_map(|l| absolute(&base, &l.href));

    let mut skipped = Vec::new();
    let items = feed
        .entries
        .iter()
        .take(MAX_ITEMS)
        .filter_map(|entry| {
            let link = entry
                .links
                .iter()
                .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
                .chain(entry.links.iter())
                .find_map(|l| absolute(&base, &l.href));
            // Relative URLs inside the item resolve against its own page when known.
            let item_base = link
                .as_deref()
                .and_then(|l| Url::parse(l).ok())
                .unwrap_or_else(|| base.clone());
            let title = entry
                .title
                .as_ref()
                .map(|t| text_title(&t.content))
                .filter(|t| !t.is_empty());
            let published = entry.published.or(entry.updated).map(|t| t.timestamp());
            let author = entry
                .authors
                .iter()
                .find_map(|p| p.name.as_deref().map(|n| html_to_text(&escape(n), 200)))
                .filter(|n| !n.is_empty());
            let summary = entry.summary.as_ref().map(|t| {
                html_of(
                    &t.content,
                    t.content_type.essence().to_string().as_str(),
                    &item_base,
                )
            });
            let content = entry.content.as_ref().and_then(|c| {
                let body = c.body.as_deref()?;
                Some(html_of(
                    body,
                    c.content_type.essence().to_string().as_str(),
                    &item_base,
                ))
            });
            let guid = stable_id(&entry.id, link.as_deref(), title.as_deref(), published);
            let title = title.unwrap_or_else(|| "Untitled".to_string());
            let (summary_html, content_html) = match (summary.transpose(), content.transpose()) {
                (Ok(summary), Ok(content)) => (summary, content),
                (Err(e), _) | (_, Err(e)) => {
                    skipped.push(format!("“{title}”: its HTML {e}"));
                    return None;
                }
            };
            let non_empty = |h: Option<String>| h.filter(|h| !h.trim().is_empty());
            Some(FeedItem {
                guid,
                title,
                link,
                author,
                published,
                summary_html: non_empty(summary_html),
                content_html: non_empty(content_html),
            })
        })
        .collect();

    Ok(ParsedFeed {
        title,
        site_url,
        items,
        skipped,
    })
}

/// A title as plain text: titles may carry HTML (Atom `type="html"`, many RSS feeds), so
/// tags are stripped and entities decoded. The template escapes the result.
fn text_title(raw: &str) -> String {
    html_to_text(raw, MAX_TITLE_CHARS)
}

/// HTML for a summary or content of the given media type: plain text is escaped and kept
/// in paragraphs; anything else is treated as HTML and sanitised.
fn html_of(content: &str, media_type: &str, base: &Url) -> Result<String, TooComplex> {
    let html = if media_type == "text/plain" {
        content
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| format!("<p>{}</p>", escape(p)))
            .collect::<String>()
    } else {
        content.to_string()
    };
    sanitise_html_with_base(&html, base)
}

/// `href` made absolute against `base`, if it is http or https.
fn absolute(base: &Url, href: &str) -> Option<String> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

fn stable_id(id: &str, link: Option<&str>, title: Option<&str>, published: Option<i64>) -> String {
    let id = id.trim();
    if !id.is_empty() {
        return id.chars().take(500).collect();
    }
    if let Some(link) = link {
        return link.to_string();
    }
    let mut hasher = Sha256::new();
    hasher.update(title.unwrap_or_default().as_bytes());
    hasher.update([0]);
    hasher.update(published.unwrap_or_default().to_le_bytes());
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

fn not_a_feed_reason(e: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            "it is not RSS, Atom or JSON Feed".to_string()
        }
        ParseFeedError::ParseError(ParseErrorKind::UnknownMimeType { mime, .. }) => {
            format!("it has content of an unsupported type ({mime})")
        }
        ParseFeedError::XmlReader(_) => format!("the XML is not well formed ({e})"),
        ParseFeedError::JsonSerde(_) => format!("the JSON is not valid ({e})"),
        ParseFeedError::JsonUnsupportedVersion(v) => format!("unsupported JSON Feed version {v}"),
        other => other.to_string(),
    }
    .lines()
    .next()
    .unwrap_or_default()
    .chars()
    .take(300)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://blog.example.org/feed.xml";

    #[test]
    fn rss2_items_with_relative_links_and_missing_fields() {
        let xml = br#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Digital &amp; data</title><link>/</link>
<item><title>First</title><link>/posts/first</link><guid>tag:x,1</guid>
<description>&lt;p onclick="x()"&gt;Hi &lt;a href="/a"&gt;there&lt;/a&gt;&lt;/p&gt;</description>
<pubDate>Tue, 10 Jun 2025 09:00:00 GMT</pubDate><author>a@b.c (Ann)</author></item>
<item><link>https://elsewhere.example/x</link></item>
<item><title>   </title><description>text only</description></item>
</channel></rss>"#;
        let feed = parse(xml, BASE).unwrap();
        assert_eq!(feed.title, "Digital & data");
        assert_eq!(feed.site_url.as_deref(), Some("https://blog.example.org/"));
        assert_eq!(feed.items.len(), 3);
        let first = &feed.items[0];
        assert_eq!(first.guid, "tag:x,1");
        assert_eq!(
            first.link.as_deref(),
            Some("https://blog.example.org/posts/first")
        );
        assert_eq!(first.published, Some(1_749_546_000));
        let summary = first.summary_html.as_deref().unwrap();
        assert!(!summary.contains("onclick"), "{summary}");
        assert!(
            summary.contains(r#"href="https://blog.example.org/a""#),
            "{summary}"
        );
        assert_eq!(feed.items[1].title, "Untitled");
        assert_eq!(feed.items[1].guid, "https://elsewhere.example/x");
        assert_eq!(feed.items[2].title, "Untitled");
        assert!(feed.items[2].guid.starts_with("sha256:"));
        // Stable across parses.
        assert_eq!(parse(xml, BASE).unwrap().items[2].guid, feed.items[2].guid);
    }

    #[test]
    fn titles_are_plain_text() {
        let xml = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;b&gt;Bold&lt;/b&gt; *news*</title>
<entry><id>1</id><title type="html">&lt;script&gt;alert(1)&lt;/script&gt;Hello &amp;amp; bye</title></entry></feed>"#;
        let feed = parse(xml, BASE).unwrap();
        assert_eq!(feed.title, "Bold *news*");
        assert_eq!(feed.items[0].title, "Hello & bye");
    }

    #[test]
    fn garbage_is_not_a_feed() {
        for body in [
            &b"hello"[..],
            b"<html><body>hi</body></html>",
            b"<rss><channel><item>",
            b"",
        ] {
            let err = parse(body, BASE).unwrap_err();
            assert!(err.to_string().starts_with("not a feed: "), "{err}");
            assert!(!err.to_string().contains('\n'));
        }
    }
}
