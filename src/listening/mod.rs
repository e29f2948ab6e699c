//! What the response form, the API and the admin share: taking a response and creating an
//! exercise here, and putting together an exercise's published results (`results.rs`).
//!
//! Both the web form (`web::listening::public`) and the API (`web::listening::api`) call
//! [`submit`], so the rules (open dates, validation, rate limit, one store per submission
//! key) are in one place.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::WindowState;
use crate::domain::exercise::Definition;
use crate::domain::time::{Timestamp, Zone};
use crate::store::exercises::{Exercise, NewResponse, Submitted};
use crate::store::rate_limits::Limit;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub mod calendar;
mod results;
pub mod statements;

pub use results::{
    ActionResult, Count, Credit, DimensionResult, LICENCE, ProjectCredits, QuestionResult,
    RESULT_COLUMNS, Results, SegmentBreakdown, SegmentResult, project_evidence, response_segment,
    result_rows, results, results_csv, scores_of, summarise_published,
};

/// Rate-limit window for responses from one address.
pub const RESPONSE_WINDOW_SECS: i64 = 600;

/// Why a response was not taken.
#[derive(Debug)]
pub enum Refusal {
    /// Not open: the message says when it opens or that it closed.
    NotOpen(String),
    Invalid(FieldErrors),
    TooMany,
    /// An API client sent a key it had used for different answers.
    KeyReused,
    Internal(anyhow::Error),
}

impl Refusal {
    pub const KEY_REUSED: &str = "This Idempotency-Key was already used for a response with different answers: send each new response with a new key";
}

/// Whose submission keys a key is matched against. A key finds an earlier response only when
/// the same sender sent it; an API client that reuses a key for different answers is told so
/// rather than given another respondent's reference (as Stripe and the IETF draft do).
pub enum KeyScope {
    /// The response form: its key is a random token the server put in the form, and a
    /// respondent who goes back and sends again is shown the response already stored.
    Form,
    /// An API client, named by the bearer token it sent (valid or not) or else its address;
    /// a resend must carry the same answers.
    Api(String),
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Refusal::Internal(e.into())
    }
}

/// A response as sent, before checking.
pub struct Submission<'a> {
    pub answers: &'a Map<String, Value>,
    pub segments: &'a Map<String, Value>,
    pub email: Option<&'a str>,
    pub submission_key: &'a str,
    pub scope: KeyScope,
    /// The sender's address, for the rate limit (`None`: not limited, e.g. an import).
    pub address: Option<String>,
}

fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

/// What a respondent is told: their reference, and their scores in a scored survey.
#[derive(Debug, Serialize)]
pub struct Receipt {
    pub reference: String,
    pub stored: bool,
}

/// Says whether an exercise takes responses now.
pub fn check_open(exercise: &Exercise, at: Timestamp, zone: &Zone) -> Result<(), Refusal> {
    if !exercise.published {
        return Err(Refusal::NotOpen(
            "This exercise has not been published.".into(),
        ));
    }
    match exercise.state(at) {
        WindowState::Upcoming => Err(Refusal::NotOpen(format!(
            "This {} opens on {}. Come back then to respond.",
            exercise.kind,
            zone.long_date(exercise.opens_at)
        ))),
        WindowState::Closed => Err(Refusal::NotOpen(format!(
            "This {} closed on {}, so it cannot take new responses. Its results will be published here.",
            exercise.kind,
            zone.long_date(exercise.closes_at)
        ))),
        WindowState::Open => Ok(()),
    }
}

/// Checks an email for a receipt: optional, one line, looks like an address.
pub fn parse_receipt_email(input: &str) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crate::domain::user::Email::parse(s)
        .map(|e| Some(e.as_str().to_string()))
        .map_err(|_| {
            "Enter an email address in the correct format, like name@example.com, or leave it empty"
                .to_string()
        })
}

