//! Users and their roles under `/admin/users`.
//!
//! An admin gives roles in the organisations they administer (and the bodies under them); a
//! hub admin (given from the command line) in every organisation. Checked on the server for
//! every request.

use crate::App;
use crate::accounts::{Delivery, password_link};
use crate::domain::FieldErrors;
use crate::domain::role::{Role, roles_after_edit};
use crate::domain::text::required_line;
use crate::domain::user::{Email, LinkPurpose};
use crate::store::StoreError;
use crate::store::organisations::Organisation;
use crate::store::users::User;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, NoFields, SignedIn, Viewer};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

/// The signed-in admin, every organisation, and the ids of those they administer; 403 for
/// anyone who administers none.
pub(crate) async fn admin_of(
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
#[serde(default)]
pub struct UserForm {
    name: String,
    email: String,
    /// Repeated checkbox values `"{organisation id}:{role}"`.
    roles: Vec<String>,
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
    let status = form_status(errors);
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

/// `POST /admin/users/new`: creates the user without a password and sends them an
/// invitation: they choose their own password from the link (no password is ever shown or
/// sent).
pub async fn create_user(
    State(app): State<App>,
    viewer: Viewer,
    headers: HeaderMap,
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
    match app.db.create_user(&email, &name, "", &roles).await {
        Ok(id) => {
            app.db
                .audit(
                    Some(admin.id),
                    "created user",
                    email.as_str(),
                    &describe_roles(&roles, &orgs),
                )
                .await?;
            let user = app.db.user(id).await?;
            send_link(&app, &viewer, &headers, &admin, &user).await
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

/// True when the edit takes away the last way `user` administers: admin roles, or the
/// account itself by disabling it.
fn loses_admin(user: &User, held: &[(i64, Role)], roles: &[(i64, Role)], disabled: bool) -> bool {
    let is_admin = |roles: &[(i64, Role)]| roles.iter().any(|(_, r)| *r == Role::Admin);
    let was_admin = (user.hub_admin || is_admin(held)) && !user.disabled;
    let stays_admin = !disabled && (user.hub_admin || is_admin(roles));
    was_admin && !stays_admin
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
    if let Some(roles) = &roles
        && loses_admin(&user, &held, roles, disabled)
        && app.db.count_enabled_admins().await? <= 1
    {
        let message = "This is the only admin: give another user the admin role first";
        errors.add("roles", message);
    }
    let (Some(name), Some(roles), true) = (name, roles, errors.is_empty()) else {
        let shown = Some(Value::from(Serde(&user)));
        return user_form_page(&app, &viewer, shown, &form, &errors, scope, &elsewhere);
    };
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

/// Sends `user` a link to set their password (an invitation until they have one), and says
/// so, with what to do when no mail relay is set up.
async fn send_link(
    app: &App,
    viewer: &Viewer,
    headers: &HeaderMap,
    admin: &SignedIn,
    user: &User,
) -> PageResult {
    let purpose = if user.has_password {
        LinkPurpose::Reset
    } else {
        LinkPurpose::Invitation
    };
    let base = crate::web::site::base_url(app, headers);
    let link = password_link(&app.db, user, purpose, &base, Delivery::Email).await?;
    let action = match purpose {
        LinkPurpose::Reset => "sent a password reset link",
        LinkPurpose::Invitation => "sent an invitation",
    };
    app.db
        .audit(Some(admin.id), action, &user.email, "")
        .await?;
    viewer.render(
        app,
        "admin/user_link_sent.html",
        context! {
            user => Serde(user),
            purpose => Serde(purpose),
            expires => app.config.time_zone.long_date_time(link.expires_at),
            mail_relay => app.config.smtp_url.is_some(),
        },
    )
}

/// The user at `id` if this admin may act on their whole account (their roles are all in
/// organisations the admin administers, or the admin is a hub admin), and is not the admin.
async fn another_users_account(
    app: &App,
    viewer: &Viewer,
    id: i64,
) -> Result<(SignedIn, User), PageError> {
    let (admin, _, administered) = admin_of(app, viewer).await?;
    let user = app.db.user(id).await?;
    let (_, elsewhere) = held_roles(app, id, &administered).await?;
    let wholly_ours = admin.hub_admin || (elsewhere.is_empty() && !user.hub_admin);
    if !wholly_ours || admin.id == user.id {
        return Err(PageError::Forbidden);
    }
    Ok((admin, user))
}

/// `POST /admin/users/{id}/password-link`: a new invitation or reset link, by e-mail.
pub async fn send_password_link(
    State(app): State<App>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (admin, user) = another_users_account(&app, &viewer, id).await?;
    if user.disabled {
        return Err(PageError::BadRequest(
            "This account is disabled: enable it before sending a link.".into(),
        ));
    }
    send_link(&app, &viewer, &headers, &admin, &user).await
}

/// `POST /admin/users/{id}/two-factor/remove`: for someone who has lost their device. Their
/// sessions end; at their next sign-in they set it up again (when it is required of them).
pub async fn remove_two_factor(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (admin, user) = another_users_account(&app, &viewer, id).await?;
    app.db.remove_two_factor(user.id).await?;
    app.db
        .audit(
            Some(admin.id),
            "removed two-factor sign-in",
            &user.email,
            "lost device; their sessions ended",
        )
        .await?;
    viewer.render(
        &app,
        "admin/user_two_factor_removed.html",
        context! { user => Serde(&user) },
    )
}
