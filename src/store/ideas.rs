//! Idea challenges: ideas submitted by anyone (held for moderation), one vote per voter per
//! idea, a panel's scores against the challenge's published criteria, and a shortlist.

use super::outbox::{NewMail, queue};
use super::{Conn, Db, Json, StoreError, StoreResult, found, now, read, write};
use crate::domain::WindowState;
use crate::domain::idea::IdeaStatus;
use crate::domain::time::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Challenge {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The names of the criteria the panel scores ideas by.
    pub criteria: Json<Vec<String>>,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    /// A vote counts once confirmed from an email address, one per address per idea.
    pub votes_need_email: bool,
}

impl Challenge {
    pub fn criteria(&self) -> Vec<String> {
        self.criteria.0.clone()
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        self.state(at) == WindowState::Open
    }

    /// Whether it is open at `at`.
    pub fn state(&self, at: Timestamp) -> WindowState {
        crate::domain::window_state(self.opens_at, self.closes_at, at)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Idea {
    pub id: i64,
    pub challenge_id: i64,
    pub title: String,
    pub body: String,
    pub author_name: String,
    #[sqlx(try_from = "String")]
    pub status: IdeaStatus,
    pub reason: Option<String>,
    pub submitted_at: Timestamp,
    pub votes: i64,
    /// Votes not counted because the address they came from had given this idea as many
    /// votes as one address may.
    pub votes_refused: i64,
    /// The panel's mean score over every criterion and panel member (`None`: not scored).
    pub score: Option<f64>,
    pub scorers: i64,
}

/// A vote waiting to be confirmed from an email address.
pub struct PendingVote<'a> {
    pub idea_id: i64,
    /// The hash of the token in the link sent.
    pub token_hash: &'a str,
    /// Who votes: a hash of the email address, the same for every idea of the challenge.
    pub voter: &'a str,
    /// The hash of the address it came from, for the per-address limit.
    pub address: &'a str,
}

/// What became of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Counted,
    /// This voter had voted for the idea already.
    Already,
    /// The address it came from had given the idea as many votes as one address may.
    Refused,
}

const SELECT_CHALLENGE: &str = "SELECT c.id, c.organisation_id, o.name AS organisation_name,
                                                        c.slug, c.title, c.summary,
                                c.criteria, c.opens_at, c.closes_at, c.votes_need_email
                                FROM challenges c JOIN
                                organisations o ON o.id =
                                c.organisation_id ";

const SELECT_IDEA: &str = "SELECT i.id, i.challenge_id, i.title, i.body, i.author_name, i.status,
                                              i.reason, i.submitted_at, i.votes_refused,
                           (SELECT COUNT(*) FROM idea_votes v WHERE v.idea_id = i.id) AS votes,
                           (SELECT CAST(AVG(s.score) AS DOUBLE PRECISION) FROM idea_scores s WHERE
                           s.idea_id = i.id)
                           AS score,
                           (SELECT COUNT(DISTINCT s.user_id) FROM idea_scores s WHERE s.idea_id =
                           i.id) AS scorers
                           FROM ideas i ";

impl Db {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_challenge(
        &self,
        organisation_id: i64,
        slug: &str,
        title: &str,
        summary: &str,
        criteria: &[String],
        opens_at: Timestamp,
        closes_at: Timestamp,
    ) -> StoreResult<i64> {
        let criteria = serde_json::to_string(criteria).expect("strings serialise");
        write!(self, |pool| sqlx::query_scalar(
            "INSERT INTO challenges (organisation_id, slug, title, summary, criteria, opens_at,
             closes_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        )
        .bind(organisation_id)
        .bind(slug)
        .bind(title)
        .bind(summary)
        .bind(criteria)
        .bind(opens_at)
        .bind(closes_at)
        .bind(now())
        .fetch_one(pool)
        .await)
        .map_err(StoreError::from_sqlx)
    }

