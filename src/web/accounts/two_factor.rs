//! Two-factor sign-in: the second step of signing in (`/sign-in/two-factor`) and setting up
//! an authenticator app (`/account/two-factor`). Codes and recovery codes are in
//! `auth::two_factor`; what is kept, in `store/sign_in.rs`.

use crate::App;
use crate::auth::two_factor::{self, recovery_code_hash};
use crate::auth::{random_token, token_hash};
use crate::domain::FieldErrors;
use crate::domain::sign_in::WINDOW_SECS;
use crate::store::now;
use crate::web::accounts::sign_in::{CHALLENGE_COOKIE, session_cookie, start_session};
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, NoFields, SignedIn, Viewer};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// Wrong codes one sign-in may send before the password is asked again.
const TRIES_PER_SIGN_IN: i32 = 5;
/// Wrong codes one account may be sent in a window, across sign-ins.
const TRIES_PER_ACCOUNT: i64 = 10;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    recovery_code: String,
}

/// The sign-in waiting for its second factor in this browser, with its cookie's hash.
async fn waiting(
    app: &App,
    jar: &CookieJar,
) -> Result<Option<(String, crate::store::sign_in::Challenge)>, PageError> {
    let Some(cookie) = jar.get(CHALLENGE_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(cookie.value());
    Ok(app.db.sign_in_challenge(&hash).await?.map(|c| (hash, c)))
}

/// `GET /sign-in/two-factor`.
pub async fn challenge_page(State(app): State<App>, viewer: Viewer, jar: CookieJar) -> PageResult {
    if waiting(&app, &jar).await?.is_none() {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    viewer.render(&app, "sign_in_code.html", context! {})
}

/// `POST /sign-in/two-factor`: a code from the app, or a recovery code.
pub async fn check_challenge(
    State(app): State<App>,
    viewer: Viewer,
    headers: HeaderMap,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> PageResult {
    let Some((hash, challenge)) = waiting(&app, &jar).await? else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let user = app.db.user(challenge.user_id).await?;
    let refuse = |field: &str, message: &str| {
        let errors = FieldErrors::one(field, message);
        viewer.render_with_status(
            &app,
            "sign_in_code.html",
            context! { errors => Serde(&errors), recovery => field == "recovery_code" },
            form_status(&errors),
        )
    };
    let account_key = format!("two-factor:account:{}", user.id);
    let (tries, _) = app.db.rate_limit_hits(&account_key, WINDOW_SECS).await?;
    if tries >= TRIES_PER_ACCOUNT {
        return refuse(
            "code",
            "Too many wrong codes for this account. Wait 15 minutes and sign in again",
        );
    }
    let how = match second_factor(&app, user.id, &form).await? {
        Ok(how) => how,
        Err((field, message)) => {
            app.db.rate_limit_hit(&account_key, WINDOW_SECS).await?;
            app.db
                .sign_in_challenge_failed(&hash, TRIES_PER_SIGN_IN)
                .await?;
            return refuse(field, message);
        }
    };
    app.db.end_sign_in_challenge(&hash).await?;
    let jar = jar.remove(Cookie::build(CHALLENGE_COOKIE).path("/"));
    let jar = start_session(&app, jar, &headers, user.id, &user.email, &how).await?;
    Ok((jar, Redirect::to(&challenge.next_path)).into_response())
}

/// Checks the code (or recovery code) given; how the user signed in, or the field to blame.
async fn second_factor(
    app: &App,
    user_id: i64,
    form: &CodeForm,
) -> Result<Result<String, (&'static str, &'static str)>, PageError> {
    if !form.recovery_code.trim().is_empty() {
        let hash = recovery_code_hash(&form.recovery_code);
        if !app.db.use_recovery_code(user_id, &hash).await? {
            return Ok(Err((
                "recovery_code",
                "Enter one of your recovery codes that has not been used",
            )));
        }
        let left = app.db.recovery_codes_left(user_id).await?;
        return Ok(Ok(format!("with a recovery code ({left} left)")));
    }
    if form.code.trim().is_empty() {
        return Ok(Err((
            "code",
            "Enter the 6-digit code from your authenticator app",
        )));
    }
    let Some(secret) = app.db.totp_secret(user_id).await? else {
        return Ok(Err((
            "code",
            "Two-factor sign-in is not set up for this account",
        )));
    };
    let Some(step) = two_factor::check(&secret, &form.code, now().secs()) else {
        return Ok(Err((
            "code",
            "Enter the 6-digit code your authenticator app shows now",
        )));
    };
    if !app.db.take_totp_step(user_id, step).await? {
        return Ok(Err((
            "code",
            "That code has been used already: wait for your app to show a new one and enter it",
        )));
    }
    Ok(Ok("with an authenticator app".into()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetUpForm {
    secret: String,
    code: String,
}

/// The set-up page for `secret` (a new one when it is empty).
fn set_up_page(
    app: &App,
    viewer: &Viewer,
    user: &SignedIn,
    secret: &str,
    errors: &FieldErrors,
) -> PageResult {
    let qr = two_factor::qr_code(secret, &user.email, &site_name(app)).ok_or_else(|| {
        PageError::BadRequest("The key on this page was changed: reload the page.".into())
    })?;
    // The key in groups of four, as authenticator apps show it.
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    viewer.render_with_status(
        app,
        "account/two_factor.html",
        context! {
            secret, grouped_secret => grouped.join(" "), qr,
            owed => user.two_factor_owed,
            errors => Serde(errors),
        },
        form_status(errors),
    )
}

/// The name authenticator apps show beside the account: the site's host.
fn site_name(app: &App) -> String {
    (app.config.public_url.as_ref())
        .and_then(|u| u.host_str().map(str::to_string))
        .map_or_else(|| "Townhall".to_string(), |h| format!("Townhall ({h})"))
}

/// `GET /account/two-factor`: set it up, or (once it is) make new recovery codes.
pub async fn set_up_page_get(State(app): State<App>, viewer: Viewer) -> PageResult {
    let user = viewer.signed_in_owing_two_factor()?;
    if user.two_factor {
        let left = app.db.recovery_codes_left(user.id).await?;
        return viewer.render(
            &app,
            "account/two_factor_on.html",
            context! { left, codes => Serde(Vec::<String>::new()) },
        );
    }
    set_up_page(
        &app,
        &viewer,
        user,
        &two_factor::new_secret(),
        &FieldErrors::new(),
    )
}

/// `POST /account/two-factor`: the first code from the app confirms the key. The session gets
/// a new id (a change of privilege) and the recovery codes are shown, once.
pub async fn set_up(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<SetUpForm>,
) -> PageResult {
    let user = viewer.signed_in_owing_two_factor()?;
    if user.two_factor {
        return Ok(Redirect::to("/account/two-factor").into_response());
    }
    let secret = form.secret.trim();
    let Some(step) = two_factor::check(secret, &form.code, now().secs()) else {
        let message = if form.code.trim().is_empty() {
            "Enter the 6-digit code from your authenticator app"
        } else {
            "Enter the 6-digit code your authenticator app shows now for this key"
        };
        let errors = FieldErrors::one("code", message);
        return set_up_page(&app, &viewer, user, secret, &errors);
    };
    let codes = two_factor::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
    app.db
        .set_two_factor(user.id, secret, step, &hashes)
        .await?;
    app.db
        .audit(Some(user.id), "set up two-factor sign-in", &user.email, "")
        .await?;
    let jar = rotate(&app, jar, user).await?;
    let page = viewer.render(
        &app,
        "account/two_factor_on.html",
        context! { left => codes.len(), codes, just_set_up => true },
    )?;
    Ok((jar, page).into_response())
}

/// `POST /account/two-factor/recovery-codes`: ten new codes in place of the old ones.
pub async fn new_recovery_codes(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let user = viewer.signed_in()?;
    if !user.two_factor {
        return Ok(Redirect::to("/account/two-factor").into_response());
    }
    let codes = two_factor::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
    app.db.replace_recovery_codes(user.id, &hashes).await?;
    app.db
        .audit(Some(user.id), "made new recovery codes", &user.email, "")
        .await?;
    viewer.render(
        &app,
        "account/two_factor_on.html",
        context! { left => codes.len(), codes },
    )
}

/// Gives the viewer's session a new id: after a change of privilege, an id seen before no
/// longer works.
pub(crate) async fn rotate(
    app: &App,
    jar: CookieJar,
    user: &SignedIn,
) -> Result<CookieJar, PageError> {
    let token = random_token();
    (app.db)
        .rotate_session(&user.session_hash, &token_hash(&token))
        .await?;
    Ok(jar.add(session_cookie(app, token)))
}
