//! Middleware: security headers, the cross-origin guard, error pages and request metrics.

use crate::App;
use crate::web::analytics::PageView;
use crate::web::error::ErrorPage;
use crate::web::shared_pages::{ForEveryone, Route};
use crate::web::viewer::{Viewer, render_page};
use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use std::time::Instant;

/// Nothing on a page may come from another origin, and no inline script may run.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// Adds the security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // A response with a stricter policy of its own keeps it (files from the media library).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    response
}

/// Why a request with a NUL character is refused (PostgreSQL cannot store one, and no person
/// types one).
pub const NUL_REFUSED: &str =
    "The request contains a NUL character (%00), which is not allowed: remove it and try again";

/// Refuses, with a 400 (JSON under `/api/`, a page elsewhere), an address whose path or query
/// holds a NUL character (`%00`) and a `Host` header that is more than a host and a port.
/// Bodies are checked by the extractors that read them.
pub async fn refuse_malformed(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00");
    let problem = if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        NUL_REFUSED
    } else if req
        .headers()
        .get(header::HOST)
        .is_some_and(|h| !h.to_str().is_ok_and(crate::web::site::is_valid_host))
    {
        "The Host header must be a host name and port, such as example.org:8080"
    } else {
        return next.run(req).await;
    };
    if uri.path().starts_with("/api/") {
        crate::web::error::ApiError::BadRequest(problem.into()).into_response()
    } else {
        crate::web::error::PageError::BadRequest(problem.into()).into_response()
    }
}

/// Whether a URL-encoded form body holds a NUL character, raw or as `%00`.
pub fn form_has_nul(body: &[u8]) -> bool {
    body.contains(&0) || body.windows(3).any(|w| w == b"%00")
}

/// Whether a JSON body holds a NUL character: raw, or as the escape `\u0000` (and not an
/// escaped backslash followed by `u0000`).
pub fn json_has_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => return true,
            b'\\' if body[i + 1..].starts_with(b"u0000") => return true,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    false
}

/// Refuses state-changing requests that a browser says come from another site.
///
/// Browsers send `Sec-Fetch-Site` and `Origin` on cross-site form posts and scripts cannot
/// forge them; requests with neither come from non-browser clients (curl, the API), which
/// carry no ambient cookies a forged request could abuse.
pub async fn cross_origin_guard(State(app): State<App>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) || is_same_origin(req.headers(), app.config.public_url.as_ref()) {
        next.run(req).await
    } else {
        let mut r = StatusCode::FORBIDDEN.into_response();
        r.extensions_mut().insert(ErrorPage {
            status: StatusCode::FORBIDDEN,
            message: Some("This request came from another website, so it was refused.".into()),
        });
        r
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a browser's request comes from this site: its `Origin` is the host it asked for,
/// or `--public-url` (behind a proxy that does not pass the `Host` on).
fn is_same_origin(headers: &HeaderMap, public_url: Option<&url::Url>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    if let (Some(public), Ok(origin)) = (public_url, origin.to_str())
        && public
            .origin()
            .ascii_serialization()
            .eq_ignore_ascii_case(origin)
    {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    // "null" origins (sandboxed frames, some redirects) are treated as foreign.
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host))
}

/// The error page a response needs: the one its handler marked, an empty 404/405 from the
/// router, or one of axum's own plain-text refusals of what it cannot read (a path segment
/// that is not a number, a body of the wrong type or size).
fn error_page_for(response: &Response) -> Option<ErrorPage> {
    if let Some(marker) = response.extensions().get::<ErrorPage>() {
        return Some(marker.clone());
    }
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE);
    let unmarked = match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => content_type.is_none(),
        StatusCode::BAD_REQUEST
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY => {
            content_type.is_some_and(|t| t.as_bytes().starts_with(b"text/plain"))
        }
        _ => false,
    };
    unmarked.then_some(ErrorPage {
        status,
        message: None,
    })
}

/// Fills in error pages: a response marked with [`ErrorPage`] (or an empty 404/405 from the
/// router) gets the GOV.UK-style page for its status, in the layout.
pub async fn render_error_pages(State(app): State<App>, req: Request, next: Next) -> Response {
    let wants_json = req.uri().path().starts_with("/api/");
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let viewer = Viewer::from_request_parts(&mut parts, &app)
        .await
        .unwrap_or_else(|_| Viewer::anonymous(&path));
    let response = next.run(Request::from_parts(parts, body)).await;
    if wants_json {
        return response;
    }
    let Some(marker) = error_page_for(&response) else {
        return response;
    };
    let template = match marker.status {
        StatusCode::NOT_FOUND => "errors/404.html",
        StatusCode::FORBIDDEN => "errors/403.html",
        StatusCode::TOO_MANY_REQUESTS => "errors/429.html",
        s if s.is_client_error() => "errors/400.html",
        _ => "errors/500.html",
    };
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let ctx = context! { status => marker.status.as_u16(), message => marker.message };
    match render_page(&app, template, &viewer, ctx) {
        Ok(html) => {
            let mut r = (marker.status, Html(html)).into_response();
            if let Some(v) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            (
                marker.status,
                Body::from("Sorry, there is a problem with the service."),
            )
                .into_response()
        }
    }
}

/// Counts requests and their latency by method, route template and status.
/// Measures every routed request: its count and duration by route for `/metrics`, and, when
/// analytics is on, the page view (`analytics::PageView`). One layer does both, so a page
/// passes through the same layers whether analytics is on or off.
pub async fn measure(State(app): State<App>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let view = PageView::begin(&app, &req);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let mut response = next.run(req).await;
    if let Some(view) = view {
        view.finish(&app, &response);
    }
    count(&route, &method, &response, start);
    if response.extensions().get::<ForEveryone>().is_some() {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Counts a request to `route` for `/metrics`, by method and status, with its duration.
pub fn count(route: &str, method: &Method, response: &Response, start: Instant) {
    let status = response.status().as_u16().to_string();
    let labels = [
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status),
    ];
    metrics::counter!("townhall_http_requests_total", &labels).increment(1);
    metrics::histogram!("townhall_http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
}
