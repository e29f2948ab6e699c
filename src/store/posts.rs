//! Posts, their authors, categories, topics and edit history.
//!
//! Public queries only return posts that are published and whose date has come
//! (`status = 'published' AND published_at <= now`), which is how scheduled posts appear.

use super::{
    Conn, Db, StoreError, StoreResult, TagTable, now, on, one, read, save_sql, tag_id, write,
};
use crate::domain::post::NewPost;
use crate::domain::post::{Heading, PostKind, PostStatus, RENDERER, Rendered};
use crate::domain::time::Timestamp;
use crate::store::imports::Origin;
use crate::store::versions::Topic;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Post {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_slug: String,
    pub organisation_name: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub body_html: String,
    /// The headings of `body_html`, for a contents list.
    #[sqlx(try_from = "String")]
    pub body_headings: Headings,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    pub published_at: Option<Timestamp>,
    pub comments_open: bool,
    pub updated_at: Timestamp,
    #[sqlx(try_from = "String")]
    pub kind: PostKind,
}

impl Post {
    /// Published, and its date has come.
    pub fn is_public(&self, at: Timestamp) -> bool {
        self.status == PostStatus::Published && self.published_at.is_some_and(|p| p <= at)
    }
}

/// A post's headings, stored as JSON beside its HTML when the post is saved.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Headings(pub Vec<Heading>);

impl TryFrom<String> for Headings {
    type Error = serde_json::Error;

    fn try_from(json: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&json).map(Headings)
    }
}

fn headings_json(body: &Rendered) -> String {
    serde_json::to_string(&body.headings).expect("headings serialise")
}

/// A name with its slug: a category or a topic.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A topic on the `/topics` index, with how much is public on it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TopicInUse {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub posts: i64,
    pub exercises: i64,
    pub projects: i64,
}

/// One saved version of a post, as the edit history lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Revision {
    pub id: i64,
    pub title: String,
    pub edited_by: Option<String>,
    pub edited_at: Timestamp,
}

/// Which public posts to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostFilter {
    pub organisation_id: Option<i64>,
    pub category_id: Option<i64>,
    pub topic_id: Option<i64>,
}

macro_rules! select_posts {
    ($($rest:expr),+) => {
        concat!(
            "SELECT p.id, p.organisation_id, o.slug AS organisation_slug, o.name AS
             organisation_name, p.slug, p.title,
                    p.summary, p.body_markdown, p.body_html, p.body_headings, p.status,
                    p.published_at, p.comments_open, p.updated_at, p.kind
             FROM posts p JOIN organisations o ON o.id = p.organisation_id ",
            $($rest),+
        )
    };
}

/// The filter as SQL: each part is either switched off by a NULL parameter or matches.
macro_rules! public_where {
    () => {
        "WHERE p.status = 'published' AND p.published_at <= $1 AND p.kind = 'post'
         AND ($2 IS NULL OR p.organisation_id = $2)
         AND ($3 IS NULL OR EXISTS (SELECT 1 FROM post_categories pc WHERE pc.post_id = p.id AND
         pc.category_id = $3))
         AND ($4 IS NULL OR EXISTS (SELECT 1 FROM post_topics pt WHERE pt.post_id = p.id AND
         pt.topic_id = $4)) "
    };
}

