//! The programme register: strategies, themes, commitments, projects with their links and
//! dated updates, and case studies.
//!
//! The register is small (dozens to a few hundred projects), so readers load it whole with
//! [`Db::register`] (seven queries) and filter in memory: the pages, the API and the open
//! data downloads all count from the same [`Register`], so they cannot disagree.

use super::{Conn, Db, StoreError, StoreResult, TagTable, now, on, read, tag_id, write};
use crate::domain::programme::{
    NewCaseStudy, NewCommitment, NewProject, NewStrategy, NewTheme, NewUpdate,
};
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
    pub updated_at: i64,
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
    pub phase: String,
    pub status: String,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
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
    pub dated: i64,
    pub body: String,
    pub phase: Option<String>,
    pub status: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseStudy {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub body_html: String,
    pub published_at: i64,
    pub updated_at: i64,
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
        self.phase.as_ref().is_none_or(|w| &p.project.phase == w)
            && self.status.as_ref().is_none_or(|w| &p.project.status == w)
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

/// A kind of register row that others may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Strategy,
    Theme,
    Commitment,
    Project,
    CaseStudy,
    Update,
}

impl RowKind {
    fn table(self) -> &'static str {
        match self {
            RowKind::Strategy => "strategies",
            RowKind::Theme => "programme_themes",
            RowKind::Commitment => "commitments",
            RowKind::Project => "projects",
            RowKind::CaseStudy => "case_studies",
            RowKind::Update => "project_updates",
        }
    }
}

/// What points at a row: for each kind, a query giving the titles of the rows that refer to
/// it (`$1` is the id), and what those rows are called. Other areas that link into the
/// register (such as "we did" statements) add their line here, so deletion stays refused
/// while anything still points at the row.
const REFERENCES: &[(RowKind, &str, &str)] = &[
    (
        RowKind::Strategy,
        "SELECT title FROM programme_themes WHERE strategy_id = $1 ORDER BY title",
        "theme",
    ),
    (
        RowKind::Theme,
        "SELECT title FROM commitments WHERE theme_id = $1 ORDER BY title",
        "commitment",
    ),
    (
        RowKind::Theme,
        "SELECT cs.title FROM case_study_themes x JOIN case_studies cs ON cs.id = x.case_study_id
         WHERE x.theme_id = $1 ORDER BY cs.title",
        "case study",
    ),
    (
        RowKind::Commitment,
        "SELECT p.title FROM project_commitments x JOIN projects p ON p.id = x.project_id WHERE
         x.commitment_id = $1 ORDER BY p.title",
        "project",
    ),
    (
        RowKind::Project,
        "SELECT body FROM project_updates WHERE project_id = $1 ORDER BY dated",
        "update",
    ),
    (
        RowKind::Project,
        "SELECT cs.title FROM case_study_projects x JOIN case_studies cs ON cs.id =
         x.case_study_id WHERE x.project_id = $1 ORDER BY cs.title",
        "case study",
    ),
    // The evidence chain (migration 0009): "we did" statements and ideas.
    (
        RowKind::Commitment,
        "SELECT a.we_did FROM result_action_links x JOIN result_actions a ON a.id = x.action_id
         WHERE x.commitment_id = $1 ORDER BY a.id",
        "\u{201c}we did\u{201d} statement",
    ),
    (
        RowKind::Project,
        "SELECT a.we_did FROM result_action_links x JOIN result_actions a ON a.id = x.action_id
         WHERE x.project_id = $1 ORDER BY a.id",
        "\u{201c}we did\u{201d} statement",
    ),
    (
        RowKind::Project,
        "SELECT i.title FROM idea_projects x JOIN ideas i ON i.id = x.idea_id WHERE x.project_id =
         $1",
        "idea",
    ),
];

/// One kind of row that still points at something: what it is called and the titles.
#[derive(Debug, Clone, Serialize)]
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
                .map(|t| format!("\u{201c}{}\u{201d}", crate::sanitise::plain_text(t, 60)))
                .collect();
            let more = if n > 3 { ", and others" } else { "" };
            format!("{n} {noun} ({}{more})", names.join(", "))
        })
        .collect();
    Some(format!(
        "This {thing} cannot be deleted because {} still refer to it. Remove or change those
         first.",
        parts.join(" and ")
    ))
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

