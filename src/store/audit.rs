//! The audit log: who changed what, and when, for every administrative change.

use super::{Db, StoreResult, now, read, write};
use crate::domain::time::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

impl Db {
    pub async fn audit(
        &self,
        actor_id: Option<i64>,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()> {
        let q = "INSERT INTO audit_log (at, actor_id, action, subject, detail) VALUES ($1, $2, $3,
                 $4, $5)";
        write!(self, |pool| sqlx::query(q)
            .bind(now())
            .bind(actor_id)
            .bind(action)
            .bind(subject)
            .bind(detail)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn recent_audit(&self, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let q = "SELECT a.at, u.email AS actor, a.action, a.subject, a.detail
                 FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC LIMIT
                 $1";
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }
}
