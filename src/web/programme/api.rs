//! The programme register's JSON API (public reads): `/api/v1/programme/…`.
//! `GET /api/v1/programme/projects?phase=&theme=&organisation=&status=` is fixed by PRODUCT.md.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::programme::{Phase, Status};
use crate::domain::time::iso_date;
use crate::listening::Credit;
use crate::store::programme::{ProjectView, Ref, Register};
use crate::web::api::{ApiPath, ApiQuery, Items};
use crate::web::error::{ApiError, ApiResult, ErrorBody};
use crate::web::openapi::{BadRequest, PhaseName, ProjectStatusName};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;

/// A project in the programme register, as lists show it.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeProject {
    pub slug: String,
    pub title: String,
    #[schema(value_type = PhaseName, inline)]
    pub phase: String,
    #[schema(value_type = ProjectStatusName, inline)]
    pub status: String,
    /// Slugs of the commitments the project delivers
    pub commitments: Vec<String>,
    #[schema(format = "uri")]
    pub url: String,
}

/// A project with its links and updates.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeProjectDetail {
    #[serde(flatten)]
    pub project: ProgrammeProject,
    pub summary: String,
    pub owner_team: String,
    #[schema(required, format = Date)]
    pub start_date: Option<String>,
    #[schema(required, format = Date)]
    pub end_date: Option<String>,
    pub organisations: Vec<String>,
    pub themes: Vec<String>,
    pub topics: Vec<String>,
    #[schema(inline)]
    pub updates: Vec<ProjectUpdate>,
    /// What people told us that led to it, as its page lists it
    pub statements: ProjectStatements,
    /// The idea it started from
    #[schema(required)]
    pub idea: Option<ProjectCredit>,
}

/// The "you said, we did" statements on published results that credit a project.
#[derive(Serialize, ToSchema)]
pub struct ProjectStatements {
    /// Statements whose "we did" links to the project itself
    pub direct: Vec<ProjectCredit>,
    /// Statements linked only to a commitment the project delivers
    pub through_commitments: Vec<ProjectCredit>,
}

/// A statement (or idea) credited on a project's page.
#[derive(Serialize, ToSchema)]
pub struct ProjectCredit {
    /// Where it was said, and what
    pub title: String,
    /// The theme on the results page (or the idea)
    pub url: String,
    /// The theme with its count, and what was done
    pub text: String,
}

impl ProjectCredit {
    fn new(base: &str, c: Credit) -> Self {
        ProjectCredit {
            title: c.title,
            url: format!("{base}{}", c.href),
            text: c.text,
        }
    }
}

/// A dated update on a project, with the phase and status it moved to (if any).
#[derive(Serialize, ToSchema)]
pub struct ProjectUpdate {
    #[schema(format = Date)]
    pub date: String,
    pub text: String,
    #[schema(required)]
    pub phase: Option<String>,
    #[schema(required)]
    pub status: Option<String>,
}

/// A strategy, with the slugs of its themes.
#[derive(Serialize, ToSchema)]
pub struct Strategy {
    pub slug: String,
    pub title: String,
    pub period: String,
    pub summary: String,
    pub organisation: String,
    pub themes: Vec<String>,
    pub url: String,
}

/// A theme, with the slugs of its commitments.
#[derive(Serialize, ToSchema)]
pub struct Theme {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub strategy: String,
    pub commitments: Vec<String>,
    pub url: String,
}

/// A commitment, with the slugs of the projects delivering it.
#[derive(Serialize, ToSchema)]
pub struct Commitment {
    pub slug: String,
    pub title: String,
    pub body: String,
    pub theme: String,
    pub action_ref: String,
    pub action_title: String,
    pub projects: Vec<String>,
    pub url: String,
}

/// A case study, with its sanitised HTML.
#[derive(Serialize, ToSchema)]
pub struct CaseStudy {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub published: String,
    pub body_html: String,
    pub projects: Vec<String>,
    pub themes: Vec<String>,
    pub url: String,
}

/// Projects in the register.
#[derive(Serialize, ToSchema)]
pub struct ProjectList {
    pub items: Vec<ProgrammeProject>,
}

fn slugs(refs: &[Ref]) -> Vec<String> {
    refs.iter().map(|r| r.slug.clone()).collect()
}

fn project_summary(base: &str, p: &ProjectView) -> ProgrammeProject {
    ProgrammeProject {
        slug: p.project.slug.clone(),
        title: p.project.title.clone(),
        phase: p.project.phase.as_str().to_string(),
        status: p.project.status.as_str().to_string(),
        commitments: slugs(&p.commitments),
        url: format!("{base}/programme/projects/{}", p.project.slug),
    }
}

