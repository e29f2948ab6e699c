//! The API of consultations, surveys and reviews: exercises, responses and analyses.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::Answer;
use crate::domain::exercise::{self, Definition};
use crate::domain::review::AnalysisStatus;
use crate::domain::role::Role;
use crate::domain::time::Timestamp;
use crate::domain::time::rfc3339;
use crate::listening::{self, Refusal, Submission};
use crate::store::exercises::Exercise;
use crate::web::api::{ApiJson, ApiPath, ApiUser, Created};
use crate::web::client_ip::ClientIp;
use crate::web::error::{ApiError, ApiResult};
use crate::web::openapi::{
    BadRequest, Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized,
};
use crate::web::site::base_url;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub mod statements;
mod types;
pub use types::*;

fn summary(base: &str, e: &Exercise, now: Timestamp) -> ExerciseSummary {
    ExerciseSummary {
        slug: e.slug.clone(),
        title: e.title.clone(),
        kind: e.kind.clone(),
        summary: e.summary.clone(),
        organisation: e.organisation_slug.clone(),
        opens_at: rfc3339(e.opens_at),
        closes_at: rfc3339(e.closes_at),
        state: e.state(now),
        url: format!("{base}/consultations/{}", e.slug),
        results_url: e
            .results_published_at
            .map(|_| format!("{base}/consultations/{}/results", e.slug)),
    }
}

/// `GET /api/v1/consultations`: every published exercise.
#[utoipa::path(
    get,
    path = "/api/v1/consultations",
    operation_id = "listConsultations",
    tag = "listening",
    summary = "Published consultations, surveys and reviews (public)",
    responses(
        (status = 200, description = "Every published exercise", body = inline(ExerciseList)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn list(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<ExerciseList>> {
    let base = base_url(&app, &headers);
    let now = crate::store::now();
    let items = app
        .db
        .public_exercises(None, None)
        .await?
        .iter()
        .map(|e| summary(&base, e, now))
        .collect();
    Ok(Json(ExerciseList { items }))
}

async fn published(app: &App, slug: &str) -> Result<Exercise, ApiError> {
    let e = app.db.exercise_by_slug(slug).await?;
    if !e.published {
        return Err(ApiError::NotFound);
    }
    Ok(e)
}

/// `GET /api/v1/consultations/{slug}`: the exercise with its definition.
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{slug}",
    operation_id = "getConsultation",
    tag = "listening",
    summary = "An exercise with its definition (public)",
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "The exercise", body = inline(ExerciseDetail)),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ExerciseDetail>> {
    let e = published(&app, &slug).await?;
    Ok(Json(ExerciseDetail {
        summary: summary(&base_url(&app, &headers), &e, crate::store::now()),
        definition: e.definition(),
    }))
}

/// `POST /api/v1/consultations` (editor): creates and publishes an exercise.
#[utoipa::path(
    post,
    path = "/api/v1/consultations",
    operation_id = "createConsultation",
    tag = "listening",
    summary = "Create and publish an exercise (editor)",
    security(("bearer" = [])),
    request_body = ExerciseDefinition,
    responses(
        (status = 201, description = "Created", body = inline(Created), links(
            ("GetConsultation" = (operation_id = "getConsultation", parameters(("slug" = "$response.body#/slug")), description = "The exercise just made")),
            ("Respond" = (operation_id = "respond", parameters(("slug" = "$response.body#/slug")), description = "Respond to it (once it is published and open)")),
            ("ListResponses" = (operation_id = "listResponses", parameters(("slug" = "$response.body#/slug")), description = "Its responses")),
            ("RequestAnalysis" = (operation_id = "requestAnalysis", parameters(("slug" = "$response.body#/slug")), description = "Analyse one of its questions")),
        )),
        (status = 400, response = Invalid),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Invalid),
    )
)]
pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    user: ApiUser,
    ApiJson(def): ApiJson<Definition>,
) -> ApiResult {
    let (user, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let (_, slug) = listening::create_exercise(&app, user.id, &orgs, def, true)
        .await
        .map_err(ApiError::Invalid)?;
    let url = format!("{}/consultations/{slug}", base_url(&app, &headers));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, url.clone())],
        Json(Created { slug, url }),
    )
        .into_response())
}

