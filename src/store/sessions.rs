//! Server-side sign-in sessions. The cookie holds a random token; only its hash is stored,
//! so a copy of the database cannot be used to sign in.

use super::password_links::end_sign_ins;
use super::{Conn, Db, StoreError, StoreResult, now, read, write};
use crate::domain::time::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// A session as its owner sees it on their account page.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct SessionSummary {
    pub id_hash: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub user_agent: String,
}

/// How long sessions last: from sign-in, and without being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub max_secs: i64,
    pub idle_secs: i64,
}

impl Db {
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: Timestamp,
        user_agent: &str,
    ) -> StoreResult<()> {
        let q = "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at,
                 last_seen_at, user_agent) VALUES ($1, $2, $3, $4, $5, $4, $6)";
        write!(self, |pool| sqlx::query(q)
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now())
            .bind(expires_at)
            .bind(user_agent)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The live session with that hash, if any: not past its end, used within `idle_secs`,
    /// and its user not disabled.
    pub async fn session(&self, id_hash: &str, idle_secs: i64) -> StoreResult<Option<Session>> {
        let q = "SELECT s.user_id, s.csrf_token, s.expires_at, s.last_seen_at FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3
                 AND u.disabled = FALSE";
        let t = now();
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(id_hash)
            .bind(t)
            .bind(t - idle_secs)
            .fetch_optional(pool)
            .await)?)
    }

    /// Notes that the session was used now (the idle limit counts from here).
    pub async fn touch_session(&self, id_hash: &str) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2"
        )
        .bind(now())
        .bind(id_hash)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// A user's live sessions, most recently used first (the 50 most recent; "sign out
    /// everywhere else" ends them all).
    pub async fn sessions_of(
        &self,
        user_id: i64,
        idle_secs: i64,
    ) -> StoreResult<Vec<SessionSummary>> {
        let q = "SELECT id_hash, created_at, last_seen_at, user_agent FROM sessions
                 WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3
                 ORDER BY last_seen_at DESC, created_at DESC LIMIT 50";
        let t = now();
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(user_id)
            .bind(t)
            .bind(t - idle_secs)
            .fetch_all(pool)
            .await)?)
    }

    /// Ends one of `user_id`'s sessions; false when they have none by that hash.
    pub async fn end_session_of(&self, user_id: i64, id_hash: &str) -> StoreResult<bool> {
        let n = write!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2"
        )
        .bind(user_id)
        .bind(id_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Ends every session of `user_id` but `keep` ("sign out everywhere else").
    pub async fn end_other_sessions(&self, user_id: i64, keep: &str) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            end_sign_ins(Conn::from(&mut *tx), user_id, Some(keep)).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Gives the session `old` a new id (at a change of privilege: the password changed,
    /// two-factor set up), so that an id seen before no longer works. The form token stays, so
    /// the page that made the change still works.
    pub async fn rotate_session(&self, old: &str, new: &str) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "UPDATE sessions SET id_hash = $1 WHERE id_hash = $2"
        )
        .bind(new)
        .bind(old)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Changes a user's password, ends their other sessions and any link to set a password,
    /// in one transaction.
    pub async fn change_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep_session: &str,
    ) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM password_links WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            end_sign_ins(Conn::from(&mut *tx), user_id, Some(keep_session)).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
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
            let links = "DELETE FROM password_links WHERE expires_at <= $1";
            let challenges = "DELETE FROM sign_in_challenges WHERE expires_at <= $1";
            let sso = "DELETE FROM sso_sign_ins WHERE expires_at <= $1";
            for q in [links, challenges, sso] {
                sqlx::query(q).bind(t).execute(pool).await?;
            }
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
