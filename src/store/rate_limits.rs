//! Fixed-window counters kept in the database, so that limits hold across processes and
//! several app nodes.

use super::{Conn, Db, StoreResult, now, on, read, write};
use crate::domain::time::Timestamp;

/// A fixed-window limit: at most `max` hits for `key` in `window_secs`.
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: String,
    pub window_secs: i64,
    pub max: i64,
}

/// Counts one hit for `key` at `t` on `conn`; the hits in the current window.
pub(crate) async fn hit(
    conn: Conn<'_>,
    key: &str,
    t: Timestamp,
    window_secs: i64,
) -> StoreResult<i64> {
    let q = "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
               hits = CASE WHEN rate_limits.window_start + $3 > $2 THEN rate_limits.hits + 1
               ELSE 1 END,
               window_start = CASE WHEN rate_limits.window_start + $3 > $2 THEN
               rate_limits.window_start ELSE $2 END
             RETURNING hits";
    Ok(on!(conn, |c| sqlx::query_scalar(q)
        .bind(key)
        .bind(t)
        .bind(window_secs)
        .fetch_one(&mut *c)
        .await)?)
}

impl Limit {
    /// Counts one hit at `t` on `conn`, inside the caller's write; true when it is over the
    /// limit, and the caller stores nothing.
    pub(crate) async fn is_passed(&self, conn: Conn<'_>, t: Timestamp) -> StoreResult<bool> {
        Ok(hit(conn, &self.key, t, self.window_secs).await? > self.max)
    }
}

impl Db {
    /// Hits recorded for `key` in the window that is still open, and when that window ends.
    pub async fn rate_limit_hits(
        &self,
        key: &str,
        window_secs: i64,
    ) -> StoreResult<(i64, Timestamp)> {
        let q = "SELECT hits, window_start FROM rate_limits WHERE key = $1";
        let row: Option<(i64, Timestamp)> = read!(self, |pool| sqlx::query_as(q)
            .bind(key)
            .fetch_optional(pool)
            .await)?;
        let t = now();
        Ok(match row {
            Some((hits, start)) if start + window_secs > t => (hits, start + window_secs),
            _ => (0, t + window_secs),
        })
    }

    /// Counts one hit for `key`, opening a new window when the old one has ended.
    /// Returns the hits in the current window.
    pub async fn rate_limit_hit(&self, key: &str, window_secs: i64) -> StoreResult<i64> {
        let (key, t) = (key.to_string(), now());
        // Every anonymous comment, response and vote counts one: committed in groups.
        self.grouped(move |conn| Box::pin(async move { hit(conn, &key, t, window_secs).await }))
            .await
    }

    pub async fn rate_limit_clear(&self, key: &str) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "DELETE FROM rate_limits WHERE key = $1"
        )
        .bind(key)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