/// Checks and stores one response. Resending the same `submission_key` returns the first
/// response's reference without storing another.
pub async fn submit(app: &App, exercise: &Exercise, s: Submission<'_>) -> Result<Receipt, Refusal> {
    check_open(exercise, crate::store::now(), &app.config.time_zone)?;
    let def = exercise.definition();
    let mut answers = def.parse_answers(s.answers, s.segments, None);
    let email = s.email.map(parse_receipt_email).transpose();
    if let Err(message) = &email {
        match &mut answers {
            Err(errors) => errors.add("email", message.clone()),
            Ok(_) => {
                let mut errors = FieldErrors::new();
                errors.add("email", message.clone());
                answers = Err(errors);
            }
        }
    }
    let answers = answers.map_err(Refusal::Invalid)?;
    let email = email.ok().flatten().flatten();
    if s.submission_key.is_empty() || s.submission_key.len() > 100 {
        let errors = FieldErrors::one(
            "submission_key",
            "The submission key must be 1 to 100 characters",
        );
        return Err(Refusal::Invalid(errors));
    }
    let limit = (s.address.as_ref())
        .filter(|_| app.config.responses_per_address > 0)
        .map(|address| Limit {
            key: format!("response:{}:{address}", exercise.id),
            window_secs: RESPONSE_WINDOW_SECS,
            max: i64::from(app.config.responses_per_address),
        });
    let answers_json = serde_json::to_string(&answers.answers).expect("answers serialise");
    let segments_json = serde_json::to_string(&answers.segments).expect("segments serialise");
    let receipt = email.as_ref().map(|_| {
        (
            format!("Your response to {}", exercise.title),
            format!(
                "Thank you for responding to \"{}\".\n\nYour reference is {{reference}}. Quote it if you contact us about your response.\n",
                exercise.title
            ),
        )
    });
    let (scope, request_hash) = match &s.scope {
        KeyScope::Form => ("form", None),
        KeyScope::Api(caller) => (
            caller.as_str(),
            Some(sha256_hex(&[
                &answers_json,
                &segments_json,
                email.as_deref().unwrap_or(""),
            ])),
        ),
    };
    let submitted = app
        .db
        .submit_response(
            exercise.id,
            &NewResponse {
                submission_key: &sha256_hex(&[scope, s.submission_key]),
                request_hash: request_hash.as_deref(),
                answers_json: &answers_json,
                segments_json: &segments_json,
                source: "online",
                email: email.as_deref(),
                receipt,
                limit,
            },
        )
        .await?;
    match submitted {
        Submitted::New(reference) => {
            // Results published while it is still open count this response too.
            if exercise.results_published_at.is_some() {
                let results = crate::store::versions::Topic::Results(exercise.id);
                app.db.changed(&[results]).await?;
            }
            Ok(Receipt {
                reference,
                stored: true,
            })
        }
        Submitted::Again(reference) => Ok(Receipt {
            reference,
            stored: false,
        }),
        Submitted::KeyReused => Err(Refusal::KeyReused),
        Submitted::OverLimit => Err(Refusal::TooMany),
    }
}

/// Creates an exercise from a definition, for the API and the admin's import. `orgs` are the
/// organisations the user may run exercises for. A published exercise needs a question.
pub async fn create_exercise(
    app: &App,
    user_id: i64,
    orgs: &[crate::store::organisations::Organisation],
    def: Definition,
    published: bool,
) -> Result<(i64, String), FieldErrors> {
    let org = orgs.iter().find(|o| o.slug == def.organisation).cloned();
    let mut errors = FieldErrors::new();
    if org.is_none() {
        errors.add(
            "organisation",
            "Give the short name of an organisation you are an editor of",
        );
    }
    if published && def.questions.is_empty() {
        errors.add("questions", "Add at least one question before publishing");
    }
    let (org, valid) = match (org, def.validate()) {
        (Some(org), Ok(valid)) if errors.is_empty() => (org, valid),
        (_, Ok(_)) => return Err(errors),
        (_, Err(more)) => {
            for e in more.iter() {
                errors.add(&e.field, e.message.clone());
            }
            return Err(errors);
        }
    };
    let body_html = crate::sanitise::render_field(&valid.definition.body, "body")
        .await?
        .html;
    match app
        .db
        .save_exercise(None, org.id, &valid, &body_html, published, Some(user_id))
        .await
    {
        Ok(id) => Ok((id, valid.slug.as_str().to_string())),
        Err(crate::store::StoreError::Conflict(_)) => {
            let errors = FieldErrors::one(
                "slug",
                "Another exercise already has that web address: give a different slug",
            );
            Err(errors)
        }
        Err(e) => {
            let mut errors = FieldErrors::new();
            tracing::error!(error = %e, "cannot store an exercise");
            errors.add("definition", "The exercise could not be saved; try again");
            Err(errors)
        }
    }
}
