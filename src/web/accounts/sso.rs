//! Signing in with a single sign-on provider (`sso.rs` has the OpenID Connect side):
//! `/sign-in/sso/{provider}` sends the browser to the provider, and the provider sends it back
//! to `/sign-in/sso/{provider}/callback`.
//!
//! The answer counts only for the browser that asked (a cookie whose hash is kept with the
//! state), once, within ten minutes, and only when the provider's ID token carries the nonce
//! this sign-in sent. The person is matched to an account by their verified e-mail address;
//! their roles are given here, never by the provider. A second factor set up in Townhall is
//! still asked for.

use crate::App;
use crate::auth::{constant_time_eq, random_token, token_hash};
use crate::domain::FieldErrors;
use crate::domain::user::Email;
use crate::sso::Provider;
use crate::store::StoreError;
use crate::store::sso::SsoSignIn;
use crate::store::users::User;
use crate::web::accounts::sign_in::{
    ask_second_factor, known_device, safe_next, short_cookie, sign_in_page, start_session,
};
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::Viewer;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use minijinja::context;
use serde::Deserialize;

/// The cookie that ties a provider's answer to the browser that asked.
const SSO_COOKIE: &str = "townhall_sso";
/// How long the provider may take.
const SSO_SECS: i64 = 10 * 60;
/// Sign-ins one address may start in [`SSO_SECS`] (offices share addresses).
const STARTS_PER_ADDRESS: i64 = 60;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BeginQuery {
    next: Option<String>,
}

/// Where the provider sends people back: under `--public-url`, which the provider knows.
fn callback_url(app: &App, provider: &Provider) -> Result<String, PageError> {
    let base = app.config.public_url.as_ref().ok_or(PageError::NotFound)?;
    Ok(format!(
        "{}/sign-in/sso/{}/callback",
        base.as_str().trim_end_matches('/'),
        provider.slug
    ))
}

/// The sign-in page with one error about signing in with `provider`.
fn refused(
    app: &App,
    viewer: &Viewer,
    provider: &Provider,
    problem: &str,
    status: StatusCode,
) -> PageResult {
    let message = format!(
        "Signing in with {} did not work: {problem}. Try again, or sign in with your email \
         address and password",
        provider.name
    );
    let errors = FieldErrors::one("email", message);
    let mut page = sign_in_page(app, viewer, "/admin", "", &errors, context! {})?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /sign-in/sso/{provider}`: off to the provider.
pub async fn begin(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    Query(q): Query<BeginQuery>,
    jar: CookieJar,
) -> PageResult {
    let provider = app.sso.provider(&slug).ok_or(PageError::NotFound)?;
    // Each start keeps a row for ten minutes: one address may not make them without end.
    let key = format!("sso:address:{ip}");
    if app.db.rate_limit_hit(&key, SSO_SECS).await? > STARTS_PER_ADDRESS {
        let problem = "too many sign-ins were started from your network; wait 10 minutes";
        return refused(
            &app,
            &viewer,
            provider,
            problem,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let callback = callback_url(&app, provider)?;
    let started = match app.sso.begin(provider, &callback).await {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(provider = %provider.slug, error = %e, "single sign-on could not start");
            return refused(
                &app,
                &viewer,
                provider,
                &e.to_string(),
                StatusCode::BAD_GATEWAY,
            );
        }
    };
    let browser = random_token();
    let waiting = SsoSignIn {
        browser_hash: token_hash(&browser),
        provider: provider.slug.clone(),
        pkce_verifier: started.pkce_verifier,
        nonce: started.nonce,
        next_path: safe_next(q.next.as_deref()),
    };
    let expires = crate::store::now() + SSO_SECS;
    (app.db)
        .begin_sso_sign_in(&token_hash(&started.state), &waiting, expires)
        .await?;
    let cookie = short_cookie(&app, SSO_COOKIE, browser, SSO_SECS);
    Ok((jar.add(cookie), Redirect::to(&started.authorize_url)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CallbackQuery {
    code: String,
    state: String,
    error: String,
    error_description: String,
}

/// `GET /sign-in/sso/{provider}/callback`: the provider's answer.
pub async fn callback(
    State(app): State<App>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<CallbackQuery>,
    jar: CookieJar,
) -> PageResult {
    let provider = app.sso.provider(&slug).ok_or(PageError::NotFound)?;
    let refuse = |problem: &str, status| refused(&app, &viewer, provider, problem, status);
    let bad = StatusCode::BAD_REQUEST;
    if !q.error.is_empty() {
        let said = if q.error_description.is_empty() {
            &q.error
        } else {
            &q.error_description
        };
        let said: String = said.chars().take(200).collect();
        return refuse(&format!("the sign-in service said “{said}”"), bad);
    }
    // The state finds this browser's sign-in, once.
    let waiting = app.db.take_sso_sign_in(&token_hash(&q.state)).await?;
    let Some(waiting) = waiting.filter(|w| w.provider == provider.slug) else {
        return refuse("this sign-in has expired or has been used already", bad);
    };
    let browser = (jar.get(SSO_COOKIE).map(|c| token_hash(c.value()))).unwrap_or_default();
    let jar = jar.remove(Cookie::build(SSO_COOKIE).path("/"));
    if !constant_time_eq(&browser, &waiting.browser_hash) {
        return refuse("it was started in another browser", bad);
    }
    let callback = callback_url(&app, provider)?;
    let answer = app
        .sso
        .finish(
            provider,
            &callback,
            &q.code,
            &waiting.pkce_verifier,
            &waiting.nonce,
        )
        .await;
    let (email, name) = match answer {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(provider = %provider.slug, error = %e, "single sign-on refused");
            return refuse(&e.to_string(), bad);
        }
    };
    let Ok(email) = Email::parse(&email) else {
        return refuse(
            "the email address it gave is not one this site can use",
            bad,
        );
    };
    let user = match account_for(&app, provider, &email, name.as_deref()).await? {
        Some(user) if !user.disabled => user,
        Some(_) => return refuse("your account has been disabled", StatusCode::FORBIDDEN),
        None => {
            let problem = format!(
                "there is no account for {}; ask an admin of your organisation to add you",
                email.as_str()
            );
            return refuse(&problem, StatusCode::FORBIDDEN);
        }
    };
    let (jar, device) = known_device(jar, &app);
    app.db
        .remember_device(&token_hash(&device), user.id)
        .await?;
    if user.two_factor {
        return ask_second_factor(&app, jar, user.id, &waiting.next_path).await;
    }
    let how = format!("with {}", provider.name);
    let jar = start_session(&app, jar, &headers, user.id, &user.email, &how).await?;
    Ok((jar, Redirect::to(&waiting.next_path)).into_response())
}

/// The account with this verified address; made (with no roles) when there is none and the
/// provider makes accounts for its domain.
async fn account_for(
    app: &App,
    provider: &Provider,
    email: &Email,
    name: Option<&str>,
) -> Result<Option<User>, PageError> {
    match app.db.user_by_email(email).await {
        Ok(user) => return Ok(Some(user)),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    if !provider.makes_accounts_for(email.as_str()) {
        return Ok(None);
    }
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(email.as_str());
    let name: String = name.chars().take(200).collect();
    let id = app.db.create_user(email, &name, "", &[]).await?;
    let detail = format!("on first sign-in with {}; no roles", provider.name);
    app.db
        .audit(None, "created user", email.as_str(), &detail)
        .await?;
    Ok(Some(app.db.user(id).await?))
}
