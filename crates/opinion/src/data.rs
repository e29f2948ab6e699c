//! The votes a computation reads: who voted what on which statement, and which statements a
//! moderator hid. Ids are interned to dense `u32` indices as they arrive.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Id};

/// One participant's response to one statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    Agree,
    Disagree,
    /// Seen and skipped: counts as seen (and as a vote of 0 in the maths), never as agreement.
    Pass,
}

impl Vote {
    /// Pol.is's export coding: 1 agree, -1 disagree, 0 pass.
    pub fn from_code(code: i64) -> Option<Vote> {
        match code {
            1 => Some(Vote::Agree),
            -1 => Some(Vote::Disagree),
            0 => Some(Vote::Pass),
            _ => None,
        }
    }

    pub fn code(self) -> i8 {
        match self {
            Vote::Agree => 1,
            Vote::Disagree => -1,
            Vote::Pass => 0,
        }
    }
}

/// A statement's moderation as Pol.is exports it. Only `Hidden` statements leave the maths:
/// Pol.is also counts unmoderated statements, which participants can still see and vote on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    Hidden,
    Unmoderated,
    Shown,
}

impl Moderation {
    pub fn from_code(code: i64) -> Option<Moderation> {
        match code {
            -1 => Some(Moderation::Hidden),
            0 => Some(Moderation::Unmoderated),
            1 => Some(Moderation::Shown),
            _ => None,
        }
    }

    pub fn code(self) -> i8 {
        match self {
            Moderation::Hidden => -1,
            Moderation::Unmoderated => 0,
            Moderation::Shown => 1,
        }
    }
}

/// Bounds on the work one computation may be asked to do. Inputs beyond them are refused with
/// [`Error::TooLarge`] before any large allocation, so a malformed or hostile export cannot
/// exhaust the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Vote records, superseded ones included (the reader streams and counts them).
    pub max_votes: usize,
    pub max_participants: usize,
    pub max_statements: usize,
    /// Size of any one file read from an export folder.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_votes: 10_000_000,
            // Dense indices are u32; these stay far below that so every count fits too.
            max_participants: 5_000_000,
            max_statements: 100_000,
            max_file_bytes: 2 << 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VoteEntry {
    pub participant: u32,
    pub statement: u32,
    pub vote: Vote,
}

/// Votes in the order they were cast; a later vote by the same participant on the same
/// statement replaces an earlier one.
///
/// Votes may carry the time they were cast ([`VoteData::add_vote_at`]). When every vote has
/// one, who is in the conversation is decided as Pol.is decides it over the conversation's
/// life (see the crate documentation); otherwise on the final vote counts alone.
#[derive(Clone, Debug)]
pub struct VoteData {
    participants: Vec<Id>,
    participant_index: HashMap<Id, u32>,
    statements: Vec<Id>,
    statement_index: HashMap<Id, u32>,
    hidden: Vec<bool>,
    votes: Vec<VoteEntry>,
    /// One time per vote while every vote has come with one; `None` from the first that did
    /// not (a partial history would misplace the untimed votes).
    times: Option<Vec<u64>>,
    limits: Limits,
}

impl Default for VoteData {
    fn default() -> VoteData {
        VoteData {
            participants: Vec::new(),
            participant_index: HashMap::new(),
            statements: Vec::new(),
            statement_index: HashMap::new(),
            hidden: Vec::new(),
            votes: Vec::new(),
            times: Some(Vec::new()),
            limits: Limits::default(),
        }
    }
}

impl VoteData {
    pub fn new() -> VoteData {
        VoteData::with_limits(Limits::default())
    }

    pub fn with_limits(limits: Limits) -> VoteData {
        VoteData {
            limits,
            ..VoteData::default()
        }
    }

    /// Declares a statement (also done implicitly by its first vote) and sets its moderation.
    pub fn add_statement(&mut self, statement: Id, moderation: Moderation) -> Result<(), Error> {
        let index = self.statement(statement)?;
        self.hidden[index as usize] = moderation == Moderation::Hidden;
        Ok(())
    }

