//! Posts and comments as writers and readers type them.

use super::FieldErrors;
use super::text::{Slug, optional_text, required_line};
use super::user::Email;
use crate::domain::time::Timestamp;
/// A post's body as the sanitiser rendered it (HTML and headings), and the renderer's
/// version, stored beside it so a newer renderer knows what to render again.
pub use ::sanitise::{Heading, RENDERER, Rendered};

/// Draft or published; a published post with a future date is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Published,
}

impl PostStatus {
    pub const ALL: [PostStatus; 2] = [PostStatus::Draft, PostStatus::Published];

    pub fn parse(s: &str) -> Result<PostStatus, String> {
        match s.trim() {
            "draft" => Ok(PostStatus::Draft),
            "published" => Ok(PostStatus::Published),
            _ => Err("Choose whether to publish the post or keep it as a draft".into()),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Published => "published",
        }
    }
}

/// A blog post, or a page: a long document kept out of the blog and its feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostKind {
    Post,
    Page,
}

impl PostKind {
    pub const ALL: [PostKind; 2] = [PostKind::Post, PostKind::Page];

    pub fn parse(s: &str) -> Result<PostKind, String> {
        match s.trim() {
            "" | "post" => Ok(PostKind::Post),
            "page" => Ok(PostKind::Page),
            _ => Err("Choose a blog post or a page".into()),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Post => "post",
            PostKind::Page => "page",
        }
    }
    /// Where the public reads it.
    pub fn url(self, slug: &str) -> String {
        match self {
            PostKind::Post => format!("/blog/{slug}"),
            PostKind::Page => format!("/pages/{slug}"),
        }
    }
}

super::decode_by_name!(PostStatus);
super::decode_by_name!(PostKind);

/// The largest post body accepted, in characters (a long strategy is ~100,000).
pub const MAX_BODY_CHARS: usize = 400_000;

/// A validated post, ready to store.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub kind: PostKind,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub status: PostStatus,
    /// When it is (or becomes) public; `None` means "now" when published.
    pub published_at: Option<Timestamp>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub topics: Vec<String>,
    pub comments_open: bool,
}

/// Raw input from the admin form or the API.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PostInput {
    /// `post` (default) or `page`.
    pub kind: String,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub status: String,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (UTC); empty for "now".
    pub publish_at: String,
    /// Names, one per line or separated by commas.
    pub authors: String,
    /// Names, as a list (JSON, repeated form fields) or one comma-separated string.
    #[serde(deserialize_with = "one_or_many")]
    pub categories: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub topics: Vec<String>,
    pub comments_closed: Option<String>,
}

impl PostInput {
    pub fn parse(&self) -> Result<NewPost, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = errors
            .check("kind", PostKind::parse(&self.kind))
            .unwrap_or(PostKind::Post);
        let title = errors.check("title", required_line(&self.title, "a title", 200));
        let slug = if self.slug.trim().is_empty() {
            title.as_deref().map(Slug::from_title)
        } else {
            errors.check("slug", Slug::parse(&self.slug))
        };
        let summary = errors.check("summary", optional_text(&self.summary, "the summary", 600));
        let body = if self.body.trim().is_empty() {
            errors.add("body", "Enter the text of the post");
            None
        } else {
            errors.check(
                "body",
                optional_text(&self.body, "the text of the post", MAX_BODY_CHARS),
            )
        };
        let status = errors.check(
            "status",
            PostStatus::parse(if self.status.is_empty() {
                "draft"
            } else {
                &self.status
            }),
        );
        let published_at = errors.check("publish_at", parse_datetime(&self.publish_at));
        let authors = errors.check("authors", parse_names(&self.authors));
        let categories = errors.check("categories", clean_names(&self.categories, "category"));
        let topics = errors.check("topics", clean_names(&self.topics, "topic"));
        match (
            title,
            slug,
            summary,
            body,
            status,
            published_at,
            authors,
            categories,
            topics,
        ) {
            (
                Some(title),
                Some(slug),
                Some(summary),
                Some(body_markdown),
                Some(status),
                Some(published_at),
                Some(authors),
                Some(categories),
                Some(topics),
            ) if errors.is_empty() => Ok(NewPost {
                kind,
                slug,
                title,
                summary,
                body_markdown,
                status,
                published_at,
                authors,
                categories,
                topics,
                comments_open: self.comments_closed.is_none(),
            }),
            _ => Err(errors),
        }
    }
}

/// Accepts `"a, b"` as well as `["a", "b"]`: forms send one field, JSON sends a list.
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match <OneOrMany as serde::Deserialize>::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// `""` → `None`; `2026-11-21` (midnight UTC) or `2026-11-21T09:30` → Unix seconds.
pub fn parse_datetime(input: &str) -> Result<Option<Timestamp>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    let with_time = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let parsed = time::PrimitiveDateTime::parse(s, with_time)
        .or_else(|_| time::Date::parse(s, date_only).map(|d| d.midnight()))
        .map_err(|_| {
            "Enter the date as YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time (UTC)".to_string()
        })?;
    Ok(Some(Timestamp::from_secs(
        parsed.assume_utc().unix_timestamp(),
    )))
}

