//! What an import brought from another site (so that a second run adds nothing), the
//! comments it brought with their states, and the old addresses that now redirect here.

use super::{Conn, Db, StoreResult, on, read, write};
use crate::domain::post::PostKind;
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;

/// The kinds of item an import records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedKind {
    Post,
    Comment,
    Media,
}

impl ImportedKind {
    fn as_str(self) -> &'static str {
        match self {
            ImportedKind::Post => "post",
            ImportedKind::Comment => "comment",
            ImportedKind::Media => "media",
        }
    }
}

/// One item of another site: the site's address, the kind, and its id there.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub source: &'a str,
    pub kind: ImportedKind,
    pub id: &'a str,
}

/// A comment as another site kept it, with its moderation state.
#[derive(Debug, Clone)]
pub struct ImportedComment {
    pub name: String,
    pub email: String,
    pub body: String,
    pub state: CommentState,
    pub created_at: Timestamp,
}

/// What a moderator there had decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentState {
    Pending,
    Approved,
    /// Rejected there (as spam, or deleted), with the reason shown to moderators here.
    Rejected(&'static str),
}

/// Records that `origin` became `target_id`, inside the caller's transaction.
pub(crate) async fn record(conn: Conn<'_>, origin: &Origin<'_>, target_id: i64) -> StoreResult<()> {
    on!(conn, |c| sqlx::query(
        "INSERT INTO imported (source, kind, source_id, target_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING"
    )
    .bind(origin.source)
    .bind(origin.kind.as_str())
    .bind(origin.id)
    .bind(target_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    Ok(())
}

impl Db {
    /// What `origin` became here, when it was imported before.
    pub async fn imported(&self, origin: &Origin<'_>) -> StoreResult<Option<i64>> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT target_id FROM imported WHERE source = $1 AND kind = $2 AND source_id = $3"
        )
        .bind(origin.source)
        .bind(origin.kind.as_str())
        .bind(origin.id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Records an import done outside a transaction of its own (a library item).
    pub async fn record_imported(&self, origin: &Origin<'_>, target_id: i64) -> StoreResult<()> {
        write!(self, |pool| {
            let mut c = pool.acquire().await?;
            record(Conn::from(&mut *c), origin, target_id).await
        })
    }

    /// Stores comments brought from another site on one post, each in its state there, and
    /// records them, in one transaction (an import's comments come a post at a time).
    pub async fn import_comments(
        &self,
        post_id: i64,
        comments: &[(ImportedComment, Origin<'_>)],
    ) -> StoreResult<()> {
        if comments.is_empty() {
            return Ok(());
        }
        let done: StoreResult<()> = write!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (comment, origin) in comments {
                let (status, reason) = match comment.state {
                    CommentState::Pending => ("pending", ""),
                    CommentState::Approved => ("approved", ""),
                    CommentState::Rejected(reason) => ("rejected", reason),
                };
                let decided_at =
                    (comment.state != CommentState::Pending).then_some(comment.created_at);
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO comments (post_id, name, email, body, status, reason,
                                           created_at, decided_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(post_id)
                .bind(&comment.name)
                .bind(&comment.email)
                .bind(&comment.body)
                .bind(status)
                .bind(reason)
                .bind(comment.created_at)
                .bind(decided_at)
                .fetch_one(&mut *tx)
                .await?;
                record(Conn::from(&mut *tx), origin, id).await?;
            }
            tx.commit().await?;
            Ok(())
        });
        self.then_changed(done, &[Topic::Posts]).await
    }

    /// Makes each of `paths` (without a trailing slash; `/?p=ID` for a query address)
    /// redirect to a post, in one transaction; returns how many are new (a path that already
    /// redirects somewhere keeps its target).
    pub async fn add_redirects(&self, paths: &[String], post_id: i64) -> StoreResult<usize> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut added = 0;
            for path in paths {
                added += sqlx::query(
                    "INSERT INTO redirects (path, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(path)
                .bind(post_id)
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Where an old address now lives: the post's address here.
    pub async fn redirect(&self, path: &str) -> StoreResult<Option<String>> {
        let found: Option<(String, String)> = read!(self, |pool| sqlx::query_as(
            "SELECT p.kind, p.slug FROM redirects r JOIN posts p ON p.id = r.post_id
             WHERE r.path = $1"
        )
        .bind(path)
        .fetch_optional(pool)
        .await)?;
        Ok(found.and_then(|(kind, slug)| Some(PostKind::parse(&kind).ok()?.url(&slug))))
    }
}
