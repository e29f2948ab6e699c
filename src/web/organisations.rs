//! Organisations: the public page of each, and their details under `/admin/organisations`.
//!
//! An admin manages the organisations where they hold the admin role (and the bodies under
//! them): their details and new bodies under a department. A hub admin manages every
//! organisation and adds departments.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::organisation::NewOrganisation;
use crate::store::StoreError;
use crate::store::organisations::Organisation;
use crate::store::posts::PostFilter;
use crate::store::versions::Topic;
use crate::web::accounts::users::admin_of;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::publishing::public::{PAGE_SIZE, PageQuery, pagination, with_details};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::Query;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

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
    viewer.render_public(
        &app,
        &[
            Topic::Posts,
            Topic::Organisations,
            Topic::Syndication,
            Topic::Exercises,
            Topic::Register,
        ],
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

/// `GET /admin/organisations`: every organisation; those the admin administers can be
/// changed.
pub async fn organisations(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, organisations, administered) = admin_of(&app, &viewer).await?;
    viewer.render(
        &app,
        "admin/organisations.html",
        context! { organisations => Serde(organisations), administered },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrganisationForm {
    name: String,
    slug: String,
    summary: String,
    parent: String,
}

/// The departments an organisation may be put under by this admin: departments they
/// administer (every one, for a hub admin), never the organisation itself.
fn parent_choices<'a>(
    all: &'a [Organisation],
    administered: &[i64],
    existing: Option<&Organisation>,
) -> Vec<&'a Organisation> {
    all.iter()
        .filter(|o| {
            o.parent_id.is_none()
                && administered.contains(&o.id)
                && Some(o.id) != existing.map(|e| e.id)
        })
        .collect()
}

fn organisation_form_page(
    app: &App,
    viewer: &Viewer,
    existing: Option<&Organisation>,
    form: &OrganisationForm,
    errors: &FieldErrors,
    (all, administered): (&[Organisation], &[i64]),
) -> PageResult {
    let status = form_status(errors);
    let hub_admin = viewer.user.as_ref().is_some_and(|u| u.hub_admin);
    let is_department = existing.is_some_and(|e| e.parent_id.is_none());
    viewer.render_with_status(
        app,
        "admin/organisation_form.html",
        context! {
            existing => Serde(existing),
            parents => Serde(parent_choices(all, administered, existing)),
            // Only a hub admin makes departments (or turns a body into one).
            may_be_department => hub_admin || is_department,
            form => context! { name => &form.name, slug => &form.slug, summary => &form.summary, parent => &form.parent },
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
}

/// `GET /admin/organisations/new`.
pub async fn new_organisation(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, all, administered) = admin_of(&app, &viewer).await?;
    organisation_form_page(
        &app,
        &viewer,
        None,
        &OrganisationForm::default(),
        &FieldErrors::new(),
        (&all, &administered),
    )
}

/// Validates the form: the parent must be a department this admin may put organisations
/// under, never the organisation itself; it may be left empty (a department) only when
/// `may_be_department`; a department with bodies under it cannot move under another.
fn parse_organisation(
    form: &OrganisationForm,
    (all, administered): (&[Organisation], &[i64]),
    existing: Option<&Organisation>,
    may_be_department: bool,
) -> Result<NewOrganisation, FieldErrors> {
    let parent_id = match form.parent.trim() {
        "" if may_be_department => Ok(None),
        "" => Err(
            "Choose the department it reports to: only a hub admin can add a department"
                .to_string(),
        ),
        p if existing.is_some_and(|e| e.slug == p) => {
            Err("An organisation cannot report to itself: choose a department".to_string())
        }
        p => match parent_choices(all, administered, existing)
            .into_iter()
            .find(|o| o.slug == p)
        {
            Some(o) => Ok(Some(o.id)),
            None => Err("Choose a parent organisation from the list".to_string()),
        },
    };
    let has_bodies = existing.is_some_and(|e| all.iter().any(|o| o.parent_id == Some(e.id)));
    let parent_id = match parent_id {
        Ok(Some(_)) if has_bodies => Err(
            "This organisation has organisations under it, so it cannot have a parent".to_string(),
        ),
        other => other,
    };
    let parsed = NewOrganisation::parse(&form.name, &form.slug, &form.summary, None);
    match (parsed, parent_id) {
        (Ok(mut org), Ok(parent_id)) => {
            org.parent_id = parent_id;
            Ok(org)
        }
        (parsed, parent) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(m) = parent {
                errors.add("parent", m);
            }
            Err(errors)
        }
    }
}

