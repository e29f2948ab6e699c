//! Signed-in work under `/admin`: the admin home, organisations, and users and roles.
//!
//! An admin manages the organisations where they hold the admin role (and the bodies under
//! them): their details, new bodies under a department, and people's roles there. A hub
//! admin (given from the command line) manages every organisation and adds departments.
//! Checked on the server for every request.

use super::error::{PageError, PageResult};
use super::viewer::{CsrfForm, SignedIn, Viewer};
use crate::App;
use crate::auth::{generate_password, hash_password};
use crate::domain::FieldErrors;
use crate::domain::organisation::NewOrganisation;
use crate::domain::role::{Role, roles_after_edit};
use crate::domain::text::required_line;
use crate::domain::user::Email;
use crate::store::StoreError;
use crate::store::organisations::Organisation;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

/// `GET /admin`.
pub async fn home(State(app): State<App>, viewer: Viewer) -> PageResult {
    let user = viewer.signed_in()?;
    let top = top_level_ids(&app).await?;
    // The audit log covers every organisation: hub admins only.
    let audit = if user.hub_admin {
        app.db.recent_audit(10).await?
    } else {
        Vec::new()
    };
    let all = app.db.organisations().await?;
    let is_admin = user.is_admin();
    let is_hub_admin = user.hub_admin;
    let is_editor = !super::editorial::organisations_for(user, Role::Editor, &all).is_empty();
    let is_moderator = !super::editorial::organisations_for(user, Role::Moderator, &all).is_empty();
    let is_analyst = !super::editorial::organisations_for(user, Role::Analyst, &all).is_empty();
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

async fn top_level_ids(app: &App) -> Result<Vec<i64>, StoreError> {
    Ok(app
        .db
        .organisations()
        .await?
        .iter()
        .filter(|o| o.parent_id.is_none())
        .map(|o| o.id)
        .collect())
}

/// The signed-in admin, every organisation, and the ids of those they administer; 403 for
/// anyone who administers none.
async fn admin_of(
    app: &App,
    viewer: &Viewer,
) -> Result<(SignedIn, Vec<Organisation>, Vec<i64>), PageError> {
    let user = viewer.signed_in()?;
    if !user.is_admin() {
        return Err(PageError::Forbidden);
    }
    let all = app.db.organisations().await?;
    let administered = user.administered(&all);
    Ok((user.clone(), all, administered))
}

// ----- Organisations -----

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
pub struct OrganisationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
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
    let org = match parse_organisation(&form, scope, None, admin.hub_admin) {
        Ok(org) => org,
        Err(errors) => return organisation_form_page(&app, &viewer, None, &form, &errors, scope),
    };
    match app.db.create_organisation(&org).await {
        Ok(_) => {
            app.db
                .audit(
                    Some(admin.id),
                    "created organisation",
                    org.slug.as_str(),
                    &org.name,
                )
                .await?;
            Ok(Redirect::to("/admin/organisations").into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "slug",
                "That short name is already used by another organisation: choose another",
            );
            organisation_form_page(&app, &viewer, None, &form, &errors, scope)
        }
        Err(e) => Err(e.into()),
    }
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
    let org = match parse_organisation(&form, scope, Some(existing), may_be_department) {
        Ok(org) => org,
        Err(errors) => {
            return organisation_form_page(&app, &viewer, Some(existing), &form, &errors, scope);
        }
    };
    match app.db.update_organisation(existing.id, &org).await {
        Ok(()) => {
            app.db
                .audit(
                    Some(admin.id),
                    "updated organisation",
                    org.slug.as_str(),
                    &org.name,
                )
                .await?;
            Ok(Redirect::to("/admin/organisations").into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "slug",
                "That short name is already used by another organisation: choose another",
            );
            organisation_form_page(&app, &viewer, Some(existing), &form, &errors, scope)
        }
        Err(e) => Err(e.into()),
    }
}

// ----- Users -----

