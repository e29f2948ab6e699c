//! The web layer: every route is listed here ([`router`] and one function per area);
//! handlers are thin and live in one folder per area; SQL stays in `crate::store`.

// The areas, one folder each: public pages, admin and API.
pub mod accounts;
pub mod deliberation;
pub mod ideas;
pub mod listening;
pub mod media;
pub mod programme;
pub mod publishing;

// Pages that belong to no one area.
pub mod analytics;
pub mod api;
pub mod hub;
pub mod openapi;
pub mod opendata;
pub mod organisations;
pub mod search;
pub mod subscriptions;

// What every area uses: who is looking, errors, templates, assets, middleware.
pub mod assets;
pub mod client_ip;
pub mod error;
pub mod middleware;
pub mod ops;
pub mod shared_pages;
pub mod site;
pub mod statements;
pub mod templates;
pub mod viewer;

use crate::App;
use axum::Router;
use axum::http::{HeaderName, Request};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The whole site.
pub fn router(app: App) -> Router {
    let pages = Router::new()
        .merge(site_routes())
        .merge(accounts_routes())
        .merge(publishing_routes())
        .merge(listening_routes())
        .merge(listening_admin_routes())
        .merge(evidence_routes())
        .merge(listening::drafts::routes())
        .merge(ideas_routes())
        .merge(conversation_routes(app.config.max_upload_bytes))
        .merge(programme_routes())
        .merge(media_routes(app.config.max_upload_bytes));
    let api = api_routes().merge(publishing_api_routes());

    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics_with_token))
        .route("/assets/{name}", get(assets::serve));

    let request_id = HeaderName::from_static("x-request-id");
    let site = pages
        .merge(api)
        .merge(ops)
        .fallback(publishing::old_addresses::fallback)
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
        // A page to be kept for everyone is compressed once, by `shared_pages`; one made for
        // a single person (signed in, or an API client) is compressed here like any other.
        .layer(axum::middleware::from_fn(shared_pages::made_for_one))
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(shared_pages::not_kept)))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Outermost: a kept page is answered before any other layer runs (it went through
        // them all when it was made).
        .layer(axum::middleware::from_fn_with_state(app.clone(), shared_pages::serve))
        .with_state(app)
}

/// The hub, search, open data and analytics.
fn site_routes() -> Router<App> {
    Router::new()
        .route("/", get(hub::hub))
        .route("/search", get(search::search))
        .route("/data", get(opendata::index))
        .route("/data/{file}", get(opendata::download))
        .route("/accessibility", get(statements::accessibility))
        .route("/privacy", get(statements::privacy))
        .route("/cookies", get(statements::cookies))
        .route(
            "/admin/statements",
            get(statements::index).post(statements::set_contact),
        )
        .route(
            "/admin/statements/{kind}",
            get(statements::edit).post(statements::save),
        )
        .route(
            "/subscribe",
            get(subscriptions::subscribe_page).post(subscriptions::subscribe),
        )
        .route(
            "/subscriptions/confirm",
            get(subscriptions::confirm_page).post(subscriptions::confirm),
        )
        .route(
            "/subscriptions/manage",
            get(subscriptions::manage_page).post(subscriptions::manage),
        )
        .route(
            "/subscriptions/unsubscribe",
            get(subscriptions::unsubscribe_page).post(subscriptions::unsubscribe),
        )
        .route("/admin/subscriptions", get(subscriptions::admin))
        .route(
            "/admin/subscriptions/erase",
            post(subscriptions::admin_erase),
        )
        .route(
            "/admin/subscriptions/resume",
            post(subscriptions::admin_resume),
        )
        .route("/admin", get(hub::admin_home))
        .route("/admin/analytics", get(analytics::dashboard))
        .route("/admin/analytics.csv", get(analytics::csv))
}