/// Writes what hangs off a post inside the caller's transaction: authors, categories and
/// topics (made on first use), a revision, and the search index entry. Shared by create and
/// update.
async fn write_post_links(
    conn: Conn<'_>,
    post: &NewPost,
    at: PostAt,
    body: &Rendered,
    user_id: Option<i64>,
) -> StoreResult<()> {
    let PostAt {
        id,
        organisation_id,
        published_at,
        t,
    } = at;
    on!(conn, |c| {
        for (i, name) in post.authors.iter().enumerate() {
            sqlx::query("INSERT INTO post_authors (post_id, position, name) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(i as i64)
                .bind(name)
                .execute(&mut *c)
                .await?;
        }
        for (names, table, links, column) in [
            (
                &post.categories,
                TagTable::Categories,
                "post_categories",
                "category_id",
            ),
            (&post.topics, TagTable::Topics, "post_topics", "topic_id"),
        ] {
            for name in names {
                let tag = tag_id(Conn::from(&mut *c), table, name).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO {links} (post_id, {column}) VALUES ($1, $2) ON CONFLICT DO
                     NOTHING"
                )))
                .bind(id)
                .bind(tag)
                .execute(&mut *c)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO post_revisions (post_id, title, summary, body_markdown, edited_by,
             edited_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(&post.title)
        .bind(&post.summary)
        .bind(&post.body_markdown)
        .bind(user_id)
        .bind(t)
        .execute(&mut *c)
        .await?;
        let doc = search_document(id, organisation_id, post, published_at, &body.html);
        super::search::index(Conn::from(&mut *c), &doc.as_document()).await?;
    });
    Ok(())
}

/// Which post a write is for, and when it happens.
struct PostAt {
    id: i64,
    organisation_id: i64,
    published_at: Option<Timestamp>,
    t: Timestamp,
}

impl Db {
    /// Creates a post with its authors, categories and topics, and its first revision.
    /// `body` is the post's Markdown rendered (`crate::posts::render_body`).
    pub async fn create_post(
        &self,
        organisation_id: i64,
        post: &NewPost,
        body: &Rendered,
        user_id: Option<i64>,
    ) -> StoreResult<i64> {
        self.save_post(None, organisation_id, post, body, user_id, None)
            .await
    }

    /// Creates a post brought from another site, recording where it came from in the same
    /// transaction, so that importing the same export again finds it.
    pub async fn create_imported_post(
        &self,
        organisation_id: i64,
        post: &NewPost,
        body: &Rendered,
        origin: &Origin<'_>,
    ) -> StoreResult<i64> {
        self.save_post(None, organisation_id, post, body, None, Some(origin))
            .await
    }

    /// Replaces a post's content, authors, categories and topics, recording a revision.
    pub async fn update_post(
        &self,
        id: i64,
        post: &NewPost,
        body: &Rendered,
        user_id: Option<i64>,
    ) -> StoreResult<()> {
        let existing = self.post(id).await?;
        let organisation_id = existing.organisation_id;
        self.save_post(Some(&existing), organisation_id, post, body, user_id, None)
            .await
            .map(|_| ())
    }

    /// Writes a new post or a new version of `existing` (which keeps its organisation, author
    /// and creation time) and everything hanging off it, in one transaction.
    async fn save_post(
        &self,
        existing: Option<&Post>,
        organisation_id: i64,
        post: &NewPost,
        body: &Rendered,
        user_id: Option<i64>,
        origin: Option<&Origin<'_>>,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let t = now();
            let published_at = published_at(post, existing.and_then(|p| p.published_at), t);
            let sql = save_sql(
                existing.map(|p| p.id),
                "INSERT INTO posts (slug, title, summary, body_markdown, body_html, status,
                                    published_at, comments_open, updated_at, kind, body_headings,
                                    renderer, organisation_id, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $9)
                 RETURNING id",
                "UPDATE posts SET slug = $1, title = $2, summary = $3, body_markdown = $4,
                        body_html = $5, status = $6, published_at = $7, comments_open = $8,
                        updated_at = $9, kind = $10, body_headings = $11, renderer = $12
                 WHERE id = $13 RETURNING id",
            );
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let q = sqlx::query_scalar(sql)
                    .bind(post.slug.as_str())
                    .bind(&post.title)
                    .bind(&post.summary)
                    .bind(&post.body_markdown)
                    .bind(&body.html)
                    .bind(post.status.as_str())
                    .bind(published_at)
                    .bind(post.comments_open)
                    .bind(t)
                    .bind(post.kind.as_str())
                    .bind(headings_json(body))
                    .bind(RENDERER);
                let q = match existing {
                    Some(p) => q.bind(p.id),
                    None => q.bind(organisation_id).bind(user_id),
                };
                let id = one(q.fetch_optional(&mut *tx).await)?;
                if existing.is_some() {
                    for table in ["post_authors", "post_categories", "post_topics"] {
                        let q = format!("DELETE FROM {table} WHERE post_id = $1");
                        sqlx::query(sqlx::AssertSqlSafe(q))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let at = PostAt {
                    id,
                    organisation_id,
                    published_at,
                    t,
                };
                write_post_links(Conn::from(&mut *tx), post, at, body, user_id).await?;
                if let Some(origin) = origin {
                    super::imports::record(Conn::from(&mut *tx), origin, id).await?;
                }
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Posts]).await
    }

    /// Posts rendered by an older renderer than this one: (id, Markdown), a batch at a time.
    pub async fn posts_to_render(&self, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT id, body_markdown FROM posts WHERE renderer < $1 ORDER BY id LIMIT $2"
        )
        .bind(RENDERER)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
    }

    /// Stores a post's body as rendered again (its Markdown unchanged, so no revision).
    pub async fn set_post_rendering(&self, id: i64, body: &Rendered) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            write!(self, |pool| sqlx::query(
                "UPDATE posts SET body_html = $1, body_headings = $2, renderer = $3 WHERE id = $4"
            )
            .bind(&body.html)
            .bind(headings_json(body))
            .bind(RENDERER)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ()))?;
            Ok(())
        }
        .await;
        self.then_changed(done, &[Topic::Posts]).await
    }

    pub async fn post(&self, id: i64) -> StoreResult<Post> {
        one(read!(self, |pool| sqlx::query_as(select_posts!(
            "WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await))
    }

    pub async fn post_by_slug(&self, slug: &str) -> StoreResult<Post> {
        one(read!(self, |pool| sqlx::query_as(select_posts!(
            "WHERE p.slug = $1"
        ))
        .bind(slug)
        .fetch_optional(pool)
        .await))
    }

    /// Public posts, newest first, with the total for pagination.
    pub async fn public_posts(
        &self,
        filter: PostFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<Post>, i64)> {
        let t = now();
        let posts = read!(self, |pool| sqlx::query_as(select_posts!(
            public_where!(),
            "ORDER BY p.published_at DESC, p.id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(t)
        .bind(filter.organisation_id)
        .bind(filter.category_id)
        .bind(filter.topic_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?;
        let total: i64 = read!(self, |pool| sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM posts p ",
            public_where!()
        ))
        .bind(t)
        .bind(filter.organisation_id)
        .bind(filter.category_id)
        .bind(filter.topic_id)
        .fetch_one(pool)
        .await)?;
        Ok((posts, total))
    }

    /// Every post (drafts and scheduled too) of some organisations, for the admin list.
    pub async fn posts_of(&self, organisation_ids: &[i64]) -> StoreResult<Vec<Post>> {
        let mut all: Vec<Post> = Vec::new();
        for org in organisation_ids {
            let mut some = read!(self, |pool| sqlx::query_as(select_posts!(
                "WHERE p.organisation_id = $1"
            ))
            .bind(org)
            .fetch_all(pool)
            .await)?;
            all.append(&mut some);
        }
        all.sort_by_key(|p| std::cmp::Reverse(p.updated_at));
        Ok(all)
    }

    pub async fn post_authors(&self, post_id: i64) -> StoreResult<Vec<String>> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT name FROM post_authors WHERE post_id = $1 ORDER BY position"
        )
        .bind(post_id)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn post_categories(&self, post_id: i64) -> StoreResult<Vec<Tag>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT c.id, c.slug, c.name FROM categories c JOIN post_categories pc
                             ON pc.category_id = c.id
                 WHERE pc.post_id = $1 ORDER BY c.name",
            )
            .bind(post_id)
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn post_topics(&self, post_id: i64) -> StoreResult<Vec<Tag>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT t.id, t.slug, t.name FROM topics t JOIN post_topics pt ON pt.topic_id = t.id
             WHERE pt.post_id = $1 ORDER BY t.name"
        )
        .bind(post_id)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn category_by_slug(&self, slug: &str) -> StoreResult<Tag> {
        read!(self, |pool| sqlx::query_as(
            "SELECT id, slug, name FROM categories WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    pub async fn topic_by_slug(&self, slug: &str) -> StoreResult<Tag> {
        read!(self, |pool| sqlx::query_as(
            "SELECT id, slug, name FROM topics WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Topics with something public on them (a published post, a published consultation or
    /// survey, a project in the register), with how many of each, for the `/topics` index.
    pub async fn topics_in_use(&self) -> StoreResult<Vec<TopicInUse>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT * FROM (
               SELECT t.id, t.slug, t.name,
                 (SELECT COUNT(*) FROM post_topics pt JOIN posts p ON p.id = pt.post_id
                   WHERE pt.topic_id = t.id AND p.status = 'published' AND p.published_at <= $1
                     AND p.kind = 'post') AS posts,
                 (SELECT COUNT(*) FROM exercise_topics et JOIN exercises e ON e.id = et.exercise_id
                   WHERE et.topic_id = t.id AND e.published) AS exercises,
                 (SELECT COUNT(*) FROM project_topics pr WHERE pr.topic_id = t.id) AS projects
               FROM topics t
             ) AS used WHERE posts + exercises + projects > 0 ORDER BY name"
        )
        .bind(now())
        .fetch_all(pool)
        .await)?)
    }

    /// Categories that have at least one public post, with their counts.
    pub async fn categories_in_use(&self) -> StoreResult<Vec<(Tag, i64)>> {
        let rows: Vec<(i64, String, String, i64)> = read!(self, |pool| sqlx::query_as(
            "SELECT c.id, c.slug, c.name, COUNT(*) FROM categories c
               JOIN post_categories pc ON pc.category_id = c.id
               JOIN posts p ON p.id = pc.post_id
             WHERE p.status = 'published' AND p.published_at <= $1 AND p.kind = 'post'
             GROUP BY c.id, c.slug, c.name ORDER BY c.name"
        )
        .bind(now())
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, slug, name, n)| (Tag { id, slug, name }, n))
            .collect())
    }

    /// Up to `limit` public posts sharing a category or topic with `post_id`, newest first.
    pub async fn related_posts(&self, post_id: i64, limit: i64) -> StoreResult<Vec<Post>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(select_posts!(
            "WHERE p.status = 'published' AND p.published_at <= $1 AND p.kind = 'post' AND p.id <>
             $2 AND (
                EXISTS (SELECT 1 FROM post_categories a JOIN post_categories b ON a.category_id =
                b.category_id
                        WHERE a.post_id = p.id AND b.post_id = $2)
             OR EXISTS (SELECT 1 FROM post_topics a JOIN post_topics b ON a.topic_id = b.topic_id
                        WHERE a.post_id = p.id AND b.post_id = $2))
             ORDER BY p.published_at DESC LIMIT $3"))
            .bind(now())
            .bind(post_id)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Public pages (long documents) of an organisation, by title.
    pub async fn public_pages(&self, organisation_id: i64) -> StoreResult<Vec<Post>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(select_posts!(
                "WHERE p.kind = 'page' AND p.status = 'published' AND p.published_at <= $1 AND
                 p.organisation_id = $2 ORDER BY p.title"
            ))
            .bind(now())
            .bind(organisation_id)
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn post_revisions(&self, post_id: i64) -> StoreResult<Vec<Revision>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT r.id, r.title, u.name AS edited_by, r.edited_at FROM post_revisions r
             LEFT JOIN users u ON u.id = r.edited_by WHERE r.post_id = $1 ORDER BY r.id DESC"
        )
        .bind(post_id)
        .fetch_all(pool)
        .await)?)
    }
}

