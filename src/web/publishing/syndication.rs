//! Subscribing to other sites' feeds (editors), and the republished items (everyone).

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::feed::parse_feed_url;
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::store::organisations::Organisation;
use crate::store::versions::Topic;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

async fn editor_orgs(app: &App, viewer: &Viewer) -> Result<(i64, Vec<Organisation>), PageError> {
    let user = viewer.signed_in()?;
    let orgs = user.organisations_with(Role::Editor, &app.db.organisations().await?);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    Ok((user.id, orgs))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SubscribeForm {
    organisation: String,
    url: String,
}

async fn page(
    app: &App,
    viewer: &Viewer,
    orgs: &[Organisation],
    form: &SubscribeForm,
    errors: &FieldErrors,
    message: Option<String>,
) -> PageResult {
    let subs: Vec<_> = app
        .db
        .subscriptions()
        .await?
        .into_iter()
        .filter(|s| orgs.iter().any(|o| o.id == s.organisation_id))
        .collect();
    let status = form_status(errors);
    viewer.render_with_status(
        app,
        "admin/feeds.html",
        context! {
            subscriptions => Serde(subs),
            organisations => Serde(orgs),
            form => context! { organisation => &form.organisation, url => &form.url },
            errors => Serde(errors.iter().collect::<Vec<_>>()),
            message,
        },
        status,
    )
}

/// `GET /admin/feeds`.
pub async fn list(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, orgs) = editor_orgs(&app, &viewer).await?;
    blank_page(&app, &viewer, &orgs, None).await
}

/// The page with an empty form, and what happened when there is something to say.
async fn blank_page(
    app: &App,
    viewer: &Viewer,
    orgs: &[Organisation],
    message: Option<String>,
) -> PageResult {
    let form = SubscribeForm::default();
    page(app, viewer, orgs, &form, &FieldErrors::new(), message).await
}

/// `POST /admin/feeds`: subscribe, then fetch at once so the editor sees the outcome.
pub async fn subscribe(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SubscribeForm>,
) -> PageResult {
    let (user_id, orgs) = editor_orgs(&app, &viewer).await?;
    let mut errors = FieldErrors::new();
    let org = orgs.iter().find(|o| o.slug == form.organisation);
    if org.is_none() {
        errors.add("organisation", "Choose the organisation that subscribes");
    }
    let url = errors.check("url", parse_feed_url(&form.url));
    let (Some(org), Some(url)) = (org, url) else {
        return page(&app, &viewer, &orgs, &form, &errors, None).await;
    };
    let id = match app.db.create_subscription(org.id, &url).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            errors.add("url", "This organisation already subscribes to that feed");
            return page(&app, &viewer, &orgs, &form, &errors, None).await;
        }
        Err(e) => return Err(e.into()),
    };
    app.db
        .audit(Some(user_id), "subscribed to feed", &url, &org.slug)
        .await?;
    let summary = crate::jobs::syndication::fetch_now(&app, id).await?;
    let message = match summary.error {
        None => format!(
            "Subscribed. The first fetch found {} item{}.",
            summary.new_items,
            if summary.new_items == 1 { "" } else { "s" }
        ),
        Some(e) => format!(
            "Subscribed, but the first fetch failed: {e}. It will be tried again every 30 minutes."
        ),
    };
    blank_page(&app, &viewer, &orgs, Some(message)).await
}

#[derive(Deserialize)]
pub struct FetchForm {}

/// `POST /admin/feeds/{id}/fetch`.
pub async fn fetch(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<FetchForm>,
) -> PageResult {
    let (_, orgs) = editor_orgs(&app, &viewer).await?;
    let sub = app.db.subscription(id).await?;
    if !orgs.iter().any(|o| o.id == sub.organisation_id) {
        return Err(PageError::Forbidden);
    }
    crate::jobs::syndication::fetch_now(&app, id).await?;
    Ok(Redirect::to("/admin/feeds").into_response())
}

/// `GET /syndicated/{id}`: an item republished from another site, with its author and a link
/// to the original.
pub async fn item(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let item = app.db.syndicated_item(id).await?;
    let topics = [Topic::Syndication, Topic::Organisations];
    viewer.render_public(
        &app,
        &topics,
        "syndicated.html",
        context! { item => Serde(item) },
    )
}