/// Signing in, organisations, users and roles.
fn accounts_routes() -> Router<App> {
    Router::new()
        .route("/organisations/{slug}", get(organisations::organisation))
        .route(
            "/sign-in",
            get(accounts::sign_in::show).post(accounts::sign_in::submit),
        )
        .route("/sign-out", post(accounts::sign_in::sign_out))
        .route("/sign-in/sso/{provider}", get(accounts::sso::begin))
        .route(
            "/sign-in/sso/{provider}/callback",
            get(accounts::sso::callback),
        )
        .route(
            "/sign-in/two-factor",
            get(accounts::two_factor::challenge_page).post(accounts::two_factor::check_challenge),
        )
        .route(
            "/forgot-password",
            get(accounts::reset::forgot_page).post(accounts::reset::forgot),
        )
        .route(
            "/set-password",
            get(accounts::reset::set_password_page).post(accounts::reset::set_password),
        )
        .route("/account", get(accounts::account::show))
        .route(
            "/account/password",
            post(accounts::account::change_password),
        )
        .route("/account/sessions", post(accounts::account::end_sessions))
        .route("/account/alerts", post(accounts::account::alerts))
        .route(
            "/account/two-factor",
            get(accounts::two_factor::set_up_page_get).post(accounts::two_factor::set_up),
        )
        .route(
            "/account/two-factor/recovery-codes",
            post(accounts::two_factor::new_recovery_codes),
        )
        .route("/admin/organisations", get(organisations::organisations))
        .route(
            "/admin/organisations/new",
            get(organisations::new_organisation).post(organisations::create_organisation),
        )
        .route(
            "/admin/organisations/{slug}/edit",
            get(organisations::edit_organisation).post(organisations::update_organisation),
        )
        .route("/admin/users", get(accounts::users::users))
        .route(
            "/admin/users/new",
            get(accounts::users::new_user).post(accounts::users::create_user),
        )
        .route(
            "/admin/users/{id}/edit",
            get(accounts::users::edit_user).post(accounts::users::update_user),
        )
        .route(
            "/admin/users/{id}/password-link",
            post(accounts::users::send_password_link),
        )
        .route(
            "/admin/users/{id}/two-factor/remove",
            post(accounts::users::remove_two_factor),
        )
}

/// Blogs, pages, comments, feeds and syndication.
/// The media library's files, and its admin. Uploads may be as large as `--max-upload-mb`
/// (axum otherwise stops reading a body at 2 MB); the extractor refuses a larger one.
fn media_routes(max_upload_bytes: u64) -> Router<App> {
    let uploads = upload_limit(max_upload_bytes);
    Router::new()
        .route("/media/{id}", get(media::current))
        .route("/media/{id}/{file}", get(media::file))
        .route("/admin/media", get(media::library::library))
        .route(
            "/admin/media/new",
            get(media::library::new)
                .post(media::library::upload)
                .layer(uploads),
        )
        .route(
            "/admin/media/{id}",
            get(media::library::item).post(media::library::update),
        )
        .route(
            "/admin/media/{id}/replace",
            post(media::library::replace).layer(uploads),
        )
        .route("/admin/media/{id}/delete", post(media::library::delete))
        .route(
            "/api/v1/media",
            post(media::library::api_upload).layer(uploads),
        )
}

fn publishing_routes() -> Router<App> {
    Router::new()
        .route(
            "/organisations/{slug}/feed.atom",
            get(publishing::feeds::organisation),
        )
        .route("/blog", get(publishing::public::index))
        .route("/blog/feed.atom", get(publishing::feeds::hub))
        .route("/blog/categories/{slug}", get(publishing::public::category))
        .route(
            "/blog/categories/{slug}/feed.atom",
            get(publishing::feeds::category),
        )
        .route("/blog/{slug}", get(publishing::public::post))
        .route(
            "/blog/{slug}/comments",
            post(publishing::public::add_comment),
        )
        .route("/topics", get(publishing::public::topics))
        .route("/topics/{slug}", get(publishing::public::topic))
        .route("/pages/{slug}", get(publishing::public::page))
        .route("/syndicated/{id}", get(publishing::syndication::item))
        .route("/admin/posts", get(publishing::admin::posts))
        .route(
            "/admin/posts/new",
            get(publishing::admin::new_post).post(publishing::admin::create_post),
        )
        .route(
            "/admin/posts/{id}/edit",
            get(publishing::admin::edit_post).post(publishing::admin::update_post),
        )
        .route(
            "/admin/posts/{id}/preview",
            get(publishing::admin::preview_post),
        )
        .route(
            "/admin/posts/{id}/revisions/{revision}",
            get(publishing::admin::revision),
        )
        .route(
            "/admin/posts/{id}/revisions/{revision}/restore",
            post(publishing::admin::restore_revision),
        )
        .route("/admin/comments", get(publishing::admin::moderation_queue))
        .route("/admin/comments/pause", post(publishing::admin::pause))
        .route("/admin/comments/{id}", post(publishing::admin::decide))
        .route(
            "/admin/feeds",
            get(publishing::syndication::list).post(publishing::syndication::subscribe),
        )
        .route(
            "/admin/feeds/{id}/fetch",
            post(publishing::syndication::fetch),
        )
}

