//! Conversations in Pol.is's export format: `townhall import polis`
//! brings one in, `townhall export polis` writes one out. The `opinion` crate reads and writes
//! the files and computes the groups; this turns them into the store's rows and back.

use crate::domain::conversation::StatementStatus;
use crate::domain::time::Timestamp;
use crate::store::conversations::{Conversation, ConversationDetails, StatementRow, VoteRow};
use crate::store::{Db, StoreError};
use anyhow::{Context, Result, bail};
use opinion::polis::{Comment, Export, Summary, VoteRecord};
use opinion::{Config, Id, Limits, Vote};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// The last millisecond of the year 9999: a later "time" is a mistake in the file.
const LATEST_MS: i64 = 253_402_300_799_999;

/// What an import brought in.
#[derive(Debug)]
pub struct Imported {
    pub id: i64,
    pub participants: usize,
    pub statements: usize,
    pub votes: usize,
}

/// Brings the Pol.is export in `dir` in as a new, unpublished conversation of
/// `organisation_id` at `slug`: every participant, statement (with its moderation) and vote
/// with its time, so that the groups computed here are the groups computed from the files.
pub async fn import(
    db: &Db,
    dir: &Path,
    organisation_id: i64,
    slug: &str,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Imported> {
    let export =
        opinion::polis::read(dir, &Limits::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (Some(comments), Some(votes)) = (&export.comments, &export.votes) else {
        bail!(
            "{}: importing a conversation needs its comments.csv and votes.csv, as Pol.is exports them",
            dir.display()
        );
    };
    let statements = (comments.iter())
        .map(|c| {
            Ok(StatementRow {
                number: number(&c.id, "comments.csv: the statement")?,
                author: number(&c.author, "comments.csv: the author")?,
                body: c.body.clone(),
                status: StatementStatus::from_moderation(c.moderated),
                submitted_at_ms: milliseconds(c.timestamp)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let known: BTreeSet<i64> = statements.iter().map(|s| s.number).collect();
    if known.len() != statements.len() {
        bail!("comments.csv has the same statement id twice");
    }
    // In the order cast (the file's order for the same moment), as the maths reads them.
    let mut in_order: Vec<&VoteRecord> = votes.iter().collect();
    in_order.sort_by_key(|v| v.timestamp);
    let votes = (in_order.into_iter())
        .map(|v| {
            let statement = number(&v.statement, "votes.csv: the statement")?;
            if !known.contains(&statement) {
                bail!("votes.csv has a vote on statement {statement}, which comments.csv does not list");
            }
            Ok(VoteRow {
                participant: number(&v.participant, "votes.csv: the voter")?,
                statement,
                vote: i64::from(v.vote.code()),
                voted_at_ms: milliseconds(v.timestamp)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let participants: BTreeSet<i64> = (votes.iter().map(|v| v.participant))
        .chain(statements.iter().map(|s| s.author))
        .collect();
    let times =
        (votes.iter().map(|v| v.voted_at_ms)).chain(statements.iter().map(|s| s.submitted_at_ms));
    let (first, last) = times.fold((i64::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let summary = export.summary.unwrap_or_default();
    let question = summary.get("topic").unwrap_or(slug).trim();
    let conversation = ConversationDetails {
        organisation_id,
        slug,
        question: if question.is_empty() { slug } else { question },
        summary: summary.get("conversation-description").unwrap_or_default(),
        opens_at: Timestamp::from_secs(first.min(last) / 1000),
        // Closed: it took place elsewhere.
        closes_at: Timestamp::from_secs(last / 1000 + 1),
    };
    let participants: Vec<i64> = participants.into_iter().collect();
    let id = db
        .import_conversation(&conversation, &participants, &statements, &votes, progress)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => anyhow::anyhow!(
                "a conversation at {slug:?} exists already: choose another with --slug"
            ),
            e => e.into(),
        })?;
    Ok(Imported {
        id,
        participants: participants.len(),
        statements: statements.len(),
        votes: votes.len(),
    })
}

/// A conversation's statements and votes as the two files the maths reads (`comments.csv`,
/// and `votes.csv` in the order cast), and the id of the last vote in them. `with_times`
/// false leaves out the human-readable times, which only the files need.
pub async fn as_export(db: &Db, conversation: i64, with_times: bool) -> Result<(Export, i64)> {
    let statements = db.conversation_statements(conversation).await?;
    let mut votes = db.conversation_votes(conversation).await?;
    let through = votes.iter().map(|v| v.id).max().unwrap_or(0);
    // Stored in id order; cast in time order (ids break ties).
    votes.sort_by_key(|v| v.row.voted_at_ms);
    let shown = |ms: i64| {
        if with_times {
            datetime(ms)
        } else {
            String::new()
        }
    };
    // The latest vote of each participant on each statement, for the statements' counts.
    let mut latest: HashMap<(i64, i64), i64> = HashMap::new();
    for v in &votes {
        latest.insert((v.row.participant, v.row.statement), v.row.vote);
    }
    let mut counts: HashMap<i64, (u64, u64)> = HashMap::new();
    for (&(_, statement), &vote) in &latest {
        let (agrees, disagrees) = counts.entry(statement).or_default();
        match Vote::from_code(vote) {
            Some(Vote::Agree) => *agrees += 1,
            Some(Vote::Disagree) => *disagrees += 1,
            _ => {}
        }
    }
    let comments = (statements.iter())
        .map(|s| {
            let (agrees, disagrees) = counts.get(&s.number).copied().unwrap_or_default();
            Comment {
                timestamp: s.submitted_at_ms.max(0) as u64,
                datetime: shown(s.submitted_at_ms),
                id: Id::Number(s.number as u64),
                author: Id::Number(s.author as u64),
                agrees,
                disagrees,
                moderated: s.status.moderation(),
                body: s.body.clone(),
            }
        })
        .collect();
    let votes = (votes.iter())
        .filter_map(|v| {
            Some(VoteRecord {
                timestamp: v.row.voted_at_ms.max(0) as u64,
                datetime: shown(v.row.voted_at_ms),
                statement: Id::Number(v.row.statement as u64),
                participant: Id::Number(v.row.participant as u64),
                vote: Vote::from_code(v.row.vote)?,
            })
        })
        .collect();
    let export = Export {
        comments: Some(comments),
        votes: Some(votes),
        participants: None,
        summary: None,
    };
    Ok((export, through))
}

/// Who an export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff, and `townhall export polis`: every statement's text.
    Staff,
    /// Anyone, once results are published: the text of statements a moderator rejected, or
    /// has not approved yet, is left out (the rows stay, so the ids and votes still add up).
    Public,
}

/// `conversation` as Pol.is exports one: the files the maths reads (from [`as_export`]),
/// with `participants-votes.csv` giving `groups` (each group's members, in order) and
/// `summary.csv`.
pub fn with_groups(
    mut export: Export,
    conversation: &Conversation,
    groups: &[Vec<Id>],
    audience: Audience,
) -> Result<Export> {
    if audience == Audience::Public {
        for c in export.comments.iter_mut().flatten() {
            if c.moderated != opinion::Moderation::Shown {
                c.body.clear();
            }
        }
    }
    let data = export.to_vote_data(&Limits::default())?;
    let comments = export.comments.as_deref().unwrap_or_default();
    let participants = opinion::polis::participants_votes(&data, comments, groups);
    let commenters: BTreeSet<&Id> = comments.iter().map(|c| &c.author).collect();
    let placed: usize = groups.iter().map(Vec::len).sum();
    let entries = [
        ("topic", conversation.question.clone()),
        ("voters", data.participants().len().to_string()),
        ("voters-in-conv", placed.to_string()),
        ("commenters", commenters.len().to_string()),
        ("comments", comments.len().to_string()),
        ("groups", groups.len().to_string()),
        ("conversation-description", conversation.summary.clone()),
    ];
    export.participants = Some(participants);
    export.summary = Some(Summary {
        entries: entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    });
    Ok(export)
}

/// Writes `conversation` to `dir` (which must exist) as Pol.is exports one, with each
/// participant's group computed now from every vote (as an import of the files computes it).
pub async fn export(db: &Db, conversation: &Conversation, dir: &Path) -> Result<()> {
    let (export, _) = as_export(db, conversation.id, true).await?;
    let data = export.to_vote_data(&Limits::default())?;
    let outcome = opinion::compute(&data, None, &Config::default())?.outcome;
    let groups: Vec<Vec<Id>> = outcome.groups.into_iter().map(|g| g.members).collect();
    let export = with_groups(export, conversation, &groups, Audience::Staff)?;
    opinion::polis::write(dir, &export)
        .with_context(|| format!("cannot write the conversation to {}", dir.display()))
}

/// An id of the export as the number the store keeps: Pol.is numbers its participants and
/// statements.
fn number(id: &Id, what: &str) -> Result<i64> {
    match id {
        Id::Number(n) => i64::try_from(*n).with_context(|| format!("{what} id {n} is too large")),
        Id::Text(text) => bail!("{what} id {text:?} is not a number, as Pol.is's ids are"),
    }
}

/// A Pol.is time (milliseconds since 1970) as the store keeps it.
fn milliseconds(t: u64) -> Result<i64> {
    i64::try_from(t)
        .ok()
        .filter(|t| *t <= LATEST_MS)
        .with_context(|| format!("the time {t} is not a time (milliseconds since 1970)"))
}

/// A time as Pol.is writes it beside the milliseconds (`Mon Jul 17 16:10:15 UTC 2017`).
fn datetime(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%a %b %d %H:%M:%S UTC %Y").to_string())
        .unwrap_or_default()
}
