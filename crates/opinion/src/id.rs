//! Participant and statement identifiers as the source system spells them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An identifier kept exactly as the export or the caller gave it.
///
/// Pol.is numbers its participants and statements, other sources may use text. Decimal digits
/// without a leading zero are held as a number so that ids sort naturally (`2` before `10`);
/// anything else stays text, so writing an id back always reproduces the original spelling.
/// Numbers sort before text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Number(u64),
    Text(String),
}

impl Id {
    /// Reads an id from its written form; the inverse of `Display`.
    pub fn parse(text: &str) -> Id {
        let canonical_number = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'));
        match canonical_number.then(|| text.parse::<u64>().ok()).flatten() {
            Some(number) => Id::Number(number),
            None => Id::Text(text.to_owned()),
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(number) => write!(f, "{number}"),
            Id::Text(text) => f.write_str(text),
        }
    }
}

impl From<u64> for Id {
    fn from(number: u64) -> Id {
        Id::Number(number)
    }
}

impl From<u32> for Id {
    fn from(number: u32) -> Id {
        Id::Number(u64::from(number))
    }
}

impl From<&str> for Id {
    fn from(text: &str) -> Id {
        Id::parse(text)
    }
}

impl From<String> for Id {
    fn from(text: String) -> Id {
        Id::parse(&text)
    }
}
