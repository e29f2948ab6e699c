//! E-mail subscriptions (migrations/*/0023_subscriptions.sql, docs/email.md): addresses and
//! the lists they follow, notices of what was published, and the rounds that queue their
//! messages in the outbox.
//!
//! Queueing is exactly once: a notice (or a digest round) keeps a cursor, the last subscriber
//! id queued, and each batch of messages is inserted in the transaction that moves the cursor
//! on from the value it was read at. A node that dies midway leaves the cursor where its last
//! batch committed; whichever node claims the work next goes on from there.

use super::outbox::{NewMail, queue};
use super::{Backend, Conn, Db, StoreError, StoreResult, now, on, read, write};
use crate::domain::subscription::{Digest, Frequency, List, NoticeKind};
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

/// Something published that subscribers hear of.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Notice {
    pub id: i64,
    pub kind: NoticeKind,
    /// The post, exercise, project update or analysis it is about.
    pub source_id: i64,
    pub title: String,
    pub summary: String,
    pub path: String,
    pub happened_at: Timestamp,
}

/// An address to send a notice to, with the list it follows the notice by (its one-click
/// unsubscribe leaves that list).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub subscriber_id: i64,
    pub email: String,
    pub list: List,
}

/// An address's digest: the notices new to it.
#[derive(Debug, Clone)]
pub struct DigestFor {
    pub subscriber_id: i64,
    pub email: String,
    pub notices: Vec<Notice>,
}

#[derive(sqlx::FromRow)]
struct DigestRow {
    subscriber_id: i64,
    email: String,
    #[sqlx(flatten)]
    notice: Notice,
}

/// A digest round claimed by this node.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestRound {
    pub frequency: Frequency,
    pub due_at: Timestamp,
    pub after_notice: i64,
    pub through_notice: i64,
    pub sent_through: i64,
}

/// Something the scan found published, with what it is filed under.
#[derive(Debug, Clone)]
pub struct Published {
    pub kind: NoticeKind,
    pub source_id: i64,
    pub title: String,
    pub summary: String,
    pub path: String,
    pub happened_at: Timestamp,
    pub lists: Vec<List>,
}

/// Where work that moves a cursor stands: `Moved` when the batch was queued, `Lost` when
/// another node moved the cursor first (nothing was queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    Queued,
    Lost,
}

