//! What signing in keeps besides sessions: sign-ins waiting for a second factor, the
//! authenticator secrets and recovery codes, and browsers known to an account
//! (migrations/*/0021_accounts.sql).

use super::password_links::end_sign_ins;
use super::{Conn, Db, StoreError, StoreResult, now, read, write};
use crate::domain::time::Timestamp;

/// A password accepted, the second factor still owed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Challenge {
    pub user_id: i64,
    pub next_path: String,
    pub failures: i32,
}

impl Db {
    pub async fn create_sign_in_challenge(
        &self,
        token_hash: &str,
        user_id: i64,
        next_path: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let q = "INSERT INTO sign_in_challenges (token_hash, user_id, next_path, expires_at)
                 VALUES ($1, $2, $3, $4)";
        write!(self, |pool| sqlx::query(q)
            .bind(token_hash)
            .bind(user_id)
            .bind(next_path)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The sign-in waiting under this token, if it has not expired.
    pub async fn sign_in_challenge(&self, token_hash: &str) -> StoreResult<Option<Challenge>> {
        let q = "SELECT user_id, next_path, failures FROM sign_in_challenges
                 WHERE token_hash = $1 AND expires_at > $2";
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await)?)
    }

    /// Counts a wrong code; after `max` the sign-in is ended (the password is asked again).
    pub async fn sign_in_challenge_failed(&self, token_hash: &str, max: i32) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE sign_in_challenges SET failures = failures + 1 WHERE token_hash = $1",
            )
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1 AND failures >= $2")
                .bind(token_hash)
                .bind(max)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    pub async fn end_sign_in_challenge(&self, token_hash: &str) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "DELETE FROM sign_in_challenges WHERE token_hash = $1"
        )
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The user's authenticator secret (base32), when they have set one up.
    pub async fn totp_secret(&self, user_id: i64) -> StoreResult<Option<String>> {
        let q = "SELECT totp_secret FROM users WHERE id = $1";
        let secret: Option<Option<String>> = read!(self, |pool| sqlx::query_scalar(q)
            .bind(user_id)
            .fetch_optional(pool)
            .await)?;
        Ok(secret.flatten())
    }

    /// Takes time step `step` for the user's codes: false when it (or a later one) was taken
    /// already, so that a code seen over someone's shoulder cannot be used again.
    pub async fn take_totp_step(&self, user_id: i64, step: i64) -> StoreResult<bool> {
        let n = write!(self, |pool| sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1"
        )
        .bind(step)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Uses one recovery code; false when the user has no such code (left).
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> StoreResult<bool> {
        let n = write!(self, |pool| sqlx::query(
            "DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2"
        )
        .bind(user_id)
        .bind(code_hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> StoreResult<i64> {
        let q = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1";
        Ok(read!(self, |pool| sqlx::query_scalar(q)
            .bind(user_id)
            .fetch_one(pool)
            .await)?)
    }

    /// Sets up two-factor sign-in: the secret, the step of the code that confirmed it (taken),
    /// and new recovery codes in place of any old ones.
    pub async fn set_two_factor(
        &self,
        user_id: i64,
        secret: &str,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3")
                .bind(secret)
                .bind(step)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            replace_recovery_codes(Conn::from(&mut *tx), user_id, recovery_code_hashes).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// New recovery codes in place of the old ones.
    pub async fn replace_recovery_codes(&self, user_id: i64, hashes: &[String]) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            replace_recovery_codes(Conn::from(&mut *tx), user_id, hashes).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Takes two-factor sign-in away (a lost device, by another admin): the secret and codes
    /// go, and so do the user's sessions, so they sign in again and set it up anew.
    pub async fn remove_two_factor(&self, user_id: i64) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = 0 WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            replace_recovery_codes(Conn::from(&mut *tx), user_id, &[]).await?;
            end_sign_ins(Conn::from(&mut *tx), user_id, None).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Notes that the browser holding this token has signed in to `user_id`.
    pub async fn remember_device(&self, token_hash: &str, user_id: i64) -> StoreResult<()> {
        let q = "INSERT INTO known_devices (token_hash, user_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (token_hash) DO NOTHING";
        write!(self, |pool| sqlx::query(q)
            .bind(token_hash)
            .bind(user_id)
            .bind(now())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// True when the browser holding this token has signed in to the account with this email.
    pub async fn device_known(&self, token_hash: &str, email: &str) -> StoreResult<bool> {
        let q = "SELECT COUNT(*) FROM known_devices d JOIN users u ON u.id = d.user_id
                 WHERE d.token_hash = $1 AND u.email = $2";
        let n: i64 = read!(self, |pool| sqlx::query_scalar(q)
            .bind(token_hash)
            .bind(email)
            .fetch_one(pool)
            .await)?;
        Ok(n > 0)
    }
}

async fn replace_recovery_codes(
    mut conn: Conn<'_>,
    user_id: i64,
    hashes: &[String],
) -> StoreResult<()> {
    super::on!(conn.reborrow(), |c| sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    for hash in hashes {
        super::on!(conn.reborrow(), |c| sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)"
        )
        .bind(user_id)
        .bind(hash)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}
