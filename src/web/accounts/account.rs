//! `/account`: your own account. Change your password, see where you are signed in and end
//! those sessions, and reach two-factor set-up.

use crate::App;
use crate::auth::{hash_password, verify_password};
use crate::domain::FieldErrors;
use crate::domain::user::{MAX_PASSWORD_LEN, check_new_password};
use crate::web::accounts::two_factor::rotate;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, SignedIn, Viewer};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::CookieJar;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// Wrong current passwords allowed in 15 minutes on the change form (a session left open
/// is not a free password-guessing oracle).
const CHANGE_TRIES: i64 = 5;
const CHANGE_WINDOW_SECS: i64 = 15 * 60;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

/// What the account page shows after a change.
fn banner(done: &str) -> Option<&'static str> {
    match done {
        "password" => {
            Some("Your password has been changed. You have been signed out everywhere else.")
        }
        "sessions" => Some("You have been signed out everywhere else."),
        "session" => Some("That session has been signed out."),
        "alerts" => Some("Your email settings are saved."),
        _ => None,
    }
}

async fn account_page(
    app: &App,
    viewer: &Viewer,
    user: &SignedIn,
    done: &str,
    errors: &FieldErrors,
) -> PageResult {
    let sessions = app
        .db
        .sessions_of(user.id, app.config.sessions.idle_secs)
        .await?;
    let zone = &app.config.time_zone;
    let rows: Vec<_> = sessions
        .iter()
        .map(|s| {
            context! {
                id => &s.id_hash,
                this => s.id_hash == user.session_hash,
                browser => describe_browser(&s.user_agent),
                signed_in => zone.long_date_time(s.created_at),
                last_used => zone.long_date_time(s.last_seen_at),
            }
        })
        .collect();
    let recovery_left = if user.two_factor {
        app.db.recovery_codes_left(user.id).await?
    } else {
        0
    };
    let hub_admin = user.hub_admin.then(|| "hub admin".to_string());
    let roles: Vec<String> = (hub_admin.into_iter())
        .chain(
            user.memberships
                .iter()
                .map(|m| format!("{} in {}", m.role, m.organisation_name)),
        )
        .collect();
    viewer.render_with_status(
        app,
        "account/account.html",
        context! {
            account => Serde(user),
            roles,
            sessions => rows,
            recovery_left,
            alerts => Serde(app.db.staff_alerts(user.id).await?),
            two_factor_required => app.config.two_factor.requires(user.is_admin()),
            banner => banner(done),
            errors => Serde(errors),
        },
        form_status(errors),
    )
}

/// A browser as people name it, from its `User-Agent` (best effort; shown, never trusted).
fn describe_browser(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Mac OS X", "Mac"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) if user_agent.is_empty() => "Unknown browser".into(),
        (None, None) => user_agent.chars().take(60).collect(),
    }
}