/// Consultations, surveys and reviews in public.
fn listening_routes() -> Router<App> {
    Router::new()
        .route("/consultations", get(listening::calendar::index))
        .route("/consultations/feed.atom", get(listening::calendar::feed))
        .route("/consultations/{slug}", get(listening::public::show))
        .route(
            "/consultations/{slug}/respond",
            get(listening::public::respond).post(listening::public::submit),
        )
        .route(
            "/consultations/{slug}/confirmation/{reference}",
            get(listening::public::confirmation).post(listening::public::results_email),
        )
        .route(
            "/consultations/{slug}/results",
            get(listening::public::results),
        )
        .route(
            "/consultations/{slug}/results.json",
            get(listening::public::results_json),
        )
        .route(
            "/consultations/{slug}/results.csv",
            get(listening::public::results_csv),
        )
}

/// Building exercises in the admin.
fn listening_admin_routes() -> Router<App> {
    Router::new()
        .route("/admin/consultations", get(listening::admin::list))
        .route(
            "/admin/consultations/new",
            get(listening::admin::new).post(listening::admin::create),
        )
        .route(
            "/admin/consultations/import",
            get(listening::admin::import_form).post(listening::admin::import),
        )
        .route("/admin/consultations/{id}", get(listening::admin::show))
        .route(
            "/admin/consultations/{id}/edit",
            get(listening::admin::edit).post(listening::admin::update),
        )
        .route(
            "/admin/consultations/{id}/questions",
            post(listening::questions::add_question),
        )
        .route(
            "/admin/consultations/{id}/questions/{action}",
            post(listening::questions::change_question),
        )
        .route(
            "/admin/consultations/{id}/segments",
            post(listening::questions::add_segment),
        )
        .route(
            "/admin/consultations/{id}/dimensions",
            post(listening::questions::add_dimension),
        )
        .route(
            "/admin/consultations/{id}/publish",
            post(listening::admin::publish),
        )
        .route(
            "/admin/consultations/{id}/definition.json",
            get(listening::admin::export_definition),
        )
}

/// The evidence log, analyses and their review, and results, in the admin.
fn evidence_routes() -> Router<App> {
    Router::new()
        .route(
            "/admin/consultations/{id}/evidence",
            get(listening::evidence::evidence).post(listening::evidence::add_evidence),
        )
        .route(
            "/admin/consultations/{id}/evidence/import",
            post(listening::evidence::import_evidence),
        )
        .route(
            "/admin/consultations/{id}/responses.csv",
            get(listening::evidence::responses_csv),
        )
        .route(
            "/admin/consultations/{id}/analyses",
            post(listening::review::request_analysis),
        )
        .route(
            "/admin/consultations/{id}/actions",
            post(listening::results::add_action),
        )
        .route(
            "/admin/consultations/{id}/actions/new",
            get(listening::results::new_action),
        )
        .route(
            "/admin/consultations/{id}/actions/{action}",
            get(listening::results::edit_action).post(listening::results::update_action),
        )
        .route(
            "/admin/consultations/{id}/actions/{action}/delete",
            post(listening::results::delete_action),
        )
        .route(
            "/admin/consultations/{id}/erase",
            post(listening::results::erase_contact),
        )
        .route(
            "/admin/consultations/{id}/results",
            post(listening::results::publish_results),
        )
        .route("/admin/analyses/{id}", get(listening::review::review))
        .route(
            "/admin/analyses/{id}/edit",
            post(listening::review::edit_review),
        )
        .route(
            "/admin/analyses/{id}/publish",
            post(listening::review::publish_analysis),
        )
}