    pub async fn challenge_by_slug(&self, slug: &str) -> StoreResult<Challenge> {
        let q = format!("{SELECT_CHALLENGE} WHERE c.slug = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(slug)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    pub async fn challenges(&self) -> StoreResult<Vec<Challenge>> {
        let q = format!("{SELECT_CHALLENGE} ORDER BY c.closes_at DESC");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .fetch_all(pool)
            .await)?)
    }

    /// Stores an idea as pending; a moderator decides whether it appears.
    pub async fn submit_idea(
        &self,
        challenge_id: i64,
        title: &str,
        body: &str,
        author: &str,
    ) -> StoreResult<i64> {
        Ok(write!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO ideas (challenge_id, title, body, author_name, status, submitted_at)
                 VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
            )
            .bind(challenge_id)
            .bind(title)
            .bind(body)
            .bind(author)
            .bind(now())
            .fetch_one(pool)
            .await
        })?)
    }

    /// A challenge's ideas in the given states, most voted first.
    pub async fn ideas(
        &self,
        challenge_id: i64,
        statuses: &[IdeaStatus],
    ) -> StoreResult<Vec<Idea>> {
        let q = format!("{SELECT_IDEA} WHERE i.challenge_id = $1 ORDER BY i.id");
        let all: Vec<Idea> = read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(challenge_id)
            .fetch_all(pool)
            .await)?;
        let mut some: Vec<Idea> = all
            .into_iter()
            .filter(|i| statuses.contains(&i.status))
            .collect();
        some.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.id.cmp(&b.id)));
        Ok(some)
    }

    pub async fn idea(&self, id: i64) -> StoreResult<Idea> {
        let q = format!("{SELECT_IDEA} WHERE i.id = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Sets an idea's status (approved, rejected with a reason, shortlisted), and what site
    /// search finds of it (only a public idea is found), in one transaction.
    pub async fn decide_idea(
        &self,
        id: i64,
        status: IdeaStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE ideas SET status = $1, reason = $2, decided_at = $3 WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(reason)
            .bind(t)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            found(n)?;
            let (title, body, slug, organisation_id): (String, String, String, i64) =
                sqlx::query_as(
                    "SELECT i.title, i.body, c.slug, c.organisation_id
                     FROM ideas i JOIN challenges c ON c.id = i.challenge_id WHERE i.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let url = format!("/ideas/{slug}#idea-{id}");
            let doc = super::search::Document {
                kind: "idea",
                ref_id: id,
                organisation_id: Some(organisation_id),
                published_at: status.is_public().then_some(t),
                url: &url,
                title: &title,
                body: &body,
            };
            super::search::index(Conn::from(&mut *tx), &doc).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a vote from `voter` at `address` (a hash), in one transaction: not again for a
    /// voter who has voted for the idea, and not beyond `per_address` votes for the idea from
    /// one address (counted as refused).
    pub async fn vote(
        &self,
        idea_id: i64,
        voter: &str,
        address: &str,
        per_address: i64,
    ) -> StoreResult<Vote> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let q = "SELECT COUNT(*) FROM idea_votes WHERE idea_id = $1 AND voter = $2";
            let mine: i64 = sqlx::query_scalar(q)
                .bind(idea_id)
                .bind(voter)
                .fetch_one(&mut *tx)
                .await?;
            if mine > 0 {
                return Ok(Vote::Already);
            }
            let q = "SELECT COUNT(*) FROM idea_votes WHERE idea_id = $1 AND address = $2";
            let from_address: i64 = sqlx::query_scalar(q)
                .bind(idea_id)
                .bind(address)
                .fetch_one(&mut *tx)
                .await?;
            let outcome = if from_address >= per_address {
                let q = "UPDATE ideas SET votes_refused = votes_refused + 1 WHERE id = $1";
                sqlx::query(q).bind(idea_id).execute(&mut *tx).await?;
                Vote::Refused
            } else {
                let q = "INSERT INTO idea_votes (idea_id, voter, address, voted_at)
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
                let insert = sqlx::query(q).bind(idea_id).bind(voter).bind(address);
                insert.bind(t).execute(&mut *tx).await?;
                Vote::Counted
            };
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Whether the challenge's votes must be confirmed from an email address.
    pub async fn set_votes_need_email(&self, challenge_id: i64, need: bool) -> StoreResult<()> {
        let n = write!(self, |pool| sqlx::query(
            "UPDATE challenges SET votes_need_email = $1 WHERE id = $2"
        )
        .bind(need)
        .bind(challenge_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        found(n)
    }

    /// Keeps a vote waiting for its confirmation, with the message that carries the link, in
    /// one transaction: the vote is stored only with its way to be confirmed.
    pub async fn ask_vote_confirmation(
        &self,
        pending: &PendingVote<'_>,
        mail: &NewMail<'_>,
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO vote_confirmations (token_hash, idea_id, voter, address, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(pending.token_hash)
            .bind(pending.idea_id)
            .bind(pending.voter)
            .bind(pending.address)
            .bind(t)
            .execute(&mut *tx)
            .await?;
            queue(Conn::from(&mut *tx), mail, t).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(())
    }

    /// Takes a vote confirmation by its token's hash, if it was asked for within
    /// `valid_secs`: it works once. Returns (idea id, voter, address).
    pub async fn take_vote_confirmation(
        &self,
        token_hash: &str,
        valid_secs: i64,
    ) -> StoreResult<Option<(i64, String, String)>> {
        let since = now() - valid_secs;
        Ok(write!(self, |pool| sqlx::query_as(
            "DELETE FROM vote_confirmations WHERE token_hash = $1 AND created_at >= $2
             RETURNING idea_id, voter, address"
        )
        .bind(token_hash)
        .bind(since)
        .fetch_optional(pool)
        .await)?)
    }

    /// Every counted vote of a challenge: (idea id, when), for finding bursts.
    pub async fn vote_times(&self, challenge_id: i64) -> StoreResult<Vec<(i64, Timestamp)>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT v.idea_id, v.voted_at FROM idea_votes v JOIN ideas i ON i.id = v.idea_id
                  WHERE i.challenge_id = $1",
            )
            .bind(challenge_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The ideas this voter has voted for, among a challenge's.
    pub async fn votes_of(&self, challenge_id: i64, voter: &str) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT v.idea_id FROM idea_votes v JOIN ideas i ON i.id = v.idea_id WHERE
                 i.challenge_id = $1 AND v.voter = $2",
            )
            .bind(challenge_id)
            .bind(voter)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Records (or replaces) one panel member's scores for an idea, in one transaction.
    pub async fn score_idea(
        &self,
        idea_id: i64,
        user_id: i64,
        scores: &[(String, i64)],
    ) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (criterion, score) in scores {
                sqlx::query(
                    "INSERT INTO idea_scores (idea_id, user_id, criterion, score, scored_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (idea_id, user_id, criterion) DO UPDATE SET score =
                     excluded.score, scored_at = excluded.scored_at",
                )
                .bind(idea_id)
                .bind(user_id)
                .bind(criterion)
                .bind(score)
                .bind(t)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
