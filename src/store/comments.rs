//! Comments on posts: held for moderation, then approved or rejected with a reason.
//! The commenter's email is kept for moderators only and never published.

use super::outbox::{NewMail, queue};
use super::rate_limits::Limit;
use super::{Conn, Db, StoreError, StoreResult, now, on, one, read, write};
use crate::domain::post::NewComment;
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;
use serde::Serialize;

/// A comment as the public sees it: no email.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PublicComment {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// A comment as a moderator sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QueuedComment {
    pub id: i64,
    pub post_slug: String,
    pub post_title: String,
    pub name: String,
    pub email: String,
    pub body: String,
    pub status: String,
    pub reason: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

const INSERT_COMMENT: &str = "INSERT INTO comments (post_id, name, email, body, status,
    created_at) VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id";

impl Db {
    /// Stores a comment, pending (the demo's; readers' go through [`Db::add_comment_within`]).
    pub async fn add_comment(&self, post_id: i64, c: &NewComment) -> StoreResult<i64> {
        Ok(write!(self, |pool| sqlx::query_scalar(INSERT_COMMENT)
            .bind(post_id)
            .bind(&c.name)
            .bind(c.email.as_str())
            .bind(&c.body)
            .bind(now())
            .fetch_one(pool)
            .await)?)
    }

    /// Counts a hit on `limit` and, still within it, stores a reader's comment (pending): one
    /// grouped write (`group_commit.rs`), so the reader waits for one commit. `None` when
    /// over the limit, and nothing is stored.
    pub async fn add_comment_within(
        &self,
        limit: Limit,
        post_id: i64,
        c: &NewComment,
    ) -> StoreResult<Option<i64>> {
        let (name, email, body) = (c.name.clone(), c.email.as_str().to_string(), c.body.clone());
        let t = now();
        self.grouped(move |mut conn| {
            Box::pin(async move {
                if limit.is_passed(conn.reborrow(), t).await? {
                    return Ok(None);
                }
                let id = on!(conn, |c| sqlx::query_scalar(INSERT_COMMENT)
                    .bind(post_id)
                    .bind(&name)
                    .bind(&email)
                    .bind(&body)
                    .bind(t)
                    .fetch_one(&mut *c)
                    .await)?;
                Ok(Some(id))
            })
        })
        .await
    }

    pub async fn approved_comments(&self, post_id: i64) -> StoreResult<Vec<PublicComment>> {
        let q = "SELECT id, name, body, created_at FROM comments WHERE post_id = $1 AND status =
                 'approved' ORDER BY created_at, id";
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(post_id)
            .fetch_all(pool)
            .await)?)
    }

    /// Comments awaiting a decision, oldest first.
    pub async fn moderation_queue(&self) -> StoreResult<Vec<QueuedComment>> {
        let q = "SELECT c.id, p.slug AS post_slug, p.title AS post_title, c.name, c.email, c.body,
                 c.status, c.reason, c.created_at
                 FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.status = 'pending' ORDER
                 BY c.created_at, c.id";
        Ok(read!(self, |pool| sqlx::query_as(q).fetch_all(pool).await)?)
    }

    pub async fn count_pending_comments(&self) -> StoreResult<i64> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE status = 'pending'"
        )
        .fetch_one(pool)
        .await)?)
    }

    pub async fn comment(&self, id: i64) -> StoreResult<QueuedComment> {
        let q = "SELECT c.id, p.slug AS post_slug, p.title AS post_title, c.name, c.email, c.body,
                 c.status, c.reason, c.created_at
                 FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = $1";
        one(read!(self, |pool| sqlx::query_as(q)
            .bind(id)
            .fetch_optional(pool)
            .await))
    }

    /// Records a moderator's decision on a pending comment. A comment already decided is a
    /// conflict, so two moderators cannot silently overrule each other.
    pub async fn decide_comment(
        &self,
        id: i64,
        decision: Decision,
        reason: &str,
        moderator: i64,
    ) -> StoreResult<()> {
        self.decide_comment_telling(id, decision, reason, moderator, None)
            .await
    }

    /// Decides a pending comment, queueing `mail` (to the commenter, say why it was rejected)
    /// in the same transaction. A comment decided already is a `Conflict`, and nothing is sent.
    pub async fn decide_comment_telling(
        &self,
        id: i64,
        decision: Decision,
        reason: &str,
        moderator: i64,
        mail: Option<&NewMail<'_>>,
    ) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let status = match decision {
                Decision::Approve => "approved",
                Decision::Reject => "rejected",
            };
            let t = now();
            let q = "UPDATE comments SET status = $1, reason = $2, decided_at = $3, decided_by = $4
                     WHERE id = $5 AND status = 'pending'";
            let n = write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let n = sqlx::query(q)
                    .bind(status)
                    .bind(reason)
                    .bind(t)
                    .bind(moderator)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if let (1, Some(mail)) = (n, mail) {
                    queue(Conn::from(&mut *tx), mail, t).await?;
                }
                tx.commit().await?;
                Ok::<_, StoreError>(n)
            })?;
            if n == 1 {
                return Ok(());
            }
            let existing = self.comment(id).await?;
            Err(StoreError::Conflict(format!(
                "the comment was already {}",
                existing.status
            )))
        }
        .await;
        self.then_changed(done, &[Topic::Posts]).await
    }
}
