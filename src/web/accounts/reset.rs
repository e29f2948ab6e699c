//! Setting a password from a link: "Forgot your password?" (`/forgot-password`) sends one,
//! and `/set-password?token=…` takes it, for a reset and for an invitation alike.
//!
//! The "forgot" answer is the same page whether or not the address has an account, and it
//! is given before anything about the account is looked up: the lookup and the message
//! happen after the response, so its timing tells nothing either.

use crate::App;
use crate::accounts::{Delivery, password_link};
use crate::auth::{hash_password, token_hash};
use crate::domain::FieldErrors;
use crate::domain::sign_in::{ACCOUNT_LIMIT, WINDOW_SECS};
use crate::domain::user::{Email, LinkPurpose};
use crate::store::StoreError;
use crate::web::accounts::account::checked_new_password;
use crate::web::accounts::sign_in::{account_counter, remember_browser};
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::CookieJar;
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// "Forgot" forms one address may send in a window.
const PER_ADDRESS: i64 = 5;
/// Messages one account may be sent in an hour, however many addresses ask.
const PER_ACCOUNT: i64 = 3;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// `GET /forgot-password`.
pub async fn forgot_page(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.render(&app, "account/forgot.html", context! { email => "" })
}

/// `POST /forgot-password`.
pub async fn forgot(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> PageResult {
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            let errors = FieldErrors::one("email", message);
            return viewer.render_with_status(
                &app,
                "account/forgot.html",
                context! { email => form.email.trim(), errors => Serde(&errors) },
                form_status(&errors),
            );
        }
    };
    let key = format!("forgot:address:{ip}");
    if app.db.rate_limit_hit(&key, WINDOW_SECS).await? > PER_ADDRESS {
        let errors = FieldErrors::one(
            "email",
            "Too many requests from your network. Wait 15 minutes and try again",
        );
        return viewer.render_with_status(
            &app,
            "account/forgot.html",
            context! { email => email.as_str(), errors => Serde(&errors) },
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let background = app.clone();
    let asked = email.clone();
    tokio::spawn(async move {
        if let Err(e) = send_reset(&background, &asked).await {
            tracing::error!(error = %e, "could not make a password reset link");
        }
    });
    viewer.render(
        &app,
        "account/forgot_sent.html",
        context! { email => email.as_str() },
    )
}

/// Sends a reset link to the account with this address, if there is an enabled one and it
/// has not been sent [`PER_ACCOUNT`] already this hour.
async fn send_reset(app: &App, email: &Email) -> Result<(), StoreError> {
    let key = format!("forgot:account:{}", email.as_str());
    if app.db.rate_limit_hit(&key, 3600).await? > PER_ACCOUNT {
        return Ok(());
    }
    let user = match app.db.user_by_email(email).await {
        Ok(user) if !user.disabled => user,
        Ok(_) | Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    // A link built from the request's Host header could point at anyone's site.
    let Some(base) = &app.config.public_url else {
        tracing::warn!(
            "a password reset was asked for, but no link can be sent without --public-url"
        );
        return Ok(());
    };
    password_link(
        &app.db,
        &user,
        LinkPurpose::Reset,
        base.as_str(),
        Delivery::Email,
    )
    .await?;
    app.db
        .audit(
            None,
            "password reset link sent",
            &user.email,
            "asked for on the site",
        )
        .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkQuery {
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetPasswordForm {
    token: String,
    new_password: String,
    confirm_password: String,
}

/// The page for a link that does not work (used, replaced by a newer one, or expired).
fn link_gone(app: &App, viewer: &Viewer) -> PageResult {
    viewer.render_with_status(
        app,
        "account/link_gone.html",
        context! {},
        StatusCode::BAD_REQUEST,
    )
}

/// The form, kept out of every cache (its address holds the token).
fn set_password_form(
    app: &App,
    viewer: &Viewer,
    token: &str,
    user: &crate::store::users::User,
    purpose: LinkPurpose,
    errors: &FieldErrors,
) -> PageResult {
    let mut page = viewer.render_with_status(
        app,
        "account/set_password.html",
        context! {
            token, email => &user.email, purpose => Serde(purpose), errors => Serde(errors),
        },
        form_status(errors),
    )?;
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page)
}

/// `GET /set-password?token=…`.
pub async fn set_password_page(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<LinkQuery>,
) -> PageResult {
    let Some(link) = app.db.password_link(&token_hash(q.token.trim())).await? else {
        return link_gone(&app, &viewer);
    };
    let user = app.db.user(link.user_id).await?;
    set_password_form(
        &app,
        &viewer,
        &q.token,
        &user,
        link.purpose,
        &FieldErrors::new(),
    )
}

/// `POST /set-password`: the link works once; every session of the account ends, and this
/// browser becomes one the account knows (see `domain::sign_in`).
pub async fn set_password(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<SetPasswordForm>,
) -> PageResult {
    let hash = token_hash(form.token.trim());
    let Some(link) = app.db.password_link(&hash).await? else {
        return link_gone(&app, &viewer);
    };
    let user = app.db.user(link.user_id).await?;
    let mut errors = FieldErrors::new();
    let about = [user.email.as_str(), user.name.as_str()];
    let password = checked_new_password(
        &form.new_password,
        &form.confirm_password,
        &about,
        &mut errors,
    );
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return set_password_form(&app, &viewer, &form.token, &user, link.purpose, &errors);
    };
    let password_hash = hash_password(password).await?;
    if app
        .db
        .set_password_by_link(&hash, &password_hash)
        .await?
        .is_none()
    {
        return link_gone(&app, &viewer);
    }
    let action = match link.purpose {
        LinkPurpose::Reset => "reset password",
        LinkPurpose::Invitation => "accepted invitation",
    };
    app.db
        .audit(
            Some(user.id),
            action,
            &user.email,
            "from a link sent to them",
        )
        .await?;
    let email = Email::parse(&user.email).map_err(PageError::BadRequest)?;
    let counter = account_counter(&email);
    let (held, _) = app.db.rate_limit_hits(&counter, WINDOW_SECS).await?;
    app.db.rate_limit_clear(&counter).await?;
    if held >= ACCOUNT_LIMIT {
        let detail = "the owner set a new password from a link";
        app.db
            .audit(
                Some(user.id),
                "sign-in no longer held back",
                &user.email,
                detail,
            )
            .await?;
    }
    let jar = remember_browser(&app, jar, user.id).await?;
    Ok((jar, Redirect::to("/sign-in?password=set")).into_response())
}
