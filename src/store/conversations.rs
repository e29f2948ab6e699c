//! Conversations: statements, participants and their votes (docs/deliberation.md). Rows are
//! keyed here by database id; participants and statements also carry their `number`, their id
//! in the conversation's Pol.is-format export.

use super::{Db, StoreError, StoreResult, now, read, write};
use crate::domain::conversation::StatementStatus;
use crate::domain::time::Timestamp;
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
}

/// A conversation as it begins.
pub struct NewConversation<'a> {
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

/// Rows written in one statement: well inside SQLite's 32,766 and PostgreSQL's 65,535 bound
/// values at six columns.
const BATCH: usize = 1000;

impl Db {
    /// A whole conversation brought from elsewhere (a Pol.is export): the conversation, its
    /// participants (by number, 0 the hosts), statements and votes, in one transaction, so a
    /// failed import leaves nothing behind. `progress` hears how many votes are written.
    pub async fn import_conversation(
        &self,
        conversation: &NewConversation<'_>,
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

    pub async fn conversation_by_slug(&self, slug: &str) -> StoreResult<Conversation> {
        read!(self, |pool| sqlx::query_as(
            "SELECT id, organisation_id, slug, question, summary, opens_at, closes_at, published
             FROM conversations WHERE slug = $1"
        )
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

    /// Every vote in the order cast.
    pub async fn conversation_votes(&self, conversation: i64) -> StoreResult<Vec<VoteRow>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT p.number AS participant, s.number AS statement, v.vote, v.voted_at_ms
             FROM conversation_votes v
             JOIN conversation_participants p ON p.id = v.participant_id
             JOIN conversation_statements s ON s.id = v.statement_id
             WHERE v.conversation_id = $1 ORDER BY v.voted_at_ms, v.id"
        )
        .bind(conversation)
        .fetch_all(pool)
        .await)?)
    }
}
