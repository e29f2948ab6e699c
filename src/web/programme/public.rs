//! The public programme register: the overview with its charts, filtered project lists,
//! strategy, theme, commitment, project and case study pages, and the Atom feed of updates.
//! Everything is counted from one [`Register`] read, so a count and the list it links to agree.

use crate::App;
use crate::domain::programme::{Phase, Status};
use crate::store::programme::{ProjectFilter, ProjectView, Register};
use crate::store::versions::Topic;
use crate::web::error::{PageError, PageResult};
use crate::web::media::{and_media, with_media};
use crate::web::shared_pages::ForEveryone;
use crate::web::viewer::Viewer;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

/// The project list's filters as typed in the address; empty means "any".
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct FilterQuery {
    pub organisation: String,
    pub theme: String,
    pub phase: String,
    pub status: String,
    pub topic: String,
    pub commitment: String,
}

impl FilterQuery {
    pub fn filter(&self) -> ProjectFilter {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        ProjectFilter {
            organisation: some(&self.organisation),
            theme: some(&self.theme),
            phase: some(&self.phase),
            status: some(&self.status),
            topic: some(&self.topic),
            commitment: some(&self.commitment),
        }
    }
}

/// `[{value, text}]` for phases and statuses, for selects and charts.
pub fn phase_options() -> Vec<Value> {
    Phase::ALL
        .iter()
        .map(|p| context! { value => p.as_str(), text => p.label() })
        .collect()
}

pub fn status_options() -> Vec<Value> {
    Status::ALL
        .iter()
        .map(|s| context! { value => s.as_str(), text => s.label() })
        .collect()
}

/// Projects by phase: `[(phase, count)]` in lifecycle order (the hub and overview show these).
pub fn counts_by_phase(register: &Register) -> Vec<(Phase, usize)> {
    Phase::ALL
        .iter()
        .map(|p| {
            let n = register
                .projects
                .iter()
                .filter(|v| v.project.phase == *p)
                .count();
            (*p, n)
        })
        .collect()
}

/// Bar chart rows for projects by phase, each count linking to the list it counts.
pub fn phase_chart_rows(register: &Register) -> Vec<Value> {
    let counts: Vec<(String, i64)> = counts_by_phase(register)
        .into_iter()
        .map(|(p, n)| (p.as_str().to_string(), n as i64))
        .collect();
    phase_rows(&counts)
}

/// Rows of `{label, value, href}` for (phase, count) pairs, in lifecycle order; a phase that is
/// not in `counts` has none.
pub fn phase_rows(counts: &[(String, i64)]) -> Vec<Value> {
    Phase::ALL
        .iter()
        .map(|p| {
            let n = counts
                .iter()
                .find(|(phase, _)| phase == p.as_str())
                .map_or(0, |(_, n)| *n);
            context! { label => p.label(), value => n, href => format!("/programme/projects?phase={}", p.as_str()), phase => p.as_str() }
        })
        .collect()
}

/// What the programme's pages show: the register, organisations, and the consultations and
/// themes its statements cite.
const PROGRAMME_TOPICS: [Topic; 3] = [Topic::Register, Topic::Organisations, Topic::Exercises];

/// `GET /programme`.
pub async fn overview(State(app): State<App>, viewer: Viewer) -> PageResult {
    let register = app.db.register().await?;
    let by_theme: Vec<Value> = register
        .themes
        .iter()
        .map(|t| {
            let n = register.projects_in_theme(t.id);
            context! { label => &t.title, value => n, href => format!("/programme/projects?theme={}", t.slug) }
        })
        .collect();
    let updates = app.db.recent_updates(5).await?;
    let case_studies = app.db.case_studies().await?;
    viewer.render_public(
        &app,
        &PROGRAMME_TOPICS,
        "programme/overview.html",
        context! {
            total => register.projects.len(),
            by_phase => phase_chart_rows(&register),
            by_theme,
            updates => Serde(updates),
            case_studies => Serde(case_studies.iter().take(3).collect::<Vec<_>>()),
            case_study_count => case_studies.len(),
            strategies => Serde(&register.strategies),
            themes => Serde(&register.themes),
        },
    )
}

/// `GET /programme/projects?organisation=&theme=&phase=&status=`.
pub async fn projects(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<FilterQuery>,
) -> PageResult {
    let register = app.db.register().await?;
    let filter = q.filter();
    let list = register.projects(&filter);
    let organisations = app.db.organisations().await?;
    let mut described = Vec::new();
    if let Some(p) = filter.phase.as_deref().and_then(|p| Phase::parse(p).ok()) {
        described.push(format!("in the {} phase", p.label().to_lowercase()));
    }
    if let Some(s) = filter.status.as_deref().and_then(|s| Status::parse(s).ok()) {
        described.push(s.label().to_lowercase().to_string());
    }
    if let Some(t) = register
        .themes
        .iter()
        .find(|t| Some(&t.slug) == filter.theme.as_ref())
    {
        described.push(format!("under the theme {}", t.title));
    }
    if let Some(o) = organisations
        .iter()
        .find(|o| Some(&o.slug) == filter.organisation.as_ref())
    {
        described.push(format!("of {}", o.name));
    }
    viewer.render_public(
        &app,
        &PROGRAMME_TOPICS,
        "programme/projects.html",
        context! {
            projects => Serde(&list),
            count => list.len(),
            filter => Serde(&filter),
            described => described.join(", "),
            phases => phase_options(),
            statuses => status_options(),
            themes => Serde(&register.themes),
            organisations => Serde(&organisations),
        },
    )
}