/// `POST /admin/organisations/new`.
pub async fn create_organisation(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<OrganisationForm>,
) -> PageResult {
    let (admin, all, administered) = admin_of(&app, &viewer).await?;
    let scope = (all.as_slice(), administered.as_slice());
    let checked = parse_organisation(&form, scope, None, admin.hub_admin);
    save_organisation(&app, &viewer, admin.id, None, &form, checked, scope).await
}

/// Saves a new organisation (`existing` is `None`) or changes one, then back to the list; or
/// the form again with what is wrong.
async fn save_organisation(
    app: &App,
    viewer: &Viewer,
    admin_id: i64,
    existing: Option<&Organisation>,
    form: &OrganisationForm,
    checked: Result<NewOrganisation, FieldErrors>,
    scope: (&[Organisation], &[i64]),
) -> PageResult {
    let errors = match checked {
        Ok(org) => {
            let saved = match existing {
                Some(e) => app.db.update_organisation(e.id, &org).await,
                None => app.db.create_organisation(&org).await.map(|_| ()),
            };
            match saved {
                Ok(()) => {
                    let done = match existing {
                        Some(_) => "updated organisation",
                        None => "created organisation",
                    };
                    app.db
                        .audit(Some(admin_id), done, org.slug.as_str(), &org.name)
                        .await?;
                    return Ok(Redirect::to("/admin/organisations").into_response());
                }
                Err(StoreError::Conflict(_)) => FieldErrors::one(
                    "slug",
                    "That short name is already used by another organisation: choose another",
                ),
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    organisation_form_page(app, viewer, existing, form, &errors, scope)
}

/// The organisation with this slug, if the admin administers it.
fn administered_org<'a>(
    all: &'a [Organisation],
    administered: &[i64],
    slug: &str,
) -> Result<&'a Organisation, PageError> {
    let org = all
        .iter()
        .find(|o| o.slug == slug)
        .ok_or(PageError::NotFound)?;
    if administered.contains(&org.id) {
        Ok(org)
    } else {
        Err(PageError::Forbidden)
    }
}

/// `GET /admin/organisations/{slug}/edit`.
pub async fn edit_organisation(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let (_, all, administered) = admin_of(&app, &viewer).await?;
    let org = administered_org(&all, &administered, &slug)?;
    let form = OrganisationForm {
        name: org.name.clone(),
        slug: org.slug.clone(),
        summary: org.summary.clone(),
        parent: org.parent_slug.clone().unwrap_or_default(),
    };
    organisation_form_page(
        &app,
        &viewer,
        Some(org),
        &form,
        &FieldErrors::new(),
        (&all, &administered),
    )
}

/// `POST /admin/organisations/{slug}/edit`.
pub async fn update_organisation(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<OrganisationForm>,
) -> PageResult {
    let (admin, all, administered) = admin_of(&app, &viewer).await?;
    let existing = administered_org(&all, &administered, &slug)?;
    let scope = (all.as_slice(), administered.as_slice());
    // A department stays one for its own admin; only a hub admin makes a body a department.
    let may_be_department = admin.hub_admin || existing.parent_id.is_none();
    let checked = parse_organisation(&form, scope, Some(existing), may_be_department);
    save_organisation(
        &app,
        &viewer,
        admin.id,
        Some(existing),
        &form,
        checked,
        scope,
    )
    .await
}
