//! `townhall import wordpress`: a WordPress blog moved over in one command (docs/wordpress.md).
//!
//! Reads the export ([`wxr`]), then brings in, in this order: the attachments (fetched
//! through the feed fetcher's guard, stored in the media library as an editor's upload is),
//! the posts and pages (their HTML made into Markdown that refers to the library
//! ([`content`]), with their dates, slugs, authors, categories, tags as topics and "comments
//! closed"), their comments in their moderation states, and a redirect from each old address.
//! Each item is recorded with its id on the old site, so running it again adds nothing and
//! carries on where an interrupted run stopped.

pub mod content;
pub mod wxr;

use crate::domain::post::{MAX_BODY_CHARS, NewPost, PostInput, PostKind, PostStatus, Rendered};
use crate::domain::text::Slug;
use crate::domain::time::Timestamp;
use crate::feeds::{FetchOutcome, FetchPolicy, Validators};
use crate::store::imports::{CommentState, ImportedComment, ImportedKind, Origin};
use crate::store::media::MediaDetails;
use crate::store::{Db, StoreError};
use anyhow::Context;
use content::Library;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;
use wxr::{Export, Item};

/// How the import is asked for.
pub struct Options {
    pub organisation_id: i64,
    /// Fetch attachments from here instead of the old site: the same path under this address.
    pub media_from: Option<url::Url>,
    /// Let attachments come from loopback and private addresses (`--feeds-allow-private`).
    pub allow_private: bool,
    pub max_upload_bytes: u64,
}

