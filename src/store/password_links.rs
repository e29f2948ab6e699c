//! One-time links to set a password: resets and invitations (migrations/*/0021_accounts.sql).
//! The link's token is known only to whoever receives it; the table keeps its hash.

use super::outbox::{NewMail, queue};
use super::{Conn, Db, StoreError, StoreResult, now, read, write};
use crate::domain::time::Timestamp;
use crate::domain::user::LinkPurpose;

/// A link that still works.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasswordLink {
    pub user_id: i64,
    pub purpose: LinkPurpose,
    pub expires_at: Timestamp,
}

impl Db {
    /// Makes the only working link for `user_id` (older ones stop working), with the message
    /// that carries it when there is one, in one transaction.
    pub async fn create_password_link(
        &self,
        user_id: i64,
        purpose: LinkPurpose,
        token_hash: &str,
        mail: Option<&NewMail<'_>>,
    ) -> StoreResult<Timestamp> {
        let t = now();
        let expires = t + purpose.valid_secs();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM password_links WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO password_links (token_hash, user_id, purpose, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(purpose.as_str())
            .bind(t)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
            if let Some(mail) = mail {
                queue(Conn::from(&mut *tx), mail, t).await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(expires)
    }

    /// The link with this token's hash, if it still works.
    pub async fn password_link(&self, token_hash: &str) -> StoreResult<Option<PasswordLink>> {
        let q = "SELECT user_id, purpose, expires_at FROM password_links
                 WHERE token_hash = $1 AND expires_at > $2";
        Ok(read!(self, |pool| sqlx::query_as(q)
            .bind(token_hash)
            .bind(now())
            .fetch_optional(pool)
            .await)?)
    }

    /// Uses the link: sets the password, ends every session and sign-in in progress of the
    /// user, and ends the link (and any other). `None` when the link does not work (used,
    /// replaced or expired); nothing changes then.
    pub async fn set_password_by_link(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> StoreResult<Option<PasswordLink>> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let link: Option<PasswordLink> = sqlx::query_as(
                "DELETE FROM password_links WHERE token_hash = $1 AND expires_at > $2
                 RETURNING user_id, purpose, expires_at",
            )
            .bind(token_hash)
            .bind(t)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(link) = link else {
                return Ok(None);
            };
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(link.user_id)
                .execute(&mut *tx)
                .await?;
            end_sign_ins(Conn::from(&mut *tx), link.user_id, None).await?;
            sqlx::query("DELETE FROM password_links WHERE user_id = $1")
                .bind(link.user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(Some(link))
        })
    }
}

/// Ends `user_id`'s sessions (all but `keep`, a session's hash) and sign-ins waiting for a
/// second factor.
pub(crate) async fn end_sign_ins(
    mut conn: Conn<'_>,
    user_id: i64,
    keep: Option<&str>,
) -> StoreResult<()> {
    let sessions = "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2";
    let challenges = "DELETE FROM sign_in_challenges WHERE user_id = $1";
    super::on!(conn.reborrow(), |c| sqlx::query(sessions)
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    super::on!(conn, |c| sqlx::query(challenges)
        .bind(user_id)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    Ok(())
}
