//! Pol.is export folders: `comments.csv`, `votes.csv`, `participants-votes.csv` and
//! `summary.csv`, read into typed rows and written back in the same column layout, so that a
//! read → write → read round trip gives the same rows (and, for Pol.is's own files, the same
//! bytes).
//!
//! The maths reads [`VoteData`]: [`read_votes`] builds it from `votes.csv` (plus
//! `comments.csv` for moderation) or, when there is no `votes.csv`, from the vote matrix in
//! `participants-votes.csv`.

mod files;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

pub use files::{
    read_comments, read_participants_votes, read_summary, read_votes_csv, write_comments,
    write_participants_votes, write_summary, write_votes_csv,
};

use crate::{Error, Id, Limits, Moderation, Vote, VoteData};

pub const COMMENTS: &str = "comments.csv";
pub const VOTES: &str = "votes.csv";
pub const PARTICIPANTS_VOTES: &str = "participants-votes.csv";
pub const SUMMARY: &str = "summary.csv";

/// The files of one export; a file absent from the folder is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Export {
    pub comments: Option<Vec<Comment>>,
    pub votes: Option<Vec<VoteRecord>>,
    pub participants: Option<ParticipantsVotes>,
    pub summary: Option<Summary>,
}

/// A row of `comments.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// Milliseconds since the epoch.
    pub timestamp: u64,
    /// Pol.is's human-readable time, kept verbatim.
    pub datetime: String,
    pub id: Id,
    pub author: Id,
    pub agrees: u64,
    pub disagrees: u64,
    pub moderated: Moderation,
    pub body: String,
}

/// A row of `votes.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct VoteRecord {
    pub timestamp: u64,
    pub datetime: String,
    pub statement: Id,
    pub participant: Id,
    pub vote: Vote,
}

/// `participants-votes.csv`: one row per participant, one vote column per statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParticipantsVotes {
    /// The statement ids heading the vote columns.
    pub statements: Vec<Id>,
    pub rows: Vec<ParticipantRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParticipantRow {
    pub participant: Id,
    /// Pol.is's group (0-based), `None` when the participant was not placed.
    pub group: Option<u64>,
    pub n_comments: u64,
    pub n_votes: u64,
    pub n_agree: u64,
    pub n_disagree: u64,
    /// One entry per column of [`ParticipantsVotes::statements`]; `None` = not seen.
    pub votes: Vec<Option<Vote>>,
}

/// `summary.csv`: key, value rows in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub entries: Vec<(String, String)>,
}

impl Summary {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every export file present in `dir`.
pub fn read(dir: &Path, limits: &Limits) -> Result<Export, Error> {
    let comments = read_if_present(dir, COMMENTS, limits, read_comments)?;
    let votes = read_if_present(dir, VOTES, limits, read_votes_csv)?;
    let participants = read_if_present(dir, PARTICIPANTS_VOTES, limits, read_participants_votes)?;
    let summary = read_if_present(dir, SUMMARY, limits, read_summary)?;
    if votes.is_none() && participants.is_none() {
        return Err(Error::NoVotes {
            dir: dir.to_owned(),
        });
    }
    Ok(Export {
        comments,
        votes,
        participants,
        summary,
    })
}

/// Reads `dir` straight into the vote data the maths runs on: `comments.csv` (for
/// moderation) and `votes.csv` without its human-readable times, or else
/// `participants-votes.csv`.
pub fn read_votes(dir: &Path, limits: &Limits) -> Result<VoteData, Error> {
    let votes = read_if_present(dir, VOTES, limits, files::read_votes_for_maths)?;
    let export = match votes {
        Some(votes) => Export {
            comments: read_if_present(dir, COMMENTS, limits, read_comments)?,
            votes: Some(votes),
            ..Export::default()
        },
        None => read(dir, limits)?,
    };
    export.to_vote_data(limits)
}

/// Writes every file the export holds into `dir` (which must exist).
pub fn write(dir: &Path, export: &Export) -> Result<(), Error> {
    if let Some(comments) = &export.comments {
        write_file(dir, COMMENTS, |w| write_comments(w, comments))?;
    }
    if let Some(votes) = &export.votes {
        write_file(dir, VOTES, |w| write_votes_csv(w, votes))?;
    }
    if let Some(participants) = &export.participants {
        write_file(dir, PARTICIPANTS_VOTES, |w| {
            write_participants_votes(w, participants)
        })?;
    }
    if let Some(summary) = &export.summary {
        write_file(dir, SUMMARY, |w| write_summary(w, summary))?;
    }
    Ok(())
}

impl Export {
    /// The votes for the maths. `votes.csv` is preferred: it has every vote with its time
    /// (sorted by time here, so the later of two votes on a statement wins, and the times go
    /// with the votes so that the conversation's history can be replayed); without it the
    /// final votes of `participants-votes.csv` are used, which carry no times. Statements `comments.csv` marks
    /// hidden (moderated = -1) are declared hidden and so leave the maths.
    pub fn to_vote_data(&self, limits: &Limits) -> Result<VoteData, Error> {
        let mut data = VoteData::with_limits(*limits);
        if let Some(comments) = &self.comments {
            // Declared in id order so that statements without votes still sort naturally.
            let mut sorted: Vec<&Comment> = comments.iter().collect();
            sorted.sort_by(|a, b| a.id.cmp(&b.id));
            for comment in sorted {
                data.add_statement(comment.id.clone(), comment.moderated)?;
            }
        }
        if let Some(votes) = &self.votes {
            let mut order: Vec<usize> = (0..votes.len()).collect();
            order.sort_by_key(|&i| votes[i].timestamp); // stable: same time keeps file order
            for i in order {
                let v = &votes[i];
                let (participant, statement) = (v.participant.clone(), v.statement.clone());
                data.add_vote_at(participant, statement, v.vote, v.timestamp)?;
            }
        } else if let Some(participants) = &self.participants {
            for row in &participants.rows {
                for (statement, vote) in participants.statements.iter().zip(&row.votes) {
                    if let Some(vote) = vote {
                        data.add_vote(row.participant.clone(), statement.clone(), *vote)?;
                    }
                }
            }
        }
        Ok(data)
    }