/// What the import did, for the summary at the end.
#[derive(Debug, Default)]
pub struct Summary {
    pub source: String,
    pub posts: Counted,
    pub pages: Counted,
    pub comments: Counted,
    pub approved: usize,
    pub pending: usize,
    pub rejected: usize,
    pub media: Counted,
    pub media_failed: Vec<String>,
    pub without_alt: usize,
    pub redirects: usize,
    pub categories: BTreeSet<String>,
    pub topics: BTreeSet<String>,
    pub authors: BTreeSet<String>,
    /// Items that could not be taken, and why.
    pub skipped: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counted {
    pub new: usize,
    pub already: usize,
}

/// Reads `file` as a WordPress export; a message saying what it is instead when it is not one.
pub async fn read_export(file: &Path) -> anyhow::Result<Export> {
    let path = file.to_path_buf();
    let opened =
        std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let export = tokio::task::spawn_blocking(move || wxr::read(std::io::BufReader::new(opened)))
        .await?
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok(export)
}

/// Brings `export` in. Each item is written in its own transaction, so an interrupted run
/// keeps what it finished, and a second run adds only what is missing.
pub async fn import(db: &Db, export: &Export, options: &Options) -> anyhow::Result<Summary> {
    let mut summary = Summary {
        source: export.blog_url.clone(),
        ..Summary::default()
    };
    let attachments: Vec<&Item> = (export.items.iter())
        .filter(|i| i.kind == "attachment" && !i.attachment_url.is_empty())
        .collect();
    let posts: Vec<&Item> = (export.items.iter())
        .filter(|i| kind_of(i).is_some() && status_of(i).is_some())
        .collect();
    let mut progress = Progress::new(attachments.len() + posts.len());

    let mut library = Library::default();
    for item in attachments {
        progress.step("files");
        if let Some(id) = import_attachment(db, export, item, options, &mut summary).await? {
            library.insert(&item.attachment_url, id);
        }
    }
    for item in posts {
        progress.step("posts and pages");
        import_post(db, export, item, options, &library, &mut summary).await?;
    }
    progress.finish();
    Ok(summary)
}

/// One attachment: its library id, fetched and stored unless an earlier run did.
async fn import_attachment(
    db: &Db,
    export: &Export,
    item: &Item,
    options: &Options,
    summary: &mut Summary,
) -> anyhow::Result<Option<i64>> {
    let origin = Origin {
        source: &export.blog_url,
        kind: ImportedKind::Media,
        id: &item.id,
    };
    if let Some(id) = db.imported(&origin).await? {
        summary.media.already += 1;
        return Ok(Some(id));
    }
    let name = item.attachment_url.rsplit('/').next().unwrap_or("file");
    let fetched = match fetch(&item.attachment_url, options).await {
        Ok(bytes) => crate::media::content_of(Some((name.to_string(), bytes))).await,
        Err(e) => Err(e),
    };
    let content = match fetched {
        Ok(content) => content,
        Err(e) => {
            summary
                .media_failed
                .push(format!("{}: {e}", item.attachment_url));
            return Ok(None);
        }
    };
    let alt = item
        .meta
        .get("_wp_attachment_image_alt")
        .map(|a| a.trim().chars().take(1000).collect::<String>())
        .unwrap_or_default();
    let is_image = content.width.is_some();
    if is_image && alt.is_empty() {
        summary.without_alt += 1;
    }
    let title = match item.title.trim() {
        "" => name.to_string(),
        t => t.chars().take(200).collect(),
    };
    let details = MediaDetails {
        title,
        alt,
        decorative: false,
    };
    let id = db
        .add_media(options.organisation_id, &details, &content, None)
        .await?;
    db.record_imported(&origin, id).await?;
    summary.media.new += 1;
    Ok(Some(id))
}

/// Downloads an attachment through the feed fetcher's guard (public addresses only unless
/// allowed, a time limit, the upload size limit).
async fn fetch(url: &str, options: &Options) -> Result<Vec<u8>, String> {
    let url = match &options.media_from {
        Some(base) => {
            let old = url::Url::parse(url).map_err(|_| "not a web address".to_string())?;
            let mut new = base.clone();
            let prefix = base.path().trim_end_matches('/');
            new.set_path(&format!("{prefix}{}", old.path()));
            new.set_query(old.query());
            new.to_string()
        }
        None => url.to_string(),
    };
    let policy = FetchPolicy {
        allow_private: options.allow_private,
        max_bytes: usize::try_from(options.max_upload_bytes).unwrap_or(usize::MAX),
        timeout: Duration::from_secs(60),
        ..FetchPolicy::default()
    };
    let outcome = tokio::task::spawn_blocking(move || {
        crate::feeds::fetch(&url, &Validators::default(), &policy)
    })
    .await
    .map_err(|e| e.to_string())?;
    match outcome {
        Ok(FetchOutcome::Fetched { body, .. }) => Ok(body),
        Ok(FetchOutcome::NotModified) => Err("the server answered 304 Not Modified".into()),
        Err(e) => Err(e.about_a_file()),
    }
}

/// A post or page, made here unless an earlier run did; then its comments and redirects.
async fn import_post(
    db: &Db,
    export: &Export,
    item: &Item,
    options: &Options,
    library: &Library,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let (Some(kind), Some(status)) = (kind_of(item), status_of(item)) else {
        return Ok(());
    };
    let origin = Origin {
        source: &export.blog_url,
        kind: ImportedKind::Post,
        id: &item.id,
    };
    let counted = match kind {
        PostKind::Post => &mut summary.posts,
        PostKind::Page => &mut summary.pages,
    };
    let post_id = match db.imported(&origin).await? {
        Some(id) => {
            counted.already += 1;
            id
        }
        None => {
            let (post, body) = match new_post(db, export, item, kind, status, library).await? {
                Ok(made) => made,
                Err(why) => {
                    let what = format!("{} {} ({:?})", kind.as_str(), item.id, item.title);
                    summary.skipped.push(format!("{what}: {why}"));
                    return Ok(());
                }
            };
            let id = db
                .create_imported_post(options.organisation_id, &post, &body, &origin)
                .await?;
            counted.new += 1;
            summary.categories.extend(post.categories.iter().cloned());
            summary.topics.extend(post.topics.iter().cloned());
            summary.authors.extend(post.authors.iter().cloned());
            id
        }
    };
    summary.redirects += db
        .add_redirects(&old_addresses(item, kind), post_id)
        .await?;
    import_comments(db, export, item, post_id, summary).await
}

async fn import_comments(
    db: &Db,
    export: &Export,
    item: &Item,
    post_id: i64,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let mut new = Vec::new();
    for c in &item.comments {
        // Pingbacks and trackbacks are notices from other blogs, not what readers said.
        if !matches!(c.kind.as_str(), "" | "comment") {
            continue;
        }
        let origin = Origin {
            source: &export.blog_url,
            kind: ImportedKind::Comment,
            id: &c.id,
        };
        if db.imported(&origin).await?.is_some() {
            summary.comments.already += 1;
            continue;
        }
        let state = match c.approved.as_str() {
            "1" | "approve" => CommentState::Approved,
            "spam" => CommentState::Rejected("Marked as spam on the old blog"),
            "trash" => CommentState::Rejected("Deleted on the old blog"),
            _ => CommentState::Pending,
        };
        match state {
            CommentState::Approved => summary.approved += 1,
            CommentState::Pending => summary.pending += 1,
            CommentState::Rejected(_) => summary.rejected += 1,
        }
        let comment = ImportedComment {
            name: match c.author.trim() {
                "" => "Anonymous".into(),
                name => name.chars().take(100).collect(),
            },
            email: c.email.trim().chars().take(254).collect(),
            body: content::comment_text(&c.content),
            state,
            created_at: wordpress_time(&c.date_gmt)
                .or_else(|| wordpress_time(&c.date))
                .unwrap_or_else(Timestamp::now),
        };
        new.push((comment, origin));
    }
    db.import_comments(post_id, &new).await?;
    summary.comments.new += new.len();
    Ok(())
}

/// What WordPress calls a post or a page; other types (menus, revisions, attachments, a
/// plugin's own) are not content to bring.
fn kind_of(item: &Item) -> Option<PostKind> {
    match item.kind.as_str() {
        "post" => Some(PostKind::Post),
        "page" => Some(PostKind::Page),
        _ => None,
    }
}

/// Published (or scheduled) posts stay so; drafts, posts awaiting review and private posts
/// arrive as drafts; the bin and autosaves are left behind.
fn status_of(item: &Item) -> Option<PostStatus> {
    match item.status.as_str() {
        "publish" | "future" => Some(PostStatus::Published),
        "draft" | "pending" | "private" => Some(PostStatus::Draft),
        _ => None,
    }
}

/// The post as it will be stored, checked by the same rules as an editor's, and rendered; or
/// why it cannot be taken.
async fn new_post(
    db: &Db,
    export: &Export,
    item: &Item,
    kind: PostKind,
    status: PostStatus,
    library: &Library,
) -> anyhow::Result<Result<(NewPost, Rendered), String>> {
    if item.content.len() > MAX_BODY_CHARS * 4 {
        return Ok(Err("the text is longer than a post may be".into()));
    }
    let body = match content::to_markdown(&item.content, library) {
        Ok(body) => body,
        Err(e) => return Ok(Err(e)),
    };
    let title = match item.title.trim() {
        "" => format!("Untitled {} {}", kind.as_str(), item.id),
        t => t.chars().take(200).collect(),
    };
    let slug = free_slug(db, &item.name, &title).await?;
    let input = PostInput {
        kind: kind.as_str().into(),
        title,
        slug: slug.as_str().into(),
        summary: crate::sanitise::plain_text(&item.excerpt, 600),
        body,
        status: status.as_str().into(),
        publish_at: String::new(),
        authors: String::new(),
        categories: item.categories.clone(),
        topics: item.tags.clone(),
        comments_closed: (item.comment_status == "closed").then(|| "closed".into()),
    };
    let mut post = match input.parse() {
        Ok(post) => post,
        Err(errors) => {
            let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            return Ok(Err(messages.join("; ")));
        }
    };
    post.published_at = wordpress_time(&item.date_gmt).or_else(|| wordpress_time(&item.date));
    let author = export
        .authors
        .get(&item.creator)
        .unwrap_or(&item.creator)
        .trim();
    if !author.is_empty() {
        post.authors = vec![author.chars().take(100).collect()];
    }
    match crate::sanitise::render_markdown_off_thread(post.body_markdown.clone()).await {
        Ok(body) => Ok(Ok((post, body))),
        Err(e) => Ok(Err(format!("the text {e}"))),
    }
}

/// The old slug when it is free here, else the old slug (or one made from the title) with
/// the first free number after it.
async fn free_slug(db: &Db, old: &str, title: &str) -> anyhow::Result<Slug> {
    let decoded = percent_encoding::percent_decode_str(old).decode_utf8_lossy();
    let base = match Slug::parse(&decoded) {
        Ok(slug) => slug,
        Err(_) if decoded.trim().is_empty() => Slug::from_title(title),
        Err(_) => Slug::from_title(&decoded),
    };
    for n in 1.. {
        let candidate = match n {
            1 => base.clone(),
            n => {
                let stem: String = base.as_str().chars().take(72).collect();
                Slug::from_title(&format!("{stem}-{n}"))
            }
        };
        match db.post_by_slug(candidate.as_str()).await {
            Err(StoreError::NotFound) => return Ok(candidate),
            Ok(_) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("some number is free")
}

/// `2020-01-02 09:30:00` as a moment (`0000-00-00 00:00:00`, which WordPress writes for a
/// draft never given a date, is none).
fn wordpress_time(s: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let t = time::PrimitiveDateTime::parse(s.trim(), format).ok()?;
    Some(Timestamp::from_secs(t.assume_utc().unix_timestamp()))
}

/// The old addresses of an item, as the redirects table keeps them: its permalink's path
/// (without a trailing slash), `/YYYY/MM/DD/slug` for a post, and `/?p=ID` (and
/// `/?page_id=ID` for a page), which WordPress answers whatever its permalinks.
fn old_addresses(item: &Item, kind: PostKind) -> Vec<String> {
    let mut paths = Vec::new();
    if let Ok(link) = url::Url::parse(&item.link) {
        let path = link.path().trim_end_matches('/');
        match link.query() {
            Some(q) if path.is_empty() && (q.starts_with("p=") || q.starts_with("page_id=")) => {
                paths.push(format!("/?{q}"));
            }
            _ if !path.is_empty() => paths.push(path.to_string()),
            _ => {}
        }
    }
    if kind == PostKind::Post && !item.name.is_empty() {
        let date = item.date.get(..10).unwrap_or_default().replace('-', "/");
        if date.len() == 10 && !date.starts_with("0000") {
            paths.push(format!("/{date}/{}", item.name));
        }
    }
    if item.id.bytes().all(|b| b.is_ascii_digit()) && !item.id.is_empty() {
        paths.push(format!("/?p={}", item.id));
        if kind == PostKind::Page {
            paths.push(format!("/?page_id={}", item.id));
        }
    }
    let mut seen = BTreeSet::new();
    paths.retain(|p| seen.insert(p.clone()));
    paths
}

/// A progress bar on standard error when it is a terminal; nothing otherwise.
struct Progress {
    total: usize,
    done: usize,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            shown: std::io::stderr().is_terminal() && total > 0,
        }
    }

    fn step(&mut self, what: &str) {
        self.done += 1;
        if self.shown {
            let width = 30;
            let filled = self.done * width / self.total;
            eprint!(
                "\r[{}{}] {}/{} {what:<16}",
                "=".repeat(filled),
                " ".repeat(width - filled),
                self.done,
                self.total
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

impl Summary {
    /// The summary printed at the end, with what to do next.
    pub fn report(&self, organisation: &str) -> String {
        let mut out = format!("Imported {} into {organisation}:\n", self.source);
        let line = |what: &str, c: Counted| {
            format!("  {what:<11}{:>5} new, {} already here\n", c.new, c.already)
        };
        out.push_str(&line("posts", self.posts));
        out.push_str(&line("pages", self.pages));
        out.push_str(&format!(
            "  {:<11}{:>5} new ({} approved, {} waiting for moderation, {} rejected), {} already here\n",
            "comments", self.comments.new, self.approved, self.pending, self.rejected,
            self.comments.already
        ));
        out.push_str(&line("files", self.media));
        out.push_str(&format!(
            "  {:<11}{:>5} new\n  categories {:>5}, topics {} (from tags), authors {}\n",
            "redirects",
            self.redirects,
            self.categories.len(),
            self.topics.len(),
            self.authors.len()
        ));
        for failed in &self.media_failed {
            out.push_str(&format!("  not fetched: {failed}\n"));
        }
        for skipped in &self.skipped {
            out.push_str(&format!("  not imported: {skipped}\n"));
        }
        if self.without_alt > 0 {
            out.push_str(&format!(
                "Next: {} images have no alt text; add it at /admin/media.\n",
                self.without_alt
            ));
        }
        if !self.media_failed.is_empty() {
            out.push_str(
                "Next: run the import again once the files can be reached (--media-from URL \
                 fetches them from a copy); what is already here is kept.\n",
            );
        }
        out.push_str(
            "Next: check the posts at /admin/posts and the comments at /admin/comments.\n",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_addresses_cover_permalinks_and_query_links() {
        let item = Item {
            id: "12".into(),
            link: "https://blog.example/2020/01/02/hello-world/".into(),
            date: "2020-01-02 09:30:00".into(),
            name: "hello-world".into(),
            ..Item::default()
        };
        assert_eq!(
            old_addresses(&item, PostKind::Post),
            ["/2020/01/02/hello-world", "/?p=12"]
        );
        let page = Item {
            id: "3".into(),
            link: "https://blog.example/?page_id=3".into(),
            ..Item::default()
        };
        assert_eq!(
            old_addresses(&page, PostKind::Page),
            ["/?page_id=3", "/?p=3"]
        );
    }

    #[test]
    fn wordpress_times_are_read_and_the_empty_one_is_none() {
        assert_eq!(
            wordpress_time("2020-01-02 09:30:00").map(Timestamp::secs),
            Some(1_577_957_400)
        );
        assert_eq!(wordpress_time("0000-00-00 00:00:00"), None);
    }
}
