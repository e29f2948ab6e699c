//! The JSON API under `/api/v1`, and its OpenAPI document at `/api/openapi.json` (made from
//! the handlers: `crate::web::openapi`).
//!
//! Public reads need no token; writes need `Authorization: Bearer <token>` ([`ApiUser`]).

use crate::App;
use crate::auth::token_hash;
use crate::domain::role::Role;
use crate::store::organisations;
use crate::web::error::{ApiError, ApiResult};
use crate::web::openapi::{BadRequest, DOCUMENT, RoleName, Unauthorized};
use crate::web::viewer::SignedIn;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/openapi.json`: the OpenAPI 3.1 document, made from the handlers once.
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

// A list, `{"items": [...]}`, whose items are described in place (a generic type's items
// are inlined); a list of a type in `components.schemas` has a type of its own that refers
// to it, such as `OrganisationList`.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// What a `POST` that makes something answers (201): its slug and where it is.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub slug: String,
    pub url: String,
}

/// Held for moderation (202): the new comment's or idea's id, and `pending`.
#[derive(Serialize, ToSchema)]
pub struct Held {
    pub id: i64,
    #[schema(inline)]
    pub status: HeldStatus,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HeldStatus {
    Pending,
}

#[derive(Serialize, ToSchema)]
pub struct Organisation {
    pub slug: String,
    pub name: String,
    /// The parent organisation's slug; null for a department.
    #[schema(required)]
    pub parent: Option<String>,
}

impl From<organisations::Organisation> for Organisation {
    fn from(o: organisations::Organisation) -> Self {
        Organisation {
            slug: o.slug,
            name: o.name,
            parent: o.parent_slug,
        }
    }
}

/// Every organisation.
#[derive(Serialize, ToSchema)]
pub struct OrganisationList {
    pub items: Vec<Organisation>,
}

/// The user a token belongs to, with their roles.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub email: String,
    pub name: String,
    #[schema(inline)]
    pub roles: Vec<RoleHeld>,
}

/// A role held in an organisation (and the bodies below it).
#[derive(Serialize, ToSchema)]
pub struct RoleHeld {
    /// The organisation's slug.
    pub organisation: String,
    #[schema(value_type = RoleName, inline)]
    pub role: Role,
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
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    operation_id = "listOrganisations",
    tag = "accounts",
    summary = "Every organisation: departments and their arm's-length bodies",
    responses(
        (status = 200, description = "The organisations", body = inline(OrganisationList)),
        (status = 400, response = BadRequest),
    )
)]
pub async fn organisations(State(app): State<App>) -> ApiResult<Json<OrganisationList>> {
    let items = app.db.organisations().await?;
    Ok(Json(OrganisationList {
        items: items.into_iter().map(Organisation::from).collect(),
    }))
}

/// `GET /api/v1/me`: who a token belongs to, and their roles.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = "accounts",
    summary = "The user a token belongs to, with their roles",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = inline(Me)),
        (status = 401, response = Unauthorized),
        (status = 400, response = BadRequest),
    )
)]
pub async fn me(State(app): State<App>, user: ApiUser) -> ApiResult<Json<Me>> {
    let u = app.db.user(user.id).await?;
    let roles = app.db.memberships(u.id).await?;
    Ok(Json(Me {
        email: u.email,
        name: u.name,
        roles: roles
            .into_iter()
            .map(|m| RoleHeld {
                organisation: m.organisation_slug,
                role: m.role,
            })
            .collect(),
    }))
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
    ) -> Result<(SignedIn, Vec<organisations::Organisation>), ApiError> {
        let user = SignedIn::load(&app.db, self.id, String::new()).await?;
        let orgs = user.organisations_with(role, &app.db.organisations().await?);
        if orgs.is_empty() {
            return Err(ApiError::Forbidden);
        }
        Ok((user, orgs))
    }
}
