//! The web layer: every route is listed in [`router`]; handlers are thin and live in one
//! module per area; SQL stays in `crate::store`.

pub mod admin;
pub mod analytics;
pub mod api;
pub mod api_ideas;
pub mod api_listening;
pub mod assets;
pub mod atom;
pub mod blog;
pub mod client_ip;
pub mod consultations;
pub mod editorial;
pub mod error;
pub mod ideas;
pub mod listening_admin;
pub mod middleware;
pub mod opendata;
pub mod ops;
pub mod pages;
pub mod programme;
pub mod programme_admin;
pub mod programme_api;
pub mod programme_import;
pub mod search;
pub mod sign_in;
pub mod site;
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
        .route("/consultations", get(consultations::index))
        .route("/consultations/{slug}", get(consultations::show))
        .route(
            "/consultations/{slug}/respond",
            get(consultations::respond).post(consultations::submit),
        )
        .route(
            "/consultations/{slug}/confirmation/{reference}",
            get(consultations::confirmation),
        )
        .route("/consultations/{slug}/results", get(consultations::results))
        .route(
            "/consultations/{slug}/results.json",
            get(consultations::results_json),
        )
        .route(
            "/consultations/{slug}/results.csv",
            get(consultations::results_csv),
        )
        .route("/ideas", get(ideas::index))
        .route(
            "/ideas/{challenge}",
            get(ideas::challenge).post(ideas::submit),
        )
        .route("/ideas/{challenge}/{idea}/vote", post(ideas::vote))
        .route(
            "/admin/ideas",
            get(ideas::admin_list).post(ideas::create_challenge),
        )
        .route("/admin/ideas/{challenge}", get(ideas::admin_challenge))
        .route(
            "/admin/ideas/{challenge}/{idea}/decide",
            post(ideas::decide),
        )
        .route("/admin/ideas/{challenge}/{idea}/score", post(ideas::score))
        .route(
            "/admin/ideas/{challenge}/{idea}/project",
            post(ideas::make_project),
        )
        .route("/search", get(search::search))
        .route("/programme", get(programme::overview))
        .route("/programme/projects", get(programme::projects))
        .route("/programme/projects/{slug}", get(programme::project))
        .route("/programme/strategies/{slug}", get(programme::strategy))
        .route("/programme/themes/{slug}", get(programme::theme))
        .route("/programme/commitments/{slug}", get(programme::commitment))
        .route("/programme/case-studies", get(programme::case_studies))
        .route("/programme/case-studies/{slug}", get(programme::case_study))
        .route("/programme/updates.atom", get(programme::updates_feed))
        .route("/data", get(opendata::index))
        .route("/data/{file}", get(opendata::download))
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
        .route("/admin/programme", get(programme_admin::index))
        .route(
            "/admin/programme/import",
            get(programme_import::show).post(programme_import::upload),
        )
        .route(
            "/admin/programme/import/preview",
            post(programme_import::preview),
        )
        .route(
            "/admin/programme/import/confirm",
            post(programme_import::confirm),
        )
        .route(
            "/admin/programme/{kind}/new",
            get(programme_admin::new).post(programme_admin::create),
        )
        .route(
            "/admin/programme/{kind}/{id}/edit",
            get(programme_admin::edit).post(programme_admin::update),
        )
        .route(
            "/admin/programme/{kind}/{id}/delete",
            post(programme_admin::delete),
        )
        .route("/admin/comments", get(editorial::moderation_queue))
        .route("/admin/comments/pause", post(editorial::pause))
        .route("/admin/comments/{id}", post(editorial::decide))
        .route(
            "/admin/feeds",
            get(syndication::list).post(syndication::subscribe),
        )
        .route("/admin/feeds/{id}/fetch", post(syndication::fetch))
        .route("/admin/consultations", get(listening_admin::list))
        .route(
            "/admin/consultations/new",
            get(listening_admin::new).post(listening_admin::create),
        )
        .route(
            "/admin/consultations/import",
            get(listening_admin::import_form).post(listening_admin::import),
        )
        .route("/admin/consultations/{id}", get(listening_admin::show))
        .route(
            "/admin/consultations/{id}/edit",
            get(listening_admin::edit).post(listening_admin::update),
        )
        .route(
            "/admin/consultations/{id}/questions",
            post(listening_admin::add_question),
        )
        .route(
            "/admin/consultations/{id}/questions/{action}",
            post(listening_admin::change_question),
        )
        .route(
            "/admin/consultations/{id}/segments",
            post(listening_admin::add_segment),
        )
        .route(
            "/admin/consultations/{id}/dimensions",
            post(listening_admin::add_dimension),
        )
        .route(
            "/admin/consultations/{id}/publish",
            post(listening_admin::publish),
        )
        .route(
            "/admin/consultations/{id}/definition.json",
            get(listening_admin::export_definition),
        )
        .route(
            "/admin/consultations/{id}/evidence",
            get(listening_admin::evidence).post(listening_admin::add_evidence),
        )
        .route(
            "/admin/consultations/{id}/evidence/import",
            post(listening_admin::import_evidence),
        )
        .route(
            "/admin/consultations/{id}/responses.csv",
            get(listening_admin::responses_csv),
        )
        .route(
            "/admin/consultations/{id}/analyses",
            post(listening_admin::request_analysis),
        )
        .route(
            "/admin/consultations/{id}/actions",
            post(listening_admin::add_action),
        )
        .route(
            "/admin/consultations/{id}/actions/{action}/delete",
            post(listening_admin::delete_action),
        )
        .route(
            "/admin/consultations/{id}/erase",
            post(listening_admin::erase_contact),
        )
        .route(
            "/admin/consultations/{id}/results",
            post(listening_admin::publish_results),
        )
        .route("/admin/analyses/{id}", get(listening_admin::review))
        .route(
            "/admin/analyses/{id}/edit",
            post(listening_admin::edit_review),
        )
        .route(
            "/admin/analyses/{id}/publish",
            post(listening_admin::publish_analysis),
        )
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
        .route(
            "/api/v1/consultations",
            get(api_listening::list).post(api_listening::create),
        )
        .route("/api/v1/consultations/{slug}", get(api_listening::show))
        .route("/api/v1/ideas", get(api_ideas::list))
        .route(
            "/api/v1/ideas/{challenge}",
            get(api_ideas::show).post(api_ideas::submit),
        )
        .route(
            "/api/v1/consultations/{slug}/responses",
            get(api_listening::responses).post(api_listening::respond),
        )
        .route(
            "/api/v1/consultations/{slug}/analyses",
            post(api_listening::request_analysis),
        )
        .route("/api/v1/analyses/{id}", get(api_listening::analysis))
        .route("/api/v1/programme/projects", get(programme_api::projects))
        .route(
            "/api/v1/programme/projects/{slug}",
            get(programme_api::project),
        )
        .route(
            "/api/v1/programme/strategies",
            get(programme_api::strategies),
        )
        .route("/api/v1/programme/themes", get(programme_api::themes))
        .route(
            "/api/v1/programme/commitments",
            get(programme_api::commitments),
        )
        .route(
            "/api/v1/programme/case-studies",
            get(programme_api::case_studies),
        )
        .route("/api/v1/analytics/pages", get(analytics::api_pages))
        .route("/api/{*rest}", get(api::not_found).post(api::not_found));

    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics_with_token))
        .route("/assets/{name}", get(assets::serve));

    let request_id = HeaderName::from_static("x-request-id");
    let site = pages
        .merge(api)
        .merge(ops)
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::measure,
        ));
    site
        // A bug that panics in a handler becomes a 500 page, not a dropped connection.
        .layer(CatchPanicLayer::custom(|_| {
            let mut r = axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
            r.extensions_mut().insert(error::ErrorPage { status: axum::http::StatusCode::INTERNAL_SERVER_ERROR, message: None });
            r
        }))
        .layer(axum::middleware::from_fn(middleware::refuse_malformed))
        .layer(axum::middleware::from_fn_with_state(app.clone(), middleware::cross_origin_guard))
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

/// `/metrics` alone, for `--metrics-addr` (a private address a scraper reaches).
pub fn metrics_router(app: App) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(app)
}