/// The segment answers: an object by segment id, or one string for the first segment.
fn segments_of(def: &Definition, segment: Option<Value>) -> Result<Map<String, Value>, ApiError> {
    let refuse = |message: &str| Err(ApiError::Invalid(FieldErrors::one("segment", message)));
    match segment {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(v @ Value::String(_)) => match def.segments.first() {
            Some(first) => Ok(Map::from_iter([(first.id.clone(), v)])),
            None => refuse("This exercise asks no segment question"),
        },
        Some(_) => refuse("Give the segment as a string or an object of answers by segment id"),
    }
}

/// The request's `Idempotency-Key` (a fresh one when it sent none) and who sent it: keys are
/// matched per caller, by the token it sent, or else by its address.
fn idempotency(headers: &HeaderMap, ip: std::net::IpAddr) -> Result<(String, String), ApiError> {
    let key = match headers.get("idempotency-key") {
        Some(v) => v
            .to_str()
            .map_err(|_| ApiError::BadRequest("the Idempotency-Key header must be text".into()))?
            .to_string(),
        None => crate::auth::random_token(),
    };
    let bearer = (headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let caller = match bearer {
        Some(token) => format!("token:{}", crate::auth::token_hash(token.trim())),
        None => format!("address:{ip}"),
    };
    Ok((key, caller))
}

/// `POST /api/v1/consultations/{slug}/responses` (public). An `Idempotency-Key` header makes
/// a retry safe: the same key returns the first response's reference (200, not 201).
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{slug}/responses",
    operation_id = "respond",
    tag = "listening",
    summary = "Respond (public). Send an Idempotency-Key header to make retries safe.",
    params(
        ("slug" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, max_length = 100, description = "Keys are matched per caller (by the bearer token sent, else by address). The same key with the same body returns the first response's reference (200) instead of storing another; the same key with a different body is refused (422) and stores nothing"),
    ),
    request_body = NewResponse,
    responses(
        (status = 201, description = "Stored (durably, before this answer)", body = inline(Reference)),
        (status = 200, description = "Already stored under this Idempotency-Key", body = inline(Reference)),
        (status = 400, response = Invalid),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Invalid),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn respond(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<NewResponse>,
) -> ApiResult<(StatusCode, Json<Reference>)> {
    let e = published(&app, &slug).await?;
    let def = e.definition();
    let segments = segments_of(&def, body.segment.clone())?;
    let (key, caller) = idempotency(&headers, ip)?;
    let outcome = listening::submit(
        &app,
        &e,
        Submission {
            answers: &body.answers,
            segments: &segments,
            email: body.email.as_deref(),
            submission_key: &key,
            scope: listening::KeyScope::Api(caller),
            address: Some(ip.to_string()),
        },
    )
    .await;
    match outcome {
        Ok(receipt) => {
            let status = if receipt.stored {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let reference = Reference {
                reference: receipt.reference,
            };
            Ok((status, Json(reference)))
        }
        Err(Refusal::Invalid(errors)) => Err(ApiError::Invalid(errors)),
        Err(Refusal::NotOpen(message)) => Err(ApiError::Conflict(message)),
        Err(Refusal::TooMany) => Err(ApiError::TooManyRequests {
            retry_after_secs: listening::RESPONSE_WINDOW_SECS,
        }),
        Err(Refusal::KeyReused) => Err(ApiError::Invalid(FieldErrors::one(
            "Idempotency-Key",
            Refusal::KEY_REUSED,
        ))),
        Err(Refusal::Internal(e)) => Err(ApiError::Internal(e)),
    }
}

/// The exercise, if this user is an analyst for its organisation.
async fn as_analyst(app: &App, user: &ApiUser, e: &Exercise) -> Result<(), ApiError> {
    let (_, orgs) = user.organisations_for(app, Role::Analyst).await?;
    if orgs.iter().any(|o| o.id == e.organisation_id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// One line of `GET /api/v1/consultations/{slug}/responses`.
#[derive(serde::Serialize)]
struct ResponseLine {
    id: String,
    reference: String,
    submitted_at: String,
    source: String,
    answers: BTreeMap<String, Answer>,
    segments: BTreeMap<String, String>,
}

/// `GET /api/v1/consultations/{slug}/responses` (analyst): every response as JSON Lines.
/// Contact emails are never included.
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{slug}/responses",
    operation_id = "listResponses",
    tag = "listening",
    summary = "Every response, as JSON Lines (analyst); contact emails are never included",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses(
        (status = 200, description = "One JSON object per line: id, reference, submitted_at, source, answers, segments", body = String, content_type = "application/x-ndjson"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn responses(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let e = app.db.exercise_by_slug(&slug).await?;
    as_analyst(&app, &user, &e).await?;
    let mut out = String::new();
    for r in app.db.responses(e.id).await? {
        let line = ResponseLine {
            id: crate::jobs::analysis::response_id(r.id),
            reference: r.reference,
            submitted_at: rfc3339(r.submitted_at),
            source: r.source,
            answers: r.answers.0,
            segments: r.segments.0,
        };
        out.push_str(&serde_json::to_string(&line).map_err(anyhow::Error::from)?);
        out.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

/// `POST /api/v1/consultations/{slug}/analyses` (analyst): queues an analysis of one
/// free-text question → 202 `{"id"}`.
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{slug}/analyses",
    operation_id = "requestAnalysis",
    tag = "listening",
    summary = "Queue an analysis of a free-text question (analyst)",
    security(("bearer" = [])),
    params(("slug" = String, Path)),
    request_body = inline(AnalysisRequest),
    responses(
        (status = 202, description = "Queued", body = inline(Queued), links(
            ("GetAnalysis" = (operation_id = "getAnalysis", parameters(("id" = "$response.body#/id")), description = "The analysis's status and result")),
        )),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 400, response = BadRequest),
    )
)]
pub async fn request_analysis(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<AnalysisRequest>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    let e = app.db.exercise_by_slug(&slug).await?;
    as_analyst(&app, &user, &e).await?;
    if !e
        .definition()
        .question(&body.question)
        .is_some_and(|q| q.kind == exercise::QuestionType::Text)
    {
        let errors = FieldErrors::one(
            "question",
            "Give the id of a free-text question of this exercise",
        );
        return Err(ApiError::Invalid(errors));
    }
    let id = app
        .db
        .request_analysis(e.id, &body.question, Some(user.id))
        .await?;
    let queued = Queued {
        id,
        status: AnalysisStatus::Queued,
    };
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// `GET /api/v1/analyses/{id}` (analyst): the job's status and, when done, the reviewed
/// result in the `townhall analyse` JSON shape.
#[utoipa::path(
    get,
    path = "/api/v1/analyses/{id}",
    operation_id = "getAnalysis",
    tag = "listening",
    summary = "An analysis's status and, when done, its reviewed result (analyst)",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The analysis", body = inline(Analysis)),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 400, response = BadRequest),
    )
)]
pub async fn analysis(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Analysis>> {
    let a = app.db.analysis(id).await?;
    let e = app.db.exercise(a.exercise_id).await?;
    as_analyst(&app, &user, &e).await?;
    let result = a.review.map(|r| AnalysisResult::from(r.0));
    Ok(Json(Analysis {
        id: a.id,
        exercise: e.slug,
        question: a.question_id,
        status: a.status,
        error: a.error,
        published: a.published_at.is_some(),
        result,
    }))
}
