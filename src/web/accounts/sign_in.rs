//! `/sign-in` and `/sign-out`.
//!
//! Wrong passwords are counted per address, per account and per known browser in the
//! database (so the limits hold across app nodes), and `domain::sign_in` decides what they
//! hold back: strangers cannot lock an account's owner out. Past a limit the form answers 429
//! and says when to try again. The form never says whether the email or the password was
//! wrong. With a second factor set up, a right password leads to `/sign-in/two-factor`
//! (`two_factor.rs`) instead of a session.

use crate::App;
use crate::auth::{random_token, token_hash, verify_password};
use crate::domain::FieldErrors;
use crate::domain::sign_in::{
    ACCOUNT_LIMIT, ADDRESS_LIMIT, DEVICE_LIMIT, Failures, Held, WINDOW_SECS,
};
use crate::domain::text::LocalPath;
use crate::domain::user::{Email, MAX_PASSWORD_LEN};
use crate::store::now;
use crate::store::users::Credentials;
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, SESSION_COOKIE, Viewer};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;
use std::net::IpAddr;

/// The cookie that marks a browser that has signed in before (see `domain::sign_in`).
pub const DEVICE_COOKIE: &str = "townhall_device";
/// A known browser stays known for a year after it last signed in.
const DEVICE_SECS: i64 = 365 * 86_400;
/// The cookie of a sign-in waiting for its second factor.
pub const CHALLENGE_COOKIE: &str = "townhall_sign_in";
/// How long the second factor may take.
pub const CHALLENGE_SECS: i64 = 5 * 60;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    #[serde(rename = "signed-out")]
    signed_out: Option<String>,
    /// Set after a password was set from a link.
    password: Option<String>,
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
pub(crate) fn safe_next(next: Option<&str>) -> String {
    next.and_then(LocalPath::parse)
        .map_or_else(|| "/admin".to_string(), |p| p.as_str().to_string())
}

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> PageResult {
    let page = context! {
        signed_out => q.signed_out.is_some(),
        password_set => q.password.is_some(),
    };
    let next = safe_next(q.next.as_deref());
    sign_in_page(&app, &viewer, &next, "", &FieldErrors::new(), page)
}

/// The sign-in page: the form (with `email` filled in and `errors`), and a button for each
/// single sign-on provider; `extra` adds to its context. The status follows the errors
/// (see `form_status`) unless the caller changes it.
pub(crate) fn sign_in_page(
    app: &App,
    viewer: &Viewer,
    next: &str,
    email: &str,
    errors: &FieldErrors,
    extra: minijinja::Value,
) -> PageResult {
    let providers: Vec<_> = (app.sso.providers().iter())
        .map(|p| context! { slug => &p.slug, name => &p.name })
        .collect();
    viewer.render_with_status(
        app,
        "sign_in.html",
        context! {
            next, email, providers,
            errors => Serde(errors.iter().collect::<Vec<_>>()),
            ..extra
        },
        crate::web::error::form_status(errors),
    )
}

pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let render_errors = |errors: FieldErrors, status: StatusCode| {
        let mut page = sign_in_page(
            &app,
            &viewer,
            &next,
            form.email.trim(),
            &errors,
            context! {},
        )?;
        *page.status_mut() = status;
        Ok(page)
    };
    let email = match form.check() {
        Ok(email) => email,
        Err(errors) => return render_errors(errors, StatusCode::BAD_REQUEST),
    };
    let device = jar.get(DEVICE_COOKIE).map(|c| token_hash(c.value()));
    let counters = Counters::of(ip, &email, device.as_deref());
    let failures = counters.failures(&app, &email).await?;
    if let Some(held) = failures.held() {
        let key = match held {
            Held::Address => &counters.address,
            Held::Account => &counters.account,
        };
        let (_, reset) = app.db.rate_limit_hits(key, WINDOW_SECS).await?;
        return too_many(&app, &viewer, &next, reset.secs() - now().secs());
    }
    let Some(account) = account_of(&app, &email, &form.password).await? else {
        counters.failed(&app, &email, ip).await?;
        tracing::info!(ip = %ip, "failed sign-in");
        let errors = FieldErrors::one("email", "Enter a correct email address and password");
        return render_errors(errors, StatusCode::UNAUTHORIZED);
    };

    counters
        .succeeded(&app, &email, &failures, account.id)
        .await?;
    let (jar, device_token) = known_device(jar, &app);
    app.db
        .remember_device(&token_hash(&device_token), account.id)
        .await?;
    if account.two_factor {
        return ask_second_factor(&app, jar, account.id, &next).await;
    }
    let jar = start_session(&app, jar, &headers, account.id, email.as_str(), "").await?;
    Ok((jar, Redirect::to(&next)).into_response())
}

