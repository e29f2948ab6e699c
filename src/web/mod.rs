//! The web layer: every route is listed in [`router`]; handlers are thin and live in one
//! module per area; SQL stays in `crate::store`.

pub mod admin;
pub mod analytics;
pub mod api;
pub mod assets;
pub mod atom;
pub mod blog;
pub mod client_ip;
pub mod editorial;
pub mod error;
pub mod middleware;
pub mod ops;
pub mod pages;
pub mod search;
pub mod sign_in;
pub mod syndication;
pub mod templates;
pub mod viewer;

use crate::App;
use axum::Router;
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The whole site.
pub fn router(app: App) -> Router {
    let pages = Router::new()
        .route("/", get(pages::hub))
        .route("/organisations/{slug}", get(pages::organisation))
        .route("/organisations/{slug}/feed.atom", get(atom::organisation))
        .route("/blog", get(blog::index))
        .route("/blog/feed.atom", get(atom::hub))
        .route("/blog/categories/{slug}", get(blog::category))
        .route("/blog/categories/{slug}/feed.atom", get(atom::category))
        .route("/blog/{slug}", get(blog::post))
        .route("/blog/{slug}/comments", post(blog::add_comment))
        .route("/topics/{slug}", get(blog::topic))
        .route("/pages/{slug}", get(blog::page))
        .route("/search", get(search::search))
        .route("/syndicated/{id}", get(syndication::item))
        .route("/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/admin", get(admin::home))
        .route("/admin/organisations", get(admin::organisations))
        .route(
            "/admin/organisations/new",
            get(admin::new_organisation).post(admin::create_organisation),
        )
        .route(
            "/admin/organisations/{slug}/edit",
            get(admin::edit_organisation).post(admin::update_organisation),
        )
        .route("/admin/users", get(admin::users))
        .route(
            "/admin/users/new",
            get(admin::new_user).post(admin::create_user),
        )
        .route(
            "/admin/users/{id}/edit",
            get(admin::edit_user).post(admin::update_user),
        )
        .route("/admin/posts", get(editorial::posts))
        .route(
            "/admin/posts/new",
            get(editorial::new_post).post(editorial::create_post),
        )
        .route(
            "/admin/posts/{id}/edit",
            get(editorial::edit_post).post(editorial::update_post),
        )
        .route("/admin/comments", get(editorial::moderation_queue))
        .route("/admin/comments/pause", post(editorial::pause))
        .route("/admin/comments/{id}", post(editorial::decide))
        .route(
            "/admin/feeds",
            get(syndication::list).post(syndication::subscribe),
        )
        .route("/admin/feeds/{id}/fetch", post(syndication::fetch))
        .route("/admin/analytics", get(analytics::dashboard))
        .route("/admin/analytics.csv", get(analytics::csv));

    let api = Router::new()
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/organisations", get(api::organisations))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/posts", get(api::posts).post(api::create_post))
        .route("/api/v1/posts/{slug}", get(api::post))
        .route("/api/v1/posts/{slug}/comments", post(api::add_comment))
        .route("/api/v1/comments/{id}/approve", post(api::approve_comment))
        .route("/api/v1/comments/{id}/reject", post(api::reject_comment))
        .route("/api/v1/feeds", post(api::create_feed))
        .route("/api/v1/feeds/{id}/fetch", post(api::fetch_feed))
        .route("/api/v1/analytics/pages", get(analytics::api_pages))
        .route("/api/{*rest}", get(api::not_found).post(api::not_found));

    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/{name}", get(assets::serve));

    let request_id = HeaderName::from_static("x-request-id");
    let site = pages
        .merge(api)
        .merge(ops)
        .route_layer(axum::middleware::from_fn(middleware::record_metrics));
    // Page views are counted only when analytics is on (`--analytics false` leaves no layer).
    let site = if app.analytics.is_some() {
        site.layer(axum::middleware::from_fn_with_state(
            app.clone(),
            analytics::count_page_views,
        ))
    } else {
        site
    };
    site
        // A bug that panics in a handler becomes a 500 page, not a dropped connection.
        .layer(CatchPanicLayer::custom(|_| {
            let mut r = axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
            r.extensions_mut().insert(error::ErrorPage { status: axum::http::StatusCode::INTERNAL_SERVER_ERROR, message: None });
            r
        }))
        .layer(axum::middleware::from_fn(middleware::cross_origin_guard))
        .layer(axum::middleware::from_fn_with_state(app.clone(), middleware::render_error_pages))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(app)
}