fn find<'a>(register: &'a Register, slug: &str) -> Result<&'a ProjectView, PageError> {
    register.project(slug).ok_or(PageError::NotFound)
}

/// `GET /programme/projects/{slug}`: a project, where it stands, and its history of updates.
pub async fn project(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let register = app.db.register().await?;
    let project = find(&register, &slug)?;
    let updates = app.db.project_updates(project.project.id).await?;
    let case_studies: Vec<_> = app
        .db
        .case_studies()
        .await?
        .into_iter()
        .filter(|c| c.projects.iter().any(|p| p.id == project.project.id))
        .collect();
    let evidence = Serde(crate::listening::project_evidence(&app, project.project.id).await?);
    viewer.render_public(
        &app,
        &PROGRAMME_TOPICS,
        "programme/project.html",
        context! {
            project => Serde(project),
            updates => Serde(updates),
            case_studies => Serde(case_studies),
            evidence,
        },
    )
}

/// `GET /programme/strategies/{slug}`.
pub async fn strategy(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let register = app.db.register().await?;
    let strategy = register
        .strategies
        .iter()
        .find(|s| s.slug == slug)
        .ok_or(PageError::NotFound)?;
    let themes: Vec<Value> = register
        .themes
        .iter()
        .filter(|t| t.strategy_id == strategy.id)
        .map(|t| {
            let commitments: Vec<Value> = register
                .commitments
                .iter()
                .filter(|c| c.theme_id == t.id)
                .map(|c| {
                    let n = register.projects_for_commitment(c.id);
                    context! { commitment => Serde(c), projects => n }
                })
                .collect();
            context! { theme => Serde(t), commitments }
        })
        .collect();
    let body_html = with_media(&app, &strategy.body_html).await?;
    viewer.render_public(
        &app,
        &and_media(PROGRAMME_TOPICS),
        "programme/strategy.html",
        context! { strategy => Serde(strategy), themes, body_html },
    )
}

/// `GET /programme/themes/{slug}`.
pub async fn theme(State(app): State<App>, viewer: Viewer, Path(slug): Path<String>) -> PageResult {
    let register = app.db.register().await?;
    let theme = register
        .themes
        .iter()
        .find(|t| t.slug == slug)
        .ok_or(PageError::NotFound)?;
    let strategy = register
        .strategies
        .iter()
        .find(|s| s.id == theme.strategy_id);
    let commitments: Vec<_> = register
        .commitments
        .iter()
        .filter(|c| c.theme_id == theme.id)
        .collect();
    let filter = ProjectFilter {
        theme: Some(theme.slug.clone()),
        ..Default::default()
    };
    let projects = register.projects(&filter);
    let case_studies: Vec<_> = app
        .db
        .case_studies()
        .await?
        .into_iter()
        .filter(|c| c.themes.iter().any(|t| t.id == theme.id))
        .collect();
    viewer.render_public(
        &app,
        &PROGRAMME_TOPICS,
        "programme/theme.html",
        context! {
            theme => Serde(theme),
            strategy => Serde(strategy),
            commitments => Serde(commitments),
            projects => Serde(projects),
            case_studies => Serde(case_studies),
        },
    )
}

/// `GET /programme/commitments/{slug}`.
pub async fn commitment(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let register = app.db.register().await?;
    let commitment = register
        .commitments
        .iter()
        .find(|c| c.slug == slug)
        .ok_or(PageError::NotFound)?;
    let filter = ProjectFilter {
        commitment: Some(commitment.slug.clone()),
        ..Default::default()
    };
    let projects = register.projects(&filter);
    viewer.render_public(
        &app,
        &PROGRAMME_TOPICS,
        "programme/commitment.html",
        context! { commitment => Serde(commitment), projects => Serde(projects) },
    )
}

/// `GET /programme/case-studies`.
pub async fn case_studies(State(app): State<App>, viewer: Viewer) -> PageResult {
    let all = app.db.case_studies().await?;
    viewer.render_public(
        &app,
        &PROGRAMME_TOPICS,
        "programme/case_studies.html",
        context! { case_studies => Serde(all) },
    )
}

/// `GET /programme/case-studies/{slug}`.
pub async fn case_study(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let c = app
        .db
        .case_studies()
        .await?
        .into_iter()
        .find(|c| c.case_study.slug == slug)
        .ok_or(PageError::NotFound)?;
    let body_html = with_media(&app, &c.case_study.body_html).await?;
    viewer.render_public(
        &app,
        &and_media(PROGRAMME_TOPICS),
        "programme/case_study.html",
        context! { case_study => Serde(c), body_html },
    )
}

/// `GET /programme/updates.atom`: the latest project updates.
pub async fn updates_feed(State(app): State<App>, headers: HeaderMap) -> PageResult {
    let updates = app.db.recent_updates(30).await?;
    let updated = updates
        .iter()
        .map(|u| u.created_at)
        .max()
        .unwrap_or_default();
    let xml = app
        .templates
        .get_template("feeds/updates.xml")?
        .render(context! {
            base => crate::web::site::base_url(&app, &headers),
            updates => Serde(updates),
            updated,
        })?;
    Ok(ForEveryone::showing(&PROGRAMME_TOPICS).mark((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )))
}