const SUBSCRIBER: &str = "id, email, confirmed_at, refusals, last_refusal, paused_at, created_at";
const NOTICE: &str = "n.id, n.kind, n.source_id, n.title, n.summary, n.path, n.happened_at";

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

    /// Finds what was published up to `to` since the last scan (posts, consultations opening,
    /// closing and publishing results, project updates) and keeps each as a notice, once.
    /// Returns how many notices were made. Each scan looks `overlap` seconds back past where
    /// the last one stopped, so that a row whose transaction committed after a scan had
    /// passed its time is still found (a notice is made once whatever the overlap). Several
    /// nodes may scan: each inside a transaction that holds the scan's row.
    pub async fn scan_notices(&self, to: Timestamp, overlap: i64) -> StoreResult<usize> {
        let lock = match &self.backend {
            Backend::Sqlite { .. } => "",
            Backend::Postgres(_) => " FOR UPDATE",
        };
        let q = format!("SELECT scanned_to FROM notice_scan WHERE id = 1{lock}");
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let scanned_to: Timestamp = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(&mut *tx)
                .await?;
            let from = scanned_to - overlap;
            let found = published_between(Conn::from(&mut *tx), from, to).await?;
            let mut made = 0;
            for p in &found {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO notices (kind, source_id, title, summary, path, happened_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (kind, source_id) DO NOTHING RETURNING id",
                )
                .bind(p.kind.as_str())
                .bind(p.source_id)
                .bind(&p.title)
                .bind(&p.summary)
                .bind(&p.path)
                .bind(p.happened_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else { continue };
                made += 1;
                for list in &p.lists {
                    sqlx::query(
                        "INSERT INTO notice_lists (notice_id, list) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(list.key())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query("UPDATE notice_scan SET scanned_to = $1 WHERE id = 1")
                .bind(to.max(scanned_to))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(made)
        })
    }

    /// Claims the oldest notice whose immediate messages are not all queued, for `lease`
    /// seconds.
    pub async fn claim_notice(
        &self,
        at: Timestamp,
        lease: i64,
    ) -> StoreResult<Option<(Notice, i64)>> {
        let claimed: Option<(i64, i64)> = write!(self, |pool| sqlx::query_as(
            "UPDATE notices SET claimed_until = $2 WHERE id = (
                 SELECT id FROM notices WHERE done_at IS NULL
                     AND (claimed_until IS NULL OR claimed_until < $1)
                 ORDER BY id LIMIT 1)
             AND (claimed_until IS NULL OR claimed_until < $1)
             RETURNING id, sent_through"
        )
        .bind(at)
        .bind(at + lease)
        .fetch_optional(pool)
        .await)?;
        let Some((id, sent_through)) = claimed else {
            return Ok(None);
        };
        let q = format!("SELECT {NOTICE} FROM notices n WHERE n.id = $1");
        let notice: Notice = read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_one(pool)
            .await)?;
        Ok(Some((notice, sent_through)))
    }

    /// The next `limit` confirmed addresses after subscriber `after` that hear of `notice`
    /// immediately, each once however many of its lists hold the notice.
    pub async fn immediate_recipients(
        &self,
        notice: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<Recipient>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT s.subscriber_id, b.email, MIN(s.list) AS list
             FROM notice_lists nl
             JOIN subscriptions s ON s.list = nl.list
             JOIN subscribers b ON b.id = s.subscriber_id
             WHERE nl.notice_id = $1 AND s.frequency = 'immediately'
               AND s.confirmed_at IS NOT NULL AND s.since_notice < $1
               AND b.paused_at IS NULL AND s.subscriber_id > $2
             GROUP BY s.subscriber_id, b.email
             ORDER BY s.subscriber_id LIMIT $3"
        )
        .bind(notice)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
    }

    /// Queues `mails` for `notice` and moves its cursor from `from` to `to` (finishing it when
    /// `last`), if no other node moved it first.
    pub async fn queue_notice_batch(
        &self,
        notice: i64,
        (from, to): (i64, i64),
        last: bool,
        mails: &[NewMail<'_>],
    ) -> StoreResult<Batch> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE notices SET sent_through = $1,
                     done_at = CASE WHEN $2 THEN $3 ELSE NULL END
                 WHERE id = $4 AND sent_through = $5 AND done_at IS NULL",
            )
            .bind(to)
            .bind(last)
            .bind(t)
            .bind(notice)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok(Batch::Lost);
            }
            for mail in mails {
                queue(Conn::from(&mut *tx), mail, t).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(Batch::Queued)
        })
    }

    /// Opens the round of `digest` due at `due_at`, once whichever node asks: it covers the
    /// notices after the previous round's up to the latest now.
    pub async fn open_digest_round(&self, digest: Digest, due_at: Timestamp) -> StoreResult<()> {
        let frequency = digest.frequency().as_str();
        write!(self, |pool| sqlx::query(
            "INSERT INTO digest_rounds (frequency, due_at, after_notice, through_notice)
             SELECT $1, $2,
                 COALESCE((SELECT MAX(through_notice) FROM digest_rounds WHERE frequency = $1), 0),
                 COALESCE((SELECT MAX(id) FROM notices), 0)
             WHERE NOT EXISTS (SELECT 1 FROM digest_rounds WHERE frequency = $1 AND due_at >= $2)"
        )
        .bind(frequency)
        .bind(due_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Claims a digest round not finished yet, for `lease` seconds.
    pub async fn claim_digest_round(
        &self,
        at: Timestamp,
        lease: i64,
    ) -> StoreResult<Option<DigestRound>> {
        Ok(write!(self, |pool| sqlx::query_as(
            "UPDATE digest_rounds SET claimed_until = $2
             WHERE done_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1)
               AND (frequency, due_at) = (SELECT frequency, due_at FROM digest_rounds
                   WHERE done_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1)
                   ORDER BY due_at LIMIT 1)
             RETURNING frequency, due_at, after_notice, through_notice, sent_through"
        )
        .bind(at)
        .bind(at + lease)
        .fetch_optional(pool)
        .await)?)
    }

    /// The next `limit` addresses after `round.sent_through` with subscriptions at the round's
    /// frequency, and the notices of the round new to each (none for some). Returns them and
    /// the last subscriber id looked at (the cursor's next value), `None` once none are left.
    pub async fn digest_batch(
        &self,
        round: &DigestRound,
        limit: i64,
    ) -> StoreResult<Option<(Vec<DigestFor>, i64)>> {
        let frequency = round.frequency.as_str();
        let last: Option<i64> = read!(self, |pool| sqlx::query_scalar(
            "SELECT MAX(subscriber_id) FROM (SELECT DISTINCT subscriber_id FROM subscriptions
                 WHERE frequency = $1 AND confirmed_at IS NOT NULL AND subscriber_id > $2
                 ORDER BY subscriber_id LIMIT $3) batch"
        )
        .bind(frequency)
        .bind(round.sent_through)
        .bind(limit)
        .fetch_one(pool)
        .await)?;
        let Some(last) = last else { return Ok(None) };
        let q = format!(
            "SELECT s.subscriber_id, b.email, {NOTICE}
             FROM subscriptions s
             JOIN subscribers b ON b.id = s.subscriber_id
             JOIN notice_lists nl ON nl.list = s.list
             JOIN notices n ON n.id = nl.notice_id
             WHERE s.frequency = $1 AND s.confirmed_at IS NOT NULL AND b.paused_at IS NULL
               AND s.subscriber_id > $2 AND s.subscriber_id <= $3
               AND n.id > $4 AND n.id <= $5 AND n.id > s.since_notice
             GROUP BY s.subscriber_id, b.email, {NOTICE}
             ORDER BY s.subscriber_id, n.id"
        );
        let rows: Vec<DigestRow> = read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(frequency)
            .bind(round.sent_through)
            .bind(last)
            .bind(round.after_notice)
            .bind(round.through_notice)
            .fetch_all(pool)
            .await)?;
        let mut digests: Vec<DigestFor> = Vec::new();
        for DigestRow {
            subscriber_id,
            email,
            notice,
        } in rows
        {
            match digests.last_mut() {
                Some(d) if d.subscriber_id == subscriber_id => d.notices.push(notice),
                _ => digests.push(DigestFor {
                    subscriber_id,
                    email,
                    notices: vec![notice],
                }),
            }
        }
        Ok(Some((digests, last)))
    }

    /// Queues `mails` for a round and moves its cursor from `from` to `to` (finishing it when
    /// `last`), if no other node moved it first.
    pub async fn queue_digest_batch(
        &self,
        round: &DigestRound,
        (from, to): (i64, i64),
        last: bool,
        mails: &[NewMail<'_>],
    ) -> StoreResult<Batch> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE digest_rounds SET sent_through = $1,
                     done_at = CASE WHEN $2 THEN $3 ELSE NULL END
                 WHERE frequency = $4 AND due_at = $5 AND sent_through = $6 AND done_at IS NULL",
            )
            .bind(to)
            .bind(last)
            .bind(t)
            .bind(round.frequency.as_str())
            .bind(round.due_at)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok(Batch::Lost);
            }
            for mail in mails {
                queue(Conn::from(&mut *tx), mail, t).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(Batch::Queued)
        })
    }

    /// Finishes a round with no one left to send to.
    pub async fn finish_digest_round(&self, round: &DigestRound) -> StoreResult<()> {
        write!(self, |pool| {
            sqlx::query(
            "UPDATE digest_rounds SET done_at = $1 WHERE frequency = $2 AND due_at = $3 AND done_at IS NULL"
        )
        .bind(now())
        .bind(round.frequency.as_str())
        .bind(round.due_at)
        .execute(pool)
        .await
        .map(|_| ())
        })?;
        Ok(())
    }
}

