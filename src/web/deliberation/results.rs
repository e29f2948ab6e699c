//! `/conversations/{slug}/results`: the opinion groups once a moderator has published them
//! (staff of the organisation see them before, to check): the map with its data table, each
//! group's size and representative statements, consensus, and every statement's votes by
//! group. Statements are shown only while approved.

use crate::App;
use crate::domain::conversation::results::MAP_SIZE;
use crate::domain::role::Role;
use crate::store::conversations::Conversation;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::Viewer;
use axum::extract::{Path, State};
use axum_extra::extract::cookie::CookieJar;
use minijinja::context;
use minijinja::value::Serde;
use std::collections::HashMap;

/// Whether the viewer works on `c` for its organisation (and may see unpublished results).
pub async fn is_staff(app: &App, viewer: &Viewer, c: &Conversation) -> PageResult<bool> {
    let Some(user) = &viewer.user else {
        return Ok(false);
    };
    let all = app.db.organisations().await?;
    Ok([Role::Editor, Role::Moderator, Role::Analyst]
        .into_iter()
        .any(|role| {
            (user.organisations_with(role, &all).iter()).any(|o| o.id == c.organisation_id)
        }))
}

/// `GET /conversations/{slug}/results`.
pub async fn results(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> PageResult {
    let c = app.db.conversation_by_slug(&slug).await?;
    let staff = is_staff(&app, &viewer, &c).await?;
    if !staff && (!c.published || c.results_published_at.is_none()) {
        return Err(PageError::NotFound);
    }
    let results = app.db.conversation_results(c.id).await?;
    // Keyed by the number as text: what a template's map lookup takes.
    let bodies: HashMap<String, String> = (app.db.shown_statements(c.id).await?)
        .into_iter()
        .map(|s| (s.number.to_string(), s.body))
        .collect();
    let mine = match super::public::participant(&app, &c, &jar).await? {
        Some(p) => results.group_of(p.number).map(|g| g.label.clone()),
        None => None,
    };
    viewer.render(
        &app,
        "conversations/results.html",
        context! {
            conversation => Serde(&c), results => Serde(&results), bodies => Serde(&bodies),
            organisation => Serde(app.db.organisation(c.organisation_id).await?),
            map_size => MAP_SIZE, mine, preview => c.results_published_at.is_none(),
            files => super::downloads::FILES,
        },
    )
}
