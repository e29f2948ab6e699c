//! The API of idea challenges: public reads of challenges and their published ideas, and
//! submitting an idea (held for moderation, with the form's rules: `crate::ideas`). Votes
//! are cast on the page only, one per browser (see `web::ideas`).

use crate::App;
use crate::domain::idea::IdeaStatus;
use crate::domain::time::Timestamp;
use crate::domain::time::rfc3339;
use crate::ideas::{self, IDEA_WINDOW_SECS, IdeaRefusal};
use crate::store::ideas::Challenge;
use crate::web::api::{ApiJson, ApiPath, Held, HeldStatus};
use crate::web::client_ip::ClientIp;
use crate::web::error::{ApiError, ApiResult};
use crate::web::openapi::{
    BadRequest, Conflict, Invalid, NotFound, PublicIdeaStatusName, TooManyRequests, WindowStateName,
};
use crate::web::site::base_url;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An idea challenge as lists show it.
#[derive(Serialize, ToSchema)]
pub struct ChallengeSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// the organisation's name
    pub organisation: String,
    #[schema(format = DateTime)]
    pub opens_at: String,
    #[schema(format = DateTime)]
    pub closes_at: String,
    #[schema(value_type = WindowStateName, inline)]
    pub state: crate::domain::WindowState,
    #[schema(format = "uri")]
    pub url: String,
}

/// Every challenge.
#[derive(Serialize, ToSchema)]
pub struct ChallengeList {
    pub items: Vec<ChallengeSummary>,
}

/// A challenge with its criteria and its published ideas.
#[derive(Serialize, ToSchema)]
pub struct ChallengeDetail {
    #[serde(flatten)]
    pub summary: ChallengeSummary,
    /// what the panel scores ideas against
    pub criteria: Vec<String>,
    pub items: Vec<Idea>,
}

/// A published idea.
#[derive(Serialize, ToSchema)]
pub struct Idea {
    pub id: i64,
    pub title: String,
    /// plain text as sent
    pub body: String,
    pub author: String,
    #[schema(value_type = PublicIdeaStatusName, inline)]
    pub status: IdeaStatus,
    pub votes: i64,
    #[schema(format = DateTime)]
    pub submitted_at: String,
    /// the project in the programme register the idea became
    #[schema(required, inline)]
    pub project: Option<IdeaProject>,
}

#[derive(Serialize, ToSchema)]
pub struct IdeaProject {
    pub slug: String,
    pub title: String,
    #[schema(format = "uri")]
    pub url: String,
}

fn summary(base: &str, c: &Challenge, now: Timestamp) -> ChallengeSummary {
    ChallengeSummary {
        slug: c.slug.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        organisation: c.organisation_name.clone(),
        opens_at: rfc3339(c.opens_at),
        closes_at: rfc3339(c.closes_at),
        state: c.state(now),
        url: format!("{base}/ideas/{}", c.slug),
    }
}

/// `GET /api/v1/ideas`: every challenge.
#[utoipa::path(
    get,
    path = "/api/v1/ideas",
    operation_id = "listChallenges",
    tag = "ideas",
    summary = "Idea challenges (public)",
    responses(
        (status = 200, description = "Every challenge", body = inline(ChallengeList)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn list(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<ChallengeList>> {
    let base = base_url(&app, &headers);
    let now = crate::store::now();
    let items = app
        .db
        .challenges()
        .await?
        .iter()
        .map(|c| summary(&base, c, now))
        .collect();
    Ok(Json(ChallengeList { items }))
}

/// `GET /api/v1/ideas/{challenge}`: the challenge, its criteria and its published ideas
/// (approved and shortlisted), most voted first, each with the project it became.
#[utoipa::path(
    get,
    path = "/api/v1/ideas/{challenge}",
    operation_id = "showChallenge",
    tag = "ideas",
    summary = "A challenge with its criteria and published ideas, most voted first (public)",
    params(("challenge" = String, Path)),
    responses(
        (status = 200, description = "The challenge", body = inline(ChallengeDetail)),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ChallengeDetail>> {
    let base = base_url(&app, &headers);
    let c = app.db.challenge_by_slug(&slug).await?;
    let projects = app.db.idea_projects(c.id).await?;
    let items = app
        .db
        .ideas(c.id, IdeaStatus::PUBLIC)
        .await?
        .into_iter()
        .map(|i| {
            let project = projects
                .iter()
                .find(|p| p.0 == i.id)
                .map(|(_, slug, title)| IdeaProject {
                    slug: slug.clone(),
                    title: title.clone(),
                    url: format!("{base}/programme/projects/{slug}"),
                });
            Idea {
                id: i.id,
                title: i.title,
                body: i.body,
                author: i.author_name,
                status: i.status,
                votes: i.votes,
                submitted_at: rfc3339(i.submitted_at),
                project,
            }
        })
        .collect();
    Ok(Json(ChallengeDetail {
        summary: summary(&base, &c, crate::store::now()),
        criteria: c.criteria(),
        items,
    }))
}

/// An idea for a challenge; a moderator approves it before it appears.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "title": "One form for a change of address",
    "body": "Tell us once and every service updates.",
    "name": "Ann"
}))]
pub struct NewIdea {
    #[serde(default)]
    #[schema(required, max_length = 150)]
    title: String,
    #[serde(default)]
    #[schema(required, max_length = 5000)]
    body: String,
    /// shown with the idea once a moderator approves it
    #[serde(default)]
    #[schema(required, max_length = 100)]
    name: String,
}

/// `POST /api/v1/ideas/{challenge}` (public): holds an idea for moderation.
#[utoipa::path(
    post,
    path = "/api/v1/ideas/{challenge}",
    operation_id = "submitIdea",
    tag = "ideas",
    summary = "Submit an idea (public); a moderator approves it before it appears. Votes are cast on the page, one per browser.",
    params(("challenge" = String, Path)),
    request_body = NewIdea,
    responses(
        (status = 202, description = "Held for moderation", body = inline(Held)),
        (status = 400, response = Invalid),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Invalid),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn submit(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ApiPath(slug): ApiPath<String>,
    ApiJson(input): ApiJson<NewIdea>,
) -> ApiResult<(StatusCode, Json<Held>)> {
    let c = app.db.challenge_by_slug(&slug).await?;
    let idea = ideas::NewIdea {
        title: &input.title,
        body: &input.body,
        name: &input.name,
    };
    match ideas::submit(&app.db, &c, idea, ip, true).await {
        Ok(None) => Err(ApiError::Internal(anyhow::anyhow!(
            "the idea was not stored"
        ))),
        Ok(Some(id)) => {
            let held = Held {
                id,
                status: HeldStatus::Pending,
            };
            Ok((StatusCode::ACCEPTED, Json(held)))
        }
        Err(IdeaRefusal::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(IdeaRefusal::Closed) => Err(ApiError::Conflict(IdeaRefusal::CLOSED.into())),
        Err(IdeaRefusal::TooMany) => Err(ApiError::TooManyRequests {
            retry_after_secs: IDEA_WINDOW_SECS,
        }),
        Err(IdeaRefusal::Store(e)) => Err(e.into()),
    }
}
