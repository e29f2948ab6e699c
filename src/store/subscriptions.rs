//! E-mail subscriptions (migrations/*/0023_subscriptions.sql, docs/email.md): addresses, the
//! lists they follow, and the key their links are signed with. What they hear of is
//! `notices.rs`; the rounds that gather it into digests, `digests.rs`.

use super::outbox::{NewMail, queue};
use super::{Conn, Db, StoreError, StoreResult, now, read, write};
use crate::domain::subscription::{Frequency, List};
use crate::domain::time::Timestamp;

/// An address that follows lists.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub confirmed_at: Option<Timestamp>,
    pub refusals: i64,
    pub last_refusal: Option<String>,
    pub paused_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// One list an address follows.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Subscription {
    pub list: List,
    pub frequency: Frequency,
    pub confirmed_at: Option<Timestamp>,
}

/// Subscribers of one list, for the admin.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ListCount {
    pub list: List,
    pub confirmed: i64,
    pub pending: i64,
}

const SUBSCRIBER: &str = "id, email, confirmed_at, refusals, last_refusal, paused_at, created_at";

impl Db {
    /// Adds `choices` to `email`'s subscriptions, waiting for its confirmation (a list it
    /// already follows keeps its confirmed frequency), and makes `token_hash` the one link
    /// that confirms them, with the message that carries it, in one transaction.
    pub async fn subscribe(
        &self,
        email: &str,
        choices: &[(List, Frequency)],
        token_hash: &str,
        mail: &NewMail<'_>,
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO subscribers (email, confirm_token_hash, confirm_sent_at, created_at)
                 VALUES ($1, $2, $3, $3)
                 ON CONFLICT (email) DO UPDATE SET confirm_token_hash = excluded.confirm_token_hash,
                     confirm_sent_at = excluded.confirm_sent_at
                 RETURNING id",
            )
            .bind(email)
            .bind(token_hash)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?;
            for (list, frequency) in choices {
                sqlx::query(
                    "INSERT INTO subscriptions (subscriber_id, list, frequency, created_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (subscriber_id, list) DO UPDATE SET frequency = excluded.frequency
                     WHERE subscriptions.confirmed_at IS NULL",
                )
                .bind(id)
                .bind(list.key())
                .bind(frequency.as_str())
                .bind(t)
                .execute(&mut *tx)
                .await?;
            }
            queue(Conn::from(&mut *tx), mail, t).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Adds an address whose consent was given elsewhere (the demo's readers; a list brought
    /// from another service), confirmed already, from the next notice on.
    pub async fn add_confirmed_subscriber(
        &self,
        email: &str,
        choices: &[(List, Frequency)],
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO subscribers (email, confirmed_at, created_at) VALUES ($1, $2, $2)
                 ON CONFLICT (email) DO UPDATE SET confirmed_at = COALESCE(subscribers.confirmed_at, excluded.confirmed_at)
                 RETURNING id",
            )
            .bind(email)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?;
            for (list, frequency) in choices {
                sqlx::query(
                    "INSERT INTO subscriptions (subscriber_id, list, frequency, since_notice, confirmed_at, created_at)
                     VALUES ($1, $2, $3, (SELECT COALESCE(MAX(id), 0) FROM notices), $4, $4)
                     ON CONFLICT (subscriber_id, list) DO NOTHING",
                )
                .bind(id)
                .bind(list.key())
                .bind(frequency.as_str())
                .bind(t)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Follows the confirmation link with this token's hash: the address and its waiting
    /// subscriptions are confirmed, from the next notice on. `None` when the link does not
    /// work (used, replaced or older than `valid_secs`).
    pub async fn confirm_subscriptions(
        &self,
        token_hash: &str,
        valid_secs: i64,
    ) -> StoreResult<Option<Subscriber>> {
        let t = now();
        let q = format!(
            "UPDATE subscribers SET confirmed_at = COALESCE(confirmed_at, $1),
                 confirm_token_hash = NULL, confirm_sent_at = NULL
             WHERE confirm_token_hash = $2 AND confirm_sent_at > $3 RETURNING {SUBSCRIBER}"
        );
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let subscriber: Option<Subscriber> = sqlx::query_as(sqlx::AssertSqlSafe(q))
                .bind(t)
                .bind(token_hash)
                .bind(t - valid_secs)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(s) = &subscriber {
                sqlx::query(
                    "UPDATE subscriptions SET confirmed_at = $1,
                         since_notice = (SELECT COALESCE(MAX(id), 0) FROM notices)
                     WHERE subscriber_id = $2 AND confirmed_at IS NULL",
                )
                .bind(t)
                .bind(s.id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(subscriber)
        })
    }

    pub async fn subscriber(&self, id: i64) -> StoreResult<Option<Subscriber>> {
        let q = format!("SELECT {SUBSCRIBER} FROM subscribers WHERE id = $1");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn subscriber_by_email(&self, email: &str) -> StoreResult<Option<Subscriber>> {
        let q = format!("SELECT {SUBSCRIBER} FROM subscribers WHERE email = $1");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(email)
            .fetch_optional(pool)
            .await)?)
    }

    /// The lists an address follows, confirmed or waiting.
    pub async fn subscriptions_of(&self, subscriber_id: i64) -> StoreResult<Vec<Subscription>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT list, frequency, confirmed_at FROM subscriptions WHERE subscriber_id = $1
             ORDER BY created_at, list"
        )
        .bind(subscriber_id)
        .fetch_all(pool)
        .await)?)
    }

    /// Changes how often a confirmed subscription is sent (from the next notice on), or ends
    /// it (`None`). False when the address does not follow the list.
    pub async fn set_subscription(
        &self,
        subscriber_id: i64,
        list: List,
        frequency: Option<Frequency>,
    ) -> StoreResult<bool> {
        let n = write!(self, |pool| match frequency {
            Some(f) => sqlx::query(
                "UPDATE subscriptions SET frequency = $1,
                     since_notice = (SELECT COALESCE(MAX(id), 0) FROM notices)
                 WHERE subscriber_id = $2 AND list = $3 AND frequency <> $1"
            )
            .bind(f.as_str())
            .bind(subscriber_id)
            .bind(list.key())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
            None => sqlx::query("DELETE FROM subscriptions WHERE subscriber_id = $1 AND list = $2")
                .bind(subscriber_id)
                .bind(list.key())
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        })?;
        Ok(n > 0)
    }

    /// Ends every subscription sent at `frequency` (a digest's one-click unsubscribe).
    pub async fn end_subscriptions_at(
        &self,
        subscriber_id: i64,
        frequency: Frequency,
    ) -> StoreResult<u64> {
        Ok(write!(self, |pool| sqlx::query(
            "DELETE FROM subscriptions WHERE subscriber_id = $1 AND frequency = $2"
        )
        .bind(subscriber_id)
        .bind(frequency.as_str())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Forgets an address: its subscriptions and any message to it not sent yet go with it.
    /// False when no subscriber has it.
    pub async fn erase_subscriber(&self, email: &str) -> StoreResult<bool> {
        let n = write!(self, |pool| sqlx::query(
            "DELETE FROM subscribers WHERE email = $1"
        )
        .bind(email)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Deletes what was never confirmed by `before`: addresses, and lists added to a
    /// confirmed address. Returns the addresses deleted.
    pub async fn delete_unconfirmed(&self, before: Timestamp) -> StoreResult<u64> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM subscriptions WHERE confirmed_at IS NULL AND created_at < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query(
                "DELETE FROM subscribers WHERE confirmed_at IS NULL AND created_at < $1",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE subscribers SET confirm_token_hash = NULL, confirm_sent_at = NULL
                 WHERE confirm_sent_at < $1",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(n)
        })
    }

    /// Confirmed and waiting subscribers of every list anyone follows.
    pub async fn subscriber_counts(&self) -> StoreResult<Vec<ListCount>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT list,
                    CAST(COUNT(*) FILTER (WHERE confirmed_at IS NOT NULL) AS BIGINT) AS confirmed,
                    CAST(COUNT(*) FILTER (WHERE confirmed_at IS NULL) AS BIGINT) AS pending
             FROM subscriptions GROUP BY list ORDER BY list"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// Addresses the relay has refused (paused ones first), for the admin.
    pub async fn refused_subscribers(&self, limit: i64) -> StoreResult<Vec<Subscriber>> {
        let q = format!(
            "SELECT {SUBSCRIBER} FROM subscribers WHERE refusals > 0
             ORDER BY paused_at IS NULL, refusals DESC, id LIMIT $1"
        );
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// Sends to a paused address again (an admin's decision after it was fixed).
    pub async fn resume_subscriber(&self, id: i64) -> StoreResult<bool> {
        let n = write!(self, |pool| {
            sqlx::query(
            "UPDATE subscribers SET paused_at = NULL, refusals = 0, last_refusal = NULL WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n > 0)
    }

    /// The relay refused an address for good: counted, and after `pause_after` refusals in a
    /// row the address is paused (its waiting messages are dropped). True when it was paused.
    pub async fn subscriber_refused(
        &self,
        id: i64,
        error: &str,
        pause_after: i64,
    ) -> StoreResult<bool> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let paused: Option<bool> = sqlx::query_scalar(
                "UPDATE subscribers SET refusals = refusals + 1, last_refusal = $1,
                     paused_at = CASE WHEN refusals + 1 >= $2 THEN COALESCE(paused_at, $3) ELSE paused_at END
                 WHERE id = $4 RETURNING paused_at IS NOT NULL",
            )
            .bind(error)
            .bind(pause_after)
            .bind(t)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let paused = paused.unwrap_or(false);
            if paused {
                sqlx::query("DELETE FROM outbox WHERE subscriber_id = $1 AND sent_at IS NULL")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(paused)
        })
    }
}

impl Db {
    /// The site's key for signing subscribers' links, made once (whichever node asks first)
    /// and kept in `settings`.
    pub async fn link_signing_key(&self, fresh: &str) -> StoreResult<String> {
        write!(self, |pool| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('subscription_link_key', $1)
             ON CONFLICT (key) DO NOTHING"
        )
        .bind(fresh)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = 'subscription_link_key'"
        )
        .fetch_one(pool)
        .await)?)
    }

    /// Every organisation, category, topic and published exercise's results a reader can
    /// follow, with its name.
    pub async fn named_lists(&self) -> StoreResult<Vec<(List, String)>> {
        let rows: Vec<(String, i64, String)> = read!(self, |pool| sqlx::query_as(
            "SELECT 'organisation', id, name FROM organisations
             UNION ALL SELECT 'category', id, name FROM categories
             UNION ALL SELECT 'topic', id, name FROM topics
             UNION ALL SELECT 'results', id, title FROM exercises WHERE published"
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(kind, id, name)| {
                List::parse(&format!("{kind}:{id}")).map(|list| (list, name))
            })
            .collect())
    }
}
