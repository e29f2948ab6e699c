//! The API of consultations, surveys and reviews: exercises, responses and analyses.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::{Definition, QuestionType};
use crate::domain::role::Role;
use crate::domain::time::rfc3339;
use crate::listening::{self, Refusal, Submission};
use crate::store::exercises::Exercise;
use crate::web::api::{ApiJson, ApiPath, ApiUser};
use crate::web::client_ip::ClientIp;
use crate::web::error::{ApiError, ApiResult};
use crate::web::site::base_url;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

fn summary(base: &str, e: &Exercise, now: crate::domain::time::Timestamp) -> Value {
    json!({
        "slug": e.slug, "title": e.title, "kind": e.kind, "summary": e.summary,
        "organisation": e.organisation_slug,
        "opens_at": rfc3339(e.opens_at), "closes_at": rfc3339(e.closes_at),
        "state": e.state(now),
        "url": format!("{base}/consultations/{}", e.slug),
        "results_url": e.results_published_at.map(|_| format!("{base}/consultations/{}/results", e.slug)),
    })
}

/// `GET /api/v1/consultations`: every published exercise.
pub async fn list(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let base = base_url(&app, &headers);
    let now = crate::store::now();
    let items: Vec<Value> = app
        .db
        .public_exercises(None, None)
        .await?
        .iter()
        .map(|e| summary(&base, e, now))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn published(app: &App, slug: &str) -> Result<Exercise, ApiError> {
    let e = app.db.exercise_by_slug(slug).await?;
    if !e.published {
        return Err(ApiError::NotFound);
    }
    Ok(e)
}

/// `GET /api/v1/consultations/{slug}`: the exercise with its definition.
pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let e = published(&app, &slug).await?;
    let mut v = summary(&base_url(&app, &headers), &e, crate::store::now());
    v["definition"] = serde_json::to_value(e.definition()).unwrap_or_default();
    Ok(Json(v))
}

/// `POST /api/v1/consultations` (editor): creates and publishes an exercise.
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
        Json(json!({ "slug": slug, "url": url })),
    )
        .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    answers: Map<String, Value>,
    /// The answer to the first segment question, or an object of segment answers by id.
    #[serde(default)]
    segment: Option<Value>,
    #[serde(default)]
    email: Option<String>,
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
pub async fn respond(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<ResponseBody>,
) -> ApiResult {
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
            Ok((status, Json(json!({ "reference": receipt.reference }))).into_response())
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

/// `GET /api/v1/consultations/{slug}/responses` (analyst): every response as JSON Lines.
/// Contact emails are never included.
pub async fn responses(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult {
    let e = app.db.exercise_by_slug(&slug).await?;
    as_analyst(&app, &user, &e).await?;
    let mut out = String::new();
    for r in app.db.responses(e.id).await? {
        let line = json!({
            "id": crate::jobs::analysis::response_id(r.id),
            "reference": r.reference,
            "submitted_at": rfc3339(r.submitted_at),
            "source": r.source,
            "answers": r.answers, "segments": r.segments,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response())
}

#[derive(serde::Deserialize)]
pub struct AnalysisRequest {
    question: String,
}

/// `POST /api/v1/consultations/{slug}/analyses` (analyst): queues an analysis of one
/// free-text question → 202 `{"id"}`.
pub async fn request_analysis(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<AnalysisRequest>,
) -> ApiResult {
    let e = app.db.exercise_by_slug(&slug).await?;
    as_analyst(&app, &user, &e).await?;
    if !e
        .definition()
        .question(&body.question)
        .is_some_and(|q| q.kind == QuestionType::Text)
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
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "queued" })),
    )
        .into_response())
}

/// `GET /api/v1/analyses/{id}` (analyst): the job's status and, when done, the reviewed
/// result in the `townhall analyse` JSON shape.
pub async fn analysis(
    State(app): State<App>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let a = app.db.analysis(id).await?;
    let e = app.db.exercise(a.exercise_id).await?;
    as_analyst(&app, &user, &e).await?;
    let result = a.review.map(|r| r.0).map(|r| {
        let mut v = serde_json::to_value(&r).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("segment_of");
        }
        v
    });
    Ok(Json(json!({
        "id": a.id, "exercise": e.slug, "question": a.question_id, "status": a.status,
        "error": a.error, "published": a.published_at.is_some(), "result": result,
    })))
}
