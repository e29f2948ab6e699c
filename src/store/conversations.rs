//! Conversations: statements, participants and their votes (docs/deliberation.md). Rows are
//! keyed here by database id; participants and statements also carry their `number`, their id
//! in the conversation's Pol.is-format export.

use super::posts::Tag;
use super::{Backend, Conn, Db, StoreError, StoreResult, TagTable, now, read, tag_id, write};
use crate::domain::conversation::results::ConversationResults;
use crate::domain::conversation::{NewConversation, StatementStatus};
use crate::domain::time::Timestamp;
use futures_util::TryStreamExt;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Conversation {
    pub id: i64,
    pub organisation_id: i64,
    pub slug: String,
    pub question: String,
    pub summary: String,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    pub published: bool,
    /// When its results were published: none until a moderator publishes them.
    pub results_published_at: Option<Timestamp>,
}

impl Conversation {
    /// Taking votes and statements at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        self.published && self.opens_at <= t && t < self.closes_at
    }
}

/// A conversation as it begins: what an import brings in.
pub struct ConversationDetails<'a> {
    pub organisation_id: i64,
    pub slug: &'a str,
    pub question: &'a str,
    pub summary: &'a str,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
}

/// A statement, by the numbers of the export.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatementRow {
    pub number: i64,
    /// The author's participant number (0: the hosts).
    pub author: i64,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub status: StatementStatus,
    pub submitted_at_ms: i64,
}

/// A vote as cast, by the numbers of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct VoteRow {
    pub participant: i64,
    pub statement: i64,
    /// 1 agree, -1 disagree, 0 pass.
    pub vote: i64,
    pub voted_at_ms: i64,
}

/// A vote with its row id, which orders the votes cast at the same millisecond and marks how
/// far the groups have counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct CastVote {
    pub id: i64,
    #[sqlx(flatten)]
    pub row: VoteRow,
}

/// A conversation's groups as last computed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredGroups {
    pub through_vote: i64,
    /// `domain::conversation::results::ConversationResults`, as JSON: what results show.
    pub outcome: Option<String>,
    /// `opinion::State`, as JSON: where the next update starts.
    pub state: Option<String>,
}

/// A node that claimed a conversation's groups and stopped (killed, say) is taken over after
/// this long.
const CLAIM_SECS: i64 = 60;

const CONVERSATION: &str = "id, organisation_id, slug, question, summary, opens_at, closes_at,
     published, results_published_at";

/// Rows written in one statement: well inside SQLite's 32,766 and PostgreSQL's 65,535 bound
/// values at six columns.
const BATCH: usize = 1000;

