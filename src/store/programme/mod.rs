//! The programme register: strategies, themes, commitments, projects with their links and
//! dated updates, and case studies.
//!
//! The register is small (dozens to a few hundred projects), so readers load it whole with
//! [`Db::register`] (seven queries) and filter in memory: the pages, the API and the open
//! data downloads all count from the same [`Register`], so they cannot disagree.

mod deleting;
mod editing;
pub use deleting::RowKind;

use crate::domain::programme::{Phase, Status};
use crate::domain::time::Timestamp;
use crate::store::{Db, StoreResult, one, read};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Strategy {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_slug: String,
    pub organisation_name: String,
    pub slug: String,
    pub title: String,
    pub period: String,
    pub summary: String,
    pub body_markdown: String,
    pub body_html: String,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Theme {
    pub id: i64,
    pub strategy_id: i64,
    pub strategy_slug: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Commitment {
    pub id: i64,
    pub theme_id: i64,
    pub theme_slug: String,
    pub theme_title: String,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub action_ref: String,
    pub action_title: String,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Project {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub owner_team: String,
    pub phase: Phase,
    pub status: Status,
    pub start_date: Option<Timestamp>,
    pub end_date: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A linked row, named: a commitment, organisation, topic or theme of a project.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Ref {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// A project with everything it links to.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    #[serde(flatten)]
    pub project: Project,
    pub commitments: Vec<Ref>,
    pub organisations: Vec<Ref>,
    pub topics: Vec<Ref>,
    /// The themes of its commitments, in theme order.
    pub themes: Vec<Ref>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProjectUpdate {
    pub id: i64,
    pub project_id: i64,
    pub project_slug: String,
    pub project_title: String,
    pub dated: Timestamp,
    pub body: String,
    /// The phase and status the update moved the project to, if it moved it.
    pub phase: Option<Phase>,
    pub status: Option<Status>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseStudy {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub body_html: String,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseStudyView {
    #[serde(flatten)]
    pub case_study: CaseStudy,
    pub projects: Vec<Ref>,
    pub themes: Vec<Ref>,
}

/// Which projects to list; each part is a slug (or phase/status value) or `None` for any.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectFilter {
    pub organisation: Option<String>,
    pub theme: Option<String>,
    pub phase: Option<String>,
    pub status: Option<String>,
    pub topic: Option<String>,
    pub commitment: Option<String>,
}

impl ProjectFilter {
    pub fn matches(&self, p: &ProjectView) -> bool {
        let has = |refs: &[Ref], want: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| refs.iter().any(|r| &r.slug == w))
        };
        let phase = p.project.phase.as_str();
        let status = p.project.status.as_str();
        self.phase.as_ref().is_none_or(|w| phase == w)
            && self.status.as_ref().is_none_or(|w| status == w)
            && has(&p.organisations, &self.organisation)
            && has(&p.themes, &self.theme)
            && has(&p.topics, &self.topic)
            && has(&p.commitments, &self.commitment)
    }
}

/// The whole register, read at once.
#[derive(Debug, Clone, Serialize)]
pub struct Register {
    pub strategies: Vec<Strategy>,
    pub themes: Vec<Theme>,
    pub commitments: Vec<Commitment>,
    /// By title.
    pub projects: Vec<ProjectView>,
}

impl Register {
    /// How many projects deliver the commitment.
    pub fn projects_for_commitment(&self, commitment_id: i64) -> usize {
        let projects = self.projects.iter();
        projects
            .filter(|p| p.commitments.iter().any(|r| r.id == commitment_id))
            .count()
    }

    /// How many projects deliver commitments under the theme.
    pub fn projects_in_theme(&self, theme_id: i64) -> usize {
        let projects = self.projects.iter();
        projects
            .filter(|p| p.themes.iter().any(|r| r.id == theme_id))
            .count()
    }

    pub fn projects(&self, filter: &ProjectFilter) -> Vec<&ProjectView> {
        self.projects.iter().filter(|p| filter.matches(p)).collect()
    }

    pub fn project(&self, slug: &str) -> Option<&ProjectView> {
        self.projects.iter().find(|p| p.project.slug == slug)
    }

    /// (slug, id) pairs for resolving links typed as slugs.
    pub fn commitment_keys(&self) -> Vec<(String, i64)> {
        self.commitments
            .iter()
            .map(|c| (c.slug.clone(), c.id))
            .collect()
    }

    pub fn strategy_keys(&self) -> Vec<(String, i64)> {
        self.strategies
            .iter()
            .map(|s| (s.slug.clone(), s.id))
            .collect()
    }

    pub fn theme_keys(&self) -> Vec<(String, i64)> {
        self.themes.iter().map(|c| (c.slug.clone(), c.id)).collect()
    }

    pub fn project_keys(&self) -> Vec<(String, i64)> {
        self.projects
            .iter()
            .map(|p| (p.project.slug.clone(), p.project.id))
            .collect()
    }
}

macro_rules! select_strategies {
    ($rest:literal) => {
        concat!(
            "SELECT s.id, s.organisation_id, o.slug AS organisation_slug, o.name AS
             organisation_name, s.slug, s.title,
                    s.period, s.summary, s.body_markdown, s.body_html, s.updated_at
             FROM strategies s JOIN organisations o ON o.id = s.organisation_id ",
            $rest
        )
    };
}

const SELECT_THEMES: &str = "SELECT t.id, t.strategy_id, s.slug AS strategy_slug, t.slug, t.title,
                                                     t.summary, t.position
                             FROM programme_themes t JOIN strategies s ON s.id = t.strategy_id
                             ORDER BY s.id, t.position,
                             t.title";
const SELECT_COMMITMENTS: &str = "SELECT c.id, c.theme_id, t.slug AS theme_slug, t.title AS
                                                               theme_title, c.slug, c.title,
                                                               c.body,
                                         c.action_ref, c.action_title, c.position
                                  FROM commitments c JOIN programme_themes t ON t.id = c.theme_id
                                  ORDER BY t.strategy_id,
                                  t.position, c.position, c.title";
const SELECT_PROJECTS: &str = "SELECT id, slug, title, summary, owner_team, phase, status,
                                                         start_date, end_date, created_at,
                                                         updated_at
                               FROM projects ORDER BY title";
macro_rules! select_updates {
    ($rest:literal) => {
        concat!(
            "SELECT u.id, u.project_id, p.slug AS project_slug, p.title AS project_title, u.dated,
             u.body, u.phase, u.status, u.created_at
             FROM project_updates u JOIN projects p ON p.id = u.project_id ",
            $rest
        )
    };
}
const SELECT_CASE_STUDIES: &str =
    "SELECT id, slug, title, summary, body_markdown, body_html, published_at, updated_at
     FROM case_studies ORDER BY published_at DESC, title";

impl Db {
    /// The whole register, for pages, the API and downloads.
    pub async fn register(&self) -> StoreResult<Register> {
        let strategies: Vec<Strategy> = read!(self, |pool| sqlx::query_as(select_strategies!(
            "ORDER BY s.id"
        ))
        .fetch_all(pool)
        .await)?;
        let themes: Vec<Theme> = read!(self, |pool| sqlx::query_as(SELECT_THEMES)
            .fetch_all(pool)
            .await)?;
        let commitments: Vec<Commitment> = read!(self, |pool| sqlx::query_as(SELECT_COMMITMENTS)
            .fetch_all(pool)
            .await)?;
        let projects: Vec<Project> = read!(self, |pool| sqlx::query_as(SELECT_PROJECTS)
            .fetch_all(pool)
            .await)?;
        type Link = (i64, i64, String, String);
        let pc: Vec<Link> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT x.project_id, c.id, c.slug, c.title FROM project_commitments x JOIN
                 commitments c ON c.id = x.commitment_id",
            )
            .fetch_all(pool)
            .await
        })?;
        let po: Vec<Link> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT x.project_id, o.id, o.slug, o.name FROM project_organisations x JOIN
                 organisations o ON o.id = x.organisation_id ORDER BY o.name",
            )
            .fetch_all(pool)
            .await
        })?;
        let pt: Vec<Link> = read!(self, |pool| {
            sqlx::query_as(
            "SELECT x.project_id, t.id, t.slug, t.name FROM project_topics x JOIN topics t ON t.id
             = x.topic_id ORDER BY t.name")
            .fetch_all(pool).await
        })?;
        let refs = |links: &[Link], project: i64| -> Vec<Ref> {
            links
                .iter()
                .filter(|l| l.0 == project)
                .map(|(_, id, slug, title)| Ref {
                    id: *id,
                    slug: slug.clone(),
                    title: title.clone(),
                })
                .collect()
        };
        let projects = projects
            .into_iter()
            .map(|project| {
                let mut linked = refs(&pc, project.id);
                // Commitments in register order, and their themes in theme order.
                linked.sort_by_key(|r| commitments.iter().position(|c| c.id == r.id));
                let themes_of: Vec<Ref> = themes
                    .iter()
                    .filter(|t| {
                        commitments
                            .iter()
                            .any(|c| c.theme_id == t.id && linked.iter().any(|l| l.id == c.id))
                    })
                    .map(|t| Ref {
                        id: t.id,
                        slug: t.slug.clone(),
                        title: t.title.clone(),
                    })
                    .collect();
                ProjectView {
                    commitments: linked,
                    organisations: refs(&po, project.id),
                    topics: refs(&pt, project.id),
                    themes: themes_of,
                    project,
                }
            })
            .collect();
        Ok(Register {
            strategies,
            themes,
            commitments,
            projects,
        })
    }

    /// How many projects are in each phase (phases with none are left out): one query, for
    /// the hub's "programme at a glance".
    pub async fn projects_by_phase(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT phase, COUNT(*) FROM projects GROUP BY phase"
        )
        .fetch_all(pool)
        .await)?)
    }

    pub async fn strategy_by_slug(&self, slug: &str) -> StoreResult<Strategy> {
        one(read!(self, |pool| sqlx::query_as(select_strategies!(
            "WHERE s.slug = $1"
        ))
        .bind(slug)
        .fetch_optional(pool)
        .await))
    }
    /// A project's updates, newest first.
    pub async fn project_updates(&self, project_id: i64) -> StoreResult<Vec<ProjectUpdate>> {
        Ok(read!(self, |pool| sqlx::query_as(select_updates!(
            "WHERE u.project_id = $1 ORDER BY u.dated DESC, u.id DESC"
        ))
        .bind(project_id)
        .fetch_all(pool)
        .await)?)
    }
    /// Every update, newest first (`limit` of them).
    pub async fn recent_updates(&self, limit: i64) -> StoreResult<Vec<ProjectUpdate>> {
        Ok(read!(self, |pool| sqlx::query_as(select_updates!(
            "ORDER BY u.dated DESC, u.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(pool)
        .await)?)
    }
    pub async fn project_update(&self, id: i64) -> StoreResult<ProjectUpdate> {
        one(read!(self, |pool| sqlx::query_as(select_updates!(
            "WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await))
    }
    /// Every case study with its projects and themes, newest first.
    pub async fn case_studies(&self) -> StoreResult<Vec<CaseStudyView>> {
        let all: Vec<CaseStudy> = read!(self, |pool| sqlx::query_as(SELECT_CASE_STUDIES)
            .fetch_all(pool)
            .await)?;
        type Link = (i64, i64, String, String);
        let projects: Vec<Link> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT x.case_study_id, p.id, p.slug, p.title FROM case_study_projects x JOIN
                 projects p ON p.id = x.project_id ORDER BY p.title",
            )
            .fetch_all(pool)
            .await
        })?;
        let themes: Vec<Link> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT x.case_study_id, t.id, t.slug, t.title FROM case_study_themes x JOIN
                 programme_themes t ON t.id = x.theme_id ORDER BY t.position",
            )
            .fetch_all(pool)
            .await
        })?;
        let refs = |links: &[Link], id: i64| -> Vec<Ref> {
            links
                .iter()
                .filter(|l| l.0 == id)
                .map(|(_, id, slug, title)| Ref {
                    id: *id,
                    slug: slug.clone(),
                    title: title.clone(),
                })
                .collect()
        };
        Ok(all
            .into_iter()
            .map(|c| CaseStudyView {
                projects: refs(&projects, c.id),
                themes: refs(&themes, c.id),
                case_study: c,
            })
            .collect())
    }
}
