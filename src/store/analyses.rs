//! Analyses of one question's free-text answers: each is a background job (queued →
//! running → done | failed) claimed by exactly one worker, then the analyst's reviewed copy,
//! the record of every change to it, and the "you said, we did" actions that cite it.

use super::{Backend, Conn, Db, Json, StoreError, StoreResult, now, on, read, write};
use crate::domain::review::{AnalysisStatus, Review};
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Analysis {
    pub id: i64,
    pub exercise_id: i64,
    pub question_id: String,
    #[sqlx(try_from = "String")]
    pub status: AnalysisStatus,
    pub result: Option<String>,
    pub review: Option<Json<Review>>,
    /// The review as it was when last published: what the public sees.
    pub published_review: Option<Json<Review>>,
    pub error: Option<String>,
    pub requested_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub published_at: Option<Timestamp>,
}

/// A published analysis as the public sees it ([`Review::public_summary`]).
#[derive(Debug, sqlx::FromRow)]
pub struct PublishedAnalysis {
    pub id: i64,
    pub question_id: String,
    pub summary: Json<serde_json::Value>,
}

const PUBLISHED: &str =
    "SELECT analysis_id AS id, question_id, summary FROM published_summaries WHERE ";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AnalysisChange {
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
    pub changed_at: Timestamp,
}

/// A job that has not reported back for this long is presumed lost with its worker and is
/// handed to another.
pub const STALE_AFTER_SECS: i64 = 15 * 60;

const SELECT: &str = "SELECT id, exercise_id, question_id, status, result, review,
                      published_review, error, requested_at, finished_at, published_at FROM
                      analyses ";

/// One line of an analysis's change log.
struct Change<'a> {
    analysis_id: i64,
    user_id: Option<i64>,
    action: &'a str,
    detail: &'a str,
    at: Timestamp,
}

impl<'a> Change<'a> {
    fn at(
        at: Timestamp,
        analysis_id: i64,
        user_id: Option<i64>,
        action: &'a str,
        detail: &'a str,
    ) -> Self {
        Change {
            analysis_id,
            user_id,
            action,
            detail,
            at,
        }
    }
}