/// Idea challenges.
fn ideas_routes() -> Router<App> {
    Router::new()
        .route("/ideas", get(ideas::public::index))
        .route(
            "/ideas/{challenge}",
            get(ideas::public::challenge).post(ideas::public::submit),
        )
        .route("/ideas/{challenge}/{idea}/vote", post(ideas::public::vote))
        .route(
            "/ideas/{challenge}/confirm-vote",
            get(ideas::email_votes::confirm_page).post(ideas::email_votes::confirm),
        )
        .route(
            "/admin/ideas/{challenge}/voting",
            post(ideas::admin::set_voting),
        )
        .route(
            "/admin/ideas",
            get(ideas::admin::admin_list).post(ideas::admin::create_challenge),
        )
        .route(
            "/admin/ideas/{challenge}",
            get(ideas::admin::admin_challenge),
        )
        .route(
            "/admin/ideas/{challenge}/{idea}/decide",
            post(ideas::admin::decide),
        )
        .route(
            "/admin/ideas/{challenge}/{idea}/score",
            post(ideas::admin::score),
        )
        .route(
            "/admin/ideas/{challenge}/{idea}/project",
            post(ideas::admin::make_project),
        )
}

/// axum's limit on a request body, raised for forms whose files may be as large as
/// `--max-upload-mb` (the form's fields take the rest); their extractor, `MediaUpload`,
/// refuses a larger one with a page that says so.
fn upload_limit(max_upload_bytes: u64) -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(
        usize::try_from(max_upload_bytes + (64 << 10)).unwrap_or(usize::MAX),
    )
}

/// Conversations: statements, votes and opinion groups.
fn conversation_routes(max_upload_bytes: u64) -> Router<App> {
    use deliberation::{admin, downloads, import, public, results};
    Router::new()
        .route("/conversations", get(public::index))
        .route("/conversations/{slug}", get(public::show))
        .route("/conversations/{slug}/vote", post(public::vote))
        .route("/conversations/{slug}/statements", post(public::submit))
        .route("/conversations/{slug}/results", get(results::results))
        .route(
            "/conversations/{slug}/data/{file}",
            get(downloads::public_file),
        )
        .route(
            "/admin/conversations/{slug}/data/{file}",
            get(downloads::staff_file),
        )
        .route("/admin/conversations", get(admin::list).post(admin::create))
        .route(
            "/admin/conversations/import",
            get(import::show)
                .post(import::import)
                .layer(upload_limit(max_upload_bytes)),
        )
        .route("/admin/conversations/{slug}", get(admin::show))
        .route("/admin/conversations/{slug}/publish", post(admin::publish))
        .route("/admin/conversations/{slug}/decide", post(admin::decide))
}

/// The programme register.
fn programme_routes() -> Router<App> {
    Router::new()
        .route("/programme", get(programme::public::overview))
        .route("/programme/projects", get(programme::public::projects))
        .route(
            "/programme/projects/{slug}",
            get(programme::public::project),
        )
        .route(
            "/programme/strategies/{slug}",
            get(programme::public::strategy),
        )
        .route("/programme/themes/{slug}", get(programme::public::theme))
        .route(
            "/programme/commitments/{slug}",
            get(programme::public::commitment),
        )
        .route(
            "/programme/case-studies",
            get(programme::public::case_studies),
        )
        .route(
            "/programme/case-studies/{slug}",
            get(programme::public::case_study),
        )
        .route(
            "/programme/updates.atom",
            get(programme::public::updates_feed),
        )
        .route("/admin/programme", get(programme::admin::index))
        .route(
            "/admin/programme/import",
            get(programme::import::show).post(programme::import::upload),
        )
        .route(
            "/admin/programme/import/preview",
            post(programme::import::preview),
        )
        .route(
            "/admin/programme/import/confirm",
            post(programme::import::confirm),
        )
        .merge(register_forms::<programme::forms::StrategyForm>())
        .merge(register_forms::<programme::forms::ThemeForm>())
        .merge(register_forms::<programme::forms::CommitmentForm>())
        .merge(register_forms::<crate::domain::programme::ProjectInput>())
        .merge(register_forms::<programme::forms::UpdateForm>())
        .merge(register_forms::<crate::domain::programme::CaseStudyInput>())
}

