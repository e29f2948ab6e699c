//! One reader and one writer per export file. Readers check the header, every field and the
//! size limits as they stream, and report the file and 1-based line of the first problem.

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use super::{Comment, ParticipantRow, ParticipantsVotes, Summary, VoteRecord};
use crate::{Error, Id, Limits, Moderation, Vote};

const COMMENT_HEADER: [&str; 8] = [
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
];
const VOTE_HEADER: [&str; 5] = ["timestamp", "datetime", "comment-id", "voter-id", "vote"];
const PARTICIPANT_HEADER: [&str; 6] = [
    "participant",
    "group-id",
    "n-comments",
    "n-votes",
    "n-agree",
    "n-disagree",
];

pub fn read_comments(
    reader: impl Read,
    file: &Path,
    limits: &Limits,
) -> Result<Vec<Comment>, Error> {
    let mut rows = Rows::new(reader, file, true)?;
    rows.expect_header(&COMMENT_HEADER)?;
    let mut comments = Vec::new();
    while let Some(record) = rows.next_record(COMMENT_HEADER.len())? {
        if comments.len() >= limits.max_statements {
            return Err(rows.too_large("comments", limits.max_statements));
        }
        comments.push(Comment {
            timestamp: rows.number(&record, 0, "timestamp")?,
            datetime: record[1].to_owned(),
            id: rows.id(&record, 2, "comment-id")?,
            author: rows.id(&record, 3, "author-id")?,
            agrees: rows.number(&record, 4, "agrees")?,
            disagrees: rows.number(&record, 5, "disagrees")?,
            moderated: rows.code(&record, 6, "moderated", Moderation::from_code)?,
            body: record[7].to_owned(),
        });
    }
    Ok(comments)
}

pub fn read_votes_csv(
    reader: impl Read,
    file: &Path,
    limits: &Limits,
) -> Result<Vec<VoteRecord>, Error> {
    read_votes_keeping(reader, file, limits, true)
}

/// `votes.csv` for the maths only: the human-readable time column is not kept (in Pol.is's
/// exports 28 characters and an allocation a vote, more than the rest of the vote).
pub(super) fn read_votes_for_maths(
    reader: impl Read,
    file: &Path,
    limits: &Limits,
) -> Result<Vec<VoteRecord>, Error> {
    read_votes_keeping(reader, file, limits, false)
}

fn read_votes_keeping(
    reader: impl Read,
    file: &Path,
    limits: &Limits,
    keep_datetime: bool,
) -> Result<Vec<VoteRecord>, Error> {
    let mut rows = Rows::new(reader, file, true)?;
    rows.expect_header(&VOTE_HEADER)?;
    let mut votes = Vec::new();
    while let Some(record) = rows.next_record(VOTE_HEADER.len())? {
        if votes.len() >= limits.max_votes {
            return Err(rows.too_large("votes", limits.max_votes));
        }
        votes.push(VoteRecord {
            timestamp: rows.number(&record, 0, "timestamp")?,
            datetime: if keep_datetime {
                record[1].to_owned()
            } else {
                String::new()
            },
            statement: rows.id(&record, 2, "comment-id")?,
            participant: rows.id(&record, 3, "voter-id")?,
            vote: rows.code(&record, 4, "vote", Vote::from_code)?,
        });
    }
    Ok(votes)
}

pub fn read_participants_votes(
    reader: impl Read,
    file: &Path,
    limits: &Limits,
) -> Result<ParticipantsVotes, Error> {
    let mut rows = Rows::new(reader, file, true)?;
    let header = rows.header()?;
    if header.len() > PARTICIPANT_HEADER.len() + limits.max_statements {
        return Err(rows.too_large("statement columns", limits.max_statements));
    }
    if header.len() < PARTICIPANT_HEADER.len()
        || header.iter().zip(PARTICIPANT_HEADER).any(|(a, b)| a != b)
    {
        return Err(rows.error(
            1,
            format!(
                "the header must start with {}",
                PARTICIPANT_HEADER.join(",")
            ),
        ));
    }
    let statements: Vec<Id> = header
        .iter()
        .skip(PARTICIPANT_HEADER.len())
        .map(Id::parse)
        .collect();
    let mut participants = Vec::new();
    let mut cells = 0usize;
    while let Some(record) = rows.next_record(header.len())? {
        if participants.len() >= limits.max_participants {
            return Err(rows.too_large("participants", limits.max_participants));
        }
        let group = match &record[1] {
            "" => None,
            _ => Some(rows.number(&record, 1, "group-id")?),
        };
        let mut votes = Vec::with_capacity(statements.len());
        for (i, cell) in record.iter().enumerate().skip(PARTICIPANT_HEADER.len()) {
            votes.push(match cell {
                "" => None,
                _ => Some(rows.code(&record, i, "vote", Vote::from_code)?),
            });
        }
        cells += votes.iter().filter(|v| v.is_some()).count();
        if cells > limits.max_votes {
            return Err(rows.too_large("votes", limits.max_votes));
        }
        participants.push(ParticipantRow {
            participant: rows.id(&record, 0, "participant")?,
            group,
            n_comments: rows.number(&record, 2, "n-comments")?,
            n_votes: rows.number(&record, 3, "n-votes")?,
            n_agree: rows.number(&record, 4, "n-agree")?,
            n_disagree: rows.number(&record, 5, "n-disagree")?,
            votes,
        });
    }
    Ok(ParticipantsVotes {
        statements,
        rows: participants,
    })
}

