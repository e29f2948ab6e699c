//! The programme register's JSON API (public reads): `/api/v1/programme/…`.
//! `GET /api/v1/programme/projects?phase=&theme=&organisation=&status=` is fixed by PRODUCT.md.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::programme::{Phase, Status};
use crate::domain::time::iso_date;
use crate::store::programme::{ProjectView, Ref, Register};
use crate::web::api::{ApiPath, ApiQuery};
use crate::web::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

fn slugs(refs: &[Ref]) -> Vec<&str> {
    refs.iter().map(|r| r.slug.as_str()).collect()
}

fn project_json(base: &str, p: &ProjectView) -> Value {
    json!({
        "slug": p.project.slug,
        "title": p.project.title,
        "phase": p.project.phase,
        "status": p.project.status,
        "commitments": slugs(&p.commitments),
        "url": format!("{base}/programme/projects/{}", p.project.slug),
    })
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
pub async fn projects(
    State(app): State<App>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<crate::web::programme::public::FilterQuery>,
) -> ApiResult<Json<Value>> {
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
    let items: Vec<Value> = register
        .projects(&filter)
        .into_iter()
        .map(|p| project_json(&base, p))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/programme/projects/{slug}`: a project with its links and updates.
pub async fn project(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let register = app.db.register().await?;
    let p = register.project(&slug).ok_or(ApiError::NotFound)?;
    let base = crate::web::site::base_url(&app, &headers);
    let updates: Vec<Value> = app
        .db
        .project_updates(p.project.id)
        .await?
        .into_iter()
        .map(|u| json!({"date": iso_date(u.dated), "text": u.body, "phase": u.phase, "status": u.status}))
        .collect();
    let mut v = project_json(&base, p);
    v["summary"] = json!(p.project.summary);
    v["owner_team"] = json!(p.project.owner_team);
    v["start_date"] = json!(p.project.start_date.map(iso_date));
    v["end_date"] = json!(p.project.end_date.map(iso_date));
    v["organisations"] = json!(slugs(&p.organisations));
    v["themes"] = json!(slugs(&p.themes));
    v["topics"] = json!(slugs(&p.topics));
    v["updates"] = json!(updates);
    Ok(Json(v))
}

/// `GET /api/v1/programme/strategies`.
pub async fn strategies(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let register = app.db.register().await?;
    let base = crate::web::site::base_url(&app, &headers);
    let items: Vec<Value> = register
        .strategies
        .iter()
        .map(|s| {
            let themes: Vec<&str> = register
                .themes
                .iter()
                .filter(|t| t.strategy_id == s.id)
                .map(|t| t.slug.as_str())
                .collect();
            json!({"slug": s.slug, "title": s.title, "period": s.period, "summary": s.summary,
                   "organisation": s.organisation_slug, "themes": themes,
                   "url": format!("{base}/programme/strategies/{}", s.slug)})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/programme/themes`.
pub async fn themes(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let register = app.db.register().await?;
    let base = crate::web::site::base_url(&app, &headers);
    let items: Vec<Value> = register
        .themes
        .iter()
        .map(|t| {
            let commitments: Vec<&str> = register
                .commitments
                .iter()
                .filter(|c| c.theme_id == t.id)
                .map(|c| c.slug.as_str())
                .collect();
            json!({"slug": t.slug, "title": t.title, "summary": t.summary, "strategy": t.strategy_slug,
                   "commitments": commitments, "url": format!("{base}/programme/themes/{}", t.slug)})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/programme/commitments`.
pub async fn commitments(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let register = app.db.register().await?;
    let base = crate::web::site::base_url(&app, &headers);
    let items: Vec<Value> = register
        .commitments
        .iter()
        .map(|c| {
            let projects: Vec<&str> = register
                .projects
                .iter()
                .filter(|p| p.commitments.iter().any(|r| r.id == c.id))
                .map(|p| p.project.slug.as_str())
                .collect();
            json!({"slug": c.slug, "title": c.title, "body": c.body, "theme": c.theme_slug,
                   "action_ref": c.action_ref, "action_title": c.action_title, "projects": projects,
                   "url": format!("{base}/programme/commitments/{}", c.slug)})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/programme/case-studies`.
pub async fn case_studies(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let base = crate::web::site::base_url(&app, &headers);
    let items: Vec<Value> = app
        .db
        .case_studies()
        .await?
        .iter()
        .map(|c| {
            json!({"slug": c.case_study.slug, "title": c.case_study.title, "summary": c.case_study.summary,
                   "published": iso_date(c.case_study.published_at), "body_html": c.case_study.body_html,
                   "projects": slugs(&c.projects), "themes": slugs(&c.themes),
                   "url": format!("{base}/programme/case-studies/{}", c.case_study.slug)})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
