//! Signed-in work on consultations, surveys and reviews, under `/admin/consultations`: the
//! list, an exercise's details and page, publishing it, and its definition as JSON.
//!
//! Editors build exercises (details here, questions in `questions.rs`) or import a definition
//! as JSON; analysts keep the evidence log (`evidence.rs`), run and review analyses
//! (`review.rs`), write "you said, we did" and publish the results (`results.rs`). Admin
//! implies both roles. Every change is in the audit log, and every change to an analysis is
//! in its own change record. The helpers here check the role for every request.

use super::questions::renamed;
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::parse_instant;
use crate::domain::exercise::{Definition, QuestionForm, QuestionType};
use crate::domain::review::AnalysisStatus;
use crate::domain::role::Role;
use crate::domain::time::{DateTimeInput, Zone, prefix_closes, prefix_opens, rfc3339};
use crate::listening::statements::needs_theme_again;
use crate::store::analyses::Analysis;
use crate::store::exercises::Exercise;
use crate::store::organisations::Organisation;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, CsrfUpload, SignedIn, Viewer};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::Value;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The signed-in user and the organisations they hold `role` in (403 when none).
pub(super) async fn with_role(
    app: &App,
    viewer: &Viewer,
    role: Role,
) -> PageResult<(SignedIn, Vec<Organisation>)> {
    let user = viewer.signed_in()?.clone();
    let orgs = user.organisations_with(role, &app.db.organisations().await?);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    Ok((user, orgs))
}

/// The exercise, if the user holds `role` for its organisation.
pub(super) async fn exercise_for(
    app: &App,
    viewer: &Viewer,
    id: i64,
    role: Role,
) -> PageResult<(SignedIn, Exercise)> {
    let (user, orgs) = with_role(app, viewer, role).await?;
    let e = app.db.exercise(id).await?;
    if !orgs.iter().any(|o| o.id == e.organisation_id) {
        return Err(PageError::Forbidden);
    }
    Ok((user, e))
}

pub(super) fn back_to(id: i64, anchor: &str) -> Response {
    Redirect::to(&format!("/admin/consultations/{id}{anchor}")).into_response()
}

/// `GET /admin/consultations`: exercises the viewer edits or analyses.
pub async fn list(State(app): State<App>, viewer: Viewer) -> PageResult {
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let mut ids: Vec<i64> = user
        .organisations_with(Role::Editor, &all)
        .iter()
        .map(|o| o.id)
        .collect();
    ids.extend(
        user.organisations_with(Role::Analyst, &all)
            .iter()
            .map(|o| o.id),
    );
    if ids.is_empty() {
        return Err(PageError::Forbidden);
    }
    let exercises = app.db.exercises_of(&ids).await?;
    let mut counts = Vec::new();
    for e in &exercises {
        counts.push(app.db.response_count(e.id).await?);
    }
    viewer.render(
        &app,
        "admin/consultations/list.html",
        context! { exercises => Serde(exercises), counts, now => crate::store::now() },
    )
}

/// The details form: everything about an exercise except its questions.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DetailsForm {
    organisation: String,
    kind: String,
    title: String,
    slug: String,
    summary: String,
    body: String,
    /// When it opens and closes, typed in the site's time zone with the GOV.UK date input
    /// (the definition, its JSON and the API keep them in UTC).
    #[serde(flatten, with = "prefix_opens")]
    opens: DateTimeInput,
    #[serde(flatten, with = "prefix_closes")]
    closes: DateTimeInput,
    topics: String,
}

impl DetailsForm {
    fn of(def: &Definition, slug: &str, zone: &Zone) -> DetailsForm {
        let shown = |at: &str| {
            (parse_instant(at).ok())
                .map(|t| zone.date_time_input(t))
                .unwrap_or_default()
        };
        DetailsForm {
            organisation: def.organisation.clone(),
            kind: def.kind.clone(),
            title: def.title.clone(),
            slug: slug.to_string(),
            summary: def.summary.clone(),
            body: def.body.clone(),
            opens: shown(&def.opens_at),
            closes: shown(&def.closes_at),
            topics: def.topics.join(", "),
        }
    }

