//! Votes confirmed by email, for a challenge that asks for them (set on its admin page): a
//! vote sends a link to the address given, and counts once the link is followed; an address
//! counts once per idea, whatever browser or network it votes from.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::user::Email;
use crate::store::ideas::{Challenge, Idea, PendingVote, Vote};
use crate::store::outbox::NewMail;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

/// How long a confirmation link works.
pub const CONFIRM_WITHIN_SECS: i64 = 24 * 60 * 60;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VoteForm {
    pub email: String,
    /// `email` once the address form was shown: the vote button alone only asks for it.
    pub step: String,
}

/// A vote for `idea` on a challenge whose votes need an email address: asks for the address,
/// then sends the link. `address` is the hashed network address the vote came from.
pub async fn ask(
    app: &App,
    viewer: &Viewer,
    headers: &HeaderMap,
    (c, idea): (&Challenge, &Idea),
    form: &VoteForm,
    address: &str,
) -> PageResult {
    let render = |errors: FieldErrors, sent: bool| {
        let status = form_status(&errors);
        viewer.render_with_status(
            app,
            "ideas/vote_email.html",
            context! { challenge => Serde(c), idea => Serde(idea), email => &form.email, sent, errors => Serde(&errors) },
            status,
        )
    };
    if form.step != "email" {
        return render(FieldErrors::new(), false);
    }
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => return render(FieldErrors::one("email", message), false),
    };
    let token = crate::auth::random_token();
    let token_hash = crate::auth::token_hash(&token);
    // The same address gives the same voter on every idea of the challenge, and no one can
    // tell the address from it.
    let voter = crate::auth::token_hash(&format!("vote-email:{}:{}", c.id, email.as_str()));
    let link = format!(
        "{}/ideas/{}/confirm-vote?token={token}",
        crate::web::site::base_url(app, headers),
        c.slug
    );
    let subject = format!("Confirm your vote for “{}”", idea.title);
    let body = format!(
        "Someone, we hope you, voted for the idea “{}” in “{}” with this email address.\n\n\
         To count the vote, open this link within 24 hours and choose “Confirm my vote”:\n{link}\n\n\
         If it was not you, ignore this message: nothing is counted and nothing else is sent.",
        idea.title, c.title
    );
    let pending = PendingVote {
        idea_id: idea.id,
        token_hash: &token_hash,
        voter: &voter,
        address,
    };
    let mail = NewMail::plain(email.as_str(), &subject, &body);
    app.db.ask_vote_confirmation(&pending, &mail).await?;
    render(FieldErrors::new(), true)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

/// `GET /ideas/{challenge}/confirm-vote?token=…`: a button to confirm (a link alone does not
/// count the vote, since mail scanners open links).
pub async fn confirm_page(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<TokenForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    viewer.render(
        &app,
        "ideas/confirm_vote.html",
        context! { challenge => Serde(&c), token => q.token },
    )
}

/// `POST /ideas/{challenge}/confirm-vote`: counts the vote the token stands for, once.
pub async fn confirm(
    State(app): State<App>,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> PageResult {
    let c = app.db.challenge_by_slug(&slug).await?;
    let token_hash = crate::auth::token_hash(form.token.trim());
    let taken = app
        .db
        .take_vote_confirmation(&token_hash, CONFIRM_WITHIN_SECS)
        .await?;
    let Some((idea, voter, address)) = taken else {
        return Err(PageError::BadRequest(
            "This link has been used already or is more than 24 hours old. Go back to the challenge and vote again to get a new one.".into(),
        ));
    };
    if !c.is_open(crate::store::now()) {
        return Err(PageError::BadRequest(
            "Voting on this challenge has closed.".into(),
        ));
    }
    let per_address = i64::from(app.config.votes_per_address);
    match app.db.vote(idea, &voter, &address, per_address).await? {
        Vote::Counted | Vote::Already => {
            Ok(Redirect::to(&format!("/ideas/{slug}#idea-{idea}")).into_response())
        }
        Vote::Refused => Err(PageError::BadRequest(format!(
            "Your vote was not counted: {per_address} votes for this idea have already come from \
             your network, and one network may give it no more."
        ))),
    }
}