/// Adds to an analysis's change log inside the caller's transaction.
async fn record_change(conn: Conn<'_>, change: Change<'_>) -> StoreResult<()> {
    let q = "INSERT INTO analysis_changes (analysis_id, user_id, action, detail, changed_at)
             VALUES ($1, $2, $3, $4, $5)";
    on!(conn, |c| sqlx::query(q)
        .bind(change.analysis_id)
        .bind(change.user_id)
        .bind(change.action)
        .bind(change.detail)
        .bind(change.at)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Keeps what the public sees of a published analysis, inside the caller's transaction.
async fn keep_summary(conn: Conn<'_>, a: &Analysis, review: &Review) -> StoreResult<()> {
    let q = "INSERT INTO published_summaries (analysis_id, exercise_id, question_id, summary)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (analysis_id) DO UPDATE SET summary = excluded.summary";
    on!(conn, |c| sqlx::query(q)
        .bind(a.id)
        .bind(a.exercise_id)
        .bind(&a.question_id)
        .bind(review.public_summary().to_string())
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    Ok(())
}

impl Db {
    /// Queues an analysis of one question.
    pub async fn request_analysis(
        &self,
        exercise_id: i64,
        question_id: &str,
        user_id: Option<i64>,
    ) -> StoreResult<i64> {
        Ok(write!(self, |pool| sqlx::query_scalar(
            "INSERT INTO analyses (exercise_id, question_id, status, requested_by, requested_at)
             VALUES ($1, $2, 'queued', $3, $4) RETURNING id"
        )
        .bind(exercise_id)
        .bind(question_id)
        .bind(user_id)
        .bind(now())
        .fetch_one(pool)
        .await)?)
    }

    /// Claims the oldest queued (or abandoned) analysis for this worker. On PostgreSQL the
    /// row is locked with `FOR UPDATE SKIP LOCKED`, so two nodes never claim the same job;
    /// SQLite has a single writer, which serialises claims by itself.
    pub async fn claim_analysis(&self) -> StoreResult<Option<Analysis>> {
        let t = now();
        let stale = t - STALE_AFTER_SECS;
        let claimed: Option<i64> = match &self.backend {
            Backend::Sqlite { write, .. } => {
                sqlx::query_scalar(
                    "UPDATE analyses SET status = 'running', claimed_at = $1 WHERE id = (
                     SELECT id FROM analyses WHERE status = 'queued' OR (status = 'running' AND
                     claimed_at < $2)
                     ORDER BY id LIMIT 1) RETURNING id",
                )
                .bind(t)
                .bind(stale)
                .fetch_optional(write)
                .await?
            }
            Backend::Postgres(pool) => {
                sqlx::query_scalar(
                    "UPDATE analyses SET status = 'running', claimed_at = $1 WHERE id = (
                     SELECT id FROM analyses WHERE status = 'queued' OR (status = 'running' AND
                     claimed_at < $2)
                     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
                )
                .bind(t)
                .bind(stale)
                .fetch_optional(pool)
                .await?
            }
        };
        match claimed {
            Some(id) => Ok(Some(self.analysis(id).await?)),
            None => Ok(None),
        }
    }

    /// Stores the engine's result and the review that starts from it.
    /// Stores a finished analysis with the review that starts from it; `note` says, for the
    /// change log, which earlier themes it continues.
    pub async fn finish_analysis(
        &self,
        id: i64,
        result_json: &str,
        review_json: &str,
        note: Option<&str>,
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE analyses SET status = 'done', result = $1, review = $2, finished_at = $3,
                 error = NULL WHERE id = $4",
            )
            .bind(result_json)
            .bind(review_json)
            .bind(t)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if let Some(note) = note {
                let change = Change::at(t, id, None, "continue", note);
                record_change(Conn::from(&mut *tx), change).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn fail_analysis(&self, id: i64, error: &str) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "UPDATE analyses SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3"
        )
        .bind(error)
        .bind(now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn analysis(&self, id: i64) -> StoreResult<Analysis> {
        let q = format!("{SELECT} WHERE id = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Every analysis of an exercise, newest first.
    pub async fn analyses_of(&self, exercise_id: i64) -> StoreResult<Vec<Analysis>> {
        let q = format!("{SELECT} WHERE exercise_id = $1 ORDER BY id DESC");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(exercise_id)
            .fetch_all(pool)
            .await)?)
    }

    /// The published analysis of each question of an exercise.
    /// The published analyses of an exercise, as the public sees them: what its results page
    /// shows (the full review, megabytes on a large consultation, is not read).
    pub async fn published_analyses(
        &self,
        exercise_id: i64,
    ) -> StoreResult<Vec<PublishedAnalysis>> {
        let q = format!("{PUBLISHED} exercise_id = $1 ORDER BY question_id");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
            q.as_str()
        ))
        .bind(exercise_id)
        .fetch_all(pool)
        .await)?)
    }

    /// One published analysis, as the public sees it.
    pub async fn published_analysis(&self, id: i64) -> StoreResult<PublishedAnalysis> {
        let q = format!("{PUBLISHED} analysis_id = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Analyses published before public summaries were kept, still to be summarised.
    pub async fn unsummarised_analyses(&self) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT analysis_id FROM analyses_to_summarise ORDER BY analysis_id"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// Keeps the public summary of an analysis published before summaries were kept (none
    /// if it has no published review), and takes it off the list to summarise.
    pub async fn summarise(&self, a: &Analysis) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(review) = &a.published_review {
                keep_summary(Conn::from(&mut *tx), a, review).await?;
            }
            sqlx::query("DELETE FROM analyses_to_summarise WHERE analysis_id = $1")
                .bind(a.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Saves the analyst's edited result and records what changed, in one transaction.
    pub async fn save_review(
        &self,
        id: i64,
        review_json: &str,
        user_id: Option<i64>,
        action: &str,
        detail: &str,
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE analyses SET review = $1 WHERE id = $2")
                .bind(review_json)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let change = Change::at(t, id, user_id, action, detail);
            record_change(Conn::from(&mut *tx), change).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Publishes one analysis as the question's result (unpublishing any earlier one).
    /// Makes the analysis its question's published one. "You said" statements that cite a
    /// theme of an earlier analysis of the question which this one continues (same theme id,
    /// see `Review::continue_from`) now cite this one; the others keep citing the earlier
    /// analysis, which the admin shows as needing a theme again.
    pub async fn publish_analysis(&self, id: i64, user_id: Option<i64>) -> StoreResult<()> {
        let a = self.analysis(id).await?;
        let Some(review) = a.review.as_ref().map(|r| &r.0) else {
            return Err(StoreError::NotFound);
        };
        let theme_ids: Vec<String> = review.themes.iter().map(|t| t.id.clone()).collect();
        // What is published and its public summary come from the same copy of the review.
        let published = serde_json::to_string(review).expect("reviews serialise");
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE analyses SET published_at = NULL, published_review = NULL WHERE
                 exercise_id = $1 AND question_id = $2",
            )
            .bind(a.exercise_id)
            .bind(&a.question_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM published_summaries WHERE exercise_id = $1 AND question_id = $2",
            )
            .bind(a.exercise_id)
            .bind(&a.question_id)
            .execute(&mut *tx)
            .await?;
            keep_summary(Conn::from(&mut *tx), &a, review).await?;
            sqlx::query(
                "UPDATE analyses SET published_at = $1, published_review = $2 WHERE id = $3",
            )
            .bind(t)
            .bind(&published)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            for theme in &theme_ids {
                sqlx::query(
                    "UPDATE result_actions SET analysis_id = $1
                      WHERE theme_id = $2 AND analysis_id IN (SELECT id FROM analyses
                            WHERE exercise_id = $3 AND question_id = $4 AND id < $1)",
                )
                .bind(id)
                .bind(theme)
                .bind(a.exercise_id)
                .bind(&a.question_id)
                .execute(&mut *tx)
                .await?;
            }
            let change = Change::at(t, id, user_id, "publish", "");
            record_change(Conn::from(&mut *tx), change).await?;
            tx.commit().await?;
        });
        // Projects' pages name the themes their statements cite.
        (self.changed(&[Topic::Results(a.exercise_id), Topic::Register])).await
    }

    pub async fn analysis_changes(&self, id: i64) -> StoreResult<Vec<AnalysisChange>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT u.email AS actor, c.action, c.detail, c.changed_at FROM analysis_changes c
             LEFT JOIN users u ON u.id = c.user_id WHERE c.analysis_id = $1 ORDER BY c.id DESC"
        )
        .bind(id)
        .fetch_all(pool)
        .await)?)
    }
}
