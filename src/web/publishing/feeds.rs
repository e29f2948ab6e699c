//! Atom 1.0 feeds of public posts: the whole hub, each organisation and each category.

use crate::App;
use crate::store::posts::{Post, PostFilter};
use crate::web::error::PageResult;
use crate::web::publishing::public::{POST_TOPICS, with_details};
use crate::web::shared_pages::ForEveryone;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use minijinja::context;

/// Entries in a feed.
const FEED_SIZE: i64 = 20;

async fn render(
    app: &App,
    headers: &HeaderMap,
    title: &str,
    path: &str,
    filter: PostFilter,
) -> PageResult {
    let (posts, _) = app.db.public_posts(filter, FEED_SIZE, 0).await?;
    let updated = posts
        .iter()
        .map(|p: &Post| p.updated_at.max(p.published_at.unwrap_or_default()))
        .max()
        .unwrap_or_default();
    // Every entry's authors and categories in one query, however many entries.
    let entries = with_details(app, posts).await?;
    let xml = app
        .templates
        .get_template("feeds/atom.xml")?
        .render(context! {
            base => crate::web::site::base_url(app, headers), title, path, entries, updated,
        })?;
    let feed = (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    );
    Ok(ForEveryone::showing(&POST_TOPICS).mark(feed))
}

/// `GET /blog/feed.atom`: every organisation's posts.
pub async fn hub(State(app): State<App>, headers: HeaderMap) -> PageResult {
    render(
        &app,
        &headers,
        "Townhall: all posts",
        "/blog",
        PostFilter::default(),
    )
    .await
}

/// `GET /organisations/{slug}/feed.atom`.
pub async fn organisation(
    State(app): State<App>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> PageResult {
    let org = app.db.organisation_by_slug(&slug).await?;
    let filter = PostFilter {
        organisation_id: Some(org.id),
        ..Default::default()
    };
    render(
        &app,
        &headers,
        &format!("{}: posts", org.name),
        &format!("/organisations/{}", org.slug),
        filter,
    )
    .await
}

/// `GET /blog/categories/{slug}/feed.atom`.
pub async fn category(
    State(app): State<App>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> PageResult {
    let cat = app.db.category_by_slug(&slug).await?;
    let filter = PostFilter {
        category_id: Some(cat.id),
        ..Default::default()
    };
    render(
        &app,
        &headers,
        &format!("Townhall: {}", cat.name),
        &format!("/blog/categories/{}", cat.slug),
        filter,
    )
    .await
}
