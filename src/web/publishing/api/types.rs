//! What the publishing API takes and answers, with their schemas.

use crate::domain::post::{CommentInput, PostInput, one_or_many};
use crate::web::openapi::{PostKindName, PostStatusName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A published post as lists show it.
#[derive(Serialize, ToSchema)]
pub struct PostSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The organisation's slug
    pub organisation: String,
    pub authors: Vec<String>,
    /// Category slugs
    pub categories: Vec<String>,
    /// Topic slugs
    pub topics: Vec<String>,
    #[schema(required, format = DateTime)]
    pub published_at: Option<String>,
    pub comments_open: bool,
    #[schema(format = "uri")]
    pub url: String,
}

/// A published post with its HTML.
#[derive(Serialize, ToSchema)]
pub struct Post {
    #[serde(flatten)]
    pub summary: PostSummary,
    /// The body rendered from Markdown and sanitised: no script, event handler or javascript: URL
    pub body_html: String,
}

/// A page of posts, newest first.
#[derive(Serialize, ToSchema)]
pub struct PostPage {
    pub items: Vec<PostSummary>,
    /// URL of the next page
    #[schema(required)]
    pub next: Option<String>,
    pub total: i64,
}

/// A post to write (`POST /api/v1/posts`). Missing fields are empty, and refused by the
/// post's rules (422) where they are needed.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "organisation": "community-services",
    "title": "Opening hours from January",
    "body": "Libraries open **later** on Thursdays.",
    "summary": "Later opening on Thursdays.",
    "categories": ["Libraries"],
    "topics": ["Libraries"],
    "status": "published"
}))]
pub struct NewPost {
    /// Slug of an organisation you are an editor of
    #[serde(default)]
    #[schema(required)]
    pub organisation: String,
    #[serde(default)]
    #[schema(required, max_length = 200)]
    pub title: String,
    /// Optional; made from the title when absent
    #[serde(default)]
    pub slug: String,
    /// Markdown
    #[serde(default)]
    #[schema(required)]
    pub body: String,
    #[serde(default)]
    #[schema(max_length = 600)]
    pub summary: String,
    /// Names, as a list (or one string separated by commas)
    #[serde(default, deserialize_with = "one_or_many")]
    pub categories: Vec<String>,
    /// Names, as a list (or one string separated by commas)
    #[serde(default, deserialize_with = "one_or_many")]
    pub topics: Vec<String>,
    /// Names, one per line or separated by commas; default: the token's user
    #[serde(default)]
    pub authors: String,
    #[serde(default)]
    #[schema(required, value_type = PostStatusName, inline)]
    pub status: String,
    /// YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC); a future date schedules the post
    #[serde(default)]
    pub publish_at: String,
    /// `post` (default) or `page`: a page is kept out of the blog and its feeds
    #[serde(default)]
    #[schema(value_type = PostKindName, inline)]
    pub kind: String,
    /// Present (with any value) to close comments on the post
    #[serde(default)]
    pub comments_closed: Option<String>,
}

impl NewPost {
    /// The organisation's slug, and the post as the admin form would have sent it.
    pub(super) fn into_input(self) -> (String, PostInput) {
        let NewPost {
            organisation,
            title,
            slug,
            body,
            summary,
            categories,
            topics,
            authors,
            status,
            publish_at,
            kind,
            comments_closed,
        } = self;
        let input = PostInput {
            kind,
            title,
            slug,
            summary,
            body,
            status,
            publish_at,
            authors,
            categories,
            topics,
            comments_closed,
        };
        (organisation, input)
    }
}

/// A comment on a post; held until a moderator approves it.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "Sam", "email": "sam@example.org", "body": "Thank you, this helps."}))]
pub struct NewComment {
    #[serde(default)]
    #[schema(required, max_length = 100)]
    pub name: String,
    /// Never published
    #[serde(default)]
    #[schema(required, format = Email)]
    pub email: String,
    /// At most 2 links
    #[serde(default)]
    #[schema(required, max_length = 5000)]
    pub body: String,
}

impl From<NewComment> for CommentInput {
    fn from(NewComment { name, email, body }: NewComment) -> Self {
        CommentInput { name, email, body }
    }
}

/// Why a comment is rejected.
#[derive(Deserialize, Default, ToSchema)]
pub struct Rejection {
    #[serde(default)]
    #[schema(required, max_length = 500)]
    pub reason: String,
}

/// A moderator's decision on a comment.
#[derive(Serialize, ToSchema)]
pub struct CommentDecision {
    pub id: i64,
    #[schema(inline)]
    pub status: DecidedStatus,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DecidedStatus {
    Approved,
    Rejected,
}

/// An organisation's subscription to another site's feed.
#[derive(Deserialize, ToSchema)]
pub struct NewFeed {
    #[serde(default)]
    #[schema(required)]
    pub organisation: String,
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed, over http or https
    #[serde(default)]
    #[schema(required, format = "uri")]
    pub url: String,
}

/// The new subscription's id.
#[derive(Serialize, ToSchema)]
pub struct Subscribed {
    pub id: i64,
}

/// What fetching a feed found: how many items were new, or the error recorded.
#[derive(Serialize, ToSchema)]
pub struct Fetched {
    pub new_items: u64,
    #[schema(required)]
    pub error: Option<String>,
}