impl Db {
    /// A whole conversation brought from elsewhere (a Pol.is export): the conversation, its
    /// participants (by number, 0 the hosts), statements and votes, in one transaction, so a
    /// failed import leaves nothing behind. `progress` hears how many votes are written.
    pub async fn import_conversation(
        &self,
        conversation: &ConversationDetails<'_>,
        participants: &[i64],
        statements: &[StatementRow],
        votes: &[VoteRow],
        progress: &(dyn Fn(usize) + Sync),
    ) -> StoreResult<i64> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO conversations (organisation_id, slug, question, summary, opens_at,
                 closes_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(conversation.organisation_id)
            .bind(conversation.slug)
            .bind(conversation.question)
            .bind(conversation.summary)
            .bind(conversation.opens_at)
            .bind(conversation.closes_at)
            .bind(now())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
            sqlx::query("INSERT INTO conversation_groups (conversation_id) VALUES ($1)")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let hosts = (!participants.contains(&0)).then_some(0);
            let everyone: Vec<i64> = hosts
                .into_iter()
                .chain(participants.iter().copied())
                .collect();
            for chunk in everyone.chunks(BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO conversation_participants (conversation_id, number, created_at) ",
                );
                q.push_values(chunk, |mut row, number| {
                    row.push_bind(id).push_bind(number).push_bind(now());
                });
                q.build().execute(&mut *tx).await?;
            }
            let participant: HashMap<i64, i64> = sqlx::query_as(
                "SELECT number, id FROM conversation_participants WHERE conversation_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
            let known = |map: &HashMap<i64, i64>, number| {
                map.get(&number).copied().ok_or(StoreError::NotFound)
            };
            for chunk in statements.chunks(BATCH) {
                let authors = (chunk.iter())
                    .map(|s| known(&participant, s.author))
                    .collect::<StoreResult<Vec<i64>>>()?;
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO conversation_statements (conversation_id, number, author_id, body,
                     status, submitted_at_ms) ",
                );
                q.push_values(chunk.iter().zip(authors), |mut row, (s, author)| {
                    row.push_bind(id)
                        .push_bind(s.number)
                        .push_bind(author)
                        .push_bind(&s.body)
                        .push_bind(s.status.as_str())
                        .push_bind(s.submitted_at_ms);
                });
                q.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
            }
            let statement: HashMap<i64, i64> = sqlx::query_as(
                "SELECT number, id FROM conversation_statements WHERE conversation_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
            let mut written = 0;
            for chunk in votes.chunks(BATCH) {
                let ids = (chunk.iter())
                    .map(|v| {
                        Ok((
                            known(&participant, v.participant)?,
                            known(&statement, v.statement)?,
                        ))
                    })
                    .collect::<StoreResult<Vec<(i64, i64)>>>()?;
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO conversation_votes (conversation_id, participant_id, statement_id,
                     vote, voted_at_ms) ",
                );
                q.push_values(chunk.iter().zip(ids), |mut row, (v, (p, s))| {
                    row.push_bind(id)
                        .push_bind(p)
                        .push_bind(s)
                        .push_bind(v.vote)
                        .push_bind(v.voted_at_ms);
                });
                q.build().execute(&mut *tx).await?;
                written += chunk.len();
                progress(written);
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Opens a conversation (unpublished) with its topic and the hosts' opening statements,
    /// shown at once; returns its id.
    pub async fn create_conversation(&self, c: &NewConversation) -> StoreResult<i64> {
        let at_ms = jiff::Timestamp::now().as_millisecond();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO conversations (organisation_id, slug, question, summary, opens_at,
                 closes_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(c.organisation_id)
            .bind(c.slug.as_str())
            .bind(&c.question)
            .bind(&c.summary)
            .bind(c.opens_at)
            .bind(c.closes_at)
            .bind(now())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
            sqlx::query("INSERT INTO conversation_groups (conversation_id) VALUES ($1)")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let hosts: i64 = sqlx::query_scalar(
                "INSERT INTO conversation_participants (conversation_id, number, created_at)
                 VALUES ($1, 0, $2) RETURNING id",
            )
            .bind(id)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            for (number, body) in c.seeds.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO conversation_statements (conversation_id, number, author_id, body,
                     status, submitted_at_ms) VALUES ($1, $2, $3, $4, 'approved', $5)",
                )
                .bind(id)
                .bind(number as i64)
                .bind(hosts)
                .bind(body)
                .bind(at_ms)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            }
            if let Some(topic) = &c.topic {
                let topic = tag_id(Conn::from(&mut *tx), TagTable::Topics, topic).await?;
                sqlx::query(
                    "INSERT INTO conversation_topics (conversation_id, topic_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(topic)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Every conversation, latest closing first.
    pub async fn conversations(&self) -> StoreResult<Vec<Conversation>> {
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {CONVERSATION} FROM conversations ORDER BY closes_at DESC, id DESC")
        ))
        .fetch_all(pool)
        .await)?)
    }

    pub async fn conversation_topics(&self, conversation: i64) -> StoreResult<Vec<Tag>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT t.id, t.slug, t.name FROM topics t
             JOIN conversation_topics ct ON ct.topic_id = t.id
             WHERE ct.conversation_id = $1 ORDER BY t.name"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn conversation(&self, id: i64) -> StoreResult<Conversation> {
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONVERSATION} FROM conversations WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    /// The conversation's results as last computed; empty before its groups are first
    /// computed, and when they were stored by a version that wrote another shape (the next
    /// update writes them again).
    pub async fn conversation_results(
        &self,
        conversation: i64,
    ) -> StoreResult<ConversationResults> {
        let stored = self.conversation_groups(conversation).await?;
        Ok((stored.outcome.as_deref())
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default())
    }

    pub async fn conversation_by_slug(&self, slug: &str) -> StoreResult<Conversation> {
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CONVERSATION} FROM conversations WHERE slug = $1"
        )))
        .bind(slug)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Participant numbers, in order.
    pub async fn conversation_participants(&self, conversation: i64) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |pool| sqlx::query_scalar(
            "SELECT number FROM conversation_participants WHERE conversation_id = $1
             ORDER BY number"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?)
    }

    /// Statements in number order.
    pub async fn conversation_statements(
        &self,
        conversation: i64,
    ) -> StoreResult<Vec<StatementRow>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT s.number, p.number AS author, s.body, s.status, s.submitted_at_ms
             FROM conversation_statements s
             JOIN conversation_participants p ON p.id = s.author_id
             WHERE s.conversation_id = $1 ORDER BY s.number"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?)
    }

    /// Every vote, in the order stored (`CastVote::id`).
    pub async fn conversation_votes(&self, conversation: i64) -> StoreResult<Vec<CastVote>> {
        self.conversation_votes_after(conversation, 0, i64::MAX)
            .await
    }

    /// The first `limit` votes stored after vote `after`, in the order stored. The rows are
    /// decoded on the calling task, which lets other tasks run every thousand rows: a request
    /// on the same thread waits for a thousand rows, not for millions.
    pub async fn conversation_votes_after(
        &self,
        conversation: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<CastVote>> {
        const YIELD_EVERY: usize = 1000;
        let q = "SELECT v.id, p.number AS participant, s.number AS statement, v.vote,
             v.voted_at_ms FROM conversation_votes v
             JOIN conversation_participants p ON p.id = v.participant_id
             JOIN conversation_statements s ON s.id = v.statement_id
             WHERE v.conversation_id = $1 AND v.id > $2 ORDER BY v.id LIMIT $3";
        read!(self, |pool| async {
            let mut rows = sqlx::query_as(q)
                .bind(conversation)
                .bind(after)
                .bind(limit)
                .fetch(pool);
            let mut votes = Vec::new();
            while let Some(vote) = rows.try_next().await? {
                votes.push(vote);
                if votes.len() % YIELD_EVERY == 0 {
                    tokio::task::yield_now().await;
                }
            }
            Ok(votes)
        }
        .await)
    }

    /// Claims a conversation with votes its groups have not counted, for this node, unless
    /// another node holds it (for [`CLAIM_SECS`]). On PostgreSQL the row is locked with
    /// `FOR UPDATE SKIP LOCKED`, so two nodes never claim the same one; SQLite has a single
    /// writer, which serialises claims by itself.
    pub async fn claim_conversation_groups(&self) -> StoreResult<Option<i64>> {
        let t = now();
        const PENDING: &str = "SELECT g.conversation_id FROM conversation_groups g
             WHERE (g.claimed_at IS NULL OR g.claimed_at < $2) AND EXISTS (
               SELECT 1 FROM conversation_votes v WHERE v.conversation_id = g.conversation_id
               AND v.id > g.through_vote)
             ORDER BY g.conversation_id LIMIT 1";
        Ok(match &self.backend {
            Backend::Sqlite { write, .. } => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "UPDATE conversation_groups SET claimed_at = $1 WHERE conversation_id = (
                     {PENDING}) RETURNING conversation_id"
                )))
                .bind(t)
                .bind(t - CLAIM_SECS)
                .fetch_optional(write)
                .await?
            }
            Backend::Postgres(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "UPDATE conversation_groups SET claimed_at = $1 WHERE conversation_id = (
                     {PENDING} FOR UPDATE SKIP LOCKED) RETURNING conversation_id"
                )))
                .bind(t)
                .bind(t - CLAIM_SECS)
                .fetch_optional(pool)
                .await?
            }
        })
    }

    /// Where the conversation's next update of its groups starts.
    pub async fn conversation_groups(&self, conversation: i64) -> StoreResult<StoredGroups> {
        read!(self, |pool| sqlx::query_as(
            "SELECT through_vote, outcome, state FROM conversation_groups
             WHERE conversation_id = $1"
        )
        .bind(conversation)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    /// The groups computed from every vote up to `through_vote`, with how many have voted on
    /// each statement (`(number, votes)`), and the claim let go. `groups` is the results and,
    /// when it is saved this time, the state the next update starts from.
    pub async fn save_conversation_groups(
        &self,
        conversation: i64,
        through_vote: i64,
        groups: (&str, Option<&str>),
        statement_votes: &[(i64, i64)],
    ) -> StoreResult<()> {
        let (results_json, state_json) = groups;
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE conversation_groups SET through_vote = $1, outcome = $2,
                 state = COALESCE($3, state),
                 computed_at = $4, claimed_at = NULL WHERE conversation_id = $5",
            )
            .bind(through_vote)
            .bind(results_json)
            .bind(state_json)
            .bind(now())
            .bind(conversation)
            .execute(&mut *tx)
            .await?;
            // One statement per thousand rows, not one per statement: this transaction holds
            // the single writer that votes wait for.
            for chunk in statement_votes.chunks(BATCH) {
                let mut q = sqlx::QueryBuilder::new(
                    "UPDATE conversation_statements SET votes = v.column2 FROM (",
                );
                q.push_values(chunk, |mut row, &(number, votes)| {
                    row.push_bind(number).push_bind(votes);
                });
                q.push(") AS v WHERE conversation_statements.conversation_id = ")
                    .push_bind(conversation)
                    .push(
                        " AND conversation_statements.number = v.column1
                         AND conversation_statements.votes <> v.column2",
                    );
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        // Group sizes and letters cited by "you said, we did" may have changed.
        self.citing_results_changed(conversation).await
    }
}
