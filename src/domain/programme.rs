//! The programme register as people type it: strategies, themes, commitments, projects,
//! dated updates and case studies. Links to other rows are given by slug and resolved by the
//! caller against what exists (the store has the lists; this module has no SQL).

use super::FieldErrors;
use super::text::{Slug, optional_text, required_line};
use crate::domain::time::Timestamp;
use serde::Serialize;

/// Where a project is in the GOV.UK service lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Discovery,
    Alpha,
    Beta,
    Live,
    Retired,
}

super::decode_by_name!(Phase);
super::decode_by_name!(Status);

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Discovery,
        Phase::Alpha,
        Phase::Beta,
        Phase::Live,
        Phase::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Discovery => "discovery",
            Phase::Alpha => "alpha",
            Phase::Beta => "beta",
            Phase::Live => "live",
            Phase::Retired => "retired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Discovery => "Discovery",
            Phase::Alpha => "Alpha",
            Phase::Beta => "Beta",
            Phase::Live => "Live",
            Phase::Retired => "Retired",
        }
    }

    /// Accepts the value or its label, in any case ("Live", "live").
    pub fn parse(s: &str) -> Result<Phase, String> {
        let s = s.trim().to_ascii_lowercase();
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                "Phase must be one of discovery, alpha, beta, live or retired".to_string()
            })
    }
}

/// How a project is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTrack,
    AtRisk,
    OffTrack,
    Done,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::OnTrack,
        Status::AtRisk,
        Status::OffTrack,
        Status::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::OffTrack => "off_track",
            Status::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::OnTrack => "On track",
            Status::AtRisk => "At risk",
            Status::OffTrack => "Off track",
            Status::Done => "Done",
        }
    }

    /// Accepts `on_track`, `on-track` or `On track`, in any case.
    pub fn parse(s: &str) -> Result<Status, String> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Status::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| "Status must be one of on track, at risk, off track or done".to_string())
    }
}

/// The label of a phase or status value as stored (for templates and exports).
pub fn label_of(value: &str) -> &'static str {
    Phase::parse(value)
        .map(Phase::label)
        .or_else(|_| Status::parse(value).map(Status::label))
        .unwrap_or("")
}

/// `""` → `None`; `2026-11-21` → Unix seconds at midnight UTC.
pub fn parse_date(input: &str) -> Result<Option<Timestamp>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Timestamp::parse_iso_date(s)
        .map(Some)
        .ok_or_else(|| "Enter the date as YYYY-MM-DD, for example 2026-04-01".to_string())
}

fn slug_or_title(errors: &mut FieldErrors, slug: &str, title: Option<&str>) -> Option<Slug> {
    if slug.trim().is_empty() {
        title.map(Slug::from_title)
    } else {
        errors.check("slug", Slug::parse(slug))
    }
}

