//! Idea challenges and the ideas in them.

use super::FieldErrors;
use super::text::{Slug, required_line};
use serde::{Deserialize, Serialize};

super::named! {
    /// Held for moderation, then approved (public, open to votes), shortlisted by the panel
    /// (public, scored, may become a project) or rejected with a reason.
    pub enum IdeaStatus {
        Pending = "pending",
        Approved = "approved",
        Shortlisted = "shortlisted",
        Rejected = "rejected",
    }
}

impl IdeaStatus {
    /// What the public sees and may vote on.
    pub const PUBLIC: &'static [IdeaStatus] = &[IdeaStatus::Approved, IdeaStatus::Shortlisted];

    pub fn is_public(self) -> bool {
        IdeaStatus::PUBLIC.contains(&self)
    }
}

/// A new challenge as an editor typed it.
#[derive(Debug, Deserialize, Serialize, Default)]
pub struct ChallengeInput {
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub summary: String,
    /// One criterion per line.
    #[serde(default)]
    pub criteria: String,
    #[serde(default)]
    pub opens_at: String,
    #[serde(default)]
    pub closes_at: String,
}

/// A checked challenge.
#[derive(Debug, Clone)]
pub struct NewChallenge {
    pub organisation_id: i64,
    pub title: String,
    pub slug: Slug,
    pub summary: String,
    pub criteria: Vec<String>,
    pub opens_at: i64,
    pub closes_at: i64,
}

impl ChallengeInput {
    /// Checks the form; `organisations` are the (slug, id) the editor may choose from.
    pub fn check(&self, organisations: &[(String, i64)]) -> Result<NewChallenge, FieldErrors> {
        let mut errors = FieldErrors::new();
        let org = organisations
            .iter()
            .find(|(slug, _)| *slug == self.organisation);
        if org.is_none() {
            errors.add(
                "organisation",
                "Choose an organisation you are an editor of",
            );
        }
        let title = errors.check("title", required_line(&self.title, "a title", 200));
        let slug = if self.slug.trim().is_empty() {
            title.as_deref().map(Slug::from_title)
        } else {
            errors.check("slug", Slug::parse(&self.slug))
        };
        let criteria: Vec<String> = (self.criteria.lines().map(str::trim))
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        if criteria.is_empty()
            || criteria.len() > 10
            || criteria.iter().any(|c| c.chars().count() > 100)
        {
            let message = "Give 1 to 10 criteria, one per line, each 100 characters or fewer";
            errors.add("criteria", message);
        }
        let opens = errors.check("opens_at", super::exercise::parse_instant(&self.opens_at));
        let closes = errors.check("closes_at", super::exercise::parse_instant(&self.closes_at));
        if let (Some(o), Some(c)) = (opens, closes)
            && c <= o
        {
            errors.add("closes_at", "Closing date must be after the opening date");
        }
        if self.summary.chars().count() > 2000 {
            errors.add("summary", "Summary must be 2000 characters or fewer");
        }
        match (org, title, slug, opens, closes) {
            (
                Some((_, organisation_id)),
                Some(title),
                Some(slug),
                Some(opens_at),
                Some(closes_at),
            ) if errors.is_empty() => Ok(NewChallenge {
                organisation_id: *organisation_id,
                title,
                slug,
                summary: self.summary.trim().to_string(),
                criteria,
                opens_at,
                closes_at,
            }),
            _ => Err(errors),
        }
    }
}