/// The first factor is good: the browser is sent to give the second, then to `next`.
pub(crate) async fn ask_second_factor(
    app: &App,
    jar: CookieJar,
    user_id: i64,
    next: &str,
) -> PageResult {
    let token = random_token();
    let expires = now() + CHALLENGE_SECS;
    (app.db)
        .create_sign_in_challenge(&token_hash(&token), user_id, next, expires)
        .await?;
    let cookie = short_cookie(app, CHALLENGE_COOKIE, token, CHALLENGE_SECS);
    Ok((jar.add(cookie), Redirect::to("/sign-in/two-factor")).into_response())
}

/// Signs `user_id` in: a new session (any the browser held before is ended, so an id seen
/// before signing in never becomes a signed-in one), recorded in the audit log with `how`.
pub(crate) async fn start_session(
    app: &App,
    jar: CookieJar,
    headers: &HeaderMap,
    user_id: i64,
    email: &str,
    how: &str,
) -> Result<CookieJar, PageError> {
    if let Some(old) = jar.get(SESSION_COOKIE) {
        app.db.delete_session(&token_hash(old.value())).await?;
    }
    let token = random_token();
    let limits = app.config.sessions;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect::<String>();
    (app.db)
        .create_session(
            &token_hash(&token),
            user_id,
            &random_token(),
            now() + limits.max_secs,
            &user_agent,
        )
        .await?;
    app.db.audit(Some(user_id), "signed in", email, how).await?;
    Ok(jar.add(session_cookie(app, token)))
}

/// The browser's known-device token: the one it holds, or a new one.
pub(crate) fn known_device(jar: CookieJar, app: &App) -> (CookieJar, String) {
    if let Some(c) = jar.get(DEVICE_COOKIE) {
        let token = c.value().to_string();
        return (jar, token);
    }
    let token = random_token();
    let cookie = short_cookie(app, DEVICE_COOKIE, token.clone(), DEVICE_SECS);
    (jar.add(cookie), token)
}

/// Marks this browser as one that has signed in to `user_id` (after a password was set from
/// a link: the owner gets in from it even while strangers' guesses hold the account back).
pub(crate) async fn remember_browser(
    app: &App,
    jar: CookieJar,
    user_id: i64,
) -> Result<CookieJar, PageError> {
    let (jar, token) = known_device(jar, app);
    app.db.remember_device(&token_hash(&token), user_id).await?;
    Ok(jar)
}

/// The enabled account with this e-mail and password. The password is hashed whether or not
/// there is such an account (or it has a password yet), so timing does not tell who has one.
async fn account_of(
    app: &App,
    email: &Email,
    password: &str,
) -> Result<Option<Credentials>, PageError> {
    let credentials = app.db.credentials(email).await?;
    let password: String = password.chars().take(MAX_PASSWORD_LEN).collect();
    let usable = credentials.filter(|c| !c.disabled && !c.password_hash.is_empty());
    let stored = usable.as_ref().map(|c| c.password_hash.clone());
    let ok = verify_password(password, stored).await;
    Ok(usable.filter(|_| ok))
}

pub(crate) fn session_cookie(app: &App, token: String) -> Cookie<'static> {
    short_cookie(app, SESSION_COOKIE, token, app.config.sessions.max_secs)
}

