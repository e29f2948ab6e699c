//! What visitors do in a conversation (docs/deliberation.md): join as a participant (known by
//! a cookie), vote on statements, write statements that wait for a moderator; and what
//! moderators decide. Rows are keyed by database id inside, by the export's numbers outside.

use super::rate_limits::Limit;
use super::versions::Topic;
use super::{Db, StoreError, StoreResult, now, on, read, write};
use crate::domain::conversation::{Choice, StatementStatus};
use crate::domain::time::Timestamp;
use serde::Serialize;

/// A participant of one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Participant {
    pub id: i64,
    pub number: i64,
}

/// Whether a browser became a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Participant(Participant),
    /// `per_address` participants have already come from its address.
    Refused,
}

/// Whether a vote was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteCast {
    Counted,
    /// The statement is not one shown in this conversation.
    NoSuchStatement,
    /// Over the address's limit: nothing stored.
    TooMany,
}

/// A statement as a participant sees it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ShownStatement {
    pub number: i64,
    pub body: String,
}

/// A statement waiting for a moderator, with its conversation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PendingStatement {
    pub conversation_slug: String,
    pub question: String,
    pub organisation_id: i64,
    pub number: i64,
    pub body: String,
    pub submitted_at_ms: i64,
}

/// A statement in the admin, with its moderation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ModeratedStatement {
    pub number: i64,
    pub author: i64,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub status: StatementStatus,
    pub reason: Option<String>,
    pub votes: i64,
}

/// A new participant's number: one more than any in the conversation (0 is the hosts).
const NEXT_PARTICIPANT: &str = "SELECT COALESCE(MAX(number), 0) + 1 FROM conversation_participants
     WHERE conversation_id = $1";

