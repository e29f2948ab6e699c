//! Bodies that refer to the library: `/media/ID` in a body's stored HTML made, as the page is
//! made, into an image in its widths or a GOV.UK attachment.

use super::file_path;
use crate::App;
use crate::domain::media::{self, Kind};
use crate::store::media::{MediaFile, MediaItem};
use crate::store::settings::CONTACT_EMAIL;
use crate::store::versions::Topic;
use crate::web::error::PageError;
use std::collections::HashMap;

/// `html` (a body as stored) with each reference to the library made into what it shows.
/// A body that refers to nothing costs no query.
pub async fn with_media(app: &App, html: &str) -> Result<String, PageError> {
    Ok(body_with_media(app, html).await?.html)
}

/// A body as a page shows it, and the picture a link to the page previews with.
pub struct Body {
    pub html: String,
    pub image: Option<SharedImage>,
}

/// The first image a body shows, at its widest: what Open Graph's `og:image` names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SharedImage {
    pub path: String,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

/// [`with_media`], with the body's first image for a link preview.
pub async fn body_with_media(app: &App, html: &str) -> Result<Body, PageError> {
    let ids = referred(html);
    if ids.is_empty() {
        return Ok(Body {
            html: html.to_string(),
            image: None,
        });
    }
    let items: HashMap<i64, (MediaItem, Vec<MediaFile>)> = (app.db.media_with_files(&ids).await?)
        .into_iter()
        .map(|(item, files)| (item.id, (item, files)))
        .collect();
    let documents = items
        .values()
        .any(|(i, _)| i.format.kind() == Kind::Document);
    let contact = match documents {
        true => app.db.setting(CONTACT_EMAIL).await?,
        false => None,
    };
    let image = (ids.iter())
        .filter_map(|id| items.get(id))
        .find(|(item, _)| item.format.kind() == Kind::Image)
        .and_then(|(item, files)| shared_image(item, files));
    Ok(Body {
        html: expand(html, &Shown { items, contact }),
        image,
    })
}

fn shared_image(item: &MediaItem, files: &[MediaFile]) -> Option<SharedImage> {
    let widest = files.iter().max_by_key(|f| f.width)?;
    let (width, height) = (item.width?, item.height?);
    Some(SharedImage {
        path: file_path(item, widest),
        alt: item.alt.clone(),
        width: widest.width,
        height: height * widest.width / width.max(1),
    })
}

/// What a body's references are made into: the items it names, and the address the
/// attachments' "Request an accessible format" link writes to (none until an admin gives
/// one on `/admin/statements`).
struct Shown {
    items: HashMap<i64, (MediaItem, Vec<MediaFile>)>,
    contact: Option<String>,
}

/// The topics of a page whose body may show library items: `topics` and [`Topic::Media`].
pub fn and_media<const N: usize>(topics: [Topic; N]) -> Vec<Topic> {
    let mut all = topics.to_vec();
    all.push(Topic::Media);
    all
}

const PREFIX: &str = "\"/media/";

/// The most library items one body is made to show in their widths and as attachments (one
/// query reads them all); a reference past this stays a plain link or image, which
/// `/media/ID` still answers.
pub const MAX_ITEMS_PER_BODY: usize = 200;

