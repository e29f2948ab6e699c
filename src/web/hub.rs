//! Public pages: the hub and organisation pages.

use super::blog::{PAGE_SIZE, PageQuery, pagination, with_details};
use super::error::PageResult;
use super::viewer::Viewer;
use crate::App;
use crate::store::posts::PostFilter;
use axum::extract::{Path, Query, State};
use minijinja::context;
use minijinja::value::Serde;

/// `GET /`: the hub. Its content (everything but the viewer's own part of the page) is the
/// same for every visitor and reused for `Config::page_cache` (a second by default): the
/// busiest page would otherwise read eight queries' worth of data for every request.
pub async fn hub(State(app): State<App>, viewer: Viewer) -> PageResult {
    let content = app
        .hub_cache
        .get_or((), app.config.page_cache, || hub_content(&app))
        .await?;
    viewer.render(&app, "hub.html", content)
}

async fn hub_content(app: &App) -> PageResult<minijinja::Value> {
    let organisations = app.db.organisations().await?;
    let (posts, _) = app.db.public_posts(PostFilter::default(), 5, 0).await?;
    let posts = with_details(app, posts).await?;
    let syndicated = app.db.recent_items(None, 5).await?;
    let open_exercises = open_exercises(app, None, None).await?;
    let by_phase = app.db.projects_by_phase().await?;
    Ok(context! {
        organisations => Serde(organisations), posts, syndicated => Serde(syndicated),
        open_exercises => Serde(open_exercises),
        programme_total => by_phase.iter().map(|(_, n)| n).sum::<i64>(),
        programme_phases => super::programme::phase_rows(&by_phase),
    })
}

/// `GET /organisations/{slug}`: the organisation, its bodies, and its posts.
pub async fn organisation(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
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
    let page = q.number();
    let filter = PostFilter {
        organisation_id: Some(organisation.id),
        ..Default::default()
    };
    let (posts, total) = app
        .db
        .public_posts(filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?;
    let base = format!("/organisations/{}", organisation.slug);
    let register = app.db.register().await?;
    let projects = register.projects(&crate::store::programme::ProjectFilter {
        organisation: Some(organisation.slug.clone()),
        ..Default::default()
    });
    viewer.render(
        &app,
        "organisation.html",
        context! {
            posts => with_details(&app, posts).await?,
            pagination => pagination(&base, page, total, PAGE_SIZE),
            feed_url => format!("{base}/feed.atom"),
            syndicated => Serde(app.db.recent_items(Some(organisation.id), 5).await?),
            documents => Serde(app.db.public_pages(organisation.id).await?),
            exercises => Serde(app.db.public_exercises(Some(organisation.id), None).await?),
            projects => Serde(&projects),
            organisation => Serde(organisation),
            parent => Serde(parent),
            children => Serde(children),
        },
    )
}

/// Published exercises open for responses now, soonest closing first.
pub async fn open_exercises(
    app: &App,
    organisation_id: Option<i64>,
    topic_id: Option<i64>,
) -> Result<Vec<crate::store::exercises::Exercise>, crate::store::StoreError> {
    let now = crate::store::now();
    let mut open: Vec<_> = app
        .db
        .public_exercises(organisation_id, topic_id)
        .await?
        .into_iter()
        .filter(|e| e.state(now) == "open")
        .collect();
    open.sort_by_key(|e| e.closes_at);
    Ok(open)
}
