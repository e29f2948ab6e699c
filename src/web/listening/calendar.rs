//! Following consultations: the list of those open, opening and closed, for the hub or one
//! organisation, and its Atom feed of each one announced, opened, closed and with results.

use crate::App;
use crate::domain::WindowState;
use crate::listening::calendar;
use crate::store::organisations::Organisation;
use crate::store::versions::Topic;
use crate::web::error::PageResult;
use crate::web::shared_pages::ForEveryone;
use crate::web::viewer::Viewer;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// What the list and its feed show: exercises (and when their results were published), and
/// organisations.
const CALENDAR_TOPICS: [Topic; 2] = [Topic::Exercises, Topic::Organisations];

/// Entries in a feed.
const FEED_SIZE: usize = 30;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Whose {
    /// An organisation's slug; none for the whole hub.
    organisation: Option<String>,
}

impl Whose {
    async fn organisation(&self, app: &App) -> PageResult<Option<Organisation>> {
        Ok(
            match self.organisation.as_deref().filter(|s| !s.is_empty()) {
                Some(slug) => Some(app.db.organisation_by_slug(slug).await?),
                None => None,
            },
        )
    }

    /// The feed's address for this list.
    fn feed_url(org: Option<&Organisation>) -> String {
        match org {
            Some(o) => format!("/consultations/feed.atom?organisation={}", o.slug),
            None => "/consultations/feed.atom".into(),
        }
    }
}

/// `GET /consultations[?organisation=slug]`: open, upcoming and closed exercises.
pub async fn index(State(app): State<App>, viewer: Viewer, Query(q): Query<Whose>) -> PageResult {
    let org = q.organisation(&app).await?;
    let now = crate::store::now();
    let all = app
        .db
        .public_exercises(org.as_ref().map(|o| o.id), None)
        .await?;
    let (mut open, mut upcoming, mut closed) = (vec![], vec![], vec![]);
    for e in all {
        match e.state(now) {
            WindowState::Open => open.push(e),
            WindowState::Upcoming => upcoming.push(e),
            WindowState::Closed => closed.push(e),
        }
    }
    open.sort_by_key(|e| e.closes_at);
    upcoming.sort_by_key(|e| e.opens_at);
    viewer.render_public(
        &app,
        &CALENDAR_TOPICS,
        "consultations/index.html",
        context! {
            open => Serde(open), upcoming => Serde(upcoming), closed => Serde(closed),
            feed_url => Whose::feed_url(org.as_ref()),
            organisation => Serde(org),
        },
    )
}

/// `GET /consultations/feed.atom[?organisation=slug]`.
pub async fn feed(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Whose>,
) -> PageResult {
    let org = q.organisation(&app).await?;
    let all = app
        .db
        .public_exercises(org.as_ref().map(|o| o.id), None)
        .await?;
    let events = calendar::events(&all, crate::store::now(), FEED_SIZE);
    let updated = events.first().map(|e| e.at).unwrap_or_default();
    let base = crate::web::site::base_url(&app, &headers);
    let page = match &org {
        Some(o) => format!("/consultations?organisation={}", o.slug),
        None => "/consultations".into(),
    };
    let title = match &org {
        Some(o) => format!("{}: consultations and surveys", o.name),
        None => "Townhall: consultations and surveys".into(),
    };
    let xml = app
        .templates
        .get_template("feeds/consultations.xml")?
        .render(context! {
            base, title, page, updated,
            self_url => Whose::feed_url(org.as_ref()),
            events => Serde(events),
        })?;
    let feed = (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    );
    Ok(ForEveryone::showing(&CALENDAR_TOPICS).mark(feed))
}
