//! The API of idea challenges: public reads of challenges and their published ideas, and
//! submitting an idea (held for moderation, with the form's rules: `crate::ideas`). Votes
//! are cast on the page only, one per browser (see `web::ideas`).

use crate::App;
use crate::domain::idea::IdeaStatus;
use crate::domain::time::rfc3339;
use crate::ideas::{self, IDEA_WINDOW_SECS, IdeaRefusal, NewIdea};
use crate::store::ideas::Challenge;
use crate::web::api::{ApiJson, ApiPath};
use crate::web::client_ip::ClientIp;
use crate::web::error::{ApiError, ApiResult};
use crate::web::site::base_url;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

fn summary(base: &str, c: &Challenge, now: crate::domain::time::Timestamp) -> Value {
    json!({
        "slug": c.slug, "title": c.title, "summary": c.summary,
        "organisation": c.organisation_name,
        "opens_at": rfc3339(c.opens_at), "closes_at": rfc3339(c.closes_at),
        "state": c.state(now),
        "url": format!("{base}/ideas/{}", c.slug),
    })
}

/// `GET /api/v1/ideas`: every challenge.
pub async fn list(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let base = base_url(&app, &headers);
    let now = crate::store::now();
    let items: Vec<Value> = app
        .db
        .challenges()
        .await?
        .iter()
        .map(|c| summary(&base, c, now))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/ideas/{challenge}`: the challenge, its criteria and its published ideas
/// (approved and shortlisted), most voted first, each with the project it became.
pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let base = base_url(&app, &headers);
    let c = app.db.challenge_by_slug(&slug).await?;
    let projects = app.db.idea_projects(c.id).await?;
    let ideas: Vec<Value> = app
        .db
        .ideas(c.id, IdeaStatus::PUBLIC)
        .await?
        .iter()
        .map(|i| {
            let project = projects.iter().find(|p| p.0 == i.id).map(|(_, slug, title)| {
                json!({"slug": slug, "title": title, "url": format!("{base}/programme/projects/{slug}")})
            });
            json!({
                "id": i.id, "title": i.title, "body": i.body, "author": i.author_name,
                "status": i.status, "votes": i.votes,
                "submitted_at": rfc3339(i.submitted_at), "project": project,
            })
        })
        .collect();
    let mut v = summary(&base, &c, crate::store::now());
    v["criteria"] = json!(c.criteria());
    v["items"] = json!(ideas);
    Ok(Json(v))
}

#[derive(Deserialize)]
pub struct IdeaInput {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    name: String,
}

/// `POST /api/v1/ideas/{challenge}` (public): holds an idea for moderation.
pub async fn submit(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ApiPath(slug): ApiPath<String>,
    ApiJson(input): ApiJson<IdeaInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let c = app.db.challenge_by_slug(&slug).await?;
    let idea = NewIdea {
        title: &input.title,
        body: &input.body,
        name: &input.name,
    };
    match ideas::submit(&app.db, &c, idea, ip, true).await {
        Ok(id) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"id": id, "status": IdeaStatus::Pending})),
        )),
        Err(IdeaRefusal::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(IdeaRefusal::Closed) => Err(ApiError::Conflict(IdeaRefusal::CLOSED.into())),
        Err(IdeaRefusal::TooMany) => Err(ApiError::TooManyRequests {
            retry_after_secs: IDEA_WINDOW_SECS,
        }),
        Err(IdeaRefusal::Store(e)) => Err(e.into()),
    }
}