/// Checks the filters: a bad phase or status, or a theme or organisation that does not exist,
/// is a 422 naming the field.
fn checked_filter(
    register: &Register,
    organisations: &[String],
    q: &crate::web::programme::public::FilterQuery,
) -> Result<crate::store::programme::ProjectFilter, ApiError> {
    let filter = q.filter();
    let mut errors = FieldErrors::new();
    if let Some(p) = &filter.phase
        && let Err(m) = Phase::parse(p)
    {
        errors.add("phase", m);
    }
    if let Some(s) = &filter.status
        && let Err(m) = Status::parse(s)
    {
        errors.add("status", m);
    }
    if let Some(t) = &filter.theme
        && !register.themes.iter().any(|x| &x.slug == t)
    {
        errors.add("theme", format!("There is no theme with the slug {t:?}"));
    }
    if let Some(o) = &filter.organisation
        && !organisations.contains(o)
    {
        errors.add(
            "organisation",
            format!("There is no organisation with the slug {o:?}"),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    // Accept labels too ("Live", "At risk") by matching on the stored values.
    let mut filter = filter;
    filter.phase = filter.phase.map(|p| {
        Phase::parse(&p)
            .map(|p| p.as_str().to_string())
            .unwrap_or(p)
    });
    filter.status = filter.status.map(|s| {
        Status::parse(&s)
            .map(|s| s.as_str().to_string())
            .unwrap_or(s)
    });
    Ok(filter)
}

/// `GET /api/v1/programme/projects?phase=&theme=&organisation=&status=`.
#[utoipa::path(
    get,
    path = "/api/v1/programme/projects",
    operation_id = "listProjects",
    tag = "programme",
    summary = "Projects in the programme register, filtered",
    params(
        ("phase" = inline(Option<PhaseName>), Query, description = "Only projects in this phase"),
        ("theme" = Option<String>, Query, description = "Only projects delivering a commitment under this theme (slug)"),
        ("organisation" = Option<String>, Query, description = "Only projects of this organisation (slug)"),
        ("status" = inline(Option<ProjectStatusName>), Query, description = "Only projects with this status"),
    ),
    responses(
        (status = 200, description = "The matching projects, by title", body = inline(ProjectList), links(
            ("GetProject" = (operation_id = "getProject", parameters(("slug" = "$response.body#/items/0/slug")), description = "The first project listed")),
        )),
        (status = 422, description = "Invalid filter values; `fields` names each one", body = ErrorBody),
        (status = 400, response = BadRequest),
    )
)]
pub async fn projects(
    State(app): State<App>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<crate::web::programme::public::FilterQuery>,
) -> ApiResult<Json<ProjectList>> {
    let register = app.db.register().await?;
    let organisations: Vec<String> = app
        .db
        .organisations()
        .await?
        .into_iter()
        .map(|o| o.slug)
        .collect();
    let filter = checked_filter(&register, &organisations, &q)?;
    let base = crate::web::site::base_url(&app, &headers);
    let items = register
        .projects(&filter)
        .into_iter()
        .map(|p| project_summary(&base, p))
        .collect();
    Ok(Json(ProjectList { items }))
}

