//! Reading a WordPress export (WXR, versions 1.0 to 1.2): an RSS 2.0 file whose channel
//! lists the site's authors, categories and tags, and whose items are its posts, pages and
//! attachments, each with its comments and custom fields.
//!
//! The file is read as it streams, with namespaces resolved (WordPress writes `wp:`,
//! `content:`, `excerpt:` and `dc:`, but another tool may choose other prefixes). The work is
//! bounded: nesting deeper than [`MAX_DEPTH`] or a single field longer than [`MAX_FIELD`]
//! stops the import with a message, before anything is written.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use std::collections::HashMap;
use std::io::BufRead;

/// A WXR file nests about five elements deep; anything past this is not an export.
pub const MAX_DEPTH: usize = 32;
/// The longest field taken (a post's HTML): far beyond any real post, short of exhausting
/// memory.
pub const MAX_FIELD: usize = 16 << 20;

/// What the export holds.
#[derive(Debug, Default)]
pub struct Export {
    pub wxr_version: String,
    /// The blog's address (`wp:base_blog_url`, else the channel's link): names the source,
    /// so a second import of the same blog finds what the first made.
    pub blog_url: String,
    /// Login → display name.
    pub authors: HashMap<String, String>,
    pub items: Vec<Item>,
}

/// A post, page, attachment or anything else WordPress stores as a post.
#[derive(Debug, Default, Clone)]
pub struct Item {
    pub id: String,
    pub title: String,
    /// The item's permalink on the old site.
    pub link: String,
    /// The author's login.
    pub creator: String,
    /// HTML (classic editor content leaves paragraphs to blank lines).
    pub content: String,
    pub excerpt: String,
    /// `YYYY-MM-DD HH:MM:SS`, in UTC (`0000-00-00 00:00:00` for a draft never saved with one).
    pub date_gmt: String,
    /// The same in the blog's own time zone.
    pub date: String,
    /// `open` or `closed`.
    pub comment_status: String,
    /// The slug (`wp:post_name`).
    pub name: String,
    /// `publish`, `future`, `draft`, `pending`, `private`, `trash`, `inherit`, `auto-draft`.
    pub status: String,
    /// `post`, `page`, `attachment`, or another type (menus, revisions, custom types).
    pub kind: String,
    pub attachment_url: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub meta: HashMap<String, String>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Default, Clone)]
pub struct Comment {
    pub id: String,
    pub author: String,
    pub email: String,
    pub date_gmt: String,
    pub date: String,
    pub content: String,
    /// `1` approved, `0` held, `spam`, `trash`.
    pub approved: String,
    /// Empty or `comment` for a reader's comment; `pingback`, `trackback` otherwise.
    pub kind: String,
}

/// Why a file cannot be imported, as one line for the command line.
#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    #[error(
        "this is not a WordPress export (WXR): {0}. Make one in WordPress under Tools → Export → All content"
    )]
    NotWxr(String),
    #[error("the export is not valid XML ({0}); export it again from WordPress")]
    Xml(String),
    #[error("the export nests elements more than {MAX_DEPTH} deep, which no WordPress export does")]
    TooDeep,
    #[error("a field of the export is longer than {} MB, which no WordPress post is", MAX_FIELD >> 20)]
    FieldTooLong,
}

/// The namespaces a WXR file uses, whatever their prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Wp,
    Content,
    Excerpt,
    Dc,
    Other,
}

impl Ns {
    fn of(resolved: &ResolveResult<'_>) -> Ns {
        let ResolveResult::Bound(ns) = resolved else {
            return Ns::None;
        };
        let uri = ns.as_ref();
        if uri.starts_with("http://wordpress.org/export/") {
            if uri.ends_with("/excerpt/") {
                Ns::Excerpt
            } else {
                Ns::Wp
            }
        } else if uri == "http://purl.org/rss/1.0/modules/content/" {
            Ns::Content
        } else if uri == "http://purl.org/dc/elements/1.1/" {
            Ns::Dc
        } else {
            Ns::Other
        }
    }
}

/// One open element: its namespace and local name.
type Name = (Ns, String);

/// What is being filled while the reader is inside it.
#[derive(Default)]
struct Open {
    item: Option<Item>,
    comment: Option<Comment>,
    author: (String, String),
    meta: (String, String),
    /// The `domain` of an item's `<category>`: `category` or `post_tag`.
    category_domain: Option<String>,
}