    /// `base` with these details in place of its own, and what is wrong with the dates as
    /// typed (reported against the date inputs; the definition then lacks them, so it is not
    /// saved).
    fn apply(&self, base: Definition, zone: &Zone) -> (Definition, FieldErrors) {
        let mut errors = FieldErrors::new();
        let mut moment = |field: &str, parsed: Result<_, String>| {
            errors.check(field, parsed).map(rfc3339).unwrap_or_default()
        };
        let opens_at = moment(
            "opens-day",
            zone.required_date_time("Opening date", "Enter the date it opens", &self.opens),
        );
        let closes_at = moment(
            "closes-day",
            zone.required_date_time(
                "Closing date",
                "Enter the date it closes",
                &self.closes.clone().closing(),
            ),
        );
        let def = Definition {
            organisation: self.organisation.clone(),
            slug: Some(self.slug.clone()).filter(|s| !s.trim().is_empty()),
            kind: self.kind.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            opens_at,
            closes_at,
            topics: self
                .topics
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            ..base
        };
        (def, errors)
    }
}

/// The dates' own errors first, then the definition's, whose date fields are the date inputs
/// here (a date already reported is not reported twice).
fn with_date_errors(dates: FieldErrors, definition: FieldErrors) -> FieldErrors {
    let mut all = dates;
    for e in definition.iter() {
        let field = match e.field.as_str() {
            "opens_at" => "opens-day",
            "closes_at" => "closes-day",
            other => other,
        };
        all.add(field, e.message.clone());
    }
    all
}

fn empty_definition() -> Definition {
    Definition {
        organisation: String::new(),
        slug: None,
        kind: "consultation".into(),
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        opens_at: String::new(),
        closes_at: String::new(),
        topics: vec![],
        questions: vec![],
        segments: vec![],
        dimensions: vec![],
    }
}

fn render_details(
    app: &App,
    viewer: &Viewer,
    orgs: &[Organisation],
    form: &DetailsForm,
    existing: Option<&Exercise>,
    errors: FieldErrors,
) -> PageResult {
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/consultations/details.html",
        context! {
            organisations => Serde(orgs), existing => Serde(existing), errors => Serde(errors),
            form => context! { opens => Serde(&form.opens), closes => Serde(&form.closes), ..Value::from(Serde(form)) },
            time_zone => app.config.time_zone.name(),
        },
        status,
    )
}

/// `GET /admin/consultations/new`.
pub async fn new(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let form = DetailsForm {
        kind: "consultation".into(),
        ..Default::default()
    };
    render_details(&app, &viewer, &orgs, &form, None, FieldErrors::new())
}