/// `GET /api/v1/programme/projects/{slug}`: a project with its links and updates.
#[utoipa::path(
    get,
    path = "/api/v1/programme/projects/{slug}",
    operation_id = "getProject",
    tag = "programme",
    summary = "One project, with its links and updates (newest first)",
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "The project", body = ProgrammeProjectDetail),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 400, response = BadRequest),
    )
)]
pub async fn project(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ProgrammeProjectDetail>> {
    let register = app.db.register().await?;
    let p = register.project(&slug).ok_or(ApiError::NotFound)?;
    let base = crate::web::site::base_url(&app, &headers);
    let updates = app
        .db
        .project_updates(p.project.id)
        .await?
        .into_iter()
        .map(|u| ProjectUpdate {
            date: iso_date(u.dated),
            text: u.body,
            phase: u.phase.map(|p| p.as_str().to_string()),
            status: u.status.map(|s| s.as_str().to_string()),
        })
        .collect();
    let credited = crate::listening::project_evidence(&app, p.project.id).await?;
    let credits = |c: Vec<Credit>| {
        c.into_iter()
            .map(|c| ProjectCredit::new(&base, c))
            .collect()
    };
    Ok(Json(ProgrammeProjectDetail {
        project: project_summary(&base, p),
        summary: p.project.summary.clone(),
        owner_team: p.project.owner_team.clone(),
        start_date: p.project.start_date.map(iso_date),
        end_date: p.project.end_date.map(iso_date),
        organisations: slugs(&p.organisations),
        themes: slugs(&p.themes),
        topics: slugs(&p.topics),
        updates,
        statements: ProjectStatements {
            direct: credits(credited.direct),
            through_commitments: credits(credited.through_commitments),
        },
        idea: credited.idea.map(|c| ProjectCredit::new(&base, c)),
    }))
}

/// `GET /api/v1/programme/strategies`.
#[utoipa::path(
    get,
    path = "/api/v1/programme/strategies",
    operation_id = "listStrategies",
    tag = "programme",
    summary = "Strategies, with the slugs of their themes",
    responses(
        (status = 200, description = "Every strategy", body = inline(Items<Strategy>)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn strategies(
    State(app): State<App>,
    headers: HeaderMap,
) -> ApiResult<Json<Items<Strategy>>> {
    let register = app.db.register().await?;
    let base = crate::web::site::base_url(&app, &headers);
    let items = register
        .strategies
        .iter()
        .map(|s| Strategy {
            slug: s.slug.clone(),
            title: s.title.clone(),
            period: s.period.clone(),
            summary: s.summary.clone(),
            organisation: s.organisation_slug.clone(),
            themes: register
                .themes
                .iter()
                .filter(|t| t.strategy_id == s.id)
                .map(|t| t.slug.clone())
                .collect(),
            url: format!("{base}/programme/strategies/{}", s.slug),
        })
        .collect();
    Ok(Json(Items { items }))
}

/// `GET /api/v1/programme/themes`.
#[utoipa::path(
    get,
    path = "/api/v1/programme/themes",
    operation_id = "listThemes",
    tag = "programme",
    summary = "Themes, with the slugs of their commitments",
    responses(
        (status = 200, description = "Every theme", body = inline(Items<Theme>)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn themes(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Items<Theme>>> {
    let register = app.db.register().await?;
    let base = crate::web::site::base_url(&app, &headers);
    let items = register
        .themes
        .iter()
        .map(|t| Theme {
            slug: t.slug.clone(),
            title: t.title.clone(),
            summary: t.summary.clone(),
            strategy: t.strategy_slug.clone(),
            commitments: register
                .commitments
                .iter()
                .filter(|c| c.theme_id == t.id)
                .map(|c| c.slug.clone())
                .collect(),
            url: format!("{base}/programme/themes/{}", t.slug),
        })
        .collect();
    Ok(Json(Items { items }))
}

/// `GET /api/v1/programme/commitments`.
#[utoipa::path(
    get,
    path = "/api/v1/programme/commitments",
    operation_id = "listCommitments",
    tag = "programme",
    summary = "Commitments, with the slugs of the projects delivering them",
    responses(
        (status = 200, description = "Every commitment", body = inline(Items<Commitment>)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn commitments(
    State(app): State<App>,
    headers: HeaderMap,
) -> ApiResult<Json<Items<Commitment>>> {
    let register = app.db.register().await?;
    let base = crate::web::site::base_url(&app, &headers);
    let items = register
        .commitments
        .iter()
        .map(|c| Commitment {
            slug: c.slug.clone(),
            title: c.title.clone(),
            body: c.body.clone(),
            theme: c.theme_slug.clone(),
            action_ref: c.action_ref.clone(),
            action_title: c.action_title.clone(),
            projects: register
                .projects
                .iter()
                .filter(|p| p.commitments.iter().any(|r| r.id == c.id))
                .map(|p| p.project.slug.clone())
                .collect(),
            url: format!("{base}/programme/commitments/{}", c.slug),
        })
        .collect();
    Ok(Json(Items { items }))
}

/// `GET /api/v1/programme/case-studies`.
#[utoipa::path(
    get,
    path = "/api/v1/programme/case-studies",
    operation_id = "listCaseStudies",
    tag = "programme",
    summary = "Case studies, newest first, with sanitised HTML",
    responses(
        (status = 200, description = "Every case study", body = inline(Items<CaseStudy>)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn case_studies(
    State(app): State<App>,
    headers: HeaderMap,
) -> ApiResult<Json<Items<CaseStudy>>> {
    let base = crate::web::site::base_url(&app, &headers);
    let items = app
        .db
        .case_studies()
        .await?
        .into_iter()
        .map(|c| CaseStudy {
            url: format!("{base}/programme/case-studies/{}", c.case_study.slug),
            slug: c.case_study.slug,
            title: c.case_study.title,
            summary: c.case_study.summary,
            published: iso_date(c.case_study.published_at),
            body_html: c.case_study.body_html,
            projects: slugs(&c.projects),
            themes: slugs(&c.themes),
        })
        .collect();
    Ok(Json(Items { items }))
}
