//! Opinion groups of conversations, kept up to date as votes arrive: a worker in every
//! `townhall serve` claims a conversation with votes its groups have not counted (one node at
//! a time: `Db::claim_conversation_groups`), computes the groups off the async threads,
//! warm-started from the last state (crates/opinion), and stores what the results page shows
//! (`ConversationResults`) and each statement's count of votes. Votes are acknowledged
//! without waiting for any of this.
//!
//! The worker keeps each conversation's votes in memory between updates ([`Kept`]), so an
//! update reads only the votes cast since the last: reading all 5 million votes of a large
//! conversation again takes longer than computing its groups, and a worker that did so once a
//! second would never rest. Statements' moderation is read afresh at every update (a few
//! thousand rows). Everything is read again on a node that had not kept the conversation,
//! and on PostgreSQL every [`RELOAD`]: there a vote can commit after one with a higher id was
//! read, and the full read counts it. SQLite's single writer commits votes in id order, so
//! what was kept there stays complete.

use crate::domain::conversation::results::ConversationResults;
use crate::store::conversations::{CastVote, StatementRow};
use crate::store::{Db, Engine};
use anyhow::Result;
use opinion::{Config, Id, Limits, State, Vote, VoteData};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often an idle worker looks for new votes: Pol.is updates about once a second too.
const POLL: Duration = Duration::from_secs(1);
/// The longest rest after an update: after the first update of a large conversation, which
/// reads every vote slowly on purpose, resting as long would leave its groups stale.
const MAX_REST: Duration = Duration::from_secs(5);
/// How long the votes of a conversation with no new vote are kept in memory.
const FORGET: Duration = Duration::from_secs(3600);
/// How long votes kept in memory are trusted on PostgreSQL before every vote is read again.
const RELOAD: Duration = Duration::from_secs(600);
/// How often the state an update starts from is saved too. The worker keeps it between
/// updates; the saved copy only warm-starts another node or a restart. At 100,000
/// participants it is over a megabyte, and a save holds the writer that votes wait for.
const SAVE_STATE: Duration = Duration::from_secs(60);
/// Votes read in one query when every vote is read: the database's reading thread works at
/// normal priority, so the worker rests between batches.
const READ_BATCH: i64 = 50_000;

/// A conversation's votes as the maths reads them, up to vote `through`, and where its next
/// computation starts.
pub struct Kept {
    data: VoteData,
    through: i64,
    /// The latest time among the votes: a vote stamped earlier by another node's clock is
    /// counted at this time, since the maths takes votes in time order.
    last_ms: u64,
    read_in_full_at: Instant,
    state: Option<State>,
    /// When `state` was last saved; `None` when it never was.
    state_saved_at: Option<Instant>,
    /// When the last update finished.
    updated_at: Instant,
}

impl Kept {
    /// Nothing read yet; the next computation starts from `saved` (the state last saved).
    fn new(saved: Option<State>) -> Kept {
        let saved_at = saved.is_some().then(Instant::now);
        Kept {
            data: VoteData::with_limits(Limits::default()),
            through: 0,
            last_ms: 0,
            read_in_full_at: Instant::now(),
            state: saved,
            state_saved_at: saved_at,
            updated_at: Instant::now(),
        }
    }
}

/// What a worker keeps between updates, by conversation.
#[derive(Default)]
pub struct Worker {
    kept: HashMap<i64, Kept>,
}

/// Claims and updates conversations with uncounted votes until none is left, reading every
/// vote (as a worker that has kept nothing does); returns how many were updated.
pub async fn run_pending(db: &Db) -> Result<usize> {
    Worker::default().run_pending(db).await
}

impl Worker {
    /// Claims and updates conversations with uncounted votes until none is left; returns how
    /// many were updated.
    pub async fn run_pending(&mut self, db: &Db) -> Result<usize> {
        let mut updated = 0;
        while let Some(conversation) = db.claim_conversation_groups().await? {
            self.update(db, conversation).await?;
            updated += 1;
        }
        Ok(updated)
    }

    /// Lets go of the votes kept for conversations with no new vote for [`FORGET`]: a closed
    /// or quiet conversation's votes (about 100 MB at 5 million) are read again if it wakes.
    fn forget_idle(&mut self, now: Instant) {
        self.kept
            .retain(|_, k| now.saturating_duration_since(k.updated_at) < FORGET);
    }

