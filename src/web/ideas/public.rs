//! Idea challenges in public: `/ideas/{challenge}` where anyone submits an idea (held for
//! moderation) and votes once per idea.
//!
//! A vote is keyed by the browser's own visitor cookie (hashed), or the user when signed in; one address
//! gives one idea at most `--votes-per-address` votes (fresh cookies do not make more), and
//! votes from one address are rate limited; a browser that refuses cookies cannot vote. A
//! challenge can instead ask for votes confirmed by email (`email_votes.rs`).

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::idea::IdeaStatus;
use crate::ideas::{self, IDEA_WINDOW_SECS, IdeaRefusal, NewIdea};
use crate::store::ideas::{Challenge, Vote};
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::ideas::email_votes::{self, VoteForm};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

/// Votes one address may cast in [`IDEA_WINDOW_SECS`].
const VOTE_LIMIT: i64 = 200;

/// `GET /ideas`: every challenge.
pub async fn index(State(app): State<App>, viewer: Viewer) -> PageResult {
    let challenges = app.db.challenges().await?;
    viewer.render(
        &app,
        "ideas/index.html",
        context! { challenges => Serde(challenges), now => crate::store::now() },
    )
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct IdeaForm {
    title: String,
    body: String,
    name: String,
    website: String,
}

/// The browser's own random cookie that tells its votes from another browser's (idea pages
/// are made for each visitor, never shared, so they can set it).
const VISITOR_COOKIE: &str = "townhall_visitor";

/// Who is voting: the signed-in user, or the browser by its visitor cookie (`None` when it
/// sent none: a first visit, or a browser that keeps no cookies).
fn voter(viewer: &Viewer, jar: &CookieJar) -> Option<String> {
    match &viewer.user {
        Some(u) => Some(format!("user:{}", u.id)),
        None => (jar.get(VISITOR_COOKIE))
            .filter(|c| c.value().len() >= 32)
            .map(|c| crate::auth::token_hash(&format!("visitor:{}", c.value()))),
    }
}

/// `jar` with a new visitor cookie when a visitor who is not signed in has none yet.
fn with_visitor_cookie(app: &App, viewer: &Viewer, jar: CookieJar) -> CookieJar {
    if viewer.user.is_some() || voter(viewer, &jar).is_some() {
        return jar;
    }
    let cookie = Cookie::build((VISITOR_COOKIE, crate::auth::random_token()))
        .path("/ideas")
        .http_only(true)
        .secure(app.config.secure_cookies)
        .same_site(SameSite::Lax)
        .permanent();
    jar.add(cookie)
}

async fn render_challenge(
    app: &App,
    (viewer, jar): (&Viewer, &CookieJar),
    c: &Challenge,
    form: &IdeaForm,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let ideas = app.db.ideas(c.id, IdeaStatus::PUBLIC).await?;
    let voted = match voter(viewer, jar) {
        Some(v) => app.db.votes_of(c.id, &v).await?,
        None => vec![],
    };
    viewer.render_with_status(
        app,
        "ideas/challenge.html",
        context! {
            challenge => Serde(c), criteria => c.criteria(), open => c.is_open(crate::store::now()),
            projects => Serde(app.db.idea_projects(c.id).await?),
            ideas => Serde(ideas), voted, form => Serde(form), errors => Serde(errors),
        },
        status,
    )
}

/// `GET /ideas/{challenge}`.
pub async fn challenge(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let page = render_challenge(
        &app,
        (&viewer, &jar),
        &c,
        &IdeaForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await?;
    Ok((with_visitor_cookie(&app, &viewer, jar), page).into_response())
}

/// `POST /ideas/{challenge}`: submits an idea for moderation.
pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<IdeaForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let idea = NewIdea {
        title: &form.title,
        body: &form.body,
        name: &form.name,
    };
    // A filled honeypot is treated as sent, and nothing is stored.
    let store = form.website.trim().is_empty();
    let (errors, status) = match ideas::submit(&app.db, &c, idea, ip, store).await {
        Ok(_) => {
            return viewer.render(
                &app,
                "ideas/received.html",
                context! { challenge => Serde(&c) },
            );
        }
        Err(IdeaRefusal::Invalid(errors)) => (errors, StatusCode::BAD_REQUEST),
        Err(IdeaRefusal::Closed) => (
            FieldErrors::one("title", IdeaRefusal::CLOSED),
            StatusCode::CONFLICT,
        ),
        Err(IdeaRefusal::TooMany) => (
            FieldErrors::one("title", IdeaRefusal::TOO_MANY),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(IdeaRefusal::Store(e)) => return Err(e.into()),
    };
    render_challenge(&app, (&viewer, &jar), &c, &form, errors, status).await
}

/// `POST /ideas/{challenge}/{idea}/vote`: one vote per voter per idea.
pub async fn vote(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(form): CsrfForm<VoteForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let idea = app.db.idea(id).await?;
    if idea.challenge_id != c.id || !idea.status.is_public() {
        return Err(PageError::NotFound);
    }
    if !c.is_open(crate::store::now()) {
        return Err(PageError::BadRequest(
            "Voting on this challenge has closed.".into(),
        ));
    }
    if app
        .db
        .rate_limit_hit(&format!("vote:{}", ip), IDEA_WINDOW_SECS)
        .await?
        > VOTE_LIMIT
    {
        return Err(PageError::TooManyRequests {
            retry_after_secs: IDEA_WINDOW_SECS,
        });
    }
    // Kept as a hash, per challenge: enough to count votes from one address, not to say whose.
    let address = crate::auth::token_hash(&format!("vote:{}:{ip}", c.id));
    if c.votes_need_email {
        return email_votes::ask(&app, &viewer, &headers, (&c, &idea), &form, &address).await;
    }
    let Some(voter) = voter(&viewer, &jar) else {
        return Err(PageError::BadRequest("To vote, let this site keep its cookie (it only remembers your votes), then reload the page and vote again.".into()));
    };
    let per_address = i64::from(app.config.votes_per_address);
    match app.db.vote(id, &voter, &address, per_address).await? {
        Vote::Counted | Vote::Already => {
            Ok(Redirect::to(&format!("/ideas/{slug}#idea-{id}")).into_response())
        }
        Vote::Refused => Err(PageError::BadRequest(format!(
            "Your vote was not counted: {per_address} votes for this idea have already come from \
             your network (such as an office or a public Wi-Fi), and one network may give it no \
             more. Go back to the challenge to read and vote for other ideas."
        ))),
    }
}