/// The JSON API of publishing and ideas.
fn publishing_api_routes() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/posts",
            get(publishing::api::posts).post(publishing::api::create_post),
        )
        .route("/api/v1/posts/{slug}", get(publishing::api::post))
        .route(
            "/api/v1/posts/{slug}/comments",
            post(publishing::api::add_comment),
        )
        .route(
            "/api/v1/comments/{id}/approve",
            post(publishing::api::approve_comment),
        )
        .route(
            "/api/v1/comments/{id}/reject",
            post(publishing::api::reject_comment),
        )
        .route("/api/v1/feeds", post(publishing::api::create_feed))
        .route(
            "/api/v1/feeds/{id}/fetch",
            post(publishing::api::fetch_feed),
        )
        .route("/api/v1/ideas", get(ideas::api::list))
        .route(
            "/api/v1/ideas/{challenge}",
            get(ideas::api::show).post(ideas::api::submit),
        )
}

/// The JSON API under `/api/v1` and its OpenAPI document: who you are, organisations,
/// listening, the programme, analytics, and JSON for unknown paths.
fn api_routes() -> Router<App> {
    Router::new()
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/organisations", get(api::organisations))
        .route("/api/v1/me", get(api::me))
        .route(
            "/api/v1/consultations",
            get(listening::api::list).post(listening::api::create),
        )
        .route("/api/v1/consultations/{slug}", get(listening::api::show))
        .route(
            "/api/v1/consultations/{slug}/responses",
            get(listening::api::responses).post(listening::api::respond),
        )
        .route(
            "/api/v1/consultations/{slug}/analyses",
            post(listening::api::request_analysis),
        )
        .route(
            "/api/v1/consultations/{slug}/actions",
            get(listening::api::statements::list).post(listening::api::statements::add),
        )
        .route(
            "/api/v1/consultations/{slug}/actions/{id}",
            put(listening::api::statements::change).delete(listening::api::statements::remove),
        )
        .route("/api/v1/analyses/{id}", get(listening::api::analysis))
        .route("/api/v1/programme/projects", get(programme::api::projects))
        .route(
            "/api/v1/programme/projects/{slug}",
            get(programme::api::project),
        )
        .route(
            "/api/v1/programme/strategies",
            get(programme::api::strategies),
        )
        .route("/api/v1/programme/themes", get(programme::api::themes))
        .route(
            "/api/v1/programme/commitments",
            get(programme::api::commitments),
        )
        .route(
            "/api/v1/programme/case-studies",
            get(programme::api::case_studies),
        )
        .route("/api/v1/analytics/pages", get(analytics::api_pages))
        .route("/api/{*rest}", get(api::not_found).post(api::not_found))
}

/// The new, edit and delete paths of one kind of programme register row.
fn register_forms<F: programme::forms::RegisterForm>() -> Router<App> {
    use programme::admin::{create, delete, edit, link_statement, new, statements, update};
    let base = format!("/admin/programme/{}", F::PATH);
    Router::new()
        .route(&format!("{base}/new"), get(new::<F>).post(create::<F>))
        .route(
            &format!("{base}/{{id}}/edit"),
            get(edit::<F>).post(update::<F>),
        )
        .route(&format!("{base}/{{id}}/delete"), post(delete::<F>))
        .route(
            &format!("{base}/{{id}}/statements"),
            get(statements::<F>).post(link_statement::<F>),
        )
}

/// `/metrics` alone, for `--metrics-addr` (a private address a scraper reaches).
pub fn metrics_router(app: App) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(app)
}