/// A published post keeps its first publication date unless a new one is given; a draft
/// keeps the date it was given (or none).
fn published_at(post: &NewPost, existing: Option<Timestamp>, t: Timestamp) -> Option<Timestamp> {
    match (post.status, post.published_at) {
        (_, Some(at)) => Some(at),
        (crate::domain::post::PostStatus::Published, None) => Some(existing.unwrap_or(t)),
        (crate::domain::post::PostStatus::Draft, None) => existing,
    }
}

/// What the search index holds for a post: found only once it is published and its date has come.
struct PostDocument {
    kind: &'static str,
    id: i64,
    organisation_id: i64,
    visible_from: Option<Timestamp>,
    url: String,
    title: String,
    body: String,
}

impl PostDocument {
    fn as_document(&self) -> super::search::Document<'_> {
        super::search::Document {
            kind: self.kind,
            ref_id: self.id,
            organisation_id: Some(self.organisation_id),
            published_at: self.visible_from,
            url: &self.url,
            title: &self.title,
            body: &self.body,
        }
    }
}

fn search_document(
    id: i64,
    organisation_id: i64,
    post: &NewPost,
    published_at: Option<Timestamp>,
    body_html: &str,
) -> PostDocument {
    let visible_from = match post.status {
        crate::domain::post::PostStatus::Published => published_at,
        crate::domain::post::PostStatus::Draft => None,
    };
    let body = format!(
        "{}\n{}",
        post.summary,
        crate::domain::text::searchable_text(body_html)
    );
    PostDocument {
        kind: post.kind.as_str(),
        id,
        organisation_id,
        visible_from,
        url: post.kind.url(post.slug.as_str()),
        title: post.title.clone(),
        body,
    }
}

