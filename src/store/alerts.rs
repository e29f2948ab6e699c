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
    /// The newest comment and idea counted (what the next alert counts after).
    pub last_comment: i64,
    pub last_idea: i64,
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
        let rows: Vec<Waiting> = read!(self, |pool| sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.name, u.moderation_alerted_at AS alerted_at,
                    o.name AS organisation,
                    CAST(COUNT(DISTINCT c.id) AS BIGINT) AS comments,
                    CAST(COUNT(DISTINCT i.id) AS BIGINT) AS ideas,
                    COALESCE(MAX(c.id), u.moderation_comments_through) AS last_comment,
                    COALESCE(MAX(i.id), u.moderation_ideas_through) AS last_idea
             FROM users u
             JOIN memberships m ON m.user_id = u.id AND m.role = 'moderator'
             JOIN organisations o ON o.id = m.organisation_id
             LEFT JOIN posts p ON p.organisation_id = o.id
             LEFT JOIN comments c ON c.post_id = p.id AND c.status = 'pending'
                 AND c.id > u.moderation_comments_through
             LEFT JOIN challenges ch ON ch.organisation_id = o.id
             LEFT JOIN ideas i ON i.challenge_id = ch.id AND i.status = 'pending'
                 AND i.id > u.moderation_ideas_through
             WHERE NOT u.disabled AND u.alert_moderation AND u.moderation_alerted_at <= $1
             GROUP BY u.id, u.email, u.name, u.moderation_alerted_at, u.moderation_comments_through,
                 u.moderation_ideas_through, o.id, o.name
             ORDER BY u.id, o.name"
        )
        .bind(told_before)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter(|w| w.comments + w.ideas > 0)
            .collect())
    }

    /// Queues a moderator's alert and notes when they were told and the last comment and
    /// idea they were told of (`through`), if no other node told them since `was` (then
    /// nothing is queued).
    pub async fn queue_moderation_alert(
        &self,
        user_id: i64,
        was: Timestamp,
        at: Timestamp,
        through: (i64, i64),
        mail: &NewMail<'_>,
    ) -> StoreResult<bool> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE users SET moderation_alerted_at = $1, moderation_comments_through = $2,
                     moderation_ideas_through = $3
                 WHERE id = $4 AND moderation_alerted_at = $5",
            )
            .bind(at)
            .bind(through.0)
            .bind(through.1)
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
