//! What the response form and the API share: taking a response, and putting together an
//! exercise's published results.
//!
//! Both the web form (`web::consultations`) and the API (`web::api`) call [`submit`], so the
//! rules (open dates, validation, rate limit, one store per submission key) are in one place.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::WindowState;
use crate::domain::exercise::{
    Answer, Answers, Definition, DimensionScore, QuestionType, level_for,
};
use crate::domain::review::Review;
use crate::jobs::analysis::{option_counts, segment_label};
use crate::store::exercises::{Exercise, NewResponse, Submitted};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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
pub fn check_open(exercise: &Exercise, at: i64) -> Result<(), Refusal> {
    if !exercise.published {
        return Err(Refusal::NotOpen(
            "This exercise has not been published.".into(),
        ));
    }
    match exercise.state(at) {
        WindowState::Upcoming => Err(Refusal::NotOpen(format!(
            "This {} opens on {}. Come back then to respond.",
            exercise.kind,
            crate::domain::time::long_date(exercise.opens_at)
        ))),
        WindowState::Closed => Err(Refusal::NotOpen(format!(
            "This {} closed on {}, so it cannot take new responses. Its results will be published here.",
            exercise.kind,
            crate::domain::time::long_date(exercise.closes_at)
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
    check_open(exercise, crate::store::now())?;
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
        let mut errors = FieldErrors::new();
        errors.add(
            "submission_key",
            "The submission key must be 1 to 100 characters",
        );
        return Err(Refusal::Invalid(errors));
    }
    if let Some(address) = &s.address
        && app.config.responses_per_address > 0
    {
        let key = format!("response:{}:{address}", exercise.id);
        if app.db.rate_limit_hit(&key, RESPONSE_WINDOW_SECS).await?
            > i64::from(app.config.responses_per_address)
        {
            return Err(Refusal::TooMany);
        }
    }
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
            },
        )
        .await?;
    match submitted {
        Submitted::New(reference) => Ok(Receipt {
            reference,
            stored: true,
        }),
        Submitted::Again(reference) => Ok(Receipt {
            reference,
            stored: false,
        }),
        Submitted::KeyReused => Err(Refusal::KeyReused),
    }
}

/// A respondent's scores in a scored survey, from their stored answers.
pub fn scores_of(def: &Definition, answers_json: &str) -> Vec<DimensionScore> {
    let answers: BTreeMap<String, Answer> = serde_json::from_str(answers_json).unwrap_or_default();
    def.score(&Answers {
        answers,
        segments: BTreeMap::new(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// How many answered it.
    pub answered: usize,
    /// Closed questions: each option's count.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Count>,
    /// Free text: the published, reviewed analysis (themes with counts, shares and quotes;
    /// campaigns with their size), without response-level membership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct SegmentResult {
    pub id: String,
    pub title: String,
    pub counts: Vec<Count>,
}

#[derive(Debug, Serialize)]
pub struct DimensionResult {
    pub id: String,
    pub title: String,
    /// Respondents at each level, in the definition's order.
    pub levels: Vec<Count>,
    pub mean: f64,
    /// By the answer to each segment question (for example, team).
    pub by_segment: Vec<SegmentBreakdown>,
}

#[derive(Debug, Serialize)]
pub struct SegmentBreakdown {
    pub segment: String,
    pub value: String,
    pub respondents: usize,
    pub mean: f64,
    pub level: String,
}

#[derive(Debug, Serialize)]
pub struct ActionResult {
    pub you_said: String,
    pub we_did: String,
    pub question_id: Option<String>,
    pub theme_id: Option<String>,
    pub theme_label: Option<String>,
    /// The commitments and projects in the programme register that the "we did" led to.
    pub links: Vec<crate::store::chain::ActionLink>,
}

/// Everything `/consultations/{slug}/results` shows and its downloads contain.
#[derive(Debug, Serialize)]
pub struct Results {
    pub slug: String,
    pub title: String,
    pub organisation: String,
    pub responses: usize,
    pub evidence_items: usize,
    pub questions: Vec<QuestionResult>,
    pub segments: Vec<SegmentResult>,
    pub dimensions: Vec<DimensionResult>,
    pub actions: Vec<ActionResult>,
    pub licence: &'static str,
}

pub const LICENCE: &str = "Open Government Licence v3.0";

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    (values.iter().sum::<f64>() / values.len() as f64 * 100.0).round() / 100.0
}

/// Puts together an exercise's results from its responses and its published analyses.
pub async fn results(db: &crate::store::Db, exercise: &Exercise) -> anyhow::Result<Results> {
    let def = exercise.definition();
    let stored = db.responses(exercise.id).await?;
    let all: Vec<(BTreeMap<String, Answer>, BTreeMap<String, String>)> = stored
        .iter()
        .map(|r| {
            (
                serde_json::from_str(&r.answers).unwrap_or_default(),
                serde_json::from_str(&r.segments).unwrap_or_default(),
            )
        })
        .collect();
    let answers: Vec<BTreeMap<String, Answer>> = all.iter().map(|(a, _)| a.clone()).collect();
    let analyses = db.published_analyses(exercise.id).await?;
    // The published copy of each review: edits made since stay private until published again.
    let mut reviews: BTreeMap<i64, Review> = BTreeMap::new();
    for a in &analyses {
        if let Some(r) = a
            .published_review
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
        {
            reviews.insert(a.id, r);
        }
    }
    let questions = def
        .questions
        .iter()
        .map(|q| {
            let answered = answers.iter().filter(|a| a.contains_key(&q.id)).count();
            let analysis = analyses
                .iter()
                .find(|a| a.question_id == q.id)
                .and_then(|a| reviews.get(&a.id))
                .map(public_analysis);
            QuestionResult {
                id: q.id.clone(),
                title: q.title.clone(),
                kind: q.kind,
                answered,
                options: if q.kind == QuestionType::Text {
                    vec![]
                } else {
                    option_counts(q, &answers)
                        .into_iter()
                        .map(|(label, count)| Count { label, count })
                        .collect()
                },
                analysis,
            }
        })
        .collect();
    let segments = def
        .segments
        .iter()
        .map(|s| SegmentResult {
            id: s.id.clone(),
            title: s.title.clone(),
            counts: s
                .options
                .iter()
                .map(|o| Count {
                    label: o.clone(),
                    count: all
                        .iter()
                        .filter(|(_, seg)| seg.get(&s.id) == Some(o))
                        .count(),
                })
                .collect(),
        })
        .collect();
    let scored: Vec<(Vec<DimensionScore>, &BTreeMap<String, String>)> = all
        .iter()
        .map(|(a, seg)| {
            (
                def.score(&Answers {
                    answers: a.clone(),
                    segments: BTreeMap::new(),
                }),
                seg,
            )
        })
        .collect();
    let dimensions = def
        .dimensions
        .iter()
        .map(|d| {
            let scores: Vec<(f64, &BTreeMap<String, String>)> = scored
                .iter()
                .filter_map(|(s, seg)| s.iter().find(|x| x.id == d.id).map(|x| (x.score, *seg)))
                .collect();
            let levels = d
                .levels
                .iter()
                .map(|l| Count {
                    label: l.label.clone(),
                    count: scores
                        .iter()
                        .filter(|(s, _)| level_for(d, *s) == l.label)
                        .count(),
                })
                .collect();
            let mut by_segment = Vec::new();
            for s in &def.segments {
                for value in &s.options {
                    let of: Vec<f64> = scores
                        .iter()
                        .filter(|(_, seg)| seg.get(&s.id) == Some(value))
                        .map(|(x, _)| *x)
                        .collect();
                    if !of.is_empty() {
                        let m = mean(&of);
                        by_segment.push(SegmentBreakdown {
                            segment: s.title.clone(),
                            value: value.clone(),
                            respondents: of.len(),
                            mean: m,
                            level: level_for(d, m),
                        });
                    }
                }
            }
            let values: Vec<f64> = scores.iter().map(|(x, _)| *x).collect();
            DimensionResult {
                id: d.id.clone(),
                title: d.title.clone(),
                levels,
                mean: mean(&values),
                by_segment,
            }
        })
        .collect();
    let links = db.action_links(exercise.id).await?;
    let actions = db
        .result_actions(exercise.id)
        .await?
        .into_iter()
        .map(|a| {
            let analysis = a
                .analysis_id
                .and_then(|id| analyses.iter().find(|x| x.id == id));
            let theme_label = a.analysis_id.and_then(|id| reviews.get(&id)).and_then(|r| {
                a.theme_id
                    .as_deref()
                    .and_then(|t| r.theme(t))
                    .map(|t| t.label.clone())
            });
            ActionResult {
                you_said: a.you_said,
                we_did: a.we_did,
                question_id: analysis.map(|x| x.question_id.clone()),
                theme_id: a.theme_id.filter(|_| theme_label.is_some()),
                theme_label,
                links: links
                    .iter()
                    .filter(|l| l.action_id == a.id)
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    Ok(Results {
        slug: exercise.slug.clone(),
        title: exercise.title.clone(),
        organisation: exercise.organisation_name.clone(),
        responses: stored.len(),
        evidence_items: db.evidence(exercise.id).await?.len(),
        questions,
        segments,
        dimensions,
        actions,
        licence: LICENCE,
    })
}

/// A reviewed analysis as the public sees it: no per-response membership lists.
fn public_analysis(review: &Review) -> Value {
    let mut v = review.published();
    for list in ["themes", "campaigns"] {
        for item in v
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(o) = item.as_object_mut() {
                o.remove("members");
            }
        }
    }
    if let Some(o) = v.as_object_mut() {
        let unassigned = o
            .get("unassigned")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        o.insert("unassigned".into(), Value::from(unassigned));
        o.remove("meta");
    }
    v
}

/// The response's segment label, for analyses (re-exported for the API's export).
pub fn response_segment(exercise: &Exercise, segments_json: &str) -> Option<String> {
    segment_label(exercise, segments_json)
}

/// The columns of a results table (the CSV download and the open data export).
pub const RESULT_COLUMNS: [&str; 7] = [
    "section",
    "question_id",
    "question",
    "label",
    "count",
    "share",
    "detail",
];

/// The results as rows of [`RESULT_COLUMNS`]: one per option count, theme, campaign,
/// segment count, level and action. Text is as written (see [`results_csv`] for spreadsheets).
pub fn result_rows(r: &Results) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    let mut row = |section: &str,
                   id: &str,
                   question: &str,
                   label: &str,
                   count: String,
                   share: String,
                   detail: String| {
        rows.push([
            section.into(),
            id.into(),
            question.into(),
            label.into(),
            count,
            share,
            detail,
        ]);
    };
    for q in &r.questions {
        for o in &q.options {
            row(
                "option",
                &q.id,
                &q.title,
                &o.label,
                o.count.to_string(),
                String::new(),
                String::new(),
            );
        }
        let Some(a) = &q.analysis else { continue };
        for t in a["themes"].as_array().into_iter().flatten() {
            let keywords: Vec<&str> = t["keywords"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let label = t["label"].as_str().unwrap_or_default();
            row(
                "theme",
                &q.id,
                &q.title,
                label,
                t["count"].to_string(),
                t["share"].to_string(),
                keywords.join("; "),
            );
        }
        for c in a["campaigns"].as_array().into_iter().flatten() {
            let canonical = c["canonical"].as_str().unwrap_or_default();
            let status = c["status"].as_str().unwrap_or_default().to_string();
            row(
                "campaign",
                &q.id,
                &q.title,
                canonical,
                c["count"].to_string(),
                String::new(),
                status,
            );
        }
    }
    for s in &r.segments {
        for c in &s.counts {
            row(
                "segment",
                &s.id,
                &s.title,
                &c.label,
                c.count.to_string(),
                String::new(),
                String::new(),
            );
        }
    }
    for d in &r.dimensions {
        for l in &d.levels {
            row(
                "level",
                &d.id,
                &d.title,
                &l.label,
                l.count.to_string(),
                String::new(),
                String::new(),
            );
        }
    }
    for a in &r.actions {
        let mut detail = a.we_did.clone();
        for l in &a.links {
            detail.push_str(&format!(" [{}: {}]", l.kind, l.slug));
        }
        let label = a.theme_label.as_deref().unwrap_or_default();
        row(
            "action",
            a.question_id.as_deref().unwrap_or_default(),
            &a.you_said,
            label,
            String::new(),
            String::new(),
            detail,
        );
    }
    rows
}

/// The results as CSV ([`RESULT_COLUMNS`]). Text that a spreadsheet would take for a
/// formula is prefixed with an apostrophe.
pub fn results_csv(r: &Results) -> anyhow::Result<Vec<u8>> {
    use crate::analyse::report::cell;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RESULT_COLUMNS)?;
    for row in result_rows(r) {
        w.write_record(row.iter().map(|c| cell(c)))?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write the CSV: {e}"))
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
    let valid = match def.validate() {
        Ok(v) if errors.is_empty() => v,
        Ok(_) => return Err(errors),
        Err(more) => {
            for e in more.iter() {
                errors.add(&e.field, e.message.clone());
            }
            return Err(errors);
        }
    };
    let org = org.expect("checked above");
    let body_html = crate::sanitise::render_field(&valid.definition.body, "body")
        .await?
        .html;
    match app
        .db
        .create_exercise(org.id, &valid, &body_html, published, Some(user_id))
        .await
    {
        Ok(id) => Ok((id, valid.slug.as_str().to_string())),
        Err(crate::store::StoreError::Conflict(_)) => {
            let mut errors = FieldErrors::new();
            errors.add(
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

/// The "What people told us that led to this" list of a project page: each "you said"
/// (linked to its theme on the results page) and the idea the project started from.
pub async fn project_evidence(app: &App, project_id: i64) -> anyhow::Result<Vec<Value>> {
    let mut items = Vec::new();
    for e in app.db.project_evidence(project_id).await? {
        let mut href = format!("/consultations/{}/results#you-said-we-did", e.exercise_slug);
        let mut text = format!("We did: {}", e.we_did);
        if let (Some(aid), Some(tid)) = (e.analysis_id, &e.theme_id)
            && let Ok(a) = app.db.analysis(aid).await
            && let Some(review) = a
                .published_review
                .as_deref()
                .and_then(|r| serde_json::from_str::<Review>(r).ok())
            && let Some(theme) = review.theme(tid)
        {
            href = format!(
                "/consultations/{}/results#theme-{}-{}",
                e.exercise_slug, a.question_id, tid
            );
            text = format!(
                "Theme: {} ({} responses). We did: {}",
                theme.label, theme.count, e.we_did
            );
        }
        items.push(serde_json::json!({
            "title": format!("{}: “{}”", e.exercise_title, e.you_said),
            "href": href,
            "text": text,
        }));
    }
    if let Some(idea) = app.db.idea_origin(project_id).await? {
        items.push(serde_json::json!({
            "title": format!("Started as an idea: “{}”", idea.title),
            "href": format!("/ideas/{}#idea-{}", idea.challenge_slug, idea.idea_id),
            "text": format!("Put forward in the idea challenge “{}” and shortlisted", idea.challenge_title),
        }));
    }
    Ok(items)
}