    /// Computes one conversation's groups from every vote, starting from where the last
    /// update left them. Reading the votes (decoding the rows), the maths and turning its
    /// results into JSON run on a thread at idle priority (`idle.rs`), so that votes arriving
    /// meanwhile are answered first.
    pub async fn update(&mut self, db: &Db, conversation: i64) -> Result<()> {
        let started = Instant::now();
        let kept = match (self.kept.remove(&conversation))
            .filter(|k| db.engine() == Engine::Sqlite || k.read_in_full_at.elapsed() < RELOAD)
        {
            Some(kept) => kept,
            None => {
                let stored = db.conversation_groups(conversation).await?;
                // A state this release cannot read (written by another version) only costs
                // a cold start.
                let saved = (stored.state.as_deref()).and_then(|s| serde_json::from_str(s).ok());
                Kept::new(saved)
            }
        };
        tracing::debug!(
            conversation,
            after = kept.through,
            "conversation groups update started"
        );
        let (runtime, db_on_idle) = (tokio::runtime::Handle::current(), db.clone());
        let (mut kept, computed) = super::idle::run(move || -> Result<_> {
            let (statements, votes) = runtime.block_on(async {
                let statements = db_on_idle.conversation_statements(conversation).await?;
                let votes = read_votes_after(&db_on_idle, conversation, kept.through).await?;
                anyhow::Ok((statements, votes))
            })?;
            let read: usize = votes.iter().map(Vec::len).sum();
            let mut kept = with_votes(kept, &statements, votes.concat())?;
            let analysis = opinion::compute(&kept.data, kept.state.as_ref(), &Config::default())?;
            let results = ConversationResults::new(&analysis.outcome, &analysis.state);
            let save_state = (kept.state_saved_at).is_none_or(|t| t.elapsed() >= SAVE_STATE);
            let state = save_state
                .then(|| serde_json::to_string(&analysis.state))
                .transpose()?;
            kept.state = Some(analysis.state);
            let votes: Vec<(i64, i64)> = (results.statements.iter())
                .map(|s| {
                    let c = s.all;
                    (s.statement, i64::from(c.agree + c.disagree + c.pass))
                })
                .collect();
            Ok((kept, (serde_json::to_string(&results)?, state, votes, read)))
        })
        .await??;
        let (results, state, votes, read) = computed;
        let through = kept.through;
        db.save_conversation_groups(conversation, through, (&results, state.as_deref()), &votes)
            .await?;
        if state.is_some() {
            kept.state_saved_at = Some(Instant::now());
        }
        kept.updated_at = Instant::now();
        self.kept.insert(conversation, kept);
        tracing::debug!(
            conversation,
            votes_read = read,
            through,
            seconds = started.elapsed().as_secs_f64(),
            state_saved = state.is_some(),
            "conversation groups updated"
        );
        Ok(())
    }
}

/// The votes cast after vote `after`, in batches of [`READ_BATCH`] with a rest after each as
/// long as it took, so that reading every vote of a large conversation (5 million rows, some
/// seconds) takes at most about half of the database's reading thread. The batches are kept
/// apart until the maths needs them in one list.
async fn read_votes_after(db: &Db, conversation: i64, after: i64) -> Result<Vec<Vec<CastVote>>> {
    let mut batches = Vec::new();
    let mut through = after;
    loop {
        let started = Instant::now();
        let batch = (db.conversation_votes_after(conversation, through, READ_BATCH)).await?;
        let Some(last) = batch.last() else {
            return Ok(batches);
        };
        through = last.id;
        let full = batch.len() as i64 == READ_BATCH;
        batches.push(batch);
        if !full {
            return Ok(batches);
        }
        tokio::time::sleep(started.elapsed()).await;
    }
}

/// `kept` with the statements' moderation as it is now and `votes`, the votes cast since
/// (every vote, when nothing was kept).
fn with_votes(
    mut kept: Kept,
    statements: &[StatementRow],
    mut votes: Vec<CastVote>,
) -> Result<Kept> {
    for s in statements {
        let id = Id::Number(u64::try_from(s.number)?);
        kept.data.add_statement(id, s.status.moderation())?;
    }
    // Cast in time order (ids break ties), as `townhall export polis` writes them.
    votes.sort_by_key(|v| (v.row.voted_at_ms, v.id));
    for v in votes {
        let Some(vote) = Vote::from_code(v.row.vote) else {
            continue;
        };
        let at = u64::try_from(v.row.voted_at_ms)
            .unwrap_or(0)
            .max(kept.last_ms);
        let participant = Id::Number(u64::try_from(v.row.participant)?);
        let statement = Id::Number(u64::try_from(v.row.statement)?);
        kept.data.add_vote_at(participant, statement, vote, at)?;
        kept.last_ms = at;
        kept.through = kept.through.max(v.id);
    }
    Ok(kept)
}

