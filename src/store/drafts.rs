//! Draft documents on consultations and the comments on their paragraphs.
//!
//! A draft is stored with its blocks already rendered (the sanitiser runs when it is saved,
//! never for a view). A comment is stored once per submission key, with its per-address
//! limit counted in the same write, and held for moderation.

use super::rate_limits::Limit;
use super::{Db, Json, StoreError, StoreResult, found, now, on, read, write};
use crate::domain::draft::{CommentStatus, Draft, DraftBlock, NewComment};
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;
use serde::Serialize;
use std::collections::BTreeMap;

/// A consultation's draft as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredDraft {
    pub markdown: String,
    pub blocks: Json<Vec<DraftBlock>>,
    pub updated_at: Timestamp,
}

/// A comment on one paragraph of a draft.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DraftComment {
    pub id: i64,
    pub exercise_id: i64,
    pub paragraph: i64,
    pub body: String,
    pub author_name: String,
    #[sqlx(try_from = "String")]
    pub status: CommentStatus,
    pub reason: Option<String>,
    pub submitted_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// What became of a comment sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentSubmitted {
    /// Stored, waiting for a moderator.
    New(i64),
    /// The same form was sent before: the comment stored then.
    Again(i64),
    /// Over the sender's per-address limit: nothing stored.
    OverLimit,
}

const SELECT_COMMENT: &str = "SELECT id, exercise_id, paragraph, body, author_name, status, reason,
                                     submitted_at, decided_at
                              FROM draft_comments ";