/// Writes a project (a new one when `existing` is `None`), its links and its search entry
/// inside the caller's transaction; returns the project's id.
async fn save_project_in(
    conn: Conn<'_>,
    existing: Option<i64>,
    p: &NewProject,
    t: i64,
) -> StoreResult<i64> {
    on!(conn, |c| {
        let id: i64 = match existing {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE projects SET slug = $1, title = $2, summary = $3, owner_team = $4,
                            phase = $5, status = $6, start_date = $7, end_date = $8, updated_at =
                            $9
                     WHERE id = $10",
                )
                .bind(p.slug.as_str())
                .bind(&p.title)
                .bind(&p.summary)
                .bind(&p.owner_team)
                .bind(p.phase.as_str())
                .bind(p.status.as_str())
                .bind(p.start_date)
                .bind(p.end_date)
                .bind(t)
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(StoreError::from_sqlx)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                for table in [
                    "project_commitments",
                    "project_organisations",
                    "project_topics",
                ] {
                    let q = format!("DELETE FROM {table} WHERE project_id = $1");
                    sqlx::query(sqlx::AssertSqlSafe(q))
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                }
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO projects (slug, title, summary, owner_team, phase, status,
                 start_date,
                                       end_date, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(p.slug.as_str())
            .bind(&p.title)
            .bind(&p.summary)
            .bind(&p.owner_team)
            .bind(p.phase.as_str())
            .bind(p.status.as_str())
            .bind(p.start_date)
            .bind(p.end_date)
            .bind(t)
            .fetch_one(&mut *c)
            .await
            .map_err(StoreError::from_sqlx)?,
        };
        let links = [
            ("project_commitments", "commitment_id", &p.commitment_ids),
            (
                "project_organisations",
                "organisation_id",
                &p.organisation_ids,
            ),
        ];
        for (table, column, ids) in links {
            for other in ids {
                let q = format!(
                    "INSERT INTO {table} (project_id, {column}) VALUES ($1, $2) ON CONFLICT DO
                     NOTHING"
                );
                sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(id)
                    .bind(other)
                    .execute(&mut *c)
                    .await?;
            }
        }
        for name in &p.topics {
            let topic = tag_id(Conn::from(&mut *c), TagTable::Topics, name).await?;
            sqlx::query(
                "INSERT INTO project_topics (project_id, topic_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(topic)
            .execute(&mut *c)
            .await?;
        }
        let url = format!("/programme/projects/{}", p.slug);
        // The phase and status change with updates, so they are not indexed (they would go stale).
        let body = format!("{}\n{}", p.summary, p.owner_team);
        let doc = super::search::Document {
            kind: "project",
            ref_id: id,
            organisation_id: p.organisation_ids.first().copied(),
            published_at: Some(0),
            url: &url,
            title: &p.title,
            body: &body,
        };
        super::search::index(Conn::from(&mut *c), &doc).await?;
        Ok(id)
    })
}

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

    // ----- Strategies, themes, commitments -----

    pub async fn create_strategy(
        &self,
        organisation_id: i64,
        s: &NewStrategy,
        body_html: &str,
    ) -> StoreResult<i64> {
        write!(self, |pool| sqlx::query_scalar(
            "INSERT INTO strategies (organisation_id, slug, title, period, summary, body_markdown,
             body_html, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        )
        .bind(organisation_id)
        .bind(s.slug.as_str())
        .bind(&s.title)
        .bind(&s.period)
        .bind(&s.summary)
        .bind(&s.body_markdown)
        .bind(body_html)
        .bind(now())
        .fetch_one(pool)
        .await)
        .map_err(StoreError::from_sqlx)
    }

    pub async fn update_strategy(
        &self,
        id: i64,
        organisation_id: i64,
        s: &NewStrategy,
        body_html: &str,
    ) -> StoreResult<()> {
        let done = write!(self, |pool| sqlx::query(
            "UPDATE strategies SET organisation_id = $1, slug = $2, title = $3, period = $4,
             summary = $5, body_markdown = $6,
                    body_html = $7, updated_at = $8 WHERE id = $9"
        )
        .bind(organisation_id)
        .bind(s.slug.as_str())
        .bind(&s.title)
        .bind(&s.period)
        .bind(&s.summary)
        .bind(&s.body_markdown)
        .bind(body_html)
        .bind(now())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from_sqlx)?;
        found(done)
    }

    pub async fn strategy_by_slug(&self, slug: &str) -> StoreResult<Strategy> {
        read!(self, |pool| sqlx::query_as(select_strategies!(
            "WHERE s.slug = $1"
        ))
        .bind(slug)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    pub async fn create_theme(&self, strategy_id: i64, t: &NewTheme) -> StoreResult<i64> {
        write!(self, |pool| sqlx::query_scalar(
            "INSERT INTO programme_themes (strategy_id, slug, title, summary, position) VALUES
             ($1, $2, $3, $4, $5) RETURNING id"
        )
        .bind(strategy_id)
        .bind(t.slug.as_str())
        .bind(&t.title)
        .bind(&t.summary)
        .bind(t.position)
        .fetch_one(pool)
        .await)
        .map_err(StoreError::from_sqlx)
    }

    pub async fn update_theme(&self, id: i64, strategy_id: i64, t: &NewTheme) -> StoreResult<()> {
        let done = write!(self, |pool| sqlx::query(
            "UPDATE programme_themes SET strategy_id = $1, slug = $2, title = $3, summary = $4,
             position = $5 WHERE id = $6"
        )
        .bind(strategy_id)
        .bind(t.slug.as_str())
        .bind(&t.title)
        .bind(&t.summary)
        .bind(t.position)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from_sqlx)?;
        found(done)
    }

    pub async fn create_commitment(&self, theme_id: i64, c: &NewCommitment) -> StoreResult<i64> {
        write!(self, |pool| sqlx::query_scalar(
            "INSERT INTO commitments (theme_id, slug, title, body, action_ref, action_title,
             position)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
        )
        .bind(theme_id)
        .bind(c.slug.as_str())
        .bind(&c.title)
        .bind(&c.body)
        .bind(&c.action_ref)
        .bind(&c.action_title)
        .bind(c.position)
        .fetch_one(pool)
        .await)
        .map_err(StoreError::from_sqlx)
    }

    pub async fn update_commitment(
        &self,
        id: i64,
        theme_id: i64,
        c: &NewCommitment,
    ) -> StoreResult<()> {
        let done = write!(self, |pool| {
            sqlx::query(
            "UPDATE commitments SET theme_id = $1, slug = $2, title = $3, body = $4, action_ref =
             $5, action_title = $6,
                    position = $7 WHERE id = $8"
        )
        .bind(theme_id)
        .bind(c.slug.as_str())
        .bind(&c.title)
        .bind(&c.body)
        .bind(&c.action_ref)
        .bind(&c.action_title)
        .bind(c.position)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })
        .map_err(StoreError::from_sqlx)?;
        found(done)
    }

    // ----- Projects -----

    /// Creates a project (`existing` = None) or replaces one, with its links and search entry,
    /// in one transaction.
    pub async fn save_project(&self, existing: Option<i64>, p: &NewProject) -> StoreResult<i64> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id = save_project_in(Conn::from(&mut *tx), existing, p, t).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Creates a project from a shortlisted idea and records the link back to the idea, in one
    /// transaction; an idea that already became a project is a conflict.
    pub async fn create_project_from_idea(&self, idea_id: i64, p: &NewProject) -> StoreResult<i64> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id = save_project_in(Conn::from(&mut *tx), None, p, t).await?;
            sqlx::query("INSERT INTO idea_projects (idea_id, project_id) VALUES ($1, $2)")
                .bind(idea_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Creates or replaces many projects in one transaction: all of them, or none (CSV import).
    /// Each item is (existing id, project).
    pub async fn save_projects(&self, items: &[(Option<i64>, NewProject)]) -> StoreResult<()> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (existing, p) in items {
                save_project_in(Conn::from(&mut *tx), *existing, p, t).await?;
            }
            tx.commit().await?;
            Ok(())
        })
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
        read!(self, |pool| sqlx::query_as(select_updates!(
            "WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await)?
        .ok_or(StoreError::NotFound)
    }

    /// Adds a dated update; a new phase or status given with it becomes the project's own,
    /// in the same transaction.
    pub async fn add_update(
        &self,
        project_id: i64,
        u: &NewUpdate,
        user_id: Option<i64>,
    ) -> StoreResult<i64> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO project_updates (project_id, dated, body, phase, status, created_by,
                 created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(project_id)
            .bind(u.dated)
            .bind(&u.body)
            .bind(u.phase.map(|p| p.as_str()))
            .bind(u.status.map(|s| s.as_str()))
            .bind(user_id)
            .bind(t)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
            sqlx::query(
                "UPDATE projects SET phase = COALESCE($1, phase), status = COALESCE($2,
                 status), updated_at = $3 WHERE id = $4",
            )
            .bind(u.phase.map(|p| p.as_str()))
            .bind(u.status.map(|s| s.as_str()))
            .bind(t)
            .bind(project_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Corrects an update (date, text, and the phase and status it records); the project's own
    /// phase and status are left as they are.
    pub async fn edit_update(&self, id: i64, u: &NewUpdate) -> StoreResult<()> {
        let done = write!(self, |pool| {
            sqlx::query(
                "UPDATE project_updates SET dated = $1, body = $2, phase = $3, status = $4
                 WHERE id = $5",
            )
            .bind(u.dated)
            .bind(&u.body)
            .bind(u.phase.map(|p| p.as_str()))
            .bind(u.status.map(|s| s.as_str()))
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        found(done)
    }

    // ----- Case studies -----

    pub async fn save_case_study(
        &self,
        existing: Option<i64>,
        c: &NewCaseStudy,
        body_html: &str,
    ) -> StoreResult<i64> {
        let t = now();
        let published = c.published_at.unwrap_or(t);
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = match existing {
                Some(id) => {
                    let done = sqlx::query(
                        "UPDATE case_studies SET slug = $1, title = $2, summary
                                 = $3, body_markdown = $4, body_html = $5,
                         published_at = $6, updated_at = $7 WHERE id = $8",
                    )
                    .bind(c.slug.as_str())
                    .bind(&c.title)
                    .bind(&c.summary)
                    .bind(&c.body_markdown)
                    .bind(body_html)
                    .bind(published)
                    .bind(t)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    for table in ["case_study_projects", "case_study_themes"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DELETE FROM {table} WHERE
                             case_study_id = $1"
                        )))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    id
                }
                None => sqlx::query_scalar(
                    "INSERT INTO case_studies (slug, title, summary, body_markdown, body_html,
                     published_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(c.slug.as_str())
                .bind(&c.title)
                .bind(&c.summary)
                .bind(&c.body_markdown)
                .bind(body_html)
                .bind(published)
                .bind(t)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?,
            };
            for p in &c.project_ids {
                sqlx::query(
                    "INSERT INTO case_study_projects (case_study_id, project_id) VALUES
                     ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(p)
                .execute(&mut *tx)
                .await?;
            }
            for th in &c.theme_ids {
                sqlx::query(
                    "INSERT INTO case_study_themes (case_study_id, theme_id) VALUES ($1,
                     $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(th)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
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

    // ----- Deleting -----

    /// The rows that still point at the row `id` of `kind`, grouped by what they are; empty
    /// when it may be deleted.
    pub async fn referrers(&self, kind: RowKind, id: i64) -> StoreResult<Vec<Referrers>> {
        let mut out = Vec::new();
        for (k, q, what) in REFERENCES {
            if *k != kind {
                continue;
            }
            let titles: Vec<String> =
                read!(self, |pool| sqlx::query_scalar(sqlx::AssertSqlSafe(*q))
                    .bind(id)
                    .fetch_all(pool)
                    .await)?;
            if !titles.is_empty() {
                out.push(Referrers { what, titles });
            }
        }
        Ok(out)
    }

    /// Deletes a row that nothing points at. Callers check [`Db::referrers`] first to explain a
    /// refusal; the database's own `RESTRICT` keys refuse anything that slips past (a conflict).
    pub async fn delete_row(&self, kind: RowKind, id: i64) -> StoreResult<()> {
        let q = format!("DELETE FROM {} WHERE id = $1", kind.table());
        let done = write!(self, |pool| {
            let mut tx = pool.begin().await?;
            if kind == RowKind::Project {
                sqlx::query("DELETE FROM search_index WHERE kind = 'project' AND ref_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let done = sqlx::query(sqlx::AssertSqlSafe(q))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e.as_database_error() {
                    Some(d) if d.is_foreign_key_violation() => {
                        StoreError::Conflict("still referred to".into())
                    }
                    _ => StoreError::Database(e),
                })?;
            tx.commit().await?;
            done.rows_affected()
        });
        found(done)
    }
}

fn found(rows: u64) -> StoreResult<()> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
