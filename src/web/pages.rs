//! Public pages: the hub and organisation pages.

use super::error::PageResult;
use super::viewer::Viewer;
use crate::App;
use axum::extract::{Path, State};
use minijinja::context;
use minijinja::value::Serde;

/// `GET /`: the hub.
pub async fn hub(State(app): State<App>, viewer: Viewer) -> PageResult {
    let organisations = app.db.organisations().await?;
    viewer.render(
        &app,
        "hub.html",
        context! { organisations => Serde(organisations) },
    )
}

/// `GET /organisations/{slug}`.
pub async fn organisation(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let organisation = app.db.organisation_by_slug(&slug).await?;
    let all = app.db.organisations().await?;
    let parent = all
        .iter()
        .find(|o| Some(o.id) == organisation.parent_id)
        .cloned();
    let children: Vec<_> = all
        .into_iter()
        .filter(|o| o.parent_id == Some(organisation.id))
        .collect();
    viewer.render(&app, "organisation.html", context! { organisation => Serde(organisation), parent => Serde(parent), children => Serde(children) })
}
