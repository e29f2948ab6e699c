//! Staff alerts (migrations/*/0024_staff_alerts.sql, docs/email.md): what each member of staff
//! is e-mailed about their work, and to whom an alert goes.

use super::outbox::{NewMail, queue};
use super::{Conn, Db, StoreError, StoreResult, read, write};
use crate::domain::subscription::StaffAlerts;
use crate::domain::time::Timestamp;

/// Someone to tell: their address and name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Staff {
    pub email: String,
    pub name: String,
}

/// What waits for a moderator in one organisation, new since they were last told.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Waiting {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub alerted_at: Timestamp,
    pub organisation: String,
    pub comments: i64,
    pub ideas: i64,
    /// Comments on a draft's paragraphs.
    pub draft_comments: i64,
    /// Statements written in conversations.
    pub statements: i64,
    #[sqlx(flatten)]
    pub newest: ToldThrough,
}

/// The newest comment, idea, draft comment and statement (by id) a moderator was told of:
/// the next alert counts only what came after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ToldThrough {
    pub last_comment: i64,
    pub last_idea: i64,
    pub last_draft_comment: i64,
    pub last_statement: i64,
}

impl ToldThrough {
    /// The newest of each in `self` and `other`.
    pub fn max(self, other: ToldThrough) -> ToldThrough {
        ToldThrough {
            last_comment: self.last_comment.max(other.last_comment),
            last_idea: self.last_idea.max(other.last_idea),
            last_draft_comment: self.last_draft_comment.max(other.last_draft_comment),
            last_statement: self.last_statement.max(other.last_statement),
        }
    }
}

/// What is pending in one kind of moderated thing for an organisation, new to the moderator
/// `u`: `(count, newest id)` columns named `{name}` and `last_{one}`.
fn pending(table: &str, owner: &str, through: &str, name: &str, one: &str) -> String {
    let rows =
        format!("FROM {table} WHERE {owner} AND x.status = 'pending' AND x.id > u.{through}");
    format!(
        "(SELECT COUNT(*) {rows}) AS {name}, (SELECT COALESCE(MAX(x.id), u.{through}) {rows}) AS last_{one}"
    )
}

impl Db {
    pub async fn staff_alerts(&self, user_id: i64) -> StoreResult<StaffAlerts> {
        let (moderation, exercises, analyses): (bool, bool, bool) = read!(self, |pool| {
            sqlx::query_as(
                "SELECT alert_moderation, alert_exercises, alert_analyses FROM users WHERE id = $1",
            )
            .bind(user_id)
            .fetch_one(pool)
            .await
        })?;
        Ok(StaffAlerts {
            moderation,
            exercises,
            analyses,
        })
    }

    pub async fn set_staff_alerts(&self, user_id: i64, alerts: StaffAlerts) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "UPDATE users SET alert_moderation = $1, alert_exercises = $2, alert_analyses = $3
             WHERE id = $4"
        )
        .bind(alerts.moderation)
        .bind(alerts.exercises)
        .bind(alerts.analyses)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Whoever created an exercise, if they still can sign in and want to hear of it.
    pub async fn exercise_owner_to_alert(&self, exercise_id: i64) -> StoreResult<Option<Staff>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT u.email, u.name FROM exercises e JOIN users u ON u.id = e.created_by
             WHERE e.id = $1 AND NOT u.disabled AND u.alert_exercises"
        )
        .bind(exercise_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// Whoever asked for an analysis, if they still can sign in and want to hear of it.
    pub async fn analysis_requester_to_alert(
        &self,
        analysis_id: i64,
    ) -> StoreResult<Option<Staff>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT u.email, u.name FROM analyses a JOIN users u ON u.id = a.requested_by
             WHERE a.id = $1 AND NOT u.disabled AND u.alert_analyses"
        )
        .bind(analysis_id)
        .fetch_optional(pool)
        .await)?)
    }

    /// For every moderator who wants to hear and was last told at or before `told_before`,
    /// the comments and ideas waiting in each of their organisations that arrived after the
    /// last ones they were told of. Rows with nothing new are left out.
    pub async fn moderation_waiting(&self, told_before: Timestamp) -> StoreResult<Vec<Waiting>> {
        // One pair of subqueries per kind: joining all four kinds at once would multiply
        // their rows together.
        let kinds = [
            pending(
                "comments x JOIN posts p ON p.id = x.post_id",
                "p.organisation_id = o.id",
                "moderation_comments_through",
                "comments",
                "comment",
            ),
            pending(
                "ideas x JOIN challenges ch ON ch.id = x.challenge_id",
                "ch.organisation_id = o.id",
                "moderation_ideas_through",
                "ideas",
                "idea",
            ),
            pending(
                "draft_comments x JOIN exercises e ON e.id = x.exercise_id",
                "e.organisation_id = o.id",
                "moderation_draft_comments_through",
                "draft_comments",
                "draft_comment",
            ),
            pending(
                "conversation_statements x JOIN conversations v ON v.id = x.conversation_id",
                "v.organisation_id = o.id",
                "moderation_statements_through",
                "statements",
                "statement",
            ),
        ];
        let q = format!(
            "SELECT u.id AS user_id, u.email, u.name, u.moderation_alerted_at AS alerted_at,
                    o.name AS organisation, {}
             FROM users u
             JOIN memberships m ON m.user_id = u.id AND m.role = 'moderator'
             JOIN organisations o ON o.id = m.organisation_id
             WHERE NOT u.disabled AND u.alert_moderation AND u.moderation_alerted_at <= $1
             ORDER BY u.id, o.name",
            kinds.join(", ")
        );
        let rows: Vec<Waiting> =
            read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q.clone()))
                .bind(told_before)
                .fetch_all(pool)
                .await)?;
        Ok(rows
            .into_iter()
            .filter(|w| w.comments + w.ideas + w.draft_comments + w.statements > 0)
            .collect())
    }

    /// Queues a moderator's alert and notes when they were told and the newest of each kind
    /// they were told of (`through`), if no other node told them since `was` (then nothing
    /// is queued).
    pub async fn queue_moderation_alert(
        &self,
        user_id: i64,
        was: Timestamp,
        at: Timestamp,
        through: ToldThrough,
        mail: &NewMail<'_>,
    ) -> StoreResult<bool> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE users SET moderation_alerted_at = $1, moderation_comments_through = $2,
                     moderation_ideas_through = $3, moderation_draft_comments_through = $4,
                     moderation_statements_through = $5
                 WHERE id = $6 AND moderation_alerted_at = $7",
            )
            .bind(at)
            .bind(through.last_comment)
            .bind(through.last_idea)
            .bind(through.last_draft_comment)
            .bind(through.last_statement)
            .bind(user_id)
            .bind(was)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            queue(Conn::from(&mut *tx), mail, at).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(true)
        })
    }
}
