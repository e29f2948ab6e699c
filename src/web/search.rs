//! `GET /search?q=&organisation=&type=&page=`: site search with highlighted snippets.

use crate::App;
use crate::web::error::PageResult;
use crate::web::publishing::public::{PAGE_SIZE, PageQuery, pagination};
use crate::web::viewer::Viewer;
use axum::extract::{Query, State};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// The kinds of thing search finds, as (value, label).
pub const KINDS: &[(&str, &str)] = &[
    ("post", "Posts"),
    ("page", "Pages"),
    ("consultation", "Consultations and surveys"),
    ("project", "Projects"),
    ("commitment", "Commitments"),
    ("case-study", "Case studies"),
    ("idea", "Ideas"),
    ("syndicated", "From other sites"),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    organisation: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(flatten)]
    page: PageQuery,
}

pub async fn search(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let text: String = q.q.trim().chars().take(200).collect();
    let organisations = app.db.organisations().await?;
    let organisation = organisations.iter().find(|o| o.slug == q.organisation);
    let kind = KINDS.iter().find(|(k, _)| *k == q.kind).map(|(k, _)| *k);
    let page = q.page.number();
    let (hits, total) = if text.is_empty() {
        (Vec::new(), 0)
    } else {
        app.db
            .search(
                &text,
                organisation.map(|o| o.id),
                kind,
                PAGE_SIZE,
                (page - 1) * PAGE_SIZE,
            )
            .await?
    };
    let mut base = format!("/search?q={}", crate::web::error::urlencode(&text));
    if let Some(o) = organisation {
        base.push_str(&format!("&organisation={}", o.slug));
    }
    if let Some(k) = kind {
        base.push_str(&format!("&type={k}"));
    }
    let pages = pagination(&base, page, total, PAGE_SIZE);
    viewer.render(
        &app,
        "search.html",
        context! {
            q => &text,
            total,
            hits => Serde(hits),
            organisations => Serde(&organisations),
            organisation => organisation.map(|o| o.slug.clone()),
            kinds => KINDS.iter().map(|&(v, l)| context! { value => v, text => l }).collect::<Vec<_>>(),
            kind,
            pagination => pages,
        },
    )
}