/// `GET /account`.
pub async fn show(State(app): State<App>, viewer: Viewer, Query(q): Query<Done>) -> PageResult {
    let user = viewer.signed_in()?;
    account_page(&app, &viewer, user, &q.done, &FieldErrors::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// `POST /account/password`: the current password, then a new one twice. Every other
/// session ends, and this one gets a new id.
pub async fn change_password(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> PageResult {
    let user = viewer.signed_in()?;
    let tries_key = format!("password-change:user:{}", user.id);
    let (tries, _) = app
        .db
        .rate_limit_hits(&tries_key, CHANGE_WINDOW_SECS)
        .await?;
    let mut errors = FieldErrors::new();
    if tries >= CHANGE_TRIES {
        errors.add(
            "current_password",
            "Too many wrong passwords. Wait 15 minutes and try again, or sign out and reset your password",
        );
        return account_page(&app, &viewer, user, "", &errors).await;
    }
    if form.current_password.is_empty() {
        errors.add("current_password", "Enter your current password");
    } else {
        let credentials = app
            .db
            .credentials(
                &crate::domain::user::Email::parse(&user.email).map_err(PageError::BadRequest)?,
            )
            .await?;
        let current: String = form
            .current_password
            .chars()
            .take(MAX_PASSWORD_LEN)
            .collect();
        let stored = credentials
            .map(|c| c.password_hash)
            .filter(|h| !h.is_empty());
        if !verify_password(current, stored).await {
            app.db
                .rate_limit_hit(&tries_key, CHANGE_WINDOW_SECS)
                .await?;
            errors.add("current_password", "Your current password is not right");
        }
    }
    let new = new_password(
        &form.new_password,
        &form.confirm_password,
        user,
        &mut errors,
    );
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return account_page(&app, &viewer, user, "", &errors).await;
    };
    let hash = hash_password(new).await?;
    app.db
        .change_password(user.id, &hash, &user.session_hash)
        .await?;
    app.db
        .audit(
            Some(user.id),
            "changed password",
            &user.email,
            "other sessions ended",
        )
        .await?;
    let jar = rotate(&app, jar, user).await?;
    Ok((jar, Redirect::to("/account?done=password")).into_response())
}

/// A new password typed twice, checked against the policy and the user's name and email.
pub(crate) fn new_password(
    password: &str,
    confirm: &str,
    user: &SignedIn,
    errors: &mut FieldErrors,
) -> Option<String> {
    checked_new_password(password, confirm, &[&user.email, &user.name], errors)
}

/// [`new_password`] for someone not signed in (a reset or an invitation).
pub(crate) fn checked_new_password(
    password: &str,
    confirm: &str,
    about_the_user: &[&str],
    errors: &mut FieldErrors,
) -> Option<String> {
    if password.is_empty() {
        errors.add("new_password", "Enter a new password");
        return None;
    }
    let ok = errors.check("new_password", check_new_password(password, about_the_user));
    if ok.is_some() && password != confirm {
        errors.add("confirm_password", "Enter the same password twice");
        return None;
    }
    ok.map(|()| password.to_string())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndSessionForm {
    /// The session to end; empty: every one but this.
    session: String,
}

/// `POST /account/sessions`: ends one session of yours, or every one but this.
pub async fn end_sessions(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<EndSessionForm>,
) -> PageResult {
    let user = viewer.signed_in()?;
    if form.session.is_empty() {
        app.db
            .end_other_sessions(user.id, &user.session_hash)
            .await?;
        app.db
            .audit(Some(user.id), "signed out everywhere else", &user.email, "")
            .await?;
        return Ok(Redirect::to("/account?done=sessions").into_response());
    }
    if !app.db.end_session_of(user.id, &form.session).await? {
        return Err(PageError::NotFound);
    }
    app.db
        .audit(Some(user.id), "ended a session", &user.email, "")
        .await?;
    let to = if form.session == user.session_hash {
        "/sign-in?signed-out=1"
    } else {
        "/account?done=session"
    };
    Ok(Redirect::to(to).into_response())
}

#[cfg(test)]
mod tests {
    use super::describe_browser;

    #[test]
    fn browsers_are_named_as_people_know_them() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe_browser(firefox), "Firefox on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                    Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(describe_browser(edge), "Edge on Windows");
        assert_eq!(describe_browser(""), "Unknown browser");
        assert_eq!(describe_browser("curl/8.0"), "curl/8.0");
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AlertsForm {
    alerts: Vec<String>,
}

/// `POST /account/alerts`: which e-mails about their work the user gets (ticked: on).
pub async fn alerts(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AlertsForm>,
) -> PageResult {
    let user = viewer.signed_in()?;
    let on = |name: &str| form.alerts.iter().any(|a| a == name);
    let alerts = crate::domain::subscription::StaffAlerts {
        moderation: on("moderation"),
        exercises: on("exercises"),
        analyses: on("analyses"),
    };
    app.db.set_staff_alerts(user.id, alerts).await?;
    Ok(Redirect::to("/account?done=alerts#alerts").into_response())
}