impl Db {
    /// The exercise's draft, if it has one.
    pub async fn draft(&self, exercise_id: i64) -> StoreResult<Option<StoredDraft>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT markdown, blocks, updated_at FROM exercise_drafts WHERE exercise_id = $1"
        )
        .bind(exercise_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Saves a new version of the exercise's draft; a draft with no blocks removes it.
    pub async fn save_draft(
        &self,
        exercise_id: i64,
        draft: &Draft,
        user_id: i64,
    ) -> StoreResult<()> {
        let blocks = serde_json::to_string(&draft.blocks).expect("blocks serialise");
        let markdown = draft.markdown.clone();
        let remove = draft.blocks.is_empty();
        let t = now();
        write!(self, |pool| {
            if remove {
                sqlx::query("DELETE FROM exercise_drafts WHERE exercise_id = $1")
                    .bind(exercise_id)
                    .execute(pool)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO exercise_drafts (exercise_id, markdown, blocks, updated_by,
                     updated_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (exercise_id) DO UPDATE SET markdown = $2, blocks = $3,
                     updated_by = $4, updated_at = $5",
                )
                .bind(exercise_id)
                .bind(&markdown)
                .bind(&blocks)
                .bind(user_id)
                .bind(t)
                .execute(pool)
                .await?;
            }
            Ok::<_, StoreError>(())
        })?;
        // The consultation's page and its results show the draft.
        self.changed(&[Topic::Results(exercise_id)]).await
    }

    /// The highest paragraph that has a comment not rejected: a new version of the draft
    /// must keep it.
    pub async fn highest_commented_paragraph(&self, exercise_id: i64) -> StoreResult<Option<u32>> {
        let highest: Option<i64> = read!(self, |pool| sqlx::query_scalar(
            "SELECT MAX(paragraph) FROM draft_comments WHERE exercise_id = $1
             AND status <> 'rejected'"
        )
        .bind(exercise_id)
        .fetch_one(pool)
        .await)?;
        Ok(highest.and_then(|h| u32::try_from(h).ok()))
    }

    /// Stores a comment as pending unless the same submission key was used before, counting
    /// the sender's `limit` in the same write. Commits before returning.
    pub async fn submit_draft_comment(
        &self,
        exercise_id: i64,
        paragraph: u32,
        comment: &NewComment,
        submission_key: &str,
        limit: Option<Limit>,
    ) -> StoreResult<CommentSubmitted> {
        let (t, key) = (now(), submission_key.to_string());
        let (body, name) = (comment.body.clone(), comment.name.clone());
        // Many people comment at once near a closing date: committed with the other writes
        // waiting, the limit's hit with the comment.
        self.grouped(move |mut conn| {
            Box::pin(async move {
                if let Some(limit) = limit
                    && limit.is_passed(conn.reborrow(), t).await?
                {
                    return Ok(CommentSubmitted::OverLimit);
                }
                on!(conn, |c| {
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO draft_comments (exercise_id, paragraph, body, author_name,
                         status, submission_key, submitted_at)
                         VALUES ($1, $2, $3, $4, 'pending', $5, $6)
                         ON CONFLICT (exercise_id, submission_key) DO NOTHING RETURNING id",
                    )
                    .bind(exercise_id)
                    .bind(i64::from(paragraph))
                    .bind(&body)
                    .bind(&name)
                    .bind(&key)
                    .bind(t)
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                    Ok(match id {
                        Some(id) => CommentSubmitted::New(id),
                        None => CommentSubmitted::Again(
                            sqlx::query_scalar(
                                "SELECT id FROM draft_comments
                                 WHERE exercise_id = $1 AND submission_key = $2",
                            )
                            .bind(exercise_id)
                            .bind(&key)
                            .fetch_one(&mut *c)
                            .await?,
                        ),
                    })
                })
            })
        })
        .await
    }

    /// The exercise's comments in the given states, by paragraph and then as they came.
    pub async fn draft_comments(
        &self,
        exercise_id: i64,
        statuses: &[CommentStatus],
    ) -> StoreResult<Vec<DraftComment>> {
        let q = format!("{SELECT_COMMENT} WHERE exercise_id = $1 ORDER BY paragraph, id");
        let all: Vec<DraftComment> = read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(exercise_id)
            .fetch_all(pool)
            .await)?;
        Ok(all
            .into_iter()
            .filter(|c| statuses.contains(&c.status))
            .collect())
    }

    pub async fn draft_comment(&self, id: i64) -> StoreResult<DraftComment> {
        let q = format!("{SELECT_COMMENT} WHERE id = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Approved comments per paragraph.
    pub async fn approved_comment_counts(
        &self,
        exercise_id: i64,
    ) -> StoreResult<BTreeMap<u32, usize>> {
        let rows: Vec<(i64, i64)> = read!(self, |pool| sqlx::query_as(
            "SELECT paragraph, COUNT(*) FROM draft_comments
             WHERE exercise_id = $1 AND status = 'approved' GROUP BY paragraph"
        )
        .bind(exercise_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(p, n)| Some((u32::try_from(p).ok()?, usize::try_from(n).ok()?)))
            .collect())
    }

    /// Comments waiting for a moderator, per exercise: (exercise id, title, waiting), for
    /// the exercises of `organisation_ids`.
    pub async fn pending_draft_comments(
        &self,
        organisation_ids: &[i64],
    ) -> StoreResult<Vec<(i64, String, i64)>> {
        let rows: Vec<(i64, i64, String, i64)> = read!(self, |pool| sqlx::query_as(
            "SELECT e.id, e.organisation_id, e.title, COUNT(*) FROM draft_comments c
             JOIN exercises e ON e.id = c.exercise_id
             WHERE c.status = 'pending' GROUP BY e.id, e.organisation_id, e.title ORDER BY e.id"
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter(|(_, org, _, _)| organisation_ids.contains(org))
            .map(|(id, _, title, n)| (id, title, n))
            .collect())
    }

    /// A moderator's decision on a comment: approved, or rejected with a reason.
    pub async fn decide_draft_comment(
        &self,
        comment: &DraftComment,
        status: CommentStatus,
        reason: Option<&str>,
        user_id: i64,
    ) -> StoreResult<()> {
        let t = now();
        let (id, reason) = (comment.id, reason.map(str::to_string));
        let n = write!(self, |pool| sqlx::query(
            "UPDATE draft_comments SET status = $1, reason = $2, decided_at = $3,
             decided_by = $4 WHERE id = $5"
        )
        .bind(status.as_str())
        .bind(&reason)
        .bind(t)
        .bind(user_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        found(n)?;
        // Counts on the consultation's page and what its results show change.
        self.changed(&[Topic::Results(comment.exercise_id)]).await
    }
}
