//! The two front doors: the public hub at `/` and the admin home at `/admin`.

use crate::App;
use crate::domain::role::Role;
use crate::store::posts::PostFilter;
use crate::store::versions::Topic;
use crate::web::error::PageError;
use crate::web::error::PageResult;
use crate::web::publishing::old_addresses;
use crate::web::publishing::public::with_details;
use crate::web::viewer::Viewer;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;

/// What the hub shows.
const HUB_TOPICS: [Topic; 5] = [
    Topic::Posts,
    Topic::Exercises,
    Topic::Register,
    Topic::Organisations,
    Topic::Syndication,
];

/// `GET /`: the hub, the same for every visitor who is not signed in; or, for an imported
/// blog's `/?p=ID`, a redirect to that post here.
pub async fn hub(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    viewer: Viewer,
) -> Result<Response, PageError> {
    if let Some(moved) = old_addresses::from_query(&app, query.as_deref()).await? {
        return Ok(moved);
    }
    let content = hub_content(&app).await?;
    Ok(viewer
        .render_public(&app, &HUB_TOPICS, "hub.html", content)?
        .into_response())
}

/// What the hub shows.
async fn hub_content(app: &App) -> PageResult<minijinja::Value> {
    let organisations = app.db.organisations().await?;
    let (posts, _) = app.db.public_posts(PostFilter::default(), 5, 0).await?;
    let posts = with_details(app, posts).await?;
    let syndicated = app.db.recent_items(None, 5).await?;
    let open_exercises = open_exercises(app, None, None).await?;
    let by_phase = app.db.projects_by_phase().await?;
    let value = context! {
        organisations => Serde(organisations), posts, syndicated => Serde(syndicated),
        open_exercises => Serde(open_exercises),
        programme_total => by_phase.iter().map(|(_, n)| n).sum::<i64>(),
        programme_phases => crate::web::programme::public::phase_rows(&by_phase),
    };
    Ok(value)
}

/// Published exercises open for responses now, soonest closing first.
pub async fn open_exercises(
    app: &App,
    organisation_id: Option<i64>,
    topic_id: Option<i64>,
) -> Result<Vec<crate::store::exercises::Exercise>, crate::store::StoreError> {
    let all = app.db.public_exercises(organisation_id, topic_id).await?;
    Ok(open_now(all, crate::store::now()))
}

/// The exercises open at `now`, soonest closing first.
fn open_now(
    exercises: Vec<crate::store::exercises::Exercise>,
    now: crate::domain::time::Timestamp,
) -> Vec<crate::store::exercises::Exercise> {
    let mut open: Vec<_> = (exercises.into_iter())
        .filter(|e| e.state(now) == crate::domain::WindowState::Open)
        .collect();
    open.sort_by_key(|e| e.closes_at);
    open
}

/// `GET /admin`: what this user can do, and the recent audit log for a hub admin.
pub async fn admin_home(State(app): State<App>, viewer: Viewer) -> PageResult {
    let user = viewer.signed_in()?;
    let top = app.db.department_ids().await?;
    // The audit log covers every organisation: hub admins only.
    let audit = if user.hub_admin {
        app.db.recent_audit(10).await?
    } else {
        Vec::new()
    };
    let all = app.db.organisations().await?;
    let is_admin = user.is_admin();
    let is_hub_admin = user.hub_admin;
    let is_editor = !user.organisations_with(Role::Editor, &all).is_empty();
    let is_moderator = !user.organisations_with(Role::Moderator, &all).is_empty();
    let is_analyst = !user.organisations_with(Role::Analyst, &all).is_empty();
    let is_programme = user.has_hub_role(Role::Programme, &top);
    let pending_comments = if is_moderator {
        app.db.count_pending_comments().await?
    } else {
        0
    };
    viewer.render(
        &app,
        "admin/home.html",
        context! { is_admin, is_hub_admin, is_editor, is_moderator, is_analyst, is_programme, pending_comments, audit => Serde(audit) },
    )
}