    /// Records a vote; call in the order the votes were cast. Without its time the history
    /// is incomplete, so who is counted is decided on the final vote counts.
    pub fn add_vote(&mut self, participant: Id, statement: Id, vote: Vote) -> Result<(), Error> {
        self.push(participant, statement, vote)?;
        self.times = None;
        Ok(())
    }

    /// Records a vote cast at `time` (any monotonic clock, such as Pol.is's milliseconds since
    /// the epoch); call in the order the votes were cast, so times never go backwards.
    pub fn add_vote_at(
        &mut self,
        participant: Id,
        statement: Id,
        vote: Vote,
        time: u64,
    ) -> Result<(), Error> {
        if let Some(&last) = self.times.as_ref().and_then(|t| t.last())
            && time < last
        {
            return Err(Error::OutOfOrder {
                previous: last,
                time,
            });
        }
        self.push(participant, statement, vote)?;
        if let Some(times) = &mut self.times {
            times.push(time);
        }
        Ok(())
    }

    /// Whether every vote came with its time, so that the conversation's history can be
    /// replayed.
    pub fn has_times(&self) -> bool {
        self.times.is_some() && !self.votes.is_empty()
    }

    fn push(&mut self, participant: Id, statement: Id, vote: Vote) -> Result<(), Error> {
        if self.votes.len() >= self.limits.max_votes {
            return Err(too_large("votes", self.limits.max_votes));
        }
        let participant = self.participant(participant)?;
        let statement = self.statement(statement)?;
        self.votes.push(VoteEntry {
            participant,
            statement,
            vote,
        });
        Ok(())
    }

    /// Participants in the order of their first vote.
    pub fn participants(&self) -> &[Id] {
        &self.participants
    }

    /// Statements in the order they were declared or first voted on.
    pub fn statements(&self) -> &[Id] {
        &self.statements
    }

    pub fn is_hidden(&self, statement: &Id) -> bool {
        self.statement_index
            .get(statement)
            .is_some_and(|&index| self.hidden[index as usize])
    }

    /// Vote records held, superseded ones included.
    pub fn vote_records(&self) -> usize {
        self.votes.len()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub(crate) fn entries(&self) -> &[VoteEntry] {
        &self.votes
    }

    pub(crate) fn hidden_flags(&self) -> &[bool] {
        &self.hidden
    }

    /// The time of each vote in [`VoteData::entries`] order, when every vote has one.
    pub(crate) fn times(&self) -> Option<&[u64]> {
        self.times.as_deref().filter(|t| !t.is_empty())
    }

    fn participant(&mut self, id: Id) -> Result<u32, Error> {
        intern(
            id,
            &mut self.participants,
            &mut self.participant_index,
            self.limits.max_participants,
            "participants",
        )
    }

    fn statement(&mut self, id: Id) -> Result<u32, Error> {
        let index = intern(
            id,
            &mut self.statements,
            &mut self.statement_index,
            self.limits.max_statements,
            "statements",
        )?;
        if self.hidden.len() < self.statements.len() {
            self.hidden.push(false);
        }
        Ok(index)
    }
}

fn intern(
    id: Id,
    names: &mut Vec<Id>,
    index: &mut HashMap<Id, u32>,
    limit: usize,
    what: &str,
) -> Result<u32, Error> {
    if let Some(&existing) = index.get(&id) {
        return Ok(existing);
    }
    let limit = limit.min(u32::MAX as usize);
    if names.len() >= limit {
        return Err(too_large(what, limit));
    }
    let next = names.len() as u32;
    index.insert(id.clone(), next);
    names.push(id);
    Ok(next)
}

pub(crate) fn too_large(what: &str, limit: usize) -> Error {
    Error::TooLarge {
        what: format!("more than {limit} {what}"),
        limit: limit as u64,
    }
}