    /// Pol.is's own group for each participant it placed (from `participants-votes.csv`).
    pub fn polis_groups(&self) -> HashMap<Id, u64> {
        self.participants
            .iter()
            .flat_map(|p| &p.rows)
            .filter_map(|row| row.group.map(|g| (row.participant.clone(), g)))
            .collect()
    }
}

/// Builds `participants-votes.csv` from vote data, with `groups` (each group's members, in
/// order: the first is group 0, as `Outcome::groups` g1 is) and authorship from `comments`:
/// what an export of our own results contains.
pub fn participants_votes(
    data: &VoteData,
    comments: &[Comment],
    groups: &[Vec<Id>],
) -> ParticipantsVotes {
    let mut statements: Vec<Id> = data.statements().to_vec();
    statements.sort();
    let column: HashMap<&Id, usize> = statements
        .iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let mut participants: Vec<Id> = data.participants().to_vec();
    participants.sort();
    let row_of: HashMap<&Id, usize> = participants
        .iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let mut votes = vec![vec![None; statements.len()]; participants.len()];
    for entry in data.entries() {
        let row = row_of[&data.participants()[entry.participant as usize]];
        let col = column[&data.statements()[entry.statement as usize]];
        votes[row][col] = Some(entry.vote);
    }
    let mut authored: HashMap<&Id, u64> = HashMap::new();
    for comment in comments {
        *authored.entry(&comment.author).or_default() += 1;
    }
    let mut group_of: HashMap<&Id, u64> = HashMap::new();
    for (g, members) in groups.iter().enumerate() {
        for member in members {
            group_of.insert(member, g as u64);
        }
    }
    let rows = participants
        .iter()
        .zip(votes)
        .map(|(participant, votes)| {
            let count = |wanted: Vote| votes.iter().filter(|v| **v == Some(wanted)).count() as u64;
            ParticipantRow {
                participant: participant.clone(),
                group: group_of.get(participant).copied(),
                n_comments: authored.get(participant).copied().unwrap_or(0),
                n_votes: votes.iter().filter(|v| v.is_some()).count() as u64,
                n_agree: count(Vote::Agree),
                n_disagree: count(Vote::Disagree),
                votes,
            }
        })
        .collect();
    ParticipantsVotes { statements, rows }
}

type Reader = BufReader<File>;

fn read_if_present<T>(
    dir: &Path,
    name: &str,
    limits: &Limits,
    read: impl FnOnce(Reader, &Path, &Limits) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    let path = dir.join(name);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Io { path, source }),
    };
    let size = file
        .metadata()
        .map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?
        .len();
    if size > limits.max_file_bytes {
        return Err(Error::TooLarge {
            what: format!("{} is {size} bytes", path.display()),
            limit: limits.max_file_bytes,
        });
    }
    read(BufReader::new(file), &path, limits).map(Some)
}

fn write_file(
    dir: &Path,
    name: &str,
    write: impl FnOnce(BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), Error> {
    let path: PathBuf = dir.join(name);
    let io_error = |source| Error::Io {
        path: path.clone(),
        source,
    };
    let file = File::create(&path).map_err(io_error)?;
    write(BufWriter::new(file)).map_err(io_error)
}
