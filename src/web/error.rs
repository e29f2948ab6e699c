//! Errors that handlers return, and how each becomes a response.
//!
//! Page handlers return [`PageError`]: the response carries a [`ErrorPage`] marker and
//! the `render_error_pages` middleware fills in the GOV.UK-style error page (it has the
//! templates; `IntoResponse` does not). API handlers return [`ApiError`], always JSON:
//! `{"error": "...", "fields": {...}}`.

use crate::domain::FieldErrors;
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

pub type PageResult<T = Response> = Result<T, PageError>;
pub type ApiResult<T = Response> = Result<T, ApiError>;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("page not found")]
    NotFound,
    /// Not signed in: send the browser to the sign-in page, then back to `next`.
    #[error("sign in required")]
    SignIn { next: String },
    /// Signed in, but a second factor must be set up before anything else.
    #[error("two-factor set-up required")]
    TwoFactorOwed,
    #[error("forbidden")]
    Forbidden,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: i64 },
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The body is larger than this kind of request accepts (413).
    #[error("too large: {0}")]
    TooLarge(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            e @ StoreError::UnstorableText => {
                PageError::BadRequest(format!("{e}: remove it and try again"))
            }
            other => PageError::Internal(other.into()),
        }
    }
}

impl From<minijinja::Error> for PageError {
    fn from(e: minijinja::Error) -> Self {
        PageError::Internal(anyhow::anyhow!("template error: {e:#}"))
    }
}

/// Marker read by the error-page middleware: which page to render in place of the body.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: Option<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            PageError::SignIn { next } => {
                let to = format!("/sign-in?next={}", urlencode(&next));
                return Redirect::to(&to).into_response();
            }
            PageError::TwoFactorOwed => {
                return Redirect::to("/account/two-factor").into_response();
            }
            PageError::NotFound => (StatusCode::NOT_FOUND, None),
            PageError::Forbidden => (StatusCode::FORBIDDEN, None),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, Some(m)),
            PageError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, Some(m)),
            PageError::TooManyRequests { retry_after_secs } => {
                let mut r = StatusCode::TOO_MANY_REQUESTS.into_response();
                r.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
                r.extensions_mut().insert(ErrorPage {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    message: None,
                });
                return r;
            }
            PageError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(ErrorPage { status, message });
        r
    }
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// What every API error says: a message, and what is wrong with each field (`Invalid`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("a valid API token is required")]
    Unauthorized,
    #[error("your role does not allow this")]
    Forbidden,
    /// Refused for a reason the user should read (403), such as closed comments.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("send the body as JSON, with the header Content-Type: application/json")]
    NotJson,
    #[error("{0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: i64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict(format!("already exists: {what}")),
            e @ StoreError::UnstorableText => ApiError::BadRequest(e.to_string()),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Refused(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "API request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            ApiError::Internal(_) => {
                "something went wrong on our side; try again later".to_string()
            }
            other => other.to_string(),
        };
        let fields = match &self {
            ApiError::Invalid(errors) => errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            _ => BTreeMap::new(),
        };
        let body = ErrorBody {
            error: message,
            fields,
        };
        let mut r = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        r
    }
}

/// A form page's status: 200, or 400 when it shows errors.
pub fn form_status(errors: &crate::domain::FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}
