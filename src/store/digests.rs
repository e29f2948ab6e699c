//! Digests (docs/email.md): rounds, daily or weekly, that queue for each subscriber the
//! notices new to them, exactly once (the cursor of `notices.rs`).

use super::notices::{Batch, NOTICE, Notice};
use super::outbox::{NewMail, queue};
use super::{Conn, Db, StoreError, StoreResult, now, read, write};
use crate::domain::subscription::{Digest, Frequency};
use crate::domain::time::Timestamp;

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

impl Db {
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
