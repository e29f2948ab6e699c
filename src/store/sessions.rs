//! Server-side sign-in sessions. The cookie holds a random token; only its hash is stored,
//! so a copy of the database cannot be used to sign in.

use super::{Db, StoreResult, now, read, write};
use crate::domain::time::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

impl Db {
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let q = "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)";
        write!(self, |pool| sqlx::query(q)
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now())
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The live session with that hash, if any; expired and disabled users' sessions are not
    /// returned.
    pub async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let q = "SELECT s.user_id, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id
                 = s.user_id
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE";
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(id_hash)
            .bind(now())
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE id_hash = $1"
        )
        .bind(id_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Removes expired sessions and rate-limit windows; run now and then.
    pub async fn purge_expired(&self) -> StoreResult<u64> {
        let t = now();
        let n = write!(self, |pool| {
            let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(t)
                .execute(pool)
                .await?
                .rows_affected();
            let b = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(t - 86_400)
                .execute(pool)
                .await?
                .rows_affected();
            Ok::<u64, sqlx::Error>(a + b)
        })?;
        Ok(n)
    }
}
