//! The crate's one error type: every failure names what was wrong and where.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// A file could not be opened, read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file's content is not what its format requires; `line` is 1-based.
    Parse {
        file: PathBuf,
        line: u64,
        message: String,
    },
    /// The input is larger than the configured [`crate::Limits`] allow.
    TooLarge { what: String, limit: u64 },
    /// An export folder holds neither `votes.csv` nor `participants-votes.csv`.
    NoVotes { dir: PathBuf },
    /// A [`crate::Config`] value that cannot work (for example zero base clusters).
    InvalidConfig(String),
    /// A vote's time is earlier than the vote recorded before it
    /// ([`crate::VoteData::add_vote_at`] takes votes in the order they were cast).
    OutOfOrder { previous: u64, time: u64 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Parse {
                file,
                line,
                message,
            } => write!(f, "{} line {line}: {message}", file.display()),
            Error::TooLarge { what, limit } => {
                write!(f, "too large: {what} (the limit is {limit})")
            }
            Error::NoVotes { dir } => write!(
                f,
                "{}: neither votes.csv nor participants-votes.csv is there",
                dir.display()
            ),
            Error::InvalidConfig(message) => write!(f, "invalid configuration: {message}"),
            Error::OutOfOrder { previous, time } => write!(
                f,
                "votes must be added in the order they were cast: time {time} comes after {previous}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
