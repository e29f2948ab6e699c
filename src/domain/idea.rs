//! Idea challenges and the ideas in them.

use super::FieldErrors;
use super::programme::{NewProject, Phase, Status};
use super::text::{Slug, required_line};
use crate::domain::time::{DateTimeInput, Timestamp, Zone, prefix_closes, prefix_opens};
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
#[serde(default)]
pub struct ChallengeInput {
    pub organisation: String,
    pub title: String,
    pub slug: String,
    pub summary: String,
    /// One criterion per line.
    pub criteria: String,
    /// When it opens and closes, typed in the site's time zone with the GOV.UK date input.
    #[serde(flatten, with = "prefix_opens")]
    pub opens: DateTimeInput,
    #[serde(flatten, with = "prefix_closes")]
    pub closes: DateTimeInput,
}

/// A checked challenge.
#[derive(Debug, Clone)]
pub struct NewChallenge {
    pub organisation_id: i64,
    pub title: String,
    pub slug: Slug,
    pub summary: String,
    pub criteria: Vec<String>,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
}

impl ChallengeInput {
    /// Checks the form; `organisations` are the (slug, id) the editor may choose from, and
    /// dates are read in `zone`.
    pub fn check(
        &self,
        organisations: &[(String, i64)],
        zone: &Zone,
    ) -> Result<NewChallenge, FieldErrors> {
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
        let window = zone.opening_window(&self.opens, &self.closes, &mut errors);
        if self.summary.chars().count() > 2000 {
            errors.add("summary", "Summary must be 2000 characters or fewer");
        }
        match (org, title, slug, window) {
            (Some((_, organisation_id)), Some(title), Some(slug), Some((opens_at, closes_at)))
                if errors.is_empty() =>
            {
                Ok(NewChallenge {
                    organisation_id: *organisation_id,
                    title,
                    slug,
                    summary: self.summary.trim().to_string(),
                    criteria,
                    opens_at,
                    closes_at,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The project a shortlisted idea becomes: in discovery and on track from `today`, for the
/// challenge's organisation, under the first slug from its title that is not `taken`. The
/// programme manager completes it in the register.
pub fn project_from_idea(
    title: &str,
    body: &str,
    organisation_id: i64,
    today: Timestamp,
    taken: impl Fn(&str) -> bool,
) -> NewProject {
    let base = Slug::from_title(title);
    let mut slug = base.clone();
    let mut n = 2;
    while taken(slug.as_str()) {
        // Shortened so that the number always fits within a slug's 80 characters.
        let suffix = format!("-{n}");
        let stem: String = base.as_str().chars().take(80 - suffix.len()).collect();
        slug = Slug::from_title(&format!("{stem}{suffix}"));
        n += 1;
    }
    NewProject {
        slug,
        title: title.to_string(),
        summary: ::sanitise::plain_text(body, 300),
        owner_team: String::new(),
        phase: Phase::Discovery,
        status: Status::OnTrack,
        start_date: Some(today),
        end_date: None,
        topics: vec![],
        commitment_ids: vec![],
        organisation_ids: vec![organisation_id],
    }
}

/// Votes for one idea arriving this close together may be one person or a group at work,
/// whatever their addresses: [`bursts`] reports them for a moderator to look at.
pub const BURST_WINDOW_SECS: i64 = 10 * 60;
/// How many votes within [`BURST_WINDOW_SECS`] make a burst.
pub const BURST_VOTES: usize = 10;

/// Many votes for one idea in a short time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Burst {
    pub idea_id: i64,
    /// The first and last vote of the burst.
    pub from: Timestamp,
    pub to: Timestamp,
    pub votes: usize,
}

/// The bursts among `votes` (idea id, when): for each idea, every run of at least
/// [`BURST_VOTES`] votes in which each vote came within [`BURST_WINDOW_SECS`] of the vote
/// [`BURST_VOTES`] − 1 places before it, so one long stampede is one burst, not many.
pub fn bursts(votes: &[(i64, Timestamp)]) -> Vec<Burst> {
    let mut by_idea: std::collections::BTreeMap<i64, Vec<Timestamp>> = Default::default();
    for (idea, at) in votes {
        by_idea.entry(*idea).or_default().push(*at);
    }
    let mut found = Vec::new();
    for (idea_id, mut times) in by_idea {
        times.sort();
        let crowded = |i: usize| {
            i + 1 >= BURST_VOTES && times[i] - times[i + 1 - BURST_VOTES] <= BURST_WINDOW_SECS
        };
        let mut i = 0;
        while i < times.len() {
            if !crowded(i) {
                i += 1;
                continue;
            }
            let start = i + 1 - BURST_VOTES;
            while i + 1 < times.len() && crowded(i + 1) {
                i += 1;
            }
            found.push(Burst {
                idea_id,
                from: times[start],
                to: times[i],
                votes: i + 1 - start,
            });
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idea_becomes_a_project_under_a_free_slug() {
        let taken = |s: &str| ["text-reminders", "text-reminders-2"].contains(&s);
        let day = Timestamp::from_secs(86_400);
        let p = project_from_idea("Text reminders", "Send a text.", 3, day, taken);
        assert_eq!(p.slug.as_str(), "text-reminders-3");
        assert_eq!((p.phase, p.organisation_ids), (Phase::Discovery, vec![3]));
        let long = "a".repeat(90);
        let p = project_from_idea(&long, "", 3, day, |s| s == "a".repeat(80));
        assert_eq!(p.slug.as_str(), format!("{}-2", "a".repeat(78)));
    }

    #[test]
    fn a_burst_is_many_votes_for_one_idea_in_minutes() {
        let t = |secs: i64| Timestamp::from(1_000_000 + secs);
        // Idea 1: a vote an hour (no burst), then 25 votes a few seconds apart.
        let mut votes: Vec<(i64, Timestamp)> = (0..5).map(|h| (1, t(h * 3600))).collect();
        votes.extend((0..25).map(|i| (1, t(20_000 + i * 7))));
        // Idea 2: nine votes in a minute is not a burst.
        votes.extend((0..9).map(|i| (2, t(i * 5))));
        let found = bursts(&votes);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].idea_id, 1);
        assert_eq!(found[0].votes, 25);
        assert_eq!(
            (found[0].from, found[0].to),
            (t(20_000), t(20_000 + 24 * 7))
        );
    }
}