pub fn read_summary(reader: impl Read, file: &Path, _limits: &Limits) -> Result<Summary, Error> {
    let mut rows = Rows::new(reader, file, false)?;
    let mut entries = Vec::new();
    while let Some(record) = rows.next_record(2)? {
        if entries.len() >= 10_000 {
            return Err(rows.too_large("summary rows", 10_000));
        }
        entries.push((record[0].to_owned(), record[1].to_owned()));
    }
    Ok(Summary { entries })
}

pub fn write_comments(writer: impl Write, comments: &[Comment]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(COMMENT_HEADER)?;
    for c in comments {
        w.write_record([
            c.timestamp.to_string(),
            c.datetime.clone(),
            c.id.to_string(),
            c.author.to_string(),
            c.agrees.to_string(),
            c.disagrees.to_string(),
            c.moderated.code().to_string(),
            c.body.clone(),
        ])?;
    }
    w.flush()
}

pub fn write_votes_csv(writer: impl Write, votes: &[VoteRecord]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(VOTE_HEADER)?;
    for v in votes {
        w.write_record([
            v.timestamp.to_string(),
            v.datetime.clone(),
            v.statement.to_string(),
            v.participant.to_string(),
            v.vote.code().to_string(),
        ])?;
    }
    w.flush()
}

pub fn write_participants_votes(
    writer: impl Write,
    table: &ParticipantsVotes,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(writer);
    let header = PARTICIPANT_HEADER
        .iter()
        .map(|s| s.to_string())
        .chain(table.statements.iter().map(Id::to_string));
    w.write_record(header)?;
    for row in &table.rows {
        let fixed = [
            row.participant.to_string(),
            row.group.map(|g| g.to_string()).unwrap_or_default(),
            row.n_comments.to_string(),
            row.n_votes.to_string(),
            row.n_agree.to_string(),
            row.n_disagree.to_string(),
        ];
        let votes = row
            .votes
            .iter()
            .map(|v| v.map(|v| v.code().to_string()).unwrap_or_default());
        w.write_record(fixed.into_iter().chain(votes))?;
    }
    w.flush()
}

pub fn write_summary(writer: impl Write, summary: &Summary) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(writer);
    for (key, value) in &summary.entries {
        w.write_record([key, value])?;
    }
    w.flush()
}

/// A CSV stream that knows its file name, for errors that say where.
struct Rows<'a, R: Read> {
    reader: csv::Reader<R>,
    file: &'a Path,
    record: csv::StringRecord,
}

impl<'a, R: Read> Rows<'a, R> {
    fn new(reader: R, file: &'a Path, has_header: bool) -> Result<Rows<'a, R>, Error> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(has_header)
            .flexible(true)
            .from_reader(reader);
        Ok(Rows {
            reader,
            file,
            record: csv::StringRecord::new(),
        })
    }

    fn header(&mut self) -> Result<csv::StringRecord, Error> {
        match self.reader.headers() {
            Ok(header) if !header.is_empty() && header != &csv::StringRecord::from(vec![""]) => {
                Ok(header.clone())
            }
            Ok(_) => Err(self.error(1, "the file is empty: no header".into())),
            Err(e) => Err(self.csv_error(e)),
        }
    }

    fn expect_header(&mut self, expected: &[&str]) -> Result<(), Error> {
        let header = self.header()?;
        if header.iter().ne(expected.iter().copied()) {
            return Err(self.error(1, format!("expected the header {}", expected.join(","))));
        }
        Ok(())
    }

    /// The next record, checked to have exactly `fields` fields.
    fn next_record(&mut self, fields: usize) -> Result<Option<csv::StringRecord>, Error> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) if self.record.len() != fields => {
                let line = self.line();
                Err(self.error(
                    line,
                    format!("expected {fields} fields, found {}", self.record.len()),
                ))
            }
            Ok(true) => Ok(Some(self.record.clone())),
            Err(e) => Err(self.csv_error(e)),
        }
    }

    fn line(&self) -> u64 {
        self.record.position().map_or(0, |p| p.line())
    }

    fn parse<T: FromStr>(
        &self,
        record: &csv::StringRecord,
        i: usize,
        name: &str,
    ) -> Result<T, Error> {
        record[i].trim().parse().map_err(|_| {
            self.error(
                self.line(),
                format!("{name} is not a valid number: {:?}", &record[i]),
            )
        })
    }

    fn number(&self, record: &csv::StringRecord, i: usize, name: &str) -> Result<u64, Error> {
        self.parse(record, i, name)
    }

    fn code<T>(
        &self,
        record: &csv::StringRecord,
        i: usize,
        name: &str,
        from: fn(i64) -> Option<T>,
    ) -> Result<T, Error> {
        let code: i64 = self.parse(record, i, name)?;
        from(code).ok_or_else(|| {
            self.error(
                self.line(),
                format!("{name} must be 1, 0 or -1, found {code}"),
            )
        })
    }

    fn id(&self, record: &csv::StringRecord, i: usize, name: &str) -> Result<Id, Error> {
        match &record[i] {
            "" => Err(self.error(self.line(), format!("{name} is empty"))),
            text => Ok(Id::parse(text)),
        }
    }

    fn error(&self, line: u64, message: String) -> Error {
        Error::Parse {
            file: self.file.to_owned(),
            line,
            message,
        }
    }

    fn csv_error(&self, e: csv::Error) -> Error {
        let line = e.position().map_or_else(|| self.line(), |p| p.line());
        self.error(line, e.to_string())
    }

    fn too_large(&self, what: &str, limit: usize) -> Error {
        Error::TooLarge {
            what: format!(
                "{} has more than {limit} {what} (line {})",
                self.file.display(),
                self.line()
            ),
            limit: limit as u64,
        }
    }
}
