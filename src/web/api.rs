//! The JSON API under `/api/v1`, and its OpenAPI document at `/api/openapi.json`.
//!
//! Public reads need no token; writes need `Authorization: Bearer <token>` ([`ApiUser`]).

use super::error::{ApiError, ApiResult};
use crate::App;
use crate::auth::token_hash;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
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
