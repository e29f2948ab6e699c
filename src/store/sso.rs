//! Sign-ins sent to a single sign-on provider, waiting for its answer
//! (migrations/*/0022_single_sign_on.sql).

use super::{Db, StoreResult, now, write};
use crate::domain::time::Timestamp;

/// What is kept of a sign-in sent to a provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SsoSignIn {
    pub browser_hash: String,
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub next_path: String,
}

impl Db {
    pub async fn begin_sso_sign_in(
        &self,
        state_hash: &str,
        sign_in: &SsoSignIn,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let q = "INSERT INTO sso_sign_ins (state_hash, browser_hash, provider, pkce_verifier,
                 nonce, next_path, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        write!(self, |pool| sqlx::query(q)
            .bind(state_hash)
            .bind(&sign_in.browser_hash)
            .bind(&sign_in.provider)
            .bind(&sign_in.pkce_verifier)
            .bind(&sign_in.nonce)
            .bind(&sign_in.next_path)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Takes the waiting sign-in with this state, once; `None` when there is none (never sent,
    /// answered already, or expired).
    pub async fn take_sso_sign_in(&self, state_hash: &str) -> StoreResult<Option<SsoSignIn>> {
        let q = "DELETE FROM sso_sign_ins WHERE state_hash = $1 AND expires_at > $2
                 RETURNING browser_hash, provider, pkce_verifier, nonce, next_path";
        Ok(write!(self, |pool| sqlx::query_as(q)
            .bind(state_hash)
            .bind(now())
            .fetch_optional(pool)
            .await)?)
    }
}