impl Db {
    /// The participant a browser's cookie (its hash) is, if it has joined.
    pub async fn conversation_participant(
        &self,
        conversation: i64,
        cookie_hash: &str,
    ) -> StoreResult<Option<Participant>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT id, number FROM conversation_participants
             WHERE conversation_id = $1 AND cookie_hash = $2"
        )
        .bind(conversation)
        .bind(cookie_hash)
        .fetch_optional(pool)
        .await)?)
    }

    /// Makes the browser with `cookie_hash` a participant, unless `per_address` have already
    /// come from `address` (a hash): fresh cookies do not make more participants. A browser
    /// that has joined already stays who it was.
    pub async fn join_conversation(
        &self,
        conversation: i64,
        cookie_hash: &str,
        address: &str,
        per_address: i64,
    ) -> StoreResult<Joined> {
        // Two joins at once can both choose the same next number; the loser's insert
        // conflicts and tries again, seeing the winner's.
        for _ in 0..3 {
            let (cookie, address) = (cookie_hash.to_string(), address.to_string());
            let joined = self
                .grouped(move |mut conn| {
                    Box::pin(async move {
                        let known: Option<Participant> = on!(conn.reborrow(), |c| sqlx::query_as(
                            "SELECT id, number FROM conversation_participants
                             WHERE conversation_id = $1 AND cookie_hash = $2"
                        )
                        .bind(conversation)
                        .bind(&cookie)
                        .fetch_optional(&mut *c)
                        .await)?;
                        if let Some(p) = known {
                            return Ok(Joined::Participant(p));
                        }
                        let from_address: i64 = on!(conn.reborrow(), |c| sqlx::query_scalar(
                            "SELECT COUNT(*) FROM conversation_participants
                             WHERE conversation_id = $1 AND address = $2"
                        )
                        .bind(conversation)
                        .bind(&address)
                        .fetch_one(&mut *c)
                        .await)?;
                        if from_address >= per_address {
                            return Ok(Joined::Refused);
                        }
                        let p = on!(conn, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "INSERT INTO conversation_participants (conversation_id, number,
                             cookie_hash, address, created_at)
                             VALUES ($1, ({NEXT_PARTICIPANT}), $2, $3, $4) RETURNING id, number"
                        )))
                        .bind(conversation)
                        .bind(&cookie)
                        .bind(&address)
                        .bind(now())
                        .fetch_one(&mut *c)
                        .await)
                        .map_err(StoreError::from_sqlx)?;
                        Ok(Joined::Participant(p))
                    })
                })
                .await;
            match joined {
                Err(StoreError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(StoreError::Conflict("conversation_participants".into()))
    }

    /// Counts a hit on `limit` and, within it, stores `participant`'s vote on statement
    /// `statement` (by number) if the statement is shown: one grouped write, so a vote costs
    /// one commit shared with every other waiting.
    pub async fn cast_conversation_vote(
        &self,
        limit: Limit,
        conversation: i64,
        participant: Participant,
        statement: i64,
        choice: Choice,
    ) -> StoreResult<VoteCast> {
        let at_ms = jiff::Timestamp::now().as_millisecond();
        self.grouped(move |mut conn| {
            Box::pin(async move {
                if limit.is_passed(conn.reborrow(), now()).await? {
                    return Ok(VoteCast::TooMany);
                }
                let stored = on!(conn, |c| sqlx::query(
                    "INSERT INTO conversation_votes (conversation_id, participant_id,
                     statement_id, vote, voted_at_ms)
                     SELECT $1, $2, s.id, $3, $4 FROM conversation_statements s
                     WHERE s.conversation_id = $1 AND s.number = $5 AND s.status = 'approved'"
                )
                .bind(conversation)
                .bind(participant.id)
                .bind(choice.code())
                .bind(at_ms)
                .bind(statement)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected()))?;
                Ok(if stored == 1 {
                    VoteCast::Counted
                } else {
                    VoteCast::NoSuchStatement
                })
            })
        })
        .await
    }

    /// The shown statements `participant` has not voted on, as (number, votes so far) in
    /// number order; `None` for someone who has not joined.
    pub async fn unvoted_statements(
        &self,
        conversation: i64,
        participant: Option<Participant>,
    ) -> StoreResult<Vec<(i64, i64)>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT s.number, s.votes FROM conversation_statements s
             WHERE s.conversation_id = $1 AND s.status = 'approved' AND NOT EXISTS (
               SELECT 1 FROM conversation_votes v
               WHERE v.participant_id = $2 AND v.statement_id = s.id)
             ORDER BY s.number"
        )
        .bind(conversation)
        .bind(participant.map(|p| p.id))
        .fetch_all(pool)
        .await)?)
    }

    /// Shown statement `number`, if it is one.
    pub async fn shown_statement(
        &self,
        conversation: i64,
        number: i64,
    ) -> StoreResult<Option<ShownStatement>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT number, body FROM conversation_statements
             WHERE conversation_id = $1 AND number = $2 AND status = 'approved'"
        )
        .bind(conversation)
        .bind(number)
        .fetch_optional(pool)
        .await)?)
    }

    /// How many statements are shown.
    pub async fn shown_statement_count(&self, conversation: i64) -> StoreResult<i64> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversation_statements
             WHERE conversation_id = $1 AND status = 'approved'"
        )
        .bind(conversation)
        .fetch_one(pool)
        .await)?)
    }

    /// Shown statements, in number order.
    pub async fn shown_statements(&self, conversation: i64) -> StoreResult<Vec<ShownStatement>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT number, body FROM conversation_statements
             WHERE conversation_id = $1 AND status = 'approved' ORDER BY number"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?)
    }

    /// Every statement with its moderation, in number order, for the admin.
    pub async fn moderated_statements(
        &self,
        conversation: i64,
    ) -> StoreResult<Vec<ModeratedStatement>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT s.number, p.number AS author, s.body, s.status, s.reason, s.votes
             FROM conversation_statements s
             JOIN conversation_participants p ON p.id = s.author_id
             WHERE s.conversation_id = $1 ORDER BY s.number"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?)
    }

    /// Stores a participant's statement, to wait for a moderator; returns its number.
    pub async fn submit_conversation_statement(
        &self,
        conversation: i64,
        participant: Participant,
        body: &str,
    ) -> StoreResult<i64> {
        for _ in 0..3 {
            let body = body.to_string();
            let at_ms = jiff::Timestamp::now().as_millisecond();
            let stored = self
                .grouped(move |conn| {
                    Box::pin(async move {
                        on!(conn, |c| sqlx::query_scalar(
                            "INSERT INTO conversation_statements (conversation_id, number,
                             author_id, body, status, submitted_at_ms)
                             VALUES ($1, (SELECT COALESCE(MAX(number), -1) + 1
                               FROM conversation_statements WHERE conversation_id = $1),
                             $2, $3, 'pending', $4) RETURNING number"
                        )
                        .bind(conversation)
                        .bind(participant.id)
                        .bind(&body)
                        .bind(at_ms)
                        .fetch_one(&mut *c)
                        .await)
                        .map_err(StoreError::from_sqlx)
                    })
                })
                .await;
            match stored {
                Err(StoreError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(StoreError::Conflict("conversation_statements".into()))
    }

    /// Statements waiting for a moderator in every conversation, oldest first.
    pub async fn pending_statements(&self) -> StoreResult<Vec<PendingStatement>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT c.slug AS conversation_slug, c.question, c.organisation_id, s.number, s.body,
             s.submitted_at_ms FROM conversation_statements s
             JOIN conversations c ON c.id = s.conversation_id
             WHERE s.status = 'pending' ORDER BY s.submitted_at_ms, s.id"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// A moderator's decision on statement `number`: shown, or hidden with `reason`. A
    /// statement can be decided again (a shown one hidden later, say); the groups leave a
    /// hidden statement out at their next update.
    pub async fn decide_statement(
        &self,
        conversation: i64,
        number: i64,
        status: StatementStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        let changed = write!(self, |pool| sqlx::query(
            "UPDATE conversation_statements SET status = $1, reason = $2, decided_at = $3
             WHERE conversation_id = $4 AND number = $5"
        )
        .bind(status.as_str())
        .bind(reason)
        .bind(now())
        .bind(conversation)
        .bind(number)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        // The groups are computed again with the statement in or out.
        write!(self, |pool| sqlx::query(
            "UPDATE conversation_groups SET through_vote = 0 WHERE conversation_id = $1"
        )
        .bind(conversation)
        .execute(pool)
        .await
        .map(|_| ()))?;
        self.citing_results_changed(conversation).await
    }

    /// Raises the results of every exercise whose "you said, we did" cites `conversation`:
    /// the kept results pages show its statements and groups as they are now.
    pub(crate) async fn citing_results_changed(&self, conversation: i64) -> StoreResult<()> {
        let exercises: Vec<i64> = read!(self, |pool| sqlx::query_scalar(
            "SELECT DISTINCT exercise_id FROM result_actions WHERE conversation_id = $1"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?;
        let topics: Vec<Topic> = exercises.into_iter().map(Topic::Results).collect();
        if topics.is_empty() {
            return Ok(());
        }
        self.changed(&topics).await
    }

    pub async fn set_conversation_published(
        &self,
        conversation: i64,
        published: bool,
    ) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "UPDATE conversations SET published = $1 WHERE id = $2"
        )
        .bind(published)
        .bind(conversation)
        .execute(pool)
        .await
        .map(|_| ()))?;
        self.citing_results_changed(conversation).await
    }

    /// Results shown to the public from `at`, or taken down (`None`).
    pub async fn set_conversation_results_published(
        &self,
        conversation: i64,
        at: Option<Timestamp>,
    ) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "UPDATE conversations SET results_published_at = $1 WHERE id = $2"
        )
        .bind(at)
        .bind(conversation)
        .execute(pool)
        .await
        .map(|_| ()))?;
        self.citing_results_changed(conversation).await
    }
}
