//! A WordPress post's HTML made into the Markdown an editor here writes: paragraphs the
//! classic editor left to blank lines made explicit, the `[caption]` shortcode unwrapped,
//! images and files of the old site pointed at their copies in the media library, and
//! everything cleaned by the same sanitiser as any other HTML from elsewhere before it is
//! converted (so the work is bounded, and nothing that could run script is kept).

use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The old site's files that are now in the library: the path of each attachment's address
/// → its library id. Matched by path, so `http://` and `https://` addresses, and another
/// host name for the same site, find the same item.
#[derive(Debug, Default)]
pub struct Library {
    by_path: HashMap<String, i64>,
}

impl Library {
    pub fn insert(&mut self, url: &str, id: i64) {
        if let Some(path) = file_path(url) {
            // WordPress 5.3 and later keep a large original as `photo.jpg` and serve
            // `photo-scaled.jpg`: either name finds the item.
            if let Some(unscaled) = unscaled(&path) {
                self.by_path.insert(unscaled, id);
            }
            self.by_path.insert(path, id);
        }
    }

    /// The library id that `url` (an attachment, or one of the smaller sizes WordPress made
    /// of it, such as `photo-300x200.jpg`) refers to.
    pub fn find(&self, url: &str) -> Option<i64> {
        let path = file_path(url)?;
        if let Some(id) = self.by_path.get(&path) {
            return Some(*id);
        }
        let original = SIZED.replace(&path, "$ext").into_owned();
        self.by_path.get(&original).copied()
    }
}

/// `photo-scaled.jpg` → `photo.jpg`.
fn unscaled(path: &str) -> Option<String> {
    let (stem, ext) = path.rsplit_once('.')?;
    Some(format!("{}.{ext}", stem.strip_suffix("-scaled")?))
}

/// The path of an absolute or root-relative address.
fn file_path(url: &str) -> Option<String> {
    let url = url.trim();
    if url.starts_with('/') && !url.starts_with("//") {
        return Some(url.split(['?', '#']).next().unwrap_or_default().to_string());
    }
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.path().to_string())
}

/// A size WordPress made of an image: `-300x200` before the extension.
static SIZED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-\d{1,5}x\d{1,5}(?P<ext>\.[A-Za-z0-9]{2,5})$").unwrap());
static CAPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[/?caption(?:\s[^\]]*)?\]").unwrap());
static URL_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?P<name>src|href)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')"#).unwrap()
});
/// A blank line: where the classic editor's paragraphs end.
static BLANK_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n[ \t]*\n").unwrap());
/// An image that links to itself in the library: WordPress's "link to media file".
static SELF_LINKED_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[(?P<img>!\[[^\]\n]*\]\(/media/(?P<a>\d+)\))\]\(/media/(?P<b>\d+)\)").unwrap()
});
/// An image still on another site, which the Content-Security-Policy would block.
static REMOTE_IMAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!\[(?P<alt>[^\]\n]*)\]\((?P<url>https?://[^)\s]+)\)").unwrap());

/// Elements that start a block of their own: a classic-editor paragraph beginning with one
/// is left as it is.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "div",
    "pre",
    "figure",
    "hr",
    "dl",
    "address",
    "section",
    "iframe",
    "form",
    "img",
];

/// `html` as Markdown, or why it cannot be taken (too deeply nested, say).
pub fn to_markdown(html: &str, library: &Library) -> Result<String, String> {
    let html = CAPTION.replace_all(html, "");
    let html = if html.contains("<!-- wp:") {
        html.into_owned()
    } else {
        paragraphs(&html)
    };
    let html = URL_ATTRIBUTE.replace_all(&html, |c: &regex::Captures<'_>| {
        let url = c
            .name("dq")
            .or_else(|| c.name("sq"))
            .map_or("", |m| m.as_str());
        match library.find(&decode_amp(url)) {
            Some(id) => format!("{}=\"/media/{id}\"", &c["name"]),
            None => c[0].to_string(),
        }
    });
    let clean = crate::sanitise::sanitise_html(&html).map_err(|e| format!("the text {e}"))?;
    let markdown = htmd::convert(&clean).map_err(|e| e.to_string())?;
    let markdown = SELF_LINKED_IMAGE.replace_all(&markdown, |c: &regex::Captures<'_>| {
        match c["a"] == c["b"] {
            true => c["img"].to_string(),
            false => c[0].to_string(),
        }
    });
    let markdown = REMOTE_IMAGE.replace_all(&markdown, |c: &regex::Captures<'_>| {
        let alt = c["alt"].trim();
        let label = if alt.is_empty() {
            "Image".to_string()
        } else {
            format!("Image: {alt}")
        };
        format!("[{label}]({})", &c["url"])
    });
    Ok(markdown.trim().to_string())
}