/// Reads an export. The root must be `<rss>` and its channel must carry `wp:wxr_version`.
pub fn read(source: impl BufRead) -> Result<Export, WxrError> {
    let mut reader = NsReader::from_reader(source);
    let mut buf = Vec::new();
    let mut stack: Vec<Name> = Vec::new();
    let mut text = String::new();
    let mut export = Export::default();
    let mut channel_link = String::new();
    let mut open = Open::default();
    let mut saw_root = false;
    loop {
        let (resolved, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| WxrError::Xml(e.to_string()))?;
        let ns = Ns::of(&resolved);
        match event {
            Event::Start(e) => {
                let name = (ns, local(&e));
                if stack.is_empty() {
                    if name != (Ns::None, "rss".into()) {
                        return Err(WxrError::NotWxr(format!(
                            "its root element is <{}>, not <rss>",
                            name.1
                        )));
                    }
                    saw_root = true;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(WxrError::TooDeep);
                }
                started(&name, &e, &stack, &mut open);
                stack.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = (ns, local(&e));
                if stack.is_empty() {
                    return Err(WxrError::NotWxr("it is empty".into()));
                }
                started(&name, &e, &stack, &mut open);
                text.clear();
                stack.push(name);
                ended(&stack, "", &mut export, &mut channel_link, &mut open);
                stack.pop();
            }
            Event::End(_) => {
                ended(&stack, &text, &mut export, &mut channel_link, &mut open);
                text.clear();
                stack.pop();
            }
            Event::Text(t) => push(&mut text, &t.xml10_content())?,
            Event::CData(t) => push(&mut text, &t.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = r
                    .resolve_char_ref()
                    .map_err(|e| WxrError::Xml(e.to_string()))?;
                match resolved {
                    Some(c) => push(&mut text, c.encode_utf8(&mut [0; 4]))?,
                    None => {
                        let name: &str = r.as_ref();
                        match quick_xml::escape::resolve_predefined_entity(name) {
                            Some(s) => push(&mut text, s)?,
                            None => push(&mut text, &format!("&{name};"))?,
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(WxrError::NotWxr("it has no <rss> element".into()));
    }
    if export.wxr_version.is_empty() {
        return Err(WxrError::NotWxr("its channel has no wp:wxr_version".into()));
    }
    if !["1.0", "1.1", "1.2"].contains(&export.wxr_version.as_str()) {
        return Err(WxrError::NotWxr(format!(
            "it is WXR version {}, and versions 1.0 to 1.2 are read",
            export.wxr_version
        )));
    }
    if export.blog_url.is_empty() {
        export.blog_url = channel_link;
    }
    export.blog_url = export.blog_url.trim_end_matches('/').to_string();
    Ok(export)
}

fn local(e: &BytesStart<'_>) -> String {
    let name = e.local_name();
    let name: &str = name.as_ref();
    name.to_string()
}

fn push(text: &mut String, more: &str) -> Result<(), WxrError> {
    if text.len() + more.len() > MAX_FIELD {
        return Err(WxrError::FieldTooLong);
    }
    text.push_str(more);
    Ok(())
}

/// WordPress keeps titles and names as it shows them in HTML: `Health &amp; care`,
/// `Today&#8217;s news`. They are plain text here.
fn decoded(value: String) -> String {
    match quick_xml::escape::unescape(&value) {
        Ok(plain) => plain.into_owned(),
        Err(_) => value,
    }
}

fn is(name: &Name, ns: Ns, local: &str) -> bool {
    name.0 == ns && name.1 == local
}

/// An element opened inside `stack`.
fn started(name: &Name, e: &BytesStart<'_>, stack: &[Name], open: &mut Open) {
    let parent = stack.last();
    let in_item = parent.is_some_and(|p| is(p, Ns::None, "item"));
    if is(name, Ns::None, "item") && stack.len() == 2 {
        open.item = Some(Item::default());
    } else if is(name, Ns::Wp, "comment") && in_item {
        open.comment = Some(Comment::default());
    } else if is(name, Ns::None, "category") && in_item {
        open.category_domain = e
            .try_get_attribute("domain")
            .ok()
            .flatten()
            .map(|a| a.value.into_owned());
    }
}

/// The element on top of `stack` closes with `text` inside it.
fn ended(
    stack: &[Name],
    text: &str,
    export: &mut Export,
    channel_link: &mut String,
    open: &mut Open,
) {
    let Some((name, path)) = stack.split_last() else {
        return;
    };
    let Some(parent) = path.last() else { return };
    let value = text.trim().to_string();
    let (ns, local) = (name.0, name.1.as_str());

    if is(parent, Ns::None, "channel") {
        match (ns, local) {
            (Ns::Wp, "wxr_version") => export.wxr_version = value,
            (Ns::Wp, "base_blog_url") => export.blog_url = value,
            (Ns::None, "link") => *channel_link = value,
            (Ns::Wp, "author") => {
                let (login, display) = std::mem::take(&mut open.author);
                if !login.is_empty() {
                    let display = if display.is_empty() {
                        login.clone()
                    } else {
                        display
                    };
                    export.authors.insert(login, display);
                }
            }
            (Ns::None, "item") => export.items.extend(open.item.take()),
            _ => {}
        }
    } else if is(parent, Ns::Wp, "author") {
        match local {
            "author_login" => open.author.0 = value,
            "author_display_name" => open.author.1 = decoded(value),
            _ => {}
        }
    } else if is(parent, Ns::Wp, "postmeta") {
        match local {
            "meta_key" => open.meta.0 = value,
            "meta_value" => open.meta.1 = value,
            _ => {}
        }
    } else if is(parent, Ns::Wp, "comment") {
        if let Some(c) = open.comment.as_mut() {
            match local {
                "comment_id" => c.id = value,
                "comment_author" => c.author = decoded(value),
                "comment_author_email" => c.email = value,
                "comment_date_gmt" => c.date_gmt = value,
                "comment_date" => c.date = value,
                "comment_content" => c.content = text.to_string(),
                "comment_approved" => c.approved = value,
                "comment_type" => c.kind = value,
                _ => {}
            }
        }
    } else if is(parent, Ns::None, "item") {
        let Some(item) = open.item.as_mut() else {
            return;
        };
        match (ns, local) {
            (Ns::None, "title") => item.title = decoded(value),
            (Ns::None, "link") => item.link = value,
            (Ns::Dc, "creator") => item.creator = value,
            (Ns::Content, "encoded") => item.content = text.to_string(),
            (Ns::Excerpt, "encoded") => item.excerpt = value,
            (Ns::Wp, "post_id") => item.id = value,
            (Ns::Wp, "post_date") => item.date = value,
            (Ns::Wp, "post_date_gmt") => item.date_gmt = value,
            (Ns::Wp, "comment_status") => item.comment_status = value,
            (Ns::Wp, "post_name") => item.name = value,
            (Ns::Wp, "status") => item.status = value,
            (Ns::Wp, "post_type") => item.kind = value,
            (Ns::Wp, "attachment_url") => item.attachment_url = value,
            (Ns::None, "category") => match open.category_domain.take().as_deref() {
                Some("category") => item.categories.push(decoded(value)),
                Some("post_tag") => item.tags.push(decoded(value)),
                _ => {}
            },
            (Ns::Wp, "postmeta") => {
                let (key, value) = std::mem::take(&mut open.meta);
                item.meta.insert(key, value);
            }
            (Ns::Wp, "comment") => item.comments.extend(open.comment.take()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Blog</title><link>https://blog.example/</link>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[jo]]></wp:author_login>
    <wp:author_display_name><![CDATA[Jo Bloggs]]></wp:author_display_name></wp:author>
  <item>
    <title>Fish &amp; chips</title><dc:creator><![CDATA[jo]]></dc:creator>
    <content:encoded><![CDATA[<p>Hello</p>]]></content:encoded>
    <wp:post_id>7</wp:post_id><wp:post_type><![CDATA[post]]></wp:post_type>
    <category domain="category" nicename="news"><![CDATA[News]]></category>
    <category domain="post_tag" nicename="food"><![CDATA[Food]]></category>
    <wp:postmeta><wp:meta_key>k</wp:meta_key><wp:meta_value><![CDATA[v]]></wp:meta_value></wp:postmeta>
    <wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_approved>1</wp:comment_approved>
      <wp:comment_content><![CDATA[Nice &#8211; thanks]]></wp:comment_content></wp:comment>
  </item>
</channel></rss>"#;

    #[test]
    fn an_export_is_read_with_its_namespaces_entities_and_nesting() {
        let e = read(SMALL.as_bytes()).unwrap();
        assert_eq!(e.wxr_version, "1.2");
        assert_eq!(e.blog_url, "https://blog.example");
        assert_eq!(e.authors["jo"], "Jo Bloggs");
        let item = &e.items[0];
        assert_eq!(item.title, "Fish & chips");
        assert_eq!((item.id.as_str(), item.kind.as_str()), ("7", "post"));
        assert_eq!(item.categories, ["News"]);
        assert_eq!(item.tags, ["Food"]);
        assert_eq!(item.meta["k"], "v");
        assert_eq!(item.comments[0].content, "Nice &#8211; thanks");
    }

    #[test]
    fn other_files_are_refused_with_what_they_lack() {
        let feed = r#"<rss version="2.0"><channel><title>x</title></channel></rss>"#;
        assert!(
            matches!(read(feed.as_bytes()), Err(WxrError::NotWxr(m)) if m.contains("wxr_version"))
        );
        let html = "<html><body>hi</body></html>";
        assert!(matches!(read(html.as_bytes()), Err(WxrError::NotWxr(m)) if m.contains("<html>")));
        assert!(matches!(
            read(&b"name,email\na,b\n"[..]),
            Err(WxrError::NotWxr(_))
        ));
        assert!(matches!(
            read(&b"<rss><channel>"[..]),
            Err(WxrError::Xml(_)) | Err(WxrError::NotWxr(_))
        ));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("<rss>{}", "<a>".repeat(100_000));
        assert!(matches!(read(deep.as_bytes()), Err(WxrError::TooDeep)));
    }
}
