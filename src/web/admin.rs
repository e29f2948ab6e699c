//! Signed-in work under `/admin`: the admin home, organisations, and users and roles.
//!
//! Managing organisations and users needs the admin role in a top-level organisation
//! (the department), checked on the server for every request.

use super::error::{PageError, PageResult};
use super::viewer::{CsrfForm, SignedIn, Viewer};
use crate::App;
use crate::auth::{generate_password, hash_password};
use crate::domain::FieldErrors;
use crate::domain::organisation::NewOrganisation;
use crate::domain::role::Role;
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
    let is_admin = user.has_hub_role(Role::Admin, &top);
    let audit = if is_admin {
        app.db.recent_audit(10).await?
    } else {
        Vec::new()
    };
    let all = app.db.organisations().await?;
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
        context! { is_admin, is_editor, is_moderator, is_analyst, is_programme, pending_comments, audit => Serde(audit) },
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

// ----- Organisations -----

/// `GET /admin/organisations`.
pub async fn organisations(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let organisations = app.db.organisations().await?;
    viewer.render(
        &app,
        "admin/organisations.html",
        context! { organisations => Serde(organisations) },
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

fn organisation_form_page(
    app: &App,
    viewer: &Viewer,
    existing: Option<&Organisation>,
    form: &OrganisationForm,
    errors: &FieldErrors,
    all: &[Organisation],
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    // An organisation can sit under any top-level one but itself.
    let parents: Vec<&Organisation> = all
        .iter()
        .filter(|o| o.parent_id.is_none() && Some(o.id) != existing.map(|e| e.id))
        .collect();
    viewer.render_with_status(
        app,
        "admin/organisation_form.html",
        context! {
            existing => Serde(existing),
            parents => Serde(parents),
            form => context! { name => &form.name, slug => &form.slug, summary => &form.summary, parent => &form.parent },
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
}

/// `GET /admin/organisations/new`.
pub async fn new_organisation(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let all = app.db.organisations().await?;
    organisation_form_page(
        &app,
        &viewer,
        None,
        &OrganisationForm::default(),
        &FieldErrors::new(),
        &all,
    )
}

/// Validates the form, including that the parent exists and is top-level.
fn parse_organisation(
    form: &OrganisationForm,
    all: &[Organisation],
) -> Result<NewOrganisation, FieldErrors> {
    let parent_id = match form.parent.trim() {
        "" => Ok(None),
        p => match all.iter().find(|o| o.slug == p && o.parent_id.is_none()) {
            Some(o) => Ok(Some(o.id)),
            None => Err("Choose a parent organisation from the list".to_string()),
        },
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
    let admin = viewer.require_hub_role(&app, Role::Admin).await?;
    let all = app.db.organisations().await?;
    let org = match parse_organisation(&form, &all) {
        Ok(org) => org,
        Err(errors) => return organisation_form_page(&app, &viewer, None, &form, &errors, &all),
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
            organisation_form_page(&app, &viewer, None, &form, &errors, &all)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/organisations/{slug}/edit`.
pub async fn edit_organisation(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let all = app.db.organisations().await?;
    let org = all
        .iter()
        .find(|o| o.slug == slug)
        .ok_or(PageError::NotFound)?;
    let form = OrganisationForm {
        name: org.name.clone(),
        slug: org.slug.clone(),
        summary: org.summary.clone(),
        parent: org.parent_slug.clone().unwrap_or_default(),
    };
    organisation_form_page(&app, &viewer, Some(org), &form, &FieldErrors::new(), &all)
}

/// `POST /admin/organisations/{slug}/edit`.
pub async fn update_organisation(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<OrganisationForm>,
) -> PageResult {
    let admin = viewer.require_hub_role(&app, Role::Admin).await?;
    let all = app.db.organisations().await?;
    let existing = all
        .iter()
        .find(|o| o.slug == slug)
        .ok_or(PageError::NotFound)?;
    let mut result = parse_organisation(&form, &all);
    // A department with arm's-length bodies under it cannot itself move under another.
    if let Ok(org) = &result
        && org.parent_id.is_some()
        && all.iter().any(|o| o.parent_id == Some(existing.id))
    {
        let mut errors = FieldErrors::new();
        errors.add(
            "parent",
            "This organisation has organisations under it, so it cannot have a parent",
        );
        result = Err(errors);
    }
    let org = match result {
        Ok(org) => org,
        Err(errors) => {
            return organisation_form_page(&app, &viewer, Some(existing), &form, &errors, &all);
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
            organisation_form_page(&app, &viewer, Some(existing), &form, &errors, &all)
        }
        Err(e) => Err(e.into()),
    }
}

// ----- Users -----

/// `GET /admin/users`.
pub async fn users(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let mut rows = Vec::new();
    for user in app.db.users().await? {
        let roles: Vec<String> = app
            .db
            .memberships(user.id)
            .await?
            .into_iter()
            .map(|m| format!("{} ({})", m.role, m.organisation_name))
            .collect();
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

/// Parses `"{organisation id}:{role}"` checkbox values against the real organisations.
fn parse_roles(values: &[String], orgs: &[Organisation]) -> Result<Vec<(i64, Role)>, String> {
    let mut out = Vec::new();
    for v in values {
        let (org, role) = v.split_once(':').ok_or("Choose roles from the list")?;
        let org: i64 = org.parse().map_err(|_| "Choose roles from the list")?;
        if !orgs.iter().any(|o| o.id == org) {
            return Err("Choose roles from the list".into());
        }
        let role = Role::parse(role)?;
        if !out.contains(&(org, role)) {
            out.push((org, role));
        }
    }
    Ok(out)
}

/// The role checkboxes: one group per organisation.
fn role_groups(orgs: &[Organisation], checked: &[String]) -> Vec<Value> {
    orgs.iter()
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

fn user_form_page(
    app: &App,
    viewer: &Viewer,
    existing: Option<Value>,
    form: &UserForm,
    errors: &FieldErrors,
    orgs: &[Organisation],
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
            role_groups => role_groups(orgs, &form.roles),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
}

/// `GET /admin/users/new`.
pub async fn new_user(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let orgs = app.db.organisations().await?;
    user_form_page(
        &app,
        &viewer,
        None,
        &UserForm::default(),
        &FieldErrors::new(),
        &orgs,
    )
}

/// `POST /admin/users/new`: creates the user with a generated password, shown once.
pub async fn create_user(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<UserForm>,
) -> PageResult {
    let admin = viewer.require_hub_role(&app, Role::Admin).await?;
    let orgs = app.db.organisations().await?;
    let mut errors = FieldErrors::new();
    let name = errors.check(
        "name",
        required_line(&form.name, "the person's full name", 200),
    );
    let email = errors.check("email", Email::parse(&form.email));
    let roles = errors.check("roles", parse_roles(&form.roles, &orgs));
    let (Some(name), Some(email), Some(roles)) = (name, email, roles) else {
        return user_form_page(&app, &viewer, None, &form, &errors, &orgs);
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
            user_form_page(&app, &viewer, None, &form, &errors, &orgs)
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

/// `GET /admin/users/{id}/edit`.
pub async fn edit_user(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let orgs = app.db.organisations().await?;
    let user = app.db.user(id).await?;
    let roles = app
        .db
        .memberships(id)
        .await?
        .iter()
        .map(|m| format!("{}:{}", m.organisation_id, m.role))
        .collect();
    let form = UserForm {
        name: user.name.clone(),
        email: user.email.clone(),
        roles,
        disabled: user.disabled.then(String::new),
    };
    user_form_page(
        &app,
        &viewer,
        Some(Value::from(Serde(&user))),
        &form,
        &FieldErrors::new(),
        &orgs,
    )
}

/// `POST /admin/users/{id}/edit`: name, roles and whether the account is disabled.
pub async fn update_user(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(mut form): CsrfForm<UserForm>,
) -> PageResult {
    let admin: SignedIn = viewer.require_hub_role(&app, Role::Admin).await?.clone();
    let orgs = app.db.organisations().await?;
    let user = app.db.user(id).await?;
    form.email = user.email.clone();
    let mut errors = FieldErrors::new();
    let name = errors.check(
        "name",
        required_line(&form.name, "the person's full name", 200),
    );
    let roles = errors.check("roles", parse_roles(&form.roles, &orgs));
    let disabled = form.disabled.is_some();
    // Never leave the hub without an enabled admin: the last one cannot lose the role.
    if let Some(roles) = &roles {
        let top: Vec<i64> = orgs
            .iter()
            .filter(|o| o.parent_id.is_none())
            .map(|o| o.id)
            .collect();
        let was_admin = app
            .db
            .memberships(id)
            .await?
            .iter()
            .any(|m| m.role == Role::Admin)
            && !user.disabled;
        let stays_admin = !disabled
            && roles
                .iter()
                .any(|(o, r)| *r == Role::Admin && top.contains(o));
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
            &orgs,
        );
    };
    if !errors.is_empty() {
        return user_form_page(
            &app,
            &viewer,
            Some(Value::from(Serde(&user))),
            &form,
            &errors,
            &orgs,
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
