//! `/sign-in` and `/sign-out`.
//!
//! Failed sign-ins are limited per account and per client address (database-backed
//! counters, so the limit holds across app nodes): past the limit the form answers 429 and
//! says when to try again. The form never says whether the email or the password was wrong.

use crate::App;
use crate::auth::{random_token, token_hash, verify_password};
use crate::domain::FieldErrors;
use crate::domain::text::LocalPath;
use crate::domain::user::{Email, MAX_PASSWORD_LEN};
use crate::store::now;
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, SESSION_COOKIE, SESSION_SECS, Viewer};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// Failed attempts allowed for one account in [`WINDOW_SECS`].
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failed attempts allowed from one address in [`WINDOW_SECS`] (offices share addresses).
pub const ADDRESS_LIMIT: i64 = 10;
pub const WINDOW_SECS: i64 = 15 * 60;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    #[serde(rename = "signed-out")]
    signed_out: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// Only paths on this site are followed after sign-in ([`LocalPath`]), so the form cannot
/// send people to another site; anything else goes to the admin home.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(LocalPath::parse)
        .map_or_else(|| "/admin".to_string(), |p| p.as_str().to_string())
}

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> PageResult {
    viewer.render(
        &app,
        "sign_in.html",
        context! { next => safe_next(q.next.as_deref()), signed_out => q.signed_out.is_some(), email => "" },
    )
}

pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let render_errors = |errors: FieldErrors, status: StatusCode| {
        viewer.render_with_status(
            &app,
            "sign_in.html",
            context! { next => &next, errors => Serde(errors.iter().collect::<Vec<_>>()), email => form.email.trim() },
            status,
        )
    };
    let email = match form.check() {
        Ok(email) => email,
        Err(errors) => return render_errors(errors, StatusCode::BAD_REQUEST),
    };
    let limits = Limits::of(ip, &email);
    if let Some(wait_secs) = limits.refusal(&app).await? {
        return too_many(&app, &viewer, &next, wait_secs);
    }
    let user_id = match account_of(&app, &email, &form.password).await? {
        Some(id) => id,
        None => {
            app.db.rate_limit_hit(&limits.address, WINDOW_SECS).await?;
            app.db.rate_limit_hit(&limits.account, WINDOW_SECS).await?;
            tracing::info!(ip = %ip, "failed sign-in");
            let errors = FieldErrors::one("email", "Enter a correct email address and password");
            return render_errors(errors, StatusCode::UNAUTHORIZED);
        }
    };

    app.db.rate_limit_clear(&limits.account).await?;
    let token = random_token();
    let expires = now() + SESSION_SECS;
    (app.db)
        .create_session(&token_hash(&token), user_id, &random_token(), expires)
        .await?;
    app.db
        .audit(Some(user_id), "signed in", email.as_str(), "")
        .await?;
    let cookie = session_cookie(&app, token);
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

/// The enabled account with this e-mail and password. The password is hashed whether or not
/// there is such an account, so timing does not tell who has one.
async fn account_of(app: &App, email: &Email, password: &str) -> Result<Option<i64>, PageError> {
    let credentials = app.db.credentials(email).await?;
    let password: String = password.chars().take(MAX_PASSWORD_LEN).collect();
    let enabled = credentials.filter(|c| !c.disabled);
    let stored = enabled.as_ref().map(|c| c.password_hash.clone());
    let ok = verify_password(password, stored).await;
    Ok(enabled.filter(|_| ok).map(|c| c.id))
}

fn session_cookie(app: &App, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(app.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(SESSION_SECS))
        .build()
}

impl SignInForm {
    /// The e-mail address, once both fields are filled in.
    fn check(&self) -> Result<Email, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = if self.email.trim().is_empty() {
            errors.add("email", "Enter your email address");
            None
        } else {
            errors.check("email", Email::parse(&self.email))
        };
        if self.password.is_empty() {
            errors.add("password", "Enter your password");
        }
        match email {
            Some(email) if errors.is_empty() => Ok(email),
            _ => Err(errors),
        }
    }
}

/// The failed sign-in counters a request counts against: its address's and the account's.
struct Limits {
    address: String,
    account: String,
}

impl Limits {
    fn of(ip: std::net::IpAddr, email: &Email) -> Limits {
        Limits {
            address: format!("sign-in:address:{ip}"),
            account: format!("sign-in:account:{}", email.as_str()),
        }
    }

    /// How long to wait, when either counter has reached its limit.
    async fn refusal(&self, app: &App) -> Result<Option<i64>, crate::store::StoreError> {
        let (address_hits, address_reset) =
            app.db.rate_limit_hits(&self.address, WINDOW_SECS).await?;
        let (account_hits, account_reset) =
            app.db.rate_limit_hits(&self.account, WINDOW_SECS).await?;
        let reset = match (address_hits >= ADDRESS_LIMIT, account_hits >= ACCOUNT_LIMIT) {
            (false, false) => return Ok(None),
            (true, true) => address_reset.max(account_reset),
            (true, false) => address_reset,
            (false, true) => account_reset,
        };
        Ok(Some(reset - now()))
    }
}

fn too_many(app: &App, viewer: &Viewer, next: &str, wait_secs: i64) -> PageResult {
    let minutes = (wait_secs.max(1) + 59) / 60;
    let mut response = viewer.render_with_status(
        app,
        "sign_in.html",
        context! {
            next => next,
            email => "",
            errors => vec![context! { field => "email", message => format!(
                "Too many failed attempts to sign in. Wait {minutes} minute{} and try again.",
                if minutes == 1 { "" } else { "s" }
            ) }],
        },
        StatusCode::TOO_MANY_REQUESTS,
    )?;
    response
        .headers_mut()
        .insert(axum::http::header::RETRY_AFTER, wait_secs.max(1).into());
    Ok(response)
}

#[derive(Deserialize)]
pub struct SignOutForm {}

pub async fn sign_out(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<SignOutForm>,
) -> Result<Response, PageError> {
    if let Some(user) = &viewer.user {
        app.db.delete_session(&user.session_hash).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/sign-in?signed-out=1")).into_response())
}
