//! The JSON API under `/api/v1`, and its OpenAPI document at `/api/openapi.json`.
//!
//! Public reads need no token; writes need `Authorization: Bearer <token>` ([`ApiUser`]).

use crate::App;
use crate::auth::token_hash;
use crate::domain::role::Role;
use crate::store::organisations::Organisation;
use crate::web::error::{ApiError, ApiResult};
use crate::web::viewer::SignedIn;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// The OpenAPI 3.1 document; every endpoint is described there (a test checks the router
/// and the document agree).
pub const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// The user behind a valid bearer token.
pub struct ApiUser {
    pub id: i64,
}

impl FromRequestParts<App> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let id = app
            .db
            .user_for_token(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(ApiUser { id })
    }
}

/// `GET /api/v1/organisations`.
pub async fn organisations(State(app): State<App>) -> ApiResult<Json<Value>> {
    let items: Vec<Value> = app
        .db
        .organisations()
        .await?
        .into_iter()
        .map(|o| json!({"slug": o.slug, "name": o.name, "parent": o.parent_slug}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/me`: who a token belongs to, and their roles.
pub async fn me(State(app): State<App>, user: ApiUser) -> ApiResult<Json<Value>> {
    let u = app.db.user(user.id).await?;
    let roles: Vec<Value> = app
        .db
        .memberships(u.id)
        .await?
        .into_iter()
        .map(|m| json!({"organisation": m.organisation_slug, "role": m.role}))
        .collect();
    Ok(Json(
        json!({"email": u.email, "name": u.name, "roles": roles}),
    ))
}

/// Unknown API paths answer in JSON too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A JSON body; malformed JSON is a JSON error like every other API error.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| mime.trim().to_ascii_lowercase())
            .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
        if !is_json {
            return Err(ApiError::NotJson);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(format!(
                    "the request body is larger than this endpoint accepts ({} MB)",
                    crate::web::viewer::FORM_LIMIT / (1024 * 1024)
                )),
                _ => ApiError::BadRequest(rejection.body_text()),
            })?;
        if crate::web::middleware::json_has_nul(&bytes) {
            return Err(ApiError::BadRequest(
                crate::web::middleware::NUL_REFUSED.into(),
            ));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            ApiError::BadRequest(format!(
                "the request body is not valid JSON for this endpoint: {e}"
            ))
        })
    }
}

/// A path parameter; one that does not parse (`/api/v1/analyses/abc`) is a JSON 400.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A query string; one that does not parse (a repeated field, a word for a number) is a JSON
/// 400.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl ApiUser {
    /// The organisations in which this user holds `role`, or 403 when there are none.
    pub(crate) async fn organisations_for(
        &self,
        app: &App,
        role: Role,
    ) -> Result<(SignedIn, Vec<Organisation>), ApiError> {
        let user = SignedIn::load(&app.db, self.id, String::new()).await?;
        let orgs = user.organisations_with(role, &app.db.organisations().await?);
        if orgs.is_empty() {
            return Err(ApiError::Forbidden);
        }
        Ok((user, orgs))
    }
}