/// What WordPress's `wpautop` does when it shows a classic post: lines of text between
/// blank lines are a paragraph (a single line break inside one is kept), and a line that
/// starts with a block element (a heading, a list, an image) stands on its own.
fn paragraphs(html: &str) -> String {
    let html = html.replace("\r\n", "\n");
    let mut out: Vec<String> = Vec::new();
    for block in BLANK_LINE.split(&html) {
        let mut lines: Vec<&str> = Vec::new();
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if starts_block(line) {
                out.extend(paragraph(&mut lines));
                out.push(line.to_string());
            } else {
                lines.push(line);
            }
        }
        out.extend(paragraph(&mut lines));
    }
    out.join("\n\n")
}

/// The lines gathered so far as one paragraph, if there are any.
fn paragraph(lines: &mut Vec<&str>) -> Option<String> {
    let p = (!lines.is_empty()).then(|| format!("<p>{}</p>", lines.join("<br>\n")));
    lines.clear();
    p
}

fn starts_block(block: &str) -> bool {
    let Some(rest) = block.strip_prefix('<') else {
        return false;
    };
    let name: String = rest
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    BLOCK_TAGS.contains(&name.as_str()) || rest.starts_with("!--")
}

/// Attribute values in WordPress's HTML write `&` as `&amp;`, `&#038;` or `&#38;`.
fn decode_amp(url: &str) -> String {
    url.replace("&amp;", "&")
        .replace("&#038;", "&")
        .replace("&#38;", "&")
}

/// A comment's text as plain paragraphs: WordPress keeps a little HTML in comments.
pub fn comment_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.trim().to_string();
    }
    let paragraphs: Vec<String> = BLANK_LINE
        .split(&html.replace("\r\n", "\n"))
        .map(|p| crate::sanitise::plain_text(p, 5_000))
        .filter(|p| !p.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> Library {
        let mut l = Library::default();
        l.insert(
            "https://blog.example/wp-content/uploads/2020/01/photo.jpg",
            5,
        );
        l.insert(
            "https://blog.example/wp-content/uploads/2020/01/plan.pdf",
            6,
        );
        l.insert(
            "https://blog.example/wp-content/uploads/2021/big-scaled.jpg",
            7,
        );
        l
    }

    #[test]
    fn classic_paragraphs_become_markdown_paragraphs() {
        let md = to_markdown(
            "First line\nsame paragraph\n\nSecond <em>one</em>\n\n<h2>Head</h2>",
            &Library::default(),
        )
        .unwrap();
        assert!(md.starts_with("First line"), "{md}");
        assert!(
            md.contains("\n\nSecond *one*") || md.contains("\n\nSecond _one_"),
            "{md}"
        );
        assert!(md.contains("## Head"), "{md}");
    }

    #[test]
    fn images_and_files_of_the_old_site_point_into_the_library() {
        let html = r#"[caption id="attachment_9" align="aligncenter" width="300"]<a href="https://blog.example/wp-content/uploads/2020/01/photo.jpg"><img src="http://blog.example/wp-content/uploads/2020/01/photo-300x200.jpg" alt="A park" /></a> A park[/caption]

<p><a href="https://blog.example/wp-content/uploads/2020/01/plan.pdf">The plan</a></p>
<p><img src="https://blog.example/wp-content/uploads/2021/big.jpg" alt="Big"></p>
<p><img src="https://elsewhere.example/x.png" alt="Chart"></p>"#;
        let md = to_markdown(html, &library()).unwrap();
        assert!(
            md.contains("![A park](/media/5)") && !md.contains("[![A park]"),
            "{md}"
        );
        assert!(md.contains("[The plan](/media/6)"), "{md}");
        assert!(md.contains("![Big](/media/7)"), "{md}");
        assert!(
            md.contains("[Image: Chart](https://elsewhere.example/x.png)"),
            "{md}"
        );
        assert!(!md.contains("caption"), "{md}");
    }

    #[test]
    fn script_is_dropped_and_block_comments_vanish() {
        let html =
            "<!-- wp:paragraph -->\n<p>Hi<script>alert(1)</script></p>\n<!-- /wp:paragraph -->";
        let md = to_markdown(html, &Library::default()).unwrap();
        assert_eq!(md, "Hi");
    }

    #[test]
    fn comments_keep_their_paragraphs_as_text() {
        assert_eq!(
            comment_text("Great &amp; <b>bold</b>\n\nSecond"),
            "Great & bold\n\nSecond"
        );
    }
}