/// The item ids a body refers to (`"/media/ID"` as a whole attribute value), the first
/// [`MAX_ITEMS_PER_BODY`] of them.
fn referred(html: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut rest = html;
    while let Some(at) = rest.find(PREFIX) {
        rest = &rest[at + PREFIX.len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if rest[digits..].starts_with('"')
            && let Ok(id) = rest[..digits].parse::<i64>()
            && seen.insert(id)
        {
            ids.push(id);
            if ids.len() == MAX_ITEMS_PER_BODY {
                break;
            }
        }
    }
    ids
}

/// Rewrites `<img src="/media/ID" …>` for an image and `<p><a href="/media/ID">Title</a></p>`
/// for a document. The HTML is the sanitiser's output, so tags and attributes are
/// well formed, values are double-quoted and a `"` inside one is escaped.
fn expand(html: &str, found: &Shown) -> String {
    let find_img = |from: usize| html[from..].find("<img ").map(|i| i + from);
    let find_para = |from: usize| paragraph_of_a_link(&html[from..]).map(|i| i + from);
    let mut out = String::with_capacity(html.len() + 512);
    let mut pos = 0;
    // Each search goes forward from where the last one stopped, so a body is read once
    // however many images it has.
    let (mut next_img, mut next_para) = (find_img(0), find_para(0));
    loop {
        let at = match (next_img, next_para) {
            (Some(i), Some(p)) => i.min(p),
            (Some(i), None) => i,
            (None, Some(p)) => p,
            (None, None) => break,
        };
        out.push_str(&html[pos..at]);
        let done = if Some(at) == next_img {
            image_tag(&html[at..], &found.items)
        } else {
            attachment(&html[at..], found)
        };
        pos = match done {
            Some((tag, used)) => {
                out.push_str(&tag);
                at + used
            }
            None => {
                out.push('<');
                at + 1
            }
        };
        if next_img.is_some_and(|i| i < pos) {
            next_img = find_img(pos);
        }
        if next_para.is_some_and(|p| p < pos) {
            next_para = find_para(pos);
        }
    }
    out.push_str(&html[pos..]);
    out
}

/// Where the next paragraph that starts with a link to the library begins.
fn paragraph_of_a_link(html: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = html[from..].find("<p").map(|i| i + from) {
        let rest = &html[at..];
        if let Some((_, open)) = attributes(rest).filter(|_| rest[2..].starts_with([' ', '>']))
            && rest[open..].starts_with("<a ")
            && rest[open..]
                .find('>')
                .is_some_and(|end| rest[open..open + end].contains(PREFIX))
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// The attributes of the tag at the start of `html`, and where the tag ends.
fn attributes(html: &str) -> Option<(Vec<(&str, &str)>, usize)> {
    let mut attrs = Vec::new();
    let mut i = html.find([' ', '>'])?;
    loop {
        i += html[i..].len() - html[i..].trim_start().len();
        let rest = &html[i..];
        if rest.starts_with('>') {
            return Some((attrs, i + 1));
        }
        let eq = rest.find("=\"")?;
        let name = &rest[..eq];
        let value_start = eq + 2;
        let end = rest[value_start..].find('"')? + value_start;
        attrs.push((name, &rest[value_start..end]));
        i += end + 1;
    }
}

fn media_id(value: &str) -> Option<i64> {
    value.strip_prefix("/media/")?.parse().ok()
}

/// An image from the library in each of its widths.
fn image_tag(
    html: &str,
    found: &HashMap<i64, (MediaItem, Vec<MediaFile>)>,
) -> Option<(String, usize)> {
    let (attrs, used) = attributes(html)?;
    let get = |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let (item, files) = found.get(&media_id(get("src")?)?)?;
    if item.format.kind() != Kind::Image || files.is_empty() {
        return None;
    }
    // The sanitiser escaped what the Markdown said; the library's text is escaped here.
    let alt = match get("alt").filter(|a| !a.trim().is_empty()) {
        _ if item.decorative => String::new(),
        Some(written) => written.to_string(),
        None => crate::sanitise::escape(&item.alt),
    };
    let srcset = (files.iter())
        .map(|f| format!("{} {}w", file_path(item, f), f.width))
        .collect::<Vec<_>>()
        .join(", ");
    // A two-thirds column is at most 640 CSS pixels wide; below that the image fills it.
    let fallback = (files.iter().rev().find(|f| f.width <= 960)).unwrap_or(&files[0]);
    let title = get("title")
        .map(|t| format!(" title=\"{t}\""))
        .unwrap_or_default();
    let tag = format!(
        "<img src=\"{}\" srcset=\"{srcset}\" sizes=\"(min-width: 1020px) 640px, 100vw\" \
         width=\"{}\" height=\"{}\" alt=\"{alt}\"{title} loading=\"lazy\" decoding=\"async\">",
        file_path(item, fallback),
        item.width.unwrap_or_default(),
        item.height.unwrap_or_default(),
    );
    Some((tag, used))
}

/// A document from the library in the GOV.UK attachment pattern: its title, type, size and,
/// for a PDF, its number of pages. `html` starts with a paragraph that holds nothing but a
/// link to the library.
fn attachment(html: &str, shown: &Shown) -> Option<(String, usize)> {
    let (_, open_p) = attributes(html)?;
    let link = html[open_p..]
        .strip_prefix("<a ")
        .map(|_| &html[open_p..])?;
    let (attrs, open_a) = attributes(link)?;
    if attrs
        .iter()
        .any(|(name, _)| !matches!(*name, "href" | "class"))
    {
        return None;
    }
    let href = attrs.iter().find(|(name, _)| *name == "href")?.1;
    let (item, files) = shown.items.get(&media_id(href)?)?;
    let close = "</a></p>";
    let text_end = link[open_a..].find(close)? + open_a;
    let text = &link[open_a..text_end];
    if item.format.kind() != Kind::Document || text.contains('<') {
        return None;
    }
    let file = files.first()?;
    let mut facts = vec![
        item.format.label().to_string(),
        media::human_size(item.size as u64),
    ];
    if let Some(pages) = item.pages {
        facts.push(format!("{pages} page{}", if pages == 1 { "" } else { "s" }));
    }
    let block = format!(
        "<div class=\"app-attachment\">\
         <div class=\"app-attachment__thumbnail\" aria-hidden=\"true\">{}</div>\
         <div class=\"app-attachment__details\">\
         <p class=\"govuk-heading-s app-attachment__title\">\
         <a class=\"govuk-link\" href=\"{}\" download>{text}</a></p>\
         <p class=\"govuk-body-s app-attachment__metadata\">{}</p>{}\
         </div></div>",
        item.format.extension().to_uppercase(),
        file_path(item, file),
        facts.join(", "),
        request_link(shown.contact.as_deref(), &item.title),
    );
    Some((block, open_p + text_end + close.len()))
}

/// The GOV.UK attachment's offer of another format, by e-mail to the site's contact address.
fn request_link(contact: Option<&str>, title: &str) -> String {
    let Some(contact) = contact else {
        return String::new();
    };
    let subject =
        crate::web::error::urlencode(&format!("Request for '{title}' in an alternative format"));
    format!(
        "<p class=\"govuk-body-s app-attachment__metadata\">This file may not be suitable for \
         users of assistive technology. <a class=\"govuk-link\" href=\"mailto:{}?subject={subject}\">\
         Request an accessible format<span class=\"govuk-visually-hidden\"> of {}</span></a>.</p>",
        crate::sanitise::escape(contact),
        crate::sanitise::escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::media::Format;
    use crate::domain::time::Timestamp;

    #[test]
    fn a_body_naming_thousands_of_items_reads_a_bounded_number() {
        let html: String = (0..20_000)
            .map(|i| format!("<p><img src=\"/media/{}\" alt=\"\"></p>", i % 5_000))
            .collect();
        let ids = referred(&html);
        assert_eq!(ids.len(), MAX_ITEMS_PER_BODY);
        assert_eq!(ids[..3], [0, 1, 2]);
    }

    fn item(id: i64, format: Format) -> MediaItem {
        MediaItem {
            id,
            organisation_id: 1,
            organisation_name: "Org".into(),
            title: "Strategy <2026>".into(),
            alt: "A \"quoted\" view".into(),
            decorative: false,
            format,
            filename: "s.pdf".into(),
            size: 2_516_582,
            width: Some(1000),
            height: Some(500),
            pages: Some(24),
            created_at: Timestamp::from_secs(0),
            updated_at: Timestamp::from_secs(0),
        }
    }

    fn file(id: i64, width: i64, format: Format) -> MediaFile {
        MediaFile {
            media_id: id,
            width,
            format,
            blob_hash: format!("{width:064}"),
        }
    }

    fn library() -> Shown {
        let items = HashMap::from([
            (
                1,
                (
                    item(1, Format::Jpeg),
                    vec![file(1, 320, Format::Jpeg), file(1, 1000, Format::Jpeg)],
                ),
            ),
            (2, (item(2, Format::Pdf), vec![file(2, 0, Format::Pdf)])),
        ]);
        Shown {
            items,
            contact: Some("access@example.gov.uk".into()),
        }
    }

    #[test]
    fn references_are_found_once_each() {
        let html = r#"<img src="/media/1" alt=""><a href="/media/2">x</a><img src="/media/1"><a href="/media/12x">"#;
        assert_eq!(referred(html), [1, 2]);
    }

    #[test]
    fn an_image_gets_its_widths_and_the_librarys_alt_text() {
        let out = expand(r#"<p><img src="/media/1" alt=""></p>"#, &library());
        assert!(
            out.contains(&format!("srcset=\"/media/1/{:064}.jpg 320w, ", 320)),
            "{out}"
        );
        assert!(out.contains("1000w\""), "{out}");
        assert!(out.contains("alt=\"A &quot;quoted&quot; view\""), "{out}");
        assert!(out.contains("width=\"1000\" height=\"500\""), "{out}");
        let written = expand(r#"<img src="/media/1" alt="Mine">"#, &library());
        assert!(written.contains("alt=\"Mine\""), "{written}");
    }

    #[test]
    fn a_document_on_its_own_line_becomes_an_attachment() {
        let out = expand(
            r#"<p>Read it:</p><p class="govuk-body"><a href="/media/2" class="govuk-link">The strategy</a></p>"#,
            &library(),
        );
        assert!(
            out.starts_with("<p>Read it:</p><div class=\"app-attachment\">"),
            "{out}"
        );
        assert!(out.contains("PDF, 2.4 MB, 24 pages"), "{out}");
        assert!(
            out.contains(&format!("href=\"/media/2/{:064}.pdf\" download", 0)),
            "{out}"
        );
        assert!(out.ends_with("</div></div>"), "{out}");
        assert!(
            out.contains("href=\"mailto:access@example.gov.uk?subject=Request%20for%20%27Strategy%20%3C2026%3E%27"),
            "{out}"
        );
        assert!(out.contains("Request an accessible format"), "{out}");
    }

    #[test]
    fn anything_else_is_left_as_it_was() {
        for html in [
            r#"<p>See <a href="/media/2">it</a> here</p>"#,
            r#"<img src="/media/9" alt="unknown">"#,
            r#"<img src="https://example.org/x.png" alt="elsewhere">"#,
            r#"<p><a href="/media/1">an image as a link</a></p>"#,
            "<img broken",
        ] {
            assert_eq!(expand(html, &library()), html);
        }
    }
}