/// `GET /admin/users`.
pub async fn users(State(app): State<App>, viewer: Viewer) -> PageResult {
    admin_of(&app, &viewer).await?;
    let mut rows = Vec::new();
    for user in app.db.users().await? {
        let mut roles: Vec<String> = app
            .db
            .memberships(user.id)
            .await?
            .into_iter()
            .map(|m| format!("{} ({})", m.role, m.organisation_name))
            .collect();
        if user.hub_admin {
            roles.insert(0, "hub admin".into());
        }
        rows.push(context! { user => Serde(user), roles });
    }
    viewer.render(&app, "admin/users.html", context! { users => rows })
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    /// Repeated checkbox values `"{organisation id}:{role}"`.
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    disabled: Option<String>,
}

/// Parses `"{organisation id}:{role}"` checkbox values against the organisations the admin
/// administers: a role anywhere else is refused, whatever the form says.
fn parse_roles(values: &[String], administered: &[i64]) -> Result<Vec<(i64, Role)>, String> {
    let mut out = Vec::new();
    for v in values {
        let (org, role) = v.split_once(':').ok_or("Choose roles from the list")?;
        let org: i64 = org.parse().map_err(|_| "Choose roles from the list")?;
        if !administered.contains(&org) {
            return Err("Choose roles from the list: you can give roles only in organisations you administer".into());
        }
        let role = Role::parse(role)?;
        if !out.contains(&(org, role)) {
            out.push((org, role));
        }
    }
    Ok(out)
}

/// The role checkboxes: one group per organisation the admin administers.
fn role_groups(orgs: &[Organisation], administered: &[i64], checked: &[String]) -> Vec<Value> {
    orgs.iter()
        .filter(|o| administered.contains(&o.id))
        .map(|o| {
            let items: Vec<Value> = Role::ALL
                .iter()
                .map(|r| {
                    let value = format!("{}:{}", o.id, r.as_str());
                    context! {
                        value => &value,
                        text => r.as_str(),
                        hint => context! { text => r.description() },
                        checked => checked.contains(&value),
                    }
                })
                .collect();
            context! { organisation => Serde(o), items }
        })
        .collect()
}

