//! Public pages of consultations, surveys and reviews: the list, an exercise's page, the
//! response form (one page, or a page per group of questions, with no JavaScript and no
//! account), the confirmation, and the published results with their downloads.
//!
//! A multi-page form carries the earlier pages' answers in a hidden field and checks each
//! page as it is sent; the last page checks everything again and stores the response once,
//! under the submission key given to the form when it was first shown.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::{Definition, Question, QuestionType, scale_label};
use crate::listening::{self, Refusal, Submission};
use crate::store::exercises::Exercise;
use crate::store::versions::Topic;
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult};
use crate::web::shared_pages::ForEveryone;
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;
use serde_json::{Map, Value};

async fn published(app: &App, slug: &str) -> PageResult<Exercise> {
    let e = app.db.exercise_by_slug(slug).await?;
    if !e.published {
        return Err(PageError::NotFound);
    }
    Ok(e)
}

/// `GET /consultations/{slug}`: the exercise, and how to respond.
pub async fn show(State(app): State<App>, viewer: Viewer, Path(slug): Path<String>) -> PageResult {
    let e = published(&app, &slug).await?;
    let now = crate::store::now();
    let refusal = match listening::check_open(&e, now, &app.config.time_zone) {
        Err(Refusal::NotOpen(m)) => Some(m),
        _ => None,
    };
    let def = e.definition();
    viewer.render_public(
        &app,
        // The draft and its comment counts change with the exercise's own topic.
        &[
            Topic::Exercises,
            Topic::Organisations,
            Topic::Media,
            Topic::Results(e.id),
        ],
        "consultations/show.html",
        context! {
            body_html => crate::web::media::with_media(&app, &e.body_html).await?,
            draft => super::drafts::public_draft(&app, &e).await?,
            exercise => Serde(&e),
            state => e.state(now).as_str(),
            refusal,
            questions => def.questions.len(),
            pages => def.pages().len(),
            topics => Serde(app.db.exercise_topics(e.id).await?),
        },
    )
}

/// One question as the form shows it, with what the respondent has entered so far.
#[derive(Serialize)]
struct FormQuestion<'a> {
    field: String,
    #[serde(flatten)]
    question: &'a Question,
    value: Value,
    /// Radio or checkbox items: (value, label, checked).
    items: Vec<(String, String, bool)>,
}

fn form_question<'a>(q: &'a Question, answers: &Map<String, Value>) -> FormQuestion<'a> {
    let value = match answers.get(&q.id) {
        Some(Value::Number(n)) => Value::String(n.to_string()),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let chosen = |option: &str| match &value {
        Value::String(s) => s == option,
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some(option)),
        _ => false,
    };
    let items = match q.kind {
        QuestionType::Scale => (q.scale_points())
            .map(|p| (p.to_string(), scale_label(q, p), chosen(&p.to_string())))
            .collect(),
        QuestionType::Single | QuestionType::Multiple => q
            .options
            .iter()
            .map(|o| (o.clone(), o.clone(), chosen(o)))
            .collect(),
        QuestionType::Text => vec![],
    };
    FormQuestion {
        field: format!("q_{}", q.id),
        question: q,
        value,
        items,
    }
}

/// What the form posts: answers as `q_<id>`, segments as `s_<id>`, and its own fields.
#[derive(Default)]
struct FormState {
    page: usize,
    submission_key: String,
    answers: Map<String, Value>,
    segments: Map<String, Value>,
    email: String,
    honeypot: String,
}

