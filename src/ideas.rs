//! Idea challenges: the rules for submitting an idea, shared by the form (`web::ideas`) and the
//! API (`web::api_ideas`), so that dates, validation and the rate limit are in one place.

use crate::domain::FieldErrors;
use crate::domain::text::required_line;
use crate::store::StoreError;
use crate::store::ideas::Challenge;
use crate::store::{Db, now};
use std::net::IpAddr;

/// Ideas one address may send in [`IDEA_WINDOW_SECS`].
pub const IDEA_LIMIT: i64 = 5;
/// The rate-limit window for ideas and votes.
pub const IDEA_WINDOW_SECS: i64 = 3600;

/// An idea as sent, before checking.
pub struct NewIdea<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub name: &'a str,
}

/// Why an idea was not taken.
#[derive(Debug)]
pub enum IdeaRefusal {
    Closed,
    Invalid(FieldErrors),
    TooMany,
    Store(StoreError),
}

impl From<StoreError> for IdeaRefusal {
    fn from(e: StoreError) -> Self {
        IdeaRefusal::Store(e)
    }
}

impl IdeaRefusal {
    /// What to tell the person who sent it, for the refusals that are not about one field.
    pub const CLOSED: &str = "This challenge is not taking ideas now";
    pub const TOO_MANY: &str =
        "You have sent several ideas in a short time. Wait an hour and try again.";
}

/// Checks an idea and holds it for moderation; returns its id. `store` false (a form's
/// honeypot was filled) checks everything but stores nothing.
pub async fn submit(
    db: &Db,
    challenge: &Challenge,
    idea: NewIdea<'_>,
    address: IpAddr,
    store: bool,
) -> Result<Option<i64>, IdeaRefusal> {
    if !challenge.is_open(now()) {
        return Err(IdeaRefusal::Closed);
    }
    let mut errors = FieldErrors::new();
    let title = errors.check(
        "title",
        required_line(idea.title, "a title for your idea", 150),
    );
    let name = errors.check("name", required_line(idea.name, "your name", 100));
    let body = idea.body.trim();
    if body.is_empty() {
        errors.add("body", "Describe your idea");
    } else if body.chars().count() > 5000 {
        errors.add("body", "Your description must be 5000 characters or fewer");
    }
    let (Some(title), Some(name), true) = (title, name, errors.is_empty()) else {
        return Err(IdeaRefusal::Invalid(errors));
    };
    if db
        .rate_limit_hit(&format!("idea:{address}"), IDEA_WINDOW_SECS)
        .await?
        > IDEA_LIMIT
    {
        return Err(IdeaRefusal::TooMany);
    }
    if !store {
        return Ok(None);
    }
    Ok(Some(
        db.submit_idea(challenge.id, &title, body, &name).await?,
    ))
}