/// An `HttpOnly`, `SameSite=Lax` cookie for the whole site.
pub(crate) fn short_cookie(
    app: &App,
    name: &'static str,
    value: String,
    secs: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(app.config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(secs))
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

/// The counter of wrong passwords for the account with this email.
pub(crate) fn account_counter(email: &Email) -> String {
    format!("sign-in:account:{}", email.as_str())
}

/// The failure counters a sign-in counts against.
pub(crate) struct Counters {
    address: String,
    account: String,
    /// The browser's known-device token's hash, and its failure counter.
    device: Option<(String, String)>,
}

impl Counters {
    pub(crate) fn of(ip: IpAddr, email: &Email, device: Option<&str>) -> Counters {
        Counters {
            address: format!("sign-in:address:{ip}"),
            account: account_counter(email),
            device: device.map(|d| (d.to_string(), format!("sign-in:device:{d}"))),
        }
    }

    /// The failures so far; the browser's own only when it has signed in to this account.
    async fn failures(&self, app: &App, email: &Email) -> Result<Failures, PageError> {
        let hits = |key: String| async move {
            app.db
                .rate_limit_hits(&key, WINDOW_SECS)
                .await
                .map(|(n, _)| n)
        };
        let known = match &self.device {
            Some((hash, key)) if app.db.device_known(hash, email.as_str()).await? => {
                Some(hits(key.clone()).await?)
            }
            _ => None,
        };
        Ok(Failures {
            from_address: hits(self.address.clone()).await?,
            for_account: hits(self.account.clone()).await?,
            from_known_browser: known,
        })
    }

    /// Counts a wrong password; the audit log notes when a limit is reached.
    async fn failed(&self, app: &App, email: &Email, ip: IpAddr) -> Result<(), PageError> {
        let until = |n: i64| format!("after {n} wrong passwords in 15 minutes");
        if app.db.rate_limit_hit(&self.address, WINDOW_SECS).await? == ADDRESS_LIMIT {
            let detail = until(ADDRESS_LIMIT);
            (app.db)
                .audit(
                    None,
                    "sign-in held back from an address",
                    &ip.to_string(),
                    &detail,
                )
                .await?;
        }
        if app.db.rate_limit_hit(&self.account, WINDOW_SECS).await? == ACCOUNT_LIMIT {
            let detail = format!(
                "{}; browsers that have signed in to it before are not held back",
                until(ACCOUNT_LIMIT)
            );
            (app.db)
                .audit(
                    None,
                    "sign-in held back for new browsers",
                    email.as_str(),
                    &detail,
                )
                .await?;
        }
        if let Some((_, key)) = &self.device {
            app.db.rate_limit_hit(key, WINDOW_SECS).await?;
        }
        Ok(())
    }

    /// A right password: the account's failures are forgotten (noted in the audit log when
    /// they were holding it back).
    async fn succeeded(
        &self,
        app: &App,
        email: &Email,
        failures: &Failures,
        user_id: i64,
    ) -> Result<(), PageError> {
        app.db.rate_limit_clear(&self.account).await?;
        if let Some((_, key)) = &self.device {
            app.db.rate_limit_clear(key).await?;
        }
        if failures.for_account >= ACCOUNT_LIMIT {
            let detail = format!(
                "the owner signed in from a browser known to the account (after {} wrong passwords); \
                 at most {DEVICE_LIMIT} from it are allowed",
                failures.for_account
            );
            (app.db)
                .audit(
                    Some(user_id),
                    "sign-in no longer held back",
                    email.as_str(),
                    &detail,
                )
                .await?;
        }
        Ok(())
    }
}

fn too_many(app: &App, viewer: &Viewer, next: &str, wait_secs: i64) -> PageResult {
    let minutes = (wait_secs.max(1) + 59) / 60;
    let message = format!(
        "Too many failed attempts to sign in. Wait {minutes} minute{} and try again, or reset \
         your password",
        if minutes == 1 { "" } else { "s" }
    );
    let errors = FieldErrors::one("email", message);
    let mut response = sign_in_page(app, viewer, next, "", &errors, context! {})?;
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
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
