//! The outbox: messages (receipts) waiting for the mail relay, claimed by one node at a time
//! (see `crate::jobs::mail` and migrations/*/0011_mail_delivery.sql).

use super::{Backend, Conn, Db, StoreResult, now, on, read, write};
use crate::domain::time::Timestamp;

/// A message to queue, in the transaction of what it is about.
#[derive(Debug, Default, Clone)]
pub struct NewMail<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    /// The plain-text part, which every message has.
    pub body: &'a str,
    /// An HTML part beside it (messages to subscribers).
    pub html: Option<&'a str>,
    /// The address a mail client's "Unsubscribe" posts to (RFC 8058).
    pub unsubscribe_url: Option<&'a str>,
    /// The subscriber it goes to: erasing the address drops it, and a refusal counts against it.
    pub subscriber_id: Option<i64>,
}

impl<'a> NewMail<'a> {
    /// A plain-text message (receipts, links to set a password).
    pub fn plain(recipient: &'a str, subject: &'a str, body: &'a str) -> NewMail<'a> {
        NewMail {
            recipient,
            subject,
            body,
            ..NewMail::default()
        }
    }
}

/// Queues `mail` on `conn` (a transaction's), to be sent from `t` on.
pub(crate) async fn queue(conn: Conn<'_>, mail: &NewMail<'_>, t: Timestamp) -> StoreResult<()> {
    let q = "INSERT INTO outbox (recipient, subject, body, html, unsubscribe_url, subscriber_id,
                                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on!(conn, |c| sqlx::query(q)
        .bind(mail.recipient)
        .bind(mail.subject)
        .bind(mail.body)
        .bind(mail.html)
        .bind(mail.unsubscribe_url)
        .bind(mail.subscriber_id)
        .bind(t)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A message claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutgoingMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub subscriber_id: Option<i64>,
    pub created_at: Timestamp,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// Messages not sent yet: waiting (for the first try or a retry) and given up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub waiting: i64,
    pub given_up: i64,
}

impl Db {
    /// Claims up to `limit` messages that are due at `at`, for `lease` seconds: no other node
    /// claims them until the lease runs out (a node that dies mid-send is retried after it).
    pub async fn claim_mail(
        &self,
        at: Timestamp,
        lease: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutgoingMail>> {
        const DUE: &str = "SELECT id FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL
                           AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <
                           $1)
                           ORDER BY id LIMIT $3";
        const CLAIM: &str =
            "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id IN";
        const RETURNING: &str =
            "RETURNING id, recipient, subject, body, html, unsubscribe_url, subscriber_id, created_at,
             attempts";
        let mut claimed: Vec<OutgoingMail> = match &self.backend {
            Backend::Sqlite { write, .. } => {
                let q = format!("{CLAIM} ({DUE}) {RETURNING}");
                sqlx::query_as(sqlx::AssertSqlSafe(q))
                    .bind(at)
                    .bind(at + lease)
                    .bind(limit)
                    .fetch_all(write)
                    .await?
            }
            Backend::Postgres(pool) => {
                let q = format!("{CLAIM} ({DUE} FOR UPDATE SKIP LOCKED) {RETURNING}");
                sqlx::query_as(sqlx::AssertSqlSafe(q))
                    .bind(at)
                    .bind(at + lease)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        };
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// A message went to the relay: it is deleted, address and all. A subscriber's address
    /// the relay took is no longer counted as refused.
    pub async fn mail_sent(&self, mail: &OutgoingMail) -> StoreResult<()> {
        write!(self, |pool| sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(mail.id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        if let Some(subscriber) = mail.subscriber_id {
            write!(self, |pool| {
                sqlx::query(
                "UPDATE subscribers SET refusals = 0 WHERE id = $1 AND refusals > 0 AND paused_at IS NULL"
            )
            .bind(subscriber)
            .execute(pool)
            .await
            .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Hands claimed messages back unsent (not counted as attempts), for any node to claim.
    pub async fn release_mail(&self, ids: &[i64]) -> StoreResult<()> {
        for id in ids {
            write!(self, |pool| sqlx::query(
                "UPDATE outbox SET claimed_until = NULL, attempts = attempts - 1 WHERE id = $1"
            )
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        }
        Ok(())
    }

    /// A send failed: try again at `retry_at`, or (`None`) give up.
    pub async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<crate::domain::time::Timestamp>,
    ) -> StoreResult<()> {
        write!(self, |pool| {
            match retry_at {
                Some(at) => sqlx::query(
                    "UPDATE outbox SET last_error = $1, next_attempt_at = $2, claimed_until = NULL,
                     sent_at = NULL
                 WHERE id = $3",
                )
                .bind(error)
                .bind(at)
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ()),
                None => sqlx::query(
                    "UPDATE outbox SET last_error = $1, gave_up_at = $2, claimed_until = NULL,
                     sent_at = NULL WHERE id = $3",
                )
                .bind(error)
                .bind(now())
                .bind(id)
                .execute(pool)
                .await
                .map(|_| ()),
            }
        })?;
        Ok(())
    }

    /// How many messages wait, and how many were given up.
    pub async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        let (waiting, given_up): (i64, i64) = read!(self, |pool| sqlx::query_as(
            "SELECT CAST(COUNT(*) FILTER (WHERE gave_up_at IS NULL) AS BIGINT),
                    CAST(COUNT(*) FILTER (WHERE gave_up_at IS NOT NULL) AS BIGINT)
             FROM outbox WHERE sent_at IS NULL"
        )
        .fetch_one(pool)
        .await)?;
        Ok(OutboxCounts { waiting, given_up })
    }

    /// Messages not sent yet, oldest first: (id, recipient, subject, body).
    pub async fn outbox(&self, limit: i64) -> StoreResult<Vec<(i64, String, String, String)>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, recipient, subject, body FROM outbox WHERE sent_at IS NULL ORDER BY id
                 LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await
        })?)
    }
}
