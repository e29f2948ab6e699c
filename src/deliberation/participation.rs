//! The rules for taking part in a conversation without an account: a browser is a
//! participant by its own random cookie; one address gives a conversation at most
//! `--votes-per-address` participants (fresh cookies do not make more, as for idea votes);
//! votes and statements from one address are rate limited; statements wait for a moderator.

use crate::domain::FieldErrors;
use crate::domain::conversation::{Choice, statement_text};
use crate::store::conversations::Conversation;
use crate::store::participation::{Joined, Participant, VoteCast};
use crate::store::rate_limits::Limit;
use crate::store::{Db, StoreError, now};
use std::net::IpAddr;

/// Statements one address may write in [`WINDOW_SECS`].
pub const STATEMENT_LIMIT: i64 = 5;
/// Votes one address may cast in [`WINDOW_SECS`]: several people behind one office address
/// voting on a long conversation.
pub const VOTE_LIMIT: i64 = 2000;
pub const WINDOW_SECS: i64 = 3600;

/// Why a vote or statement was not taken.
#[derive(Debug)]
pub enum Refusal {
    Closed,
    /// The browser sent no participant cookie.
    NoCookie,
    /// `per_address` participants have already come from this address.
    AddressFull(i64),
    TooMany,
    NoSuchStatement,
    Invalid(FieldErrors),
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

impl Refusal {
    /// What to tell the participant, for the refusals that are not about a field.
    pub fn message(&self) -> String {
        match self {
            Refusal::Closed => "This conversation is not taking votes or statements now.".into(),
            Refusal::NoCookie => "To take part, let this site keep its cookie (it only remembers \
                which statements you have voted on), then reload the page and try again."
                .into(),
            Refusal::AddressFull(n) => format!(
                "{n} people have already taken part from your network (such as an office or a \
                 public Wi-Fi), and one network may add no more. You can still read the \
                 conversation and its results."
            ),
            Refusal::TooMany => "Many votes or statements have come from your network in a \
                short time. Wait an hour and try again."
                .into(),
            Refusal::NoSuchStatement => "That statement is not open for votes: go back to the \
                conversation for the next one."
                .into(),
            Refusal::Invalid(_) => "Check the statement and try again.".into(),
            Refusal::Store(e) => e.to_string(),
        }
    }
}

/// The hash a participant cookie is kept as.
pub fn cookie_hash(cookie: &str) -> String {
    crate::auth::token_hash(&format!("participant:{cookie}"))
}

/// An address as kept with a participant: a hash, per conversation, enough to count
/// participants from one address and not to say whose it is.
fn address_hash(conversation: i64, ip: IpAddr) -> String {
    crate::auth::token_hash(&format!("conversation:{conversation}:{ip}"))
}

/// Someone about to take part: the conversation, their cookie and address.
pub struct Taking<'a> {
    pub conversation: &'a Conversation,
    pub cookie: Option<&'a str>,
    pub address: IpAddr,
    pub per_address: i64,
}

impl Taking<'_> {
    /// The participant this browser is, joining now if it has not.
    async fn participant(&self, db: &Db) -> Result<Participant, Refusal> {
        if !self.conversation.is_open(now()) {
            return Err(Refusal::Closed);
        }
        let Some(cookie) = self.cookie else {
            return Err(Refusal::NoCookie);
        };
        let (id, hash) = (self.conversation.id, cookie_hash(cookie));
        if let Some(p) = db.conversation_participant(id, &hash).await? {
            return Ok(p);
        }
        let address = address_hash(id, self.address);
        match db
            .join_conversation(id, &hash, &address, self.per_address)
            .await?
        {
            Joined::Participant(p) => Ok(p),
            Joined::Refused => Err(Refusal::AddressFull(self.per_address)),
        }
    }

    /// Stores a vote on statement `statement` (by number).
    pub async fn vote(&self, db: &Db, statement: i64, choice: Choice) -> Result<(), Refusal> {
        let participant = self.participant(db).await?;
        let limit = Limit {
            key: format!("conversation-vote:{}", self.address),
            window_secs: WINDOW_SECS,
            max: VOTE_LIMIT,
        };
        let id = self.conversation.id;
        match (db.cast_conversation_vote(limit, id, participant, statement, choice)).await? {
            VoteCast::Counted => Ok(()),
            VoteCast::NoSuchStatement => Err(Refusal::NoSuchStatement),
            VoteCast::TooMany => Err(Refusal::TooMany),
        }
    }

    /// Checks a statement and holds it for a moderator; returns its number. `store` false (a
    /// form's honeypot was filled) checks everything and stores nothing.
    pub async fn submit(&self, db: &Db, body: &str, store: bool) -> Result<Option<i64>, Refusal> {
        let mut errors = FieldErrors::new();
        let Some(body) = errors.check("statement", statement_text(body)) else {
            return Err(Refusal::Invalid(errors));
        };
        let key = format!("conversation-statement:{}", self.address);
        if db.rate_limit_hit(&key, WINDOW_SECS).await? > STATEMENT_LIMIT {
            return Err(Refusal::TooMany);
        }
        let participant = self.participant(db).await?;
        if !store {
            return Ok(None);
        }
        let id = self.conversation.id;
        Ok(Some(
            db.submit_conversation_statement(id, participant, &body)
                .await?,
        ))
    }
}