/// The user form. `elsewhere` lists the roles the user holds in organisations this admin
/// does not administer (shown, not changeable).
fn user_form_page(
    app: &App,
    viewer: &Viewer,
    existing: Option<Value>,
    form: &UserForm,
    errors: &FieldErrors,
    (orgs, administered): (&[Organisation], &[i64]),
    elsewhere: &[String],
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    viewer.render_with_status(
        app,
        "admin/user_form.html",
        context! {
            existing,
            form => context! { name => &form.name, email => &form.email, disabled => form.disabled.is_some() },
            role_groups => role_groups(orgs, administered, &form.roles),
            elsewhere => Serde(elsewhere),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
}

/// `GET /admin/users/new`.
pub async fn new_user(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, orgs, administered) = admin_of(&app, &viewer).await?;
    user_form_page(
        &app,
        &viewer,
        None,
        &UserForm::default(),
        &FieldErrors::new(),
        (&orgs, &administered),
        &[],
    )
}

/// `POST /admin/users/new`: creates the user with a generated password, shown once.
pub async fn create_user(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<UserForm>,
) -> PageResult {
    let (admin, orgs, administered) = admin_of(&app, &viewer).await?;
    let scope = (orgs.as_slice(), administered.as_slice());
    let mut errors = FieldErrors::new();
    let name = errors.check(
        "name",
        required_line(&form.name, "the person's full name", 200),
    );
    let email = errors.check("email", Email::parse(&form.email));
    let roles = errors.check("roles", parse_roles(&form.roles, &administered));
    let (Some(name), Some(email), Some(roles)) = (name, email, roles) else {
        return user_form_page(&app, &viewer, None, &form, &errors, scope, &[]);
    };
    let password = generate_password();
    let hash = hash_password(password.clone()).await?;
    match app.db.create_user(&email, &name, &hash, &roles).await {
        Ok(_) => {
            app.db
                .audit(
                    Some(admin.id),
                    "created user",
                    email.as_str(),
                    &describe_roles(&roles, &orgs),
                )
                .await?;
            viewer.render(
                &app,
                "admin/user_created.html",
                context! { name, email => email.as_str(), password },
            )
        }
        Err(StoreError::Conflict(_)) => {
            errors.add("email", "There is already a user with that email address");
            user_form_page(&app, &viewer, None, &form, &errors, scope, &[])
        }
        Err(e) => Err(e.into()),
    }
}

fn describe_roles(roles: &[(i64, Role)], orgs: &[Organisation]) -> String {
    roles
        .iter()
        .map(|(o, r)| {
            format!(
                "{r} in {}",
                orgs.iter()
                    .find(|x| x.id == *o)
                    .map_or("?", |x| x.slug.as_str())
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A user's roles as (organisation, role), and as text for those outside `administered`.
async fn held_roles(
    app: &App,
    id: i64,
    administered: &[i64],
) -> Result<(Vec<(i64, Role)>, Vec<String>), PageError> {
    let memberships = app.db.memberships(id).await?;
    let elsewhere = memberships
        .iter()
        .filter(|m| !administered.contains(&m.organisation_id))
        .map(|m| format!("{} ({})", m.role, m.organisation_name))
        .collect();
    let held = memberships
        .iter()
        .map(|m| (m.organisation_id, m.role))
        .collect();
    Ok((held, elsewhere))
}

/// `GET /admin/users/{id}/edit`.
pub async fn edit_user(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, orgs, administered) = admin_of(&app, &viewer).await?;
    let user = app.db.user(id).await?;
    let (held, elsewhere) = held_roles(&app, id, &administered).await?;
    let form = UserForm {
        name: user.name.clone(),
        email: user.email.clone(),
        roles: held
            .iter()
            .map(|(org, role)| format!("{org}:{role}"))
            .collect(),
        disabled: user.disabled.then(String::new),
    };
    user_form_page(
        &app,
        &viewer,
        Some(Value::from(Serde(&user))),
        &form,
        &FieldErrors::new(),
        (&orgs, &administered),
        &elsewhere,
    )
}

/// `POST /admin/users/{id}/edit`: name, roles and whether the account is disabled. An admin
/// changes roles only in the organisations they administer, and changes the name or
/// disables the account only of someone whose roles are all there (or as a hub admin).
pub async fn update_user(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(mut form): CsrfForm<UserForm>,
) -> PageResult {
    let (admin, orgs, administered) = admin_of(&app, &viewer).await?;
    let scope = (orgs.as_slice(), administered.as_slice());
    let user = app.db.user(id).await?;
    let (held, elsewhere) = held_roles(&app, id, &administered).await?;
    form.email = user.email.clone();
    let mut errors = FieldErrors::new();
    let name = errors.check(
        "name",
        required_line(&form.name, "the person's full name", 200),
    );
    let chosen = errors.check("roles", parse_roles(&form.roles, &administered));
    let disabled = form.disabled.is_some();
    let wholly_ours = admin.hub_admin || (elsewhere.is_empty() && !user.hub_admin);
    if !wholly_ours {
        let only_hub =
            "They also hold roles you do not administer, so only a hub admin can change this";
        if name.as_deref().is_some_and(|n| n != user.name) {
            errors.add("name", only_hub);
        }
        if disabled != user.disabled {
            errors.add("disabled", only_hub);
        }
    }
    let roles = chosen.map(|chosen| roles_after_edit(&held, &chosen, &administered));
    // Never leave the hub without an enabled admin: the last one cannot lose the role.
    if let Some(roles) = &roles {
        let was_admin =
            (user.hub_admin || held.iter().any(|(_, r)| *r == Role::Admin)) && !user.disabled;
        let stays_admin =
            !disabled && (user.hub_admin || roles.iter().any(|(_, r)| *r == Role::Admin));
        if was_admin && !stays_admin && app.db.count_enabled_admins().await? <= 1 {
            errors.add(
                "roles",
                "This is the only admin: give another user the admin role first",
            );
        }
    }
    let (Some(name), Some(roles)) = (name, roles) else {
        return user_form_page(
            &app,
            &viewer,
            Some(Value::from(Serde(&user))),
            &form,
            &errors,
            scope,
            &elsewhere,
        );
    };
    if !errors.is_empty() {
        return user_form_page(
            &app,
            &viewer,
            Some(Value::from(Serde(&user))),
            &form,
            &errors,
            scope,
            &elsewhere,
        );
    }
    app.db.update_user(id, &name, disabled, &roles).await?;
    let detail = format!(
        "{}{}",
        describe_roles(&roles, &orgs),
        if disabled { "; disabled" } else { "" }
    );
    app.db
        .audit(Some(admin.id), "updated user", &user.email, &detail)
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}