/// `POST /admin/consultations/new`: creates a draft; questions are added next.
pub async fn create(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> PageResult {
    let (user, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let (def, date_errors) = form.apply(empty_definition(), &app.config.time_zone);
    match crate::listening::create_exercise(&app, user.id, &orgs, def, false).await {
        Ok((id, slug)) => {
            app.db
                .audit(Some(user.id), "exercise.create", &slug, "")
                .await?;
            Ok(back_to(id, ""))
        }
        Err(errors) => {
            let errors = with_date_errors(date_errors, errors);
            render_details(&app, &viewer, &orgs, &form, None, errors)
        }
    }
}

/// Stores a changed definition of an existing exercise, or the errors that stop it.
pub(super) async fn save_definition(
    app: &App,
    e: &Exercise,
    def: Definition,
    orgs: &[Organisation],
) -> Result<(), FieldErrors> {
    let Some(org) = orgs.iter().find(|o| o.slug == def.organisation) else {
        let message = "Choose an organisation you are an editor of";
        return Err(FieldErrors::one("organisation", message));
    };
    if e.published && def.questions.is_empty() {
        let message = "A published exercise needs at least one question";
        return Err(FieldErrors::one("questions", message));
    }
    // Answers already given must still mean what they meant.
    if app.db.response_count(e.id).await.unwrap_or(0) > 0 {
        def.keeps_answers_to(&e.definition())?;
    }
    let valid = def.validate()?;
    let body_html = crate::sanitise::render_field(&valid.definition.body, "body")
        .await?
        .html;
    match app
        .db
        .save_exercise(Some(e.id), org.id, &valid, &body_html, e.published, None)
        .await
    {
        Ok(_) => Ok(()),
        Err(crate::store::StoreError::Conflict(_)) => {
            let message = "Another exercise already has that web address: choose another";
            Err(FieldErrors::one("slug", message))
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot save an exercise");
            let message = "The exercise could not be saved; try again";
            Err(FieldErrors::one("definition", message))
        }
    }
}

/// `GET /admin/consultations/{id}/edit`: the details form for an existing exercise.
pub async fn edit(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let form = DetailsForm::of(&e.definition(), &e.slug, &app.config.time_zone);
    render_details(&app, &viewer, &orgs, &form, Some(&e), FieldErrors::new())
}

/// `POST /admin/consultations/{id}/edit`.
pub async fn update(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let (def, date_errors) = form.apply(e.definition(), &app.config.time_zone);
    match save_definition(&app, &e, def, &orgs).await {
        Ok(()) => {
            app.db
                .audit(Some(user.id), "exercise.update", &e.slug, "details")
                .await?;
            Ok(back_to(id, ""))
        }
        Err(errors) => {
            let errors = with_date_errors(date_errors, errors);
            render_details(&app, &viewer, &orgs, &form, Some(&e), errors)
        }
    }
}

/// `GET /admin/consultations/{id}`: the exercise's working page.
pub async fn show(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    render_show(&app, &viewer, id, FieldErrors::new(), None).await
}

/// The themes a "you said" can cite: (`analysis:theme`, question id, name) for every theme
/// of the exercise's finished analyses, newest analysis first.
pub(super) fn analysed_themes(analyses: &[Analysis]) -> Vec<(String, String, String)> {
    let done = analyses.iter().filter(|a| a.status == AnalysisStatus::Done);
    let reviewed = done.filter_map(|a| a.review.as_ref().map(|r| (a, r)));
    reviewed
        .flat_map(|(a, r)| {
            (r.themes.iter()).map(|t| {
                let value = format!("{}:{}", a.id, t.id);
                let name = format!("{} (analysis {})", t.label, a.id);
                (value, a.question_id.clone(), name)
            })
        })
        .collect()
}

/// Which form on the working page the errors belong to, with what was typed.
#[derive(Serialize, Default)]
pub(super) struct Attempt {
    pub(super) form: &'static str,
    pub(super) question: QuestionForm,
    pub(super) values: HashMap<String, String>,
}

pub(super) async fn render_show(
    app: &App,
    viewer: &Viewer,
    id: i64,
    errors: FieldErrors,
    attempt: Option<Attempt>,
) -> PageResult {
    let user = viewer.signed_in()?.clone();
    let e = app.db.exercise(id).await?;
    let all = app.db.organisations().await?;
    let lineage_ok = |role| {
        user.organisations_with(role, &all)
            .iter()
            .any(|o| o.id == e.organisation_id)
    };
    let (can_edit, can_analyse) = (lineage_ok(Role::Editor), lineage_ok(Role::Analyst));
    if !can_edit && !can_analyse {
        return Err(PageError::Forbidden);
    }
    let def = e.definition();
    let analyses = app.db.analyses_of(e.id).await?;
    let links = app.db.action_links(e.id).await?;
    let actions: Vec<_> = (app.db.result_actions(e.id).await?.into_iter())
        .map(|a| {
            context! {
                needs_theme => needs_theme_again(&a, &analyses),
                links => Serde(links.iter().filter(|l| l.action_id == a.id).collect::<Vec<_>>()),
                action => Serde(a),
            }
        })
        .collect();
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/consultations/show.html",
        context! {
            exercise => Serde(&e),
            definition => Serde(&def),
            scale_questions => Serde(def.questions.iter().filter(|q| q.kind == QuestionType::Scale).collect::<Vec<_>>()),
            text_questions => Serde(def.questions.iter().filter(|q| q.kind == QuestionType::Text).collect::<Vec<_>>()),
            responses => app.db.response_count(e.id).await?,
            evidence => app.db.evidence(e.id).await?.len(),
            analyses => Serde(analyses),
            actions,
            can_edit, can_analyse,
            mail_relay => app.mailer.is_some(),
            outbox => Serde(app.db.outbox_counts().await?),
            state => e.state(crate::store::now()).as_str(),
            errors => Serde(errors),
            attempt => Serde(attempt.unwrap_or_default()),
        },
        status,
    )
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    pub(super) publish: String,
}

/// `POST /admin/consultations/{id}/publish`: publishes or withdraws the exercise itself.
pub async fn publish(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<PublishForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let publish = form.publish == "yes";
    let def = e.definition();
    if publish && def.questions.is_empty() {
        let errors = FieldErrors::one("questions", "Add at least one question before publishing");
        return render_show(&app, &viewer, id, errors, None).await;
    }
    let valid = def.validate().map_err(|_| {
        PageError::BadRequest("The stored definition is not valid; edit it first.".into())
    })?;
    app.db
        .save_exercise(
            Some(e.id),
            e.organisation_id,
            &valid,
            &e.body_html,
            publish,
            None,
        )
        .await?;
    app.db
        .audit(
            Some(user.id),
            if publish {
                "exercise.publish"
            } else {
                "exercise.withdraw"
            },
            &e.slug,
            "",
        )
        .await?;
    Ok(back_to(id, ""))
}

/// `GET /admin/consultations/{id}/definition.json`: the definition, for import elsewhere or
/// `POST /api/v1/consultations`.
pub async fn export_definition(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let mut def = e.definition();
    def.slug = Some(e.slug.clone());
    def.opens_at = rfc3339(e.opens_at);
    def.closes_at = rfc3339(e.closes_at);
    let body = serde_json::to_string_pretty(&def).map_err(|e| PageError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.json\"", e.slug),
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /admin/consultations/import`.
pub async fn import_form(State(app): State<App>, viewer: Viewer) -> PageResult {
    with_role(&app, &viewer, Role::Editor).await?;
    viewer.render(
        &app,
        "admin/consultations/import.html",
        context! { errors => Serde(FieldErrors::new()) },
    )
}

/// `POST /admin/consultations/import`: a definition file (or pasted JSON) becomes a draft.
pub async fn import(State(app): State<App>, viewer: Viewer, upload: CsrfUpload) -> PageResult {
    let (user, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let text = match upload.file() {
        Some(f) if !f.bytes.is_empty() => String::from_utf8(f.bytes.clone()).map_err(|_| {
            "The file is not UTF-8 text: save it as UTF-8 JSON and try again".to_string()
        }),
        _ => Ok(upload.fields.get("definition").cloned().unwrap_or_default()),
    };
    let parsed = text.and_then(|t| {
        if t.trim().is_empty() {
            Err("Choose a JSON file, or paste a definition".to_string())
        } else {
            Ok(t)
        }
    });
    let result = match parsed {
        Err(m) => {
            let errors = FieldErrors::one("file", m);
            Err(errors)
        }
        Ok(t) => match Definition::from_json(&t) {
            Ok(def) => crate::listening::create_exercise(&app, user.id, &orgs, def, false).await,
            Err(errors) => Err(renamed(errors, "definition", "file")),
        },
    };
    match result {
        Ok((id, slug)) => {
            app.db
                .audit(Some(user.id), "exercise.import", &slug, "")
                .await?;
            Ok(back_to(id, ""))
        }
        Err(errors) => viewer.render_with_status(
            &app,
            "admin/consultations/import.html",
            context! { errors => Serde(errors), pasted => upload.fields.get("definition") },
            StatusCode::BAD_REQUEST,
        ),
    }
}
