//! `/conversations`: every published conversation, and each one's page, where a visitor sees
//! one statement at a time and votes agree, disagree or pass, and writes statements of their
//! own for a moderator to approve. Plain forms: it works without JavaScript.

use crate::App;
use crate::deliberation::participation::{Refusal, Taking};
use crate::domain::FieldErrors;
use crate::domain::conversation::{Choice, next_statement};
use crate::store::conversations::Conversation;
use crate::store::participation::Participant;
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

/// The browser's own random cookie that makes it one participant in each conversation.
const PARTICIPANT_COOKIE: &str = "townhall_participant";

fn cookie(jar: &CookieJar) -> Option<&str> {
    (jar.get(PARTICIPANT_COOKIE))
        .map(|c| c.value())
        .filter(|v| v.len() >= 32)
}

/// `jar` with a participant cookie when the browser has none yet.
fn with_cookie(app: &App, jar: CookieJar) -> CookieJar {
    if cookie(&jar).is_some() {
        return jar;
    }
    let c = Cookie::build((PARTICIPANT_COOKIE, crate::auth::random_token()))
        .path("/conversations")
        .http_only(true)
        .secure(app.config.secure_cookies)
        .same_site(SameSite::Lax)
        .permanent();
    jar.add(c)
}

/// The participant this browser is in `c`, if it has taken part.
pub async fn participant(
    app: &App,
    c: &Conversation,
    jar: &CookieJar,
) -> PageResult<Option<Participant>> {
    Ok(match cookie(jar) {
        Some(v) => {
            let hash = crate::deliberation::participation::cookie_hash(v);
            app.db.conversation_participant(c.id, &hash).await?
        }
        None => None,
    })
}

/// A published conversation: others are not found.
async fn published(app: &App, slug: &str) -> PageResult<Conversation> {
    let c = app.db.conversation_by_slug(slug).await?;
    if !c.published {
        return Err(PageError::NotFound);
    }
    Ok(c)
}

/// `GET /conversations`.
pub async fn index(State(app): State<App>, viewer: Viewer) -> PageResult {
    let all = app.db.conversations().await?;
    let published: Vec<_> = all.into_iter().filter(|c| c.published).collect();
    viewer.render(
        &app,
        "conversations/index.html",
        context! { conversations => Serde(published), now => crate::store::now() },
    )
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct StatementForm {
    statement: String,
    /// A honeypot: people leave it empty.
    website: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Shown {
    /// `1` after a statement was sent.
    sent: String,
}

async fn render(
    app: &App,
    (viewer, jar): (&Viewer, &CookieJar),
    c: &Conversation,
    form: &StatementForm,
    (errors, sent): (FieldErrors, bool),
    status: StatusCode,
) -> PageResult {
    let participant = participant(app, c, jar).await?;
    let unvoted = app.db.unvoted_statements(c.id, participant).await?;
    // One statement's text is read, not every one's: a large conversation has thousands.
    let draw = getrandom::u64().unwrap_or(0);
    let next = match next_statement(&unvoted, draw) {
        Some(n) => app.db.shown_statement(c.id, n).await?,
        None => None,
    };
    let total = app.db.shown_statement_count(c.id).await?;
    viewer.render_with_status(
        app,
        "conversations/show.html",
        context! {
            conversation => Serde(c), open => c.is_open(crate::store::now()),
            organisation => Serde(app.db.organisation(c.organisation_id).await?),
            topics => Serde(app.db.conversation_topics(c.id).await?),
            statement => Serde(next), remaining => unvoted.len(), total,
            form => Serde(form), errors => Serde(errors), sent,
        },
        status,
    )
}

/// `GET /conversations/{slug}`.
pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    jar: CookieJar,
    Path(slug): Path<String>,
    Query(q): Query<Shown>,
) -> PageResult {
    let c = published(&app, &slug).await?;
    let page = render(
        &app,
        (&viewer, &jar),
        &c,
        &StatementForm::default(),
        (FieldErrors::new(), q.sent == "1"),
        StatusCode::OK,
    )
    .await?;
    Ok((with_cookie(&app, jar), page).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VoteForm {
    statement: String,
    vote: String,
}

/// A refusal as the page for it.
fn refused(r: Refusal) -> PageError {
    match r {
        Refusal::Store(e) => e.into(),
        Refusal::TooMany => PageError::TooManyRequests {
            retry_after_secs: crate::deliberation::participation::WINDOW_SECS,
        },
        r => PageError::BadRequest(r.message()),
    }
}

/// `POST /conversations/{slug}/vote`: agree, disagree or pass on one statement, then the next.
pub async fn vote(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<VoteForm>,
) -> PageResult {
    let c = published(&app, &slug).await?;
    let (Some(choice), Ok(statement)) = (Choice::parse(&form.vote), form.statement.parse()) else {
        return Err(PageError::BadRequest(
            "Choose agree, disagree or pass for the statement shown: go back and try again.".into(),
        ));
    };
    let taking = Taking {
        conversation: &c,
        cookie: cookie(&jar),
        address: ip,
        per_address: i64::from(app.config.votes_per_address),
    };
    taking
        .vote(&app.db, statement, choice)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/conversations/{slug}#vote")).into_response())
}

/// `POST /conversations/{slug}/statements`: a statement for a moderator to approve.
pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<StatementForm>,
) -> PageResult {
    let c = published(&app, &slug).await?;
    let taking = Taking {
        conversation: &c,
        cookie: cookie(&jar),
        address: ip,
        per_address: i64::from(app.config.votes_per_address),
    };
    // A filled honeypot is treated as sent, and nothing is stored.
    let store = form.website.trim().is_empty();
    let errors = match taking.submit(&app.db, &form.statement, store).await {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/conversations/{slug}?sent=1#write")).into_response());
        }
        Err(Refusal::Invalid(errors)) => errors,
        Err(Refusal::Store(e)) => return Err(e.into()),
        Err(r) => FieldErrors::one("statement", r.message()),
    };
    let status = StatusCode::BAD_REQUEST;
    render(&app, (&viewer, &jar), &c, &form, (errors, false), status).await
}