impl FormState {
    /// The answers to the exercise's questions, and its segments, as the API would send them.
    fn known_answers(&self, def: &Definition) -> (Map<String, Value>, Map<String, Value>) {
        let answers = (self.answers.iter())
            .filter(|(k, _)| def.question(k).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let segments = (self.segments.iter())
            .filter(|(k, _)| def.segments.iter().any(|s| &s.id == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (answers, segments)
    }

    fn from_fields(def: &Definition, fields: Vec<(String, String)>) -> FormState {
        let mut s = FormState::default();
        // Earlier pages' answers arrive as JSON; this page's fields override them.
        let mut carried: Option<(Map<String, Value>, Map<String, Value>)> = None;
        let mut fresh_answers = Map::new();
        for (name, value) in fields {
            if let Some(id) = name.strip_prefix("q_") {
                let multiple = def
                    .question(id)
                    .is_some_and(|q| q.kind == QuestionType::Multiple);
                if multiple {
                    let entry = fresh_answers
                        .entry(id.to_string())
                        .or_insert_with(|| Value::Array(vec![]));
                    if let Value::Array(items) = entry
                        && !value.is_empty()
                    {
                        items.push(Value::String(value));
                    }
                } else {
                    fresh_answers.insert(id.to_string(), Value::String(value));
                }
            } else if let Some(id) = name.strip_prefix("s_") {
                s.segments.insert(id.to_string(), Value::String(value));
            } else {
                match name.as_str() {
                    "page" => s.page = value.parse().unwrap_or(0),
                    "submission_key" => s.submission_key = value,
                    "email" => s.email = value,
                    "website" => s.honeypot = value,
                    "carried" => {
                        carried =
                            serde_json::from_str::<(Map<String, Value>, Map<String, Value>)>(&value)
                                .ok()
                    }
                    _ => {}
                }
            }
        }
        if let Some((answers, segments)) = carried {
            s.answers = answers;
            for (k, v) in segments {
                s.segments.entry(k).or_insert(v);
            }
        }
        s.answers.extend(fresh_answers);
        s
    }

    fn carried(&self) -> String {
        serde_json::to_string(&(&self.answers, &self.segments)).unwrap_or_default()
    }
}

/// Errors named by form field (`q_<id>`, `s_<id>`), so the summary links to the inputs.
fn form_errors(def: &Definition, errors: &FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in errors.iter() {
        let field = if def.question(&e.field).is_some() {
            format!("q_{}", e.field)
        } else if def.segments.iter().any(|s| s.id == e.field) {
            format!("s_{}", e.field)
        } else {
            e.field.clone()
        };
        out.add(&field, e.message.clone());
    }
    out
}

fn render_form(
    app: &App,
    viewer: &Viewer,
    e: &Exercise,
    state: &FormState,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let def = e.definition();
    let pages = def.pages();
    let index = state.page.min(pages.len().saturating_sub(1));
    let (page_title, questions) = pages.get(index).cloned().ok_or(PageError::NotFound)?;
    let last = index + 1 == pages.len();
    let questions: Vec<FormQuestion> = questions
        .into_iter()
        .map(|q| form_question(q, &state.answers))
        .collect();
    viewer.render_with_status(
        app,
        "consultations/respond.html",
        context! {
            exercise => Serde(e),
            page => index,
            page_number => index + 1,
            page_count => pages.len(),
            page_title,
            last,
            questions => Serde(questions),
            segments => Serde(if last { def.segments.clone() } else { vec![] }),
            segment_values => Serde(&state.segments),
            carried => state.carried(),
            submission_key => &state.submission_key,
            email => &state.email,
            errors => Serde(form_errors(&def, &errors)),
        },
        status,
    )
}

/// `GET /consultations/{slug}/respond`: the first page of the form.
pub async fn respond(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let e = published(&app, &slug).await?;
    if let Err(Refusal::NotOpen(_)) =
        listening::check_open(&e, crate::store::now(), &app.config.time_zone)
    {
        return Ok(Redirect::to(&format!("/consultations/{slug}")).into_response());
    }
    let state = FormState {
        submission_key: crate::auth::random_token(),
        ..FormState::default()
    };
    render_form(
        &app,
        &viewer,
        &e,
        &state,
        FieldErrors::new(),
        StatusCode::OK,
    )
}

/// This page's errors: its questions, and on the last page the segments and the e-mail.
fn page_errors(
    def: &Definition,
    state: &FormState,
    answers: &Map<String, Value>,
    segments: &Map<String, Value>,
    last: bool,
) -> FieldErrors {
    let pages = def.pages();
    let mut ids: Vec<&str> = pages[state.page].1.iter().map(|q| q.id.as_str()).collect();
    if last {
        ids.extend(def.segments.iter().map(|s| s.id.as_str()));
    }
    let mut errors = def
        .parse_answers(answers, segments, Some(&ids))
        .err()
        .unwrap_or_default();
    if last && let Err(m) = listening::parse_receipt_email(&state.email) {
        errors.add("email", m);
    }
    errors
}

/// `POST /consultations/{slug}/respond`: checks this page; shows the next one, or stores
/// the response and sends the browser to the confirmation.
pub async fn submit(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let e = published(&app, &slug).await?;
    let def = e.definition();
    let mut state = FormState::from_fields(&def, fields);
    let pages = def.pages();
    state.page = state.page.min(pages.len().saturating_sub(1));
    let last = state.page + 1 == pages.len();
    if let Err(Refusal::NotOpen(message)) =
        listening::check_open(&e, crate::store::now(), &app.config.time_zone)
    {
        let errors = FieldErrors::one("respond", message);
        return render_form(&app, &viewer, &e, &state, errors, StatusCode::CONFLICT);
    }
    let (page_answers, segments) = state.known_answers(&def);
    let errors = page_errors(&def, &state, &page_answers, &segments, last);
    if !errors.is_empty() {
        return render_form(&app, &viewer, &e, &state, errors, StatusCode::BAD_REQUEST);
    }
    if !last {
        state.page += 1;
        let ok = StatusCode::OK;
        return render_form(&app, &viewer, &e, &state, FieldErrors::new(), ok);
    }
    // A bot that filled the honeypot is shown a confirmation, and nothing is stored.
    if !state.honeypot.trim().is_empty() {
        tracing::info!(ip = %ip, "response honeypot filled; discarded");
        return viewer.render(
            &app,
            "consultations/confirmation.html",
            context! { exercise => Serde(&e), reference => "", scores => Serde(Vec::<()>::new()) },
        );
    }
    store(&app, &viewer, &e, &state, (&page_answers, &segments), ip).await
}

/// Stores the whole response and sends the browser to its confirmation, or shows why not.
async fn store(
    app: &App,
    viewer: &Viewer,
    e: &Exercise,
    state: &FormState,
    (answers, segments): (&Map<String, Value>, &Map<String, Value>),
    ip: std::net::IpAddr,
) -> PageResult {
    let email = (!state.email.trim().is_empty()).then_some(state.email.as_str());
    let outcome = listening::submit(
        app,
        e,
        Submission {
            answers,
            segments,
            email,
            submission_key: &state.submission_key,
            scope: listening::KeyScope::Form,
            address: Some(ip.to_string()),
        },
    )
    .await;
    match outcome {
        Ok(receipt) => Ok(Redirect::to(&format!(
            "/consultations/{}/confirmation/{}",
            e.slug, receipt.reference
        ))
        .into_response()),
        Err(Refusal::Invalid(errors)) => {
            render_form(app, viewer, e, state, errors, StatusCode::BAD_REQUEST)
        }
        Err(Refusal::NotOpen(message)) => {
            let errors = FieldErrors::one("respond", message);
            render_form(app, viewer, e, state, errors, StatusCode::CONFLICT)
        }
        Err(Refusal::TooMany) => Err(PageError::TooManyRequests {
            retry_after_secs: listening::RESPONSE_WINDOW_SECS,
        }),
        // The form's keys are never checked against content, so this cannot happen here.
        Err(Refusal::KeyReused) => Err(PageError::BadRequest(Refusal::KEY_REUSED.into())),
        Err(Refusal::Internal(err)) => Err(PageError::Internal(err)),
    }
}

/// `GET /consultations/{slug}/confirmation/{reference}`: the reference, and in a scored
/// survey the respondent's own result.
pub async fn confirmation(
    State(app): State<App>,
    viewer: Viewer,
    Path((slug, reference)): Path<(String, String)>,
) -> PageResult {
    render_confirmation(
        &app,
        &viewer,
        &slug,
        &reference,
        &ResultsEmailForm::default(),
        FieldErrors::new(),
    )
    .await
}

async fn render_confirmation(
    app: &App,
    viewer: &Viewer,
    slug: &str,
    reference: &str,
    form: &ResultsEmailForm,
    errors: FieldErrors,
) -> PageResult {
    let e = published(app, slug).await?;
    let response = app.db.response_by_reference(e.id, reference).await?;
    let scores = listening::scores_of(&e.definition(), &response.answers);
    let status = crate::web::error::form_status(&errors);
    viewer.render_with_status(
        app,
        "consultations/confirmation.html",
        context! {
            exercise => Serde(&e), reference => response.reference, scores => Serde(scores),
            results_email => app.config.public_url.is_some() && e.results_published_at.is_none(),
            email => form.email.trim(), wanted => form.results == "yes",
            errors => Serde(&errors),
        },
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ResultsEmailForm {
    results: String,
    email: String,
}

/// `POST /consultations/{slug}/confirmation/{reference}`: a respondent asks to be told when
/// the results are published (an e-mail subscription to them, confirmed like any other).
pub async fn results_email(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Path((slug, reference)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ResultsEmailForm>,
) -> PageResult {
    use crate::domain::subscription::{Frequency, List};
    let e = published(&app, &slug).await?;
    let mut errors = FieldErrors::new();
    if form.results != "yes" {
        errors.add(
            "results",
            "Tick the box to get an email when the results are published",
        );
    }
    let email = crate::domain::user::Email::parse(&form.email)
        .map_err(|message| errors.add("email", message))
        .ok();
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return render_confirmation(&app, &viewer, &slug, &reference, &form, errors).await;
    };
    if !crate::web::subscriptions::ask(
        &app,
        ip,
        &email,
        &[(List::Results(e.id), Frequency::Immediately)],
    )
    .await?
    {
        let errors = FieldErrors::one("email", crate::web::subscriptions::TOO_MANY);
        let page = render_confirmation(&app, &viewer, &slug, &reference, &form, errors).await?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    crate::web::subscriptions::check_email(&app, &viewer, &email)
}

/// What an exercise's published results show: its analyses, statements and counts, its
/// details, and the register's projects with their status.
fn results_topics(e: &Exercise) -> [Topic; 4] {
    [
        Topic::Results(e.id),
        Topic::Exercises,
        Topic::Register,
        Topic::Organisations,
    ]
}

/// An exercise's published results, kept until they change: the page and its downloads
/// share them.
async fn published_results(
    app: &App,
    slug: &str,
) -> PageResult<(Exercise, std::sync::Arc<listening::Results>)> {
    let e = published(app, slug).await?;
    if e.results_published_at.is_none() {
        return Err(PageError::NotFound);
    }
    let topics = results_topics(&e);
    let results = (app.results_cache)
        .get_or(app.db.versions(), e.id, &topics, || async {
            let results = listening::results(&app.db, &e).await?;
            Ok::<_, PageError>(std::sync::Arc::new(results))
        })
        .await?;
    Ok((e, results))
}

/// `GET /consultations/{slug}/results`: "What people told us" and "We asked, you said, we did".
pub async fn results(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let (e, results) = published_results(&app, &slug).await?;
    let draft = super::drafts::draft_results(&app, &e).await?;
    viewer.render_public(
        &app,
        &results_topics(&e),
        "consultations/results.html",
        context! { exercise => Serde(&e), results => Serde(results), draft },
    )
}

/// `GET /consultations/{slug}/results.json`: the published, anonymised results.
pub async fn results_json(State(app): State<App>, Path(slug): Path<String>) -> PageResult {
    let (e, results) = published_results(&app, &slug).await?;
    Ok(ForEveryone::showing(&results_topics(&e)).mark(axum::Json(&*results)))
}

/// `GET /consultations/{slug}/results.csv`: one row per theme, option, level and action.
pub async fn results_csv(State(app): State<App>, Path(slug): Path<String>) -> PageResult {
    let (e, results) = published_results(&app, &slug).await?;
    let body = listening::results_csv(&results).map_err(PageError::Internal)?;
    let file = csv_download(&format!("{slug}-results.csv"), body);
    Ok(ForEveryone::showing(&results_topics(&e)).mark(file))
}

/// A CSV file as a download.
pub fn csv_download(filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}