/// The worker task that `App::serve` starts. After each update it rests as long as the
/// update took (at most [`MAX_REST`]), so that on a busy conversation (new votes every
/// second) its reads and saves take at most about half of the database's time, and the
/// maths at idle priority leaves the CPU to the requests, votes among them.
pub fn spawn_worker(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut worker = Worker::default();
        loop {
            let started = Instant::now();
            let rest = match db.claim_conversation_groups().await {
                Ok(Some(conversation)) => {
                    if let Err(e) = worker.update(&db, conversation).await {
                        // What was kept of the conversation that failed is dropped with the
                        // error: the next update reads it in full.
                        tracing::error!(error = %e, "updating a conversation's groups failed");
                    }
                    started.elapsed().min(MAX_REST)
                }
                Ok(None) => POLL,
                Err(e) => {
                    tracing::error!(error = %e, "looking for conversations to update failed");
                    POLL
                }
            };
            worker.forget_idle(Instant::now());
            tokio::time::sleep(rest).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::StatementStatus;
    use crate::store::conversations::VoteRow;

    fn statements(n: i64) -> Vec<StatementRow> {
        (0..n)
            .map(|number| StatementRow {
                number,
                author: 0,
                body: String::new(),
                status: StatementStatus::Approved,
                submitted_at_ms: 0,
            })
            .collect()
    }

    /// Two camps of twelve voting opposite ways on eight statements, one vote a millisecond.
    fn votes() -> Vec<CastVote> {
        let mut all = Vec::new();
        for participant in 1..=24 {
            for statement in 0..8 {
                let agree = (participant <= 12) == (statement % 2 == 0);
                let id = all.len() as i64 + 1;
                all.push(CastVote {
                    id,
                    row: VoteRow {
                        participant,
                        statement,
                        vote: if agree { 1 } else { -1 },
                        voted_at_ms: 1_000 + id,
                    },
                });
            }
        }
        all
    }

    fn groups(kept: &Kept) -> opinion::Outcome {
        opinion::compute(&kept.data, None, &Config::default())
            .unwrap()
            .outcome
    }

    #[test]
    fn votes_kept_and_added_to_make_the_same_groups_as_every_vote_read_at_once() {
        let (all, statements) = (votes(), statements(8));
        let at_once = with_votes(Kept::new(None), &statements, all.clone()).unwrap();
        let (first, rest) = all.split_at(100);
        let kept = with_votes(Kept::new(None), &statements, first.to_vec()).unwrap();
        assert_eq!(kept.through, 100);
        let added = with_votes(kept, &statements, rest.to_vec()).unwrap();
        assert_eq!(added.through, at_once.through);
        assert_eq!(added.data.vote_records(), at_once.data.vote_records());
        assert_eq!(groups(&added), groups(&at_once));
        assert_eq!(groups(&added).groups.len(), 2);
    }

    #[test]
    fn a_conversation_quiet_for_an_hour_is_forgotten_and_a_busy_one_kept() {
        let mut worker = Worker::default();
        for conversation in [1, 2] {
            let kept = with_votes(Kept::new(None), &statements(8), votes()).unwrap();
            worker.kept.insert(conversation, kept);
        }
        let in_an_hour = Instant::now() + FORGET + Duration::from_secs(1);
        worker.kept.get_mut(&2).unwrap().updated_at = in_an_hour;
        worker.forget_idle(in_an_hour);
        assert_eq!(worker.kept.keys().collect::<Vec<_>>(), [&2]);
    }

    #[test]
    fn a_statement_rejected_later_leaves_the_kept_votes_maths() {
        let statements = statements(8);
        let kept = with_votes(Kept::new(None), &statements, votes()).unwrap();
        let mut moderated = statements.clone();
        moderated[3].status = StatementStatus::Rejected;
        let kept = with_votes(kept, &moderated, vec![]).unwrap();
        assert!(kept.data.is_hidden(&Id::Number(3)));
        let counted: Vec<Id> = (groups(&kept).statement_votes.iter())
            .map(|s| s.statement.clone())
            .collect();
        assert!(!counted.contains(&Id::Number(3)), "{counted:?}");
    }

    #[test]
    fn a_vote_stamped_earlier_by_another_clock_is_counted_in_order() {
        let statements = statements(8);
        let kept = with_votes(Kept::new(None), &statements, votes()).unwrap();
        let last = kept.last_ms;
        let late = CastVote {
            id: kept.through + 1,
            row: VoteRow {
                participant: 30,
                statement: 0,
                vote: 1,
                voted_at_ms: 5,
            },
        };
        let kept = with_votes(kept, &statements, vec![late]).unwrap();
        assert_eq!((kept.last_ms, kept.through), (last, late.id));
    }
}
