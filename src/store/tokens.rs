//! API tokens for `Authorization: Bearer`; stored as hashes, shown once when made.

use super::{Db, StoreResult, now, read, write};

impl Db {
    pub async fn create_api_token(&self, user_id: i64, token_hash: &str) -> StoreResult<i64> {
        let q = "INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)
                 RETURNING id";
        Ok(write!(self, |pool| sqlx::query_scalar(q)
            .bind(user_id)
            .bind(token_hash)
            .bind(now())
            .fetch_one(pool)
            .await)?)
    }

    /// The enabled user a token belongs to.
    pub async fn user_for_token(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        let q = "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND u.disabled = FALSE";
        Ok(read!(self, |pool| sqlx::query_scalar(q)
            .bind(token_hash)
            .fetch_optional(pool)
            .await)?)
    }
}