/// Slugs from a list (repeated form fields, or one comma-separated string), de-duplicated.
pub fn slugs(input: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in input
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct NewStrategy {
    pub slug: Slug,
    pub title: String,
    pub period: String,
    pub summary: String,
    pub body_markdown: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct StrategyInput {
    pub title: String,
    pub slug: String,
    pub period: String,
    pub summary: String,
    pub body: String,
}

impl StrategyInput {
    pub fn parse(&self) -> Result<NewStrategy, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_line(&self.title, "a title", 200));
        let slug = slug_or_title(&mut e, &self.slug, title.as_deref());
        let period = e.check("period", optional_text(&self.period, "the period", 60));
        let summary = e.check("summary", optional_text(&self.summary, "the summary", 600));
        let body = e.check(
            "body",
            optional_text(&self.body, "the text", super::post::MAX_BODY_CHARS),
        );
        match (title, slug, period, summary, body) {
            (Some(title), Some(slug), Some(period), Some(summary), Some(body_markdown))
                if e.is_empty() =>
            {
                Ok(NewStrategy {
                    slug,
                    title,
                    period,
                    summary,
                    body_markdown,
                })
            }
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewTheme {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub position: i64,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ThemeInput {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub position: String,
}

fn position(e: &mut FieldErrors, s: &str) -> i64 {
    let s = s.trim();
    if s.is_empty() {
        return 0;
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=10_000).contains(&n) => n,
        _ => {
            e.add("position", "Order must be a whole number from 0 to 10000");
            0
        }
    }
}

impl ThemeInput {
    pub fn parse(&self) -> Result<NewTheme, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_line(&self.title, "a title", 200));
        let slug = slug_or_title(&mut e, &self.slug, title.as_deref());
        let summary = e.check("summary", optional_text(&self.summary, "the summary", 1000));
        let position = position(&mut e, &self.position);
        match (title, slug, summary) {
            (Some(title), Some(slug), Some(summary)) if e.is_empty() => Ok(NewTheme {
                slug,
                title,
                summary,
                position,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCommitment {
    pub slug: Slug,
    pub title: String,
    pub body: String,
    pub action_ref: String,
    pub action_title: String,
    pub position: i64,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CommitmentInput {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub action_ref: String,
    pub action_title: String,
    pub position: String,
}

impl CommitmentInput {
    pub fn parse(&self) -> Result<NewCommitment, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_line(&self.title, "a title", 300));
        let slug = slug_or_title(&mut e, &self.slug, title.as_deref());
        let body = e.check("body", optional_text(&self.body, "the description", 5000));
        let action_ref = e.check(
            "action_ref",
            optional_text(&self.action_ref, "the action reference", 40),
        );
        let action_title = e.check(
            "action_title",
            optional_text(&self.action_title, "the action title", 300),
        );
        if action_title.as_deref().is_some_and(|t| !t.is_empty())
            && action_ref.as_deref().is_some_and(str::is_empty)
        {
            e.add(
                "action_ref",
                "Enter the reference of the action this answers, or leave both empty",
            );
        }
        let position = position(&mut e, &self.position);
        match (title, slug, body, action_ref, action_title) {
            (Some(title), Some(slug), Some(body), Some(action_ref), Some(action_title))
                if e.is_empty() =>
            {
                Ok(NewCommitment {
                    slug,
                    title,
                    body,
                    action_ref,
                    action_title,
                    position,
                })
            }
            _ => Err(e),
        }
    }
}

/// A validated project; its links are slugs for the caller to resolve.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub owner_team: String,
    pub phase: Phase,
    pub status: Status,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub topics: Vec<String>,
    /// Resolved by the caller: commitment and organisation ids.
    pub commitment_ids: Vec<i64>,
    pub organisation_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ProjectInput {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub owner_team: String,
    pub phase: String,
    pub status: String,
    pub start_date: String,
    pub end_date: String,
    pub topics: String,
    pub commitments: Vec<String>,
    pub organisations: Vec<String>,
}

impl ProjectInput {
    /// Checks the fields; `commitments` and `organisations` are (slug, id) pairs that exist.
    pub fn parse(
        &self,
        commitments: &[(String, i64)],
        organisations: &[(String, i64)],
    ) -> Result<NewProject, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_line(&self.title, "a title", 200));
        let slug = slug_or_title(&mut e, &self.slug, title.as_deref());
        let summary = e.check("summary", optional_text(&self.summary, "the summary", 1000));
        let owner_team = e.check(
            "owner_team",
            optional_text(&self.owner_team, "the owner team", 120),
        );
        let phase = e.check("phase", Phase::parse(&self.phase));
        let status = e.check("status", Status::parse(&self.status));
        let start_date = e.check("start_date", parse_date(&self.start_date));
        let end_date = e.check("end_date", parse_date(&self.end_date));
        if let (Some(Some(s)), Some(Some(end))) = (start_date, end_date)
            && end < s
        {
            e.add(
                "end_date",
                "The end date must be on or after the start date",
            );
        }
        let topics = e.check(
            "topics",
            super::post::clean_names(std::slice::from_ref(&self.topics), "topic"),
        );
        let resolve = |e: &mut FieldErrors,
                       field: &str,
                       what: &str,
                       given: &[String],
                       known: &[(String, i64)]| {
            let mut ids = Vec::new();
            for s in slugs(given) {
                match known.iter().find(|(k, _)| *k == s) {
                    Some((_, id)) => ids.push(*id),
                    None => e.add(field, format!("There is no {what} called {s:?}")),
                }
            }
            if ids.is_empty() {
                e.add(field, format!("Choose at least one {what}"));
            }
            ids
        };
        let commitment_ids = resolve(
            &mut e,
            "commitments",
            "commitment",
            &self.commitments,
            commitments,
        );
        let organisation_ids = resolve(
            &mut e,
            "organisations",
            "organisation",
            &self.organisations,
            organisations,
        );
        match (
            title, slug, summary, owner_team, phase, status, start_date, end_date, topics,
        ) {
            (
                Some(title),
                Some(slug),
                Some(summary),
                Some(owner_team),
                Some(phase),
                Some(status),
                Some(start_date),
                Some(end_date),
                Some(topics),
            ) if e.is_empty() => Ok(NewProject {
                slug,
                title,
                summary,
                owner_team,
                phase,
                status,
                start_date,
                end_date,
                topics,
                commitment_ids,
                organisation_ids,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub dated: Timestamp,
    pub body: String,
    pub phase: Option<Phase>,
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct UpdateInput {
    pub dated: String,
    pub body: String,
    pub phase: String,
    pub status: String,
}

impl UpdateInput {
    pub fn parse(&self) -> Result<NewUpdate, FieldErrors> {
        let mut e = FieldErrors::new();
        let dated = match e.check("dated", parse_date(&self.dated)) {
            Some(Some(d)) => Some(d),
            Some(None) => {
                e.add("dated", "Enter the date of the update");
                None
            }
            None => None,
        };
        let body = if self.body.trim().is_empty() {
            e.add("body", "Enter what happened");
            None
        } else {
            e.check("body", optional_text(&self.body, "the update", 5000))
        };
        let phase = if self.phase.trim().is_empty() {
            Some(None)
        } else {
            e.check("phase", Phase::parse(&self.phase).map(Some))
        };
        let status = if self.status.trim().is_empty() {
            Some(None)
        } else {
            e.check("status", Status::parse(&self.status).map(Some))
        };
        match (dated, body, phase, status) {
            (Some(dated), Some(body), Some(phase), Some(status)) if e.is_empty() => Ok(NewUpdate {
                dated,
                body,
                phase,
                status,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCaseStudy {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub published_at: Option<Timestamp>,
    pub project_ids: Vec<i64>,
    pub theme_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CaseStudyInput {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub published: String,
    pub projects: Vec<String>,
    pub themes: Vec<String>,
}

impl CaseStudyInput {
    pub fn parse(
        &self,
        projects: &[(String, i64)],
        themes: &[(String, i64)],
    ) -> Result<NewCaseStudy, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_line(&self.title, "a title", 200));
        let slug = slug_or_title(&mut e, &self.slug, title.as_deref());
        let summary = e.check("summary", optional_text(&self.summary, "the summary", 600));
        let body = if self.body.trim().is_empty() {
            e.add("body", "Enter the text of the case study");
            None
        } else {
            e.check(
                "body",
                optional_text(&self.body, "the text", super::post::MAX_BODY_CHARS),
            )
        };
        let published_at = e.check("published", parse_date(&self.published));
        let mut pick = |field: &str, what: &str, given: &[String], known: &[(String, i64)]| {
            let mut ids = Vec::new();
            for s in slugs(given) {
                match known.iter().find(|(k, _)| *k == s) {
                    Some((_, id)) => ids.push(*id),
                    None => e.add(field, format!("There is no {what} called {s:?}")),
                }
            }
            ids
        };
        let project_ids = pick("projects", "project", &self.projects, projects);
        let theme_ids = pick("themes", "theme", &self.themes, themes);
        match (title, slug, summary, body, published_at) {
            (Some(title), Some(slug), Some(summary), Some(body_markdown), Some(published_at))
                if e.is_empty() =>
            {
                Ok(NewCaseStudy {
                    slug,
                    title,
                    summary,
                    body_markdown,
                    published_at,
                    project_ids,
                    theme_ids,
                })
            }
            _ => Err(e),
        }
    }
}

/// One kind of row that still points at something: what it is called and the titles.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Referrers {
    pub what: &'static str,
    pub titles: Vec<String>,
}

/// Why a row cannot be deleted, as a sentence, or `None` when nothing points at it.
pub fn refusal(thing: &str, referrers: &[Referrers]) -> Option<String> {
    if referrers.is_empty() {
        return None;
    }
    let parts: Vec<String> = referrers
        .iter()
        .map(|r| {
            let n = r.titles.len();
            let noun = if n == 1 {
                r.what.to_string()
            } else if r.what.ends_with('y') {
                format!("{}ies", r.what.trim_end_matches('y'))
            } else {
                format!("{}s", r.what)
            };
            let names: Vec<String> = r
                .titles
                .iter()
                .take(3)
                .map(|t| format!("\u{201c}{}\u{201d}", ::sanitise::plain_text(t, 60)))
                .collect();
            let more = if n > 3 { ", and others" } else { "" };
            format!("{n} {noun} ({}{more})", names.join(", "))
        })
        .collect();
    Some(format!(
        "This {thing} cannot be deleted because {} still refer to it. \
         Remove or change those first.",
        parts.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::iso_date;

    #[test]
    fn phases_and_statuses_parse_values_and_labels() {
        assert_eq!(Phase::parse(" Live ").unwrap(), Phase::Live);
        assert!(Phase::parse("launched").is_err());
        assert_eq!(Status::parse("At risk").unwrap(), Status::AtRisk);
        assert_eq!(Status::parse("off-track").unwrap(), Status::OffTrack);
        assert!(Status::parse("late").is_err());
        assert_eq!(label_of("on_track"), "On track");
    }

    #[test]
    fn a_project_needs_a_commitment_and_an_organisation_that_exist() {
        let input = ProjectInput {
            title: "Records online".into(),
            phase: "beta".into(),
            status: "on_track".into(),
            commitments: vec!["c1, nope".into()],
            organisations: vec![],
            start_date: "2026-01-31".into(),
            end_date: "2025-01-01".into(),
            ..Default::default()
        };
        let errors = input
            .parse(&[("c1".into(), 1)], &[("org".into(), 2)])
            .unwrap_err();
        assert!(errors.get("commitments").unwrap().contains("nope"));
        assert!(errors.get("organisations").is_some());
        assert!(errors.get("end_date").is_some());
        let ok = ProjectInput {
            commitments: vec!["c1".into()],
            organisations: vec!["org".into()],
            end_date: String::new(),
            ..input
        }
        .parse(&[("c1".into(), 1)], &[("org".into(), 2)])
        .unwrap();
        assert_eq!(ok.slug.as_str(), "records-online");
        assert_eq!((ok.commitment_ids, ok.organisation_ids), (vec![1], vec![2]));
        assert_eq!(iso_date(ok.start_date.unwrap()), "2026-01-31");
    }
}