/// Author names: one per line or comma-separated; at most 10, each at most 100 characters.
fn parse_names(input: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = input
        .split(['\n', ','])
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if names.len() > 10 {
        return Err("Enter 10 authors or fewer".into());
    }
    if names
        .iter()
        .any(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
    {
        return Err("Each author's name must be 100 characters or fewer".into());
    }
    Ok(names)
}

/// Category or topic names: trimmed, de-duplicated, at most 20 of 80 characters.
pub(crate) fn clean_names(input: &[String], what: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for n in input
        .iter()
        .flat_map(|n| n.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if n.chars().count() > 80 || n.chars().any(char::is_control) {
            return Err(format!("Each {what} must be 80 characters or fewer"));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(n)) {
            out.push(n.to_string());
        }
    }
    if out.len() > 20 {
        return Err(format!("Choose 20 of each {what} or fewer"));
    }
    Ok(out)
}

/// A reader's comment, validated. The email is kept for the moderators and never shown.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub name: String,
    pub email: Email,
    pub body: String,
}

/// Comments with more links than this are refused: link spam is most spam.
pub const MAX_LINKS_IN_COMMENT: usize = 2;

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct CommentInput {
    pub name: String,
    pub email: String,
    pub body: String,
}

impl CommentInput {
    pub fn parse(&self) -> Result<NewComment, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", required_line(&self.name, "your name", 100));
        let email = if self.email.trim().is_empty() {
            errors.add("email", "Enter your email address");
            None
        } else {
            errors.check("email", Email::parse(&self.email))
        };
        let body = if self.body.trim().is_empty() {
            errors.add("body", "Enter your comment");
            None
        } else {
            errors.check("body", optional_text(&self.body, "your comment", 5000))
        };
        if let Some(b) = &body {
            let links = b.matches("http://").count()
                + b.matches("https://").count()
                + b.matches("www.").count();
            if links > MAX_LINKS_IN_COMMENT {
                errors.add(
                    "body",
                    format!("Your comment must have {MAX_LINKS_IN_COMMENT} links or fewer"),
                );
            }
        }
        match (name, email, body) {
            (Some(name), Some(email), Some(body)) if errors.is_empty() => {
                Ok(NewComment { name, email, body })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_needs_a_title_and_a_body_and_makes_its_slug() {
        let input = PostInput {
            title: "Our digital strategy".into(),
            body: "Hello".into(),
            status: "published".into(),
            authors: "Ada, Bo\nCy".into(),
            ..Default::default()
        };
        let post = input.parse().unwrap();
        assert_eq!(post.slug.as_str(), "our-digital-strategy");
        assert_eq!(post.authors, ["Ada", "Bo", "Cy"]);
        assert!(post.comments_open);
        let errors = PostInput::default().parse().unwrap_err();
        assert_eq!(errors.get("title"), Some("Enter a title"));
        assert_eq!(errors.get("body"), Some("Enter the text of the post"));
    }

    #[test]
    fn dates_parse_as_utc() {
        assert_eq!(parse_datetime("").unwrap(), None);
        assert_eq!(
            parse_datetime("2026-01-01").unwrap(),
            Some(Timestamp::from_secs(1_767_225_600))
        );
        assert_eq!(
            parse_datetime("2026-01-01T01:00").unwrap(),
            Some(Timestamp::from_secs(1_767_229_200))
        );
        assert!(parse_datetime("1 January").is_err());
    }

    #[test]
    fn comments_need_name_email_text_and_few_links() {
        let ok = CommentInput {
            name: "Sam".into(),
            email: "sam@example.org".into(),
            body: "Good post".into(),
        };
        assert!(ok.parse().is_ok());
        let spam = CommentInput {
            body: "https://a.example https://b.example https://c.example".into(),
            ..ok.clone()
        };
        assert!(
            spam.parse()
                .unwrap_err()
                .get("body")
                .unwrap()
                .contains("2 links")
        );
        let empty = CommentInput::default().parse().unwrap_err();
        assert_eq!(empty.get("name"), Some("Enter your name"));
        assert_eq!(empty.get("email"), Some("Enter your email address"));
        assert_eq!(empty.get("body"), Some("Enter your comment"));
    }
}

/// One line of a comparison between two versions of a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiffLine {
    /// "removed", "added" or "same".
    pub change: &'static str,
    pub text: String,
}

/// What changed between two versions of a text, line by line: the changed lines with up to
/// three unchanged lines around them, in groups (empty when nothing changed). However long the
/// texts, the comparison takes at most a fifth of a second; past that it is less minimal but
/// still correct.
pub fn line_changes(old: &str, new: &str) -> Vec<Vec<DiffLine>> {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(old, new);
    (diff.grouped_ops(3).iter())
        .map(|group| {
            (group.iter())
                .flat_map(|op| diff.iter_changes(op))
                .map(|c| DiffLine {
                    change: match c.tag() {
                        similar::ChangeTag::Delete => "removed",
                        similar::ChangeTag::Insert => "added",
                        similar::ChangeTag::Equal => "same",
                    },
                    text: c.value().trim_end_matches(['\n', '\r']).to_string(),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod diff_tests {
    use super::*;

    #[test]
    fn changed_lines_come_with_a_little_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";
        let groups = line_changes(old, new);
        assert_eq!(groups.len(), 1);
        let shown: Vec<(&str, &str)> = groups[0]
            .iter()
            .map(|l| (l.change, l.text.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("same", "b"),
                ("same", "c"),
                ("same", "d"),
                ("removed", "e"),
                ("added", "E"),
                ("same", "f"),
                ("same", "g"),
                ("same", "h"),
            ]
        );
        assert!(line_changes(old, old).is_empty());
    }
}