/// What became public in `(from, to]`, with the lists each is filed under.
async fn published_between(
    mut conn: Conn<'_>,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<Published>> {
    type Row = (i64, String, String, String, i64, Timestamp);
    let mut found = Vec::new();

    let posts: Vec<Row> = on!(conn.reborrow(), |c| {
        sqlx::query_as(
        "SELECT id, title, summary, '/blog/' || slug, organisation_id, published_at FROM posts
         WHERE status = 'published' AND published_at > $1 AND published_at <= $2 ORDER BY published_at, id"
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await
    })?;
    for (id, title, summary, path, organisation, at) in posts {
        let mut lists = vec![List::Hub, List::Organisation(organisation)];
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT category_id FROM post_categories WHERE post_id = $1",
                id,
                List::Category,
            )
            .await?,
        );
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT topic_id FROM post_topics WHERE post_id = $1",
                id,
                List::Topic,
            )
            .await?,
        );
        found.push(Published {
            kind: NoticeKind::Post,
            source_id: id,
            title,
            summary,
            path,
            happened_at: at,
            lists,
        });
    }

    for (kind, column, suffix) in [
        (NoticeKind::ConsultationOpened, "opens_at", ""),
        (NoticeKind::ConsultationClosed, "closes_at", ""),
        (
            NoticeKind::ResultsPublished,
            "results_published_at",
            "/results",
        ),
    ] {
        let q = format!(
            "SELECT id, title, summary, '/consultations/' || slug || '{suffix}', organisation_id, {column}
             FROM exercises WHERE published AND {column} > $1 AND {column} <= $2 ORDER BY {column}, id"
        );
        let rows: Vec<Row> = on!(conn.reborrow(), |c| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *c)
            .await)?;
        for (id, title, summary, path, organisation, at) in rows {
            let mut lists = vec![
                List::Hub,
                List::Consultations,
                List::Organisation(organisation),
            ];
            if kind == NoticeKind::ResultsPublished {
                lists.push(List::Results(id));
            }
            lists.extend(
                filed(
                    conn.reborrow(),
                    "SELECT topic_id FROM exercise_topics WHERE exercise_id = $1",
                    id,
                    List::Topic,
                )
                .await?,
            );
            found.push(Published {
                kind,
                source_id: id,
                title,
                summary,
                path,
                happened_at: at,
                lists,
            });
        }
    }

    let updates: Vec<(i64, i64, String, String, String, Timestamp)> =
        on!(conn.reborrow(), |c| sqlx::query_as(
            "SELECT u.id, p.id, p.title, u.body, '/programme/projects/' || p.slug, u.created_at
         FROM project_updates u JOIN projects p ON p.id = u.project_id
         WHERE u.created_at > $1 AND u.created_at <= $2 ORDER BY u.created_at, u.id"
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await)?;
    for (id, project, title, body, path, at) in updates {
        let mut lists = vec![List::Hub, List::Programme];
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT organisation_id FROM project_organisations WHERE project_id = $1",
                project,
                List::Organisation,
            )
            .await?,
        );
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT topic_id FROM project_topics WHERE project_id = $1",
                project,
                List::Topic,
            )
            .await?,
        );
        let summary = crate::domain::text::snippet(&body, 280);
        found.push(Published {
            kind: NoticeKind::ProjectUpdate,
            source_id: id,
            title,
            summary,
            path,
            happened_at: at,
            lists,
        });
    }
    // For staff only (no list): whoever asked for an analysis hears it has finished.
    let analyses: Vec<(i64, String, String, String, Timestamp)> = on!(conn.reborrow(), |c| {
        sqlx::query_as(
            "SELECT a.id, e.title || ': ' || a.question_id,
                    CASE WHEN a.status = 'failed' THEN 'The analysis failed: ' || COALESCE(a.error, '')
                         ELSE 'Its themes are ready for you to review.' END,
                    '/admin/analyses/' || a.id, a.finished_at
             FROM analyses a JOIN exercises e ON e.id = a.exercise_id
             WHERE a.status IN ('done', 'failed') AND a.finished_at > $1 AND a.finished_at <= $2
             ORDER BY a.finished_at, a.id"
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await
    })?;
    for (id, title, summary, path, at) in analyses {
        found.push(Published {
            kind: NoticeKind::AnalysisFinished,
            source_id: id,
            title,
            summary,
            path,
            happened_at: at,
            lists: vec![],
        });
    }
    Ok(found)
}

/// The lists of one kind something is filed under: the ids `q` finds for `id`, each made a
/// list by `list` (`List::Category`, say).
async fn filed(
    conn: Conn<'_>,
    q: &'static str,
    id: i64,
    list: fn(i64) -> List,
) -> StoreResult<Vec<List>> {
    let ids: Vec<i64> = on!(conn, |c| sqlx::query_scalar(q)
        .bind(id)
        .fetch_all(&mut *c)
        .await)?;
    Ok(ids.into_iter().map(list).collect())
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