impl Db {
    /// Authors and categories of many posts in two queries, for lists (reading them post by
    /// post costs two queries per post). Keyed by post id.
    pub async fn post_details(
        &self,
        post_ids: &[i64],
    ) -> StoreResult<std::collections::HashMap<i64, (Vec<String>, Vec<Tag>)>> {
        let mut out: std::collections::HashMap<i64, (Vec<String>, Vec<Tag>)> = post_ids
            .iter()
            .map(|id| (*id, (Vec::new(), Vec::new())))
            .collect();
        if post_ids.is_empty() {
            return Ok(out);
        }
        // The list is of integers from the database, so writing it into the SQL is safe.
        let ids = post_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let authors_q = format!(
            "SELECT post_id, name FROM post_authors WHERE post_id IN ({ids}) ORDER BY post_id,
             position"
        );
        let authors: Vec<(i64, String)> =
            read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(authors_q))
                .fetch_all(pool)
                .await)?;
        let cats_q = format!(
            "SELECT pc.post_id, c.id, c.slug, c.name FROM post_categories pc JOIN categories c ON
             c.id = pc.category_id
             WHERE pc.post_id IN ({ids}) ORDER BY pc.post_id, c.name"
        );
        let cats: Vec<(i64, i64, String, String)> =
            read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(cats_q))
                .fetch_all(pool)
                .await)?;
        for (post, name) in authors {
            if let Some(entry) = out.get_mut(&post) {
                entry.0.push(name);
            }
        }
        for (post, id, slug, name) in cats {
            if let Some(entry) = out.get_mut(&post) {
                entry.1.push(Tag { id, slug, name });
            }
        }
        Ok(out)
    }

    /// What one saved version of a post said.
    pub async fn post_revision(&self, post_id: i64, id: i64) -> StoreResult<RevisionText> {
        one(read!(self, |pool| sqlx::query_as(
            "SELECT r.id, r.title, r.summary, r.body_markdown, u.name AS edited_by, r.edited_at
             FROM post_revisions r LEFT JOIN users u ON u.id = r.edited_by
             WHERE r.post_id = $1 AND r.id = $2"
        )
        .bind(post_id)
        .bind(id)
        .fetch_optional(pool)
        .await))
    }
}

/// One saved version of a post with its text, to compare with another or restore.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RevisionText {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub edited_by: Option<String>,
    pub edited_at: Timestamp,
}
