//! Signed-in work on consultations, surveys and reviews, under `/admin/consultations`.
//!
//! Editors build exercises (details, questions, segments, scoring) or import a definition as
//! JSON; analysts keep the evidence log, run and review analyses, write "you said, we did"
//! and publish the results. Admin implies both roles. Every change is in the audit log, and
//! every change to an analysis is in its own change record.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::{
    Definition, Dimension, Level, QuestionForm, QuestionType, SegmentQuestion, format_instant,
};
use crate::domain::review::{Edit, Review, UNASSIGNED};
use crate::domain::role::Role;
use crate::store::exercises::{Exercise, NewEvidence};
use crate::store::organisations::Organisation;
use crate::web::error::{PageError, PageResult};
use crate::web::listening::public::csv_download;
use crate::web::viewer::{CsrfForm, CsrfUpload, SignedIn, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The signed-in user and the organisations they hold `role` in (403 when none).
async fn with_role(
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
async fn exercise_for(
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

fn back_to(id: i64, anchor: &str) -> Response {
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
pub struct DetailsForm {
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    topics: String,
}

impl DetailsForm {
    fn of(def: &Definition, slug: &str) -> DetailsForm {
        DetailsForm {
            organisation: def.organisation.clone(),
            kind: def.kind.clone(),
            title: def.title.clone(),
            slug: slug.to_string(),
            summary: def.summary.clone(),
            body: def.body.clone(),
            opens_at: def.opens_at.clone(),
            closes_at: def.closes_at.clone(),
            topics: def.topics.join(", "),
        }
    }

    /// `base` with these details in place of its own.
    fn apply(&self, base: Definition) -> Definition {
        Definition {
            organisation: self.organisation.clone(),
            slug: Some(self.slug.clone()).filter(|s| !s.trim().is_empty()),
            kind: self.kind.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            opens_at: self.opens_at.clone(),
            closes_at: self.closes_at.clone(),
            topics: self
                .topics
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            ..base
        }
    }
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    viewer.render_with_status(
        app,
        "admin/consultations/details.html",
        context! { organisations => Serde(orgs), form => Serde(form), existing => Serde(existing), errors => Serde(errors) },
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
    let def = form.apply(empty_definition());
    match crate::listening::create_exercise(&app, user.id, &orgs, def, false).await {
        Ok((id, slug)) => {
            app.db
                .audit(Some(user.id), "exercise.create", &slug, "")
                .await?;
            Ok(back_to(id, ""))
        }
        Err(errors) => render_details(&app, &viewer, &orgs, &form, None, errors),
    }
}

/// Stores a changed definition of an existing exercise, or the errors that stop it.
async fn save_definition(
    app: &App,
    e: &Exercise,
    def: Definition,
    orgs: &[Organisation],
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(org) = orgs.iter().find(|o| o.slug == def.organisation) else {
        errors.add(
            "organisation",
            "Choose an organisation you are an editor of",
        );
        return Err(errors);
    };
    if e.published && def.questions.is_empty() {
        errors.add(
            "questions",
            "A published exercise needs at least one question",
        );
        return Err(errors);
    }
    // Answers already given must still mean what they meant.
    if app.db.response_count(e.id).await.unwrap_or(0) > 0 {
        for old in &e.definition().questions {
            if !def
                .questions
                .iter()
                .any(|q| q.id == old.id && q.kind == old.kind)
            {
                errors.add(
                    "questions",
                    format!("Question {} has responses, so it cannot be removed or change type. Close this exercise and start a new one instead", old.id),
                );
                return Err(errors);
            }
        }
    }
    let valid = def.validate()?;
    let body_html = crate::sanitise::render_field(&valid.definition.body, "body")
        .await?
        .html;
    match app
        .db
        .update_exercise(e.id, org.id, &valid, &body_html, e.published)
        .await
    {
        Ok(()) => Ok(()),
        Err(crate::store::StoreError::Conflict(_)) => {
            errors.add(
                "slug",
                "Another exercise already has that web address: choose another",
            );
            Err(errors)
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot save an exercise");
            errors.add("definition", "The exercise could not be saved; try again");
            Err(errors)
        }
    }
}

/// `GET /admin/consultations/{id}/edit`: the details form for an existing exercise.
pub async fn edit(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let form = DetailsForm::of(&e.definition(), &e.slug);
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
    match save_definition(&app, &e, form.apply(e.definition()), &orgs).await {
        Ok(()) => {
            app.db
                .audit(Some(user.id), "exercise.update", &e.slug, "details")
                .await?;
            Ok(back_to(id, ""))
        }
        Err(errors) => render_details(&app, &viewer, &orgs, &form, Some(&e), errors),
    }
}

/// `GET /admin/consultations/{id}`: the exercise's working page.
pub async fn show(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    render_show(&app, &viewer, id, FieldErrors::new(), None).await
}

/// Which form on the working page the errors belong to, with what was typed.
#[derive(Serialize, Default)]
struct Attempt {
    form: &'static str,
    question: QuestionForm,
    values: HashMap<String, String>,
}

async fn render_show(
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
    let mut themes: Vec<(String, String, String)> = Vec::new();
    for a in analyses.iter().filter(|a| a.status == "done") {
        if let Some(r) = a
            .review
            .as_deref()
            .and_then(|r| serde_json::from_str::<Review>(r).ok())
        {
            for t in r.themes {
                themes.push((format!("{}:{}", a.id, t.id), a.question_id.clone(), t.label));
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
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
            actions => Serde(app.db.result_actions(e.id).await?),
            themes => Serde(themes),
            can_edit, can_analyse,
            mail_relay => app.mailer.is_some(),
            outbox => Serde(app.db.outbox_counts().await?),
            state => e.state(crate::store::now()),
            errors => Serde(errors),
            attempt => Serde(attempt.unwrap_or_default()),
        },
        status,
    )
}

/// `POST /admin/consultations/{id}/questions`: adds a question.
pub async fn add_question(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<QuestionForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let result = match form.add_to(&e.definition()) {
        Ok(def) => save_definition(&app, &e, def, &orgs).await,
        Err(errors) => Err(errors),
    };
    match result {
        Ok(()) => {
            app.db
                .audit(
                    Some(user.id),
                    "exercise.update",
                    &e.slug,
                    &format!("added question \"{}\"", form.title.trim()),
                )
                .await?;
            Ok(back_to(id, "#questions"))
        }
        Err(errors) => {
            let attempt = Attempt {
                form: "question",
                question: form,
                ..Default::default()
            };
            render_show(&app, &viewer, id, errors, Some(attempt)).await
        }
    }
}

#[derive(Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    item: String,
    #[serde(default)]
    direction: String,
}

/// `POST /admin/consultations/{id}/questions/remove` and `/move`: removes a question (only
/// while it has no answers) or moves it up or down.
pub async fn change_question(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let mut def = e.definition();
    let Some(pos) = def.questions.iter().position(|q| q.id == form.item) else {
        return Err(PageError::NotFound);
    };
    match action.as_str() {
        "remove" => {
            def.questions.remove(pos);
            for d in &mut def.dimensions {
                d.questions.retain(|q| q != &form.item);
            }
            def.dimensions.retain(|d| !d.questions.is_empty());
        }
        "move" if form.direction == "up" && pos > 0 => def.questions.swap(pos, pos - 1),
        "move" if form.direction == "down" && pos + 1 < def.questions.len() => {
            def.questions.swap(pos, pos + 1)
        }
        "move" => {}
        _ => return Err(PageError::NotFound),
    }
    match save_definition(&app, &e, def, &orgs).await {
        Ok(()) => {
            app.db
                .audit(
                    Some(user.id),
                    "exercise.update",
                    &e.slug,
                    &format!("{action} question {}", form.item),
                )
                .await?;
            Ok(back_to(id, "#questions"))
        }
        Err(errors) => render_show(&app, &viewer, id, errors, None).await,
    }
}

#[derive(Deserialize, Default)]
pub struct SegmentForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    required: Option<String>,
}

/// `POST /admin/consultations/{id}/segments`: adds a question about the respondent.
pub async fn add_segment(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<SegmentForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let mut def = e.definition();
    let sid = if form.id.trim().is_empty() {
        format!("segment{}", def.segments.len() + 1)
    } else {
        form.id.trim().to_string()
    };
    def.segments.push(SegmentQuestion {
        id: sid,
        title: form.title.trim().to_string(),
        hint: None,
        required: form.required.is_some(),
        options: form
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    });
    let at = format!("segments.{}.", def.segments.len() - 1);
    match save_definition(&app, &e, def, &orgs).await {
        Ok(()) => {
            app.db
                .audit(
                    Some(user.id),
                    "exercise.update",
                    &e.slug,
                    "added a segment question",
                )
                .await?;
            Ok(back_to(id, "#segments"))
        }
        Err(errors) => {
            let errors = renamed(errors, &at, "segment_");
            let values = HashMap::from([
                ("title".into(), form.title),
                ("options".into(), form.options),
                ("id".into(), form.id),
            ]);
            render_show(
                &app,
                &viewer,
                id,
                errors,
                Some(Attempt {
                    form: "segment",
                    values,
                    ..Default::default()
                }),
            )
            .await
        }
    }
}

/// Errors about one part of a definition (`segments.2.title`) renamed for its form
/// (`segment_title`), so the summary links to the field.
fn renamed(errors: FieldErrors, prefix: &str, to: &str) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in errors.iter() {
        match e.field.strip_prefix(prefix) {
            Some(rest) => out.add(&format!("{to}{rest}"), e.message.clone()),
            None => out.add(&e.field, e.message.clone()),
        }
    }
    out
}

#[derive(Deserialize, Default)]
pub struct DimensionForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    questions: Vec<String>,
    /// One level per line: `minimum score: label`, e.g. `2.5: Developing`.
    #[serde(default)]
    levels: String,
}

/// `POST /admin/consultations/{id}/dimensions`: groups scale questions into a scored dimension.
pub async fn add_dimension(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DimensionForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let (_, orgs) = with_role(&app, &viewer, Role::Editor).await?;
    let mut def = e.definition();
    let mut errors = FieldErrors::new();
    let mut levels = Vec::new();
    for line in form.levels.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(':').and_then(|(m, l)| Some((m.trim().parse::<f64>().ok()?, l.trim()))) {
            Some((min, label)) if !label.is_empty() => levels.push(Level { min, label: label.to_string() }),
            _ => errors.add("dimension_levels", format!("Write each level as “minimum score: name”, like “2.5: Developing” (not “{line}”)")),
        }
    }
    let at = format!("dimensions.{}.", def.dimensions.len());
    def.dimensions.push(Dimension {
        id: format!("d{}", def.dimensions.len() + 1),
        title: form.title.trim().to_string(),
        questions: form.questions.clone(),
        levels,
    });
    let result = if errors.is_empty() {
        save_definition(&app, &e, def, &orgs).await
    } else {
        Err(errors)
    };
    match result {
        Ok(()) => {
            app.db
                .audit(
                    Some(user.id),
                    "exercise.update",
                    &e.slug,
                    "added a scored dimension",
                )
                .await?;
            Ok(back_to(id, "#scoring"))
        }
        Err(errors) => {
            let values =
                HashMap::from([("title".into(), form.title), ("levels".into(), form.levels)]);
            render_show(
                &app,
                &viewer,
                id,
                renamed(errors, &at, "dimension_"),
                Some(Attempt {
                    form: "dimension",
                    values,
                    ..Default::default()
                }),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    publish: String,
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
        let mut errors = FieldErrors::new();
        errors.add("questions", "Add at least one question before publishing");
        return render_show(&app, &viewer, id, errors, None).await;
    }
    let valid = def.validate().map_err(|_| {
        PageError::BadRequest("The stored definition is not valid; edit it first.".into())
    })?;
    app.db
        .update_exercise(e.id, e.organisation_id, &valid, &e.body_html, publish)
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
    def.opens_at = format_instant(e.opens_at);
    def.closes_at = format_instant(e.closes_at);
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
    let text = match &upload.file {
        Some((_, bytes)) if !bytes.is_empty() => String::from_utf8(bytes.clone()).map_err(|_| {
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
            let mut errors = FieldErrors::new();
            errors.add("file", m);
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

// ----- Evidence log -----

#[derive(Deserialize, Serialize, Default)]
pub struct EvidenceForm {
    #[serde(default)]
    question_id: String,
    #[serde(default)]
    source_type: String,
    #[serde(default)]
    collected_on: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    body: String,
}

fn check_evidence(
    def: &Definition,
    f: &EvidenceForm,
    errors: &mut FieldErrors,
    field_prefix: &str,
) -> Option<NewEvidence> {
    let before = errors.iter().count();
    if !def
        .question(&f.question_id)
        .is_some_and(|q| q.kind == QuestionType::Text)
    {
        errors.add(
            &format!("{field_prefix}question_id"),
            "Choose the free-text question this evidence answers",
        );
    }
    if !["interview", "workshop", "document", "imported"].contains(&f.source_type.as_str()) {
        errors.add(
            &format!("{field_prefix}source_type"),
            "Choose where the evidence came from",
        );
    }
    let date = f.collected_on.trim();
    if time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        errors.add(
            &format!("{field_prefix}collected_on"),
            "Enter the date as YYYY-MM-DD, like 2026-03-14",
        );
    }
    if f.segment.chars().count() > 200 {
        errors.add(
            &format!("{field_prefix}segment"),
            "Segment must be 200 characters or fewer",
        );
    }
    if f.body.trim().is_empty() {
        errors.add(
            &format!("{field_prefix}body"),
            "Enter the notes or the response text",
        );
    } else if f.body.chars().count() > crate::domain::exercise::MAX_TEXT_ANSWER {
        errors.add(
            &format!("{field_prefix}body"),
            "The text is too long: split it into several items",
        );
    }
    (errors.iter().count() == before).then(|| NewEvidence {
        question_id: f.question_id.clone(),
        source_type: f.source_type.clone(),
        collected_on: date.to_string(),
        segment: f.segment.trim().to_string(),
        body: f.body.clone(),
    })
}

async fn render_evidence(
    app: &App,
    viewer: &Viewer,
    e: &Exercise,
    form: &EvidenceForm,
    errors: FieldErrors,
) -> PageResult {
    let def = e.definition();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    viewer.render_with_status(
        app,
        "admin/consultations/evidence.html",
        context! {
            exercise => Serde(e),
            items => Serde(app.db.evidence(e.id).await?),
            text_questions => Serde(def.questions.iter().filter(|q| q.kind == QuestionType::Text).collect::<Vec<_>>()),
            form => Serde(form),
            errors => Serde(errors),
        },
        status,
    )
}

/// `GET /admin/consultations/{id}/evidence`: the evidence log.
pub async fn evidence(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let form = EvidenceForm {
        source_type: "interview".into(),
        ..Default::default()
    };
    render_evidence(&app, &viewer, &e, &form, FieldErrors::new()).await
}

/// `POST /admin/consultations/{id}/evidence`: adds an interview note or workshop output.
pub async fn add_evidence(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<EvidenceForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let mut errors = FieldErrors::new();
    match check_evidence(&e.definition(), &form, &mut errors, "") {
        Some(item) => {
            app.db.add_evidence(e.id, &[item], Some(user.id)).await?;
            app.db
                .audit(Some(user.id), "evidence.add", &e.slug, &form.source_type)
                .await?;
            Ok(Redirect::to(&format!("/admin/consultations/{id}/evidence")).into_response())
        }
        None => render_evidence(&app, &viewer, &e, &form, errors).await,
    }
}

/// The column mapping of a CSV import; empty means "not in the file".
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Mapping {
    #[serde(default)]
    text: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    question_id: String,
    #[serde(default)]
    default_date: String,
}

/// A parsed CSV: its header and rows (every row as long as the header).
fn read_csv(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The file is not a CSV file with a header row: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err("The file has no header row: the first line must name the columns".into());
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            format!(
                "Row {} of the file cannot be read: {e}. Check that every row has {} columns",
                i + 2,
                header.len()
            )
        })?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    if rows.is_empty() {
        return Err("The file has a header row but no responses".into());
    }
    Ok((header, rows))
}

/// Applies a mapping to every row, or says which row and column are wrong.
fn map_rows(
    def: &Definition,
    header: &[String],
    rows: &[Vec<String>],
    m: &Mapping,
) -> Result<Vec<NewEvidence>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(text) = col(&m.text) else {
        errors.add("text", "Choose the column that holds the response text");
        return Err(errors);
    };
    let segment = col(&m.segment);
    let date = col(&m.date);
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let form = EvidenceForm {
            question_id: m.question_id.clone(),
            source_type: "imported".into(),
            collected_on: date
                .map(|d| row[d].clone())
                .unwrap_or_else(|| m.default_date.clone()),
            segment: segment.map(|s| row[s].clone()).unwrap_or_default(),
            body: row[text].clone(),
        };
        if form.body.trim().is_empty() {
            continue; // a blank answer is not evidence
        }
        let mut row_errors = FieldErrors::new();
        match check_evidence(def, &form, &mut row_errors, "") {
            Some(item) => out.push(item),
            None => {
                for e in row_errors.iter() {
                    let field = match e.field.as_str() {
                        "collected_on" if date.is_some() => "date",
                        "collected_on" => "default_date",
                        "body" => "text",
                        other => other,
                    };
                    errors.add(
                        field,
                        format!(
                            "Row {} ({}): {}",
                            i + 2,
                            header.get(text).map_or("", String::as_str),
                            e.message
                        ),
                    );
                }
                break;
            }
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.add(
            "text",
            "Every row's text is empty in that column: choose another column",
        );
    }
    errors.into_result(|| out)
}

/// `POST /admin/consultations/{id}/evidence/import`: step 1, a CSV file → the mapping form.
/// Steps 2 (preview) and 3 (import) post the file's text back with the mapping.
pub async fn import_evidence(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    upload: CsrfUpload,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let def = e.definition();
    let step = upload.fields.get("step").cloned().unwrap_or_default();
    let text = match (&upload.file, upload.fields.get("csv")) {
        (Some((_, bytes)), _) if !bytes.is_empty() => {
            String::from_utf8(bytes.clone()).map_err(|_| {
                "The file is not UTF-8 text: save it as “CSV UTF-8” and try again".to_string()
            })
        }
        (_, Some(t)) if !t.is_empty() => Ok(t.clone()),
        _ => Err("Choose a CSV file to import".to_string()),
    };
    let parsed = text.and_then(|t| read_csv(&t).map(|p| (t, p)));
    let (text, (header, rows)) = match parsed {
        Ok(p) => p,
        Err(m) => {
            let mut errors = FieldErrors::new();
            errors.add("file", m);
            return render_evidence(&app, &viewer, &e, &EvidenceForm::default(), errors).await;
        }
    };
    let mapping: Mapping =
        serde_json::from_value(serde_json::to_value(&upload.fields).unwrap_or_default())
            .unwrap_or_default();
    let mapping = Mapping {
        question_id: if mapping.question_id.is_empty() {
            def.questions
                .iter()
                .find(|q| q.kind == QuestionType::Text)
                .map(|q| q.id.clone())
                .unwrap_or_default()
        } else {
            mapping.question_id
        },
        text: if mapping.text.is_empty() {
            header
                .iter()
                .find(|h| {
                    ["text", "response", "answer", "comments"].contains(&h.to_lowercase().as_str())
                })
                .cloned()
                .unwrap_or_default()
        } else {
            mapping.text
        },
        ..mapping
    };
    let mapped = if step.is_empty() {
        Err(FieldErrors::new())
    } else {
        map_rows(&def, &header, &rows, &mapping)
    };
    if step == "import"
        && let Ok(items) = &mapped
    {
        app.db.add_evidence(e.id, items, Some(user.id)).await?;
        app.db
            .audit(
                Some(user.id),
                "evidence.import",
                &e.slug,
                &format!("{} rows", items.len()),
            )
            .await?;
        return Ok(Redirect::to(&format!("/admin/consultations/{id}/evidence")).into_response());
    }
    let (preview, errors) = match mapped {
        Ok(items) => (items, FieldErrors::new()),
        Err(errors) => (vec![], errors),
    };
    let preview_rows: Vec<(String, String, String)> = preview
        .iter()
        .take(10)
        .map(|i| {
            (
                i.collected_on.clone(),
                i.segment.clone(),
                i.body.chars().take(200).collect(),
            )
        })
        .collect();
    viewer.render_with_status(
        &app,
        "admin/consultations/evidence_import.html",
        context! {
            exercise => Serde(&e),
            header, rows => rows.len(), csv => text,
            mapping => Serde(mapping),
            text_questions => Serde(def.questions.iter().filter(|q| q.kind == QuestionType::Text).collect::<Vec<_>>()),
            preview => Serde(preview_rows), preview_count => preview.len(),
            errors => Serde(&errors),
        },
        if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST },
    )
}

/// `GET /admin/consultations/{id}/responses.csv` (analyst): every response in full, one
/// column per question and segment. Contact emails are not included.
pub async fn responses_csv(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    use crate::analyse::report::cell;
    use crate::domain::exercise::Answer;
    let (_, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let def = e.definition();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec![
        "id".to_string(),
        "reference".into(),
        "submitted_at".into(),
        "source".into(),
    ];
    head.extend(def.questions.iter().map(|q| q.id.clone()));
    head.extend(def.segments.iter().map(|s| s.id.clone()));
    w.write_record(&head)
        .map_err(|e| PageError::Internal(e.into()))?;
    for r in app.db.responses(e.id).await? {
        let answers: BTreeMap<String, Answer> =
            serde_json::from_str(&r.answers).unwrap_or_default();
        let segments: BTreeMap<String, String> =
            serde_json::from_str(&r.segments).unwrap_or_default();
        let mut row = vec![
            crate::evidence::response_id(r.id),
            r.reference,
            format_instant(r.submitted_at),
            r.source,
        ];
        for q in &def.questions {
            row.push(cell(&match answers.get(&q.id) {
                Some(Answer::Text(t)) => t.clone(),
                Some(Answer::Scale(n)) => n.to_string(),
                Some(Answer::Choices(c)) => c.join("; "),
                None => String::new(),
            }));
        }
        for s in &def.segments {
            row.push(cell(segments.get(&s.id).map_or("", String::as_str)));
        }
        w.write_record(&row)
            .map_err(|e| PageError::Internal(e.into()))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| PageError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(csv_download(&format!("{}-responses.csv", e.slug), body))
}

// ----- Analyses and their review -----

#[derive(Deserialize)]
pub struct AnalysisForm {
    #[serde(default)]
    question: String,
}

/// `POST /admin/consultations/{id}/analyses`: queues an analysis of a free-text question.
pub async fn request_analysis(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<AnalysisForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    if !e
        .definition()
        .question(&form.question)
        .is_some_and(|q| q.kind == QuestionType::Text)
    {
        let mut errors = FieldErrors::new();
        errors.add("question", "Choose a free-text question to analyse");
        return render_show(&app, &viewer, id, errors, None).await;
    }
    let analysis = app
        .db
        .request_analysis(e.id, &form.question, Some(user.id))
        .await?;
    app.db
        .audit(Some(user.id), "analysis.request", &e.slug, &form.question)
        .await?;
    Ok(Redirect::to(&format!("/admin/analyses/{analysis}")).into_response())
}

async fn analysis_for(
    app: &App,
    viewer: &Viewer,
    id: i64,
) -> PageResult<(SignedIn, Exercise, crate::store::analyses::Analysis)> {
    let a = app.db.analysis(id).await?;
    let (user, e) = exercise_for(app, viewer, a.exercise_id, Role::Analyst).await?;
    Ok((user, e, a))
}

#[derive(Deserialize)]
pub struct ReviewQuery {
    #[serde(default)]
    theme: Option<String>,
}

/// How many responses of a theme the review page lists before "show all".
const MEMBERS_SHOWN: usize = 30;

/// `GET /admin/analyses/{id}`: the result, and the tools to review it.
pub async fn review(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<ReviewQuery>,
) -> PageResult {
    render_review(&app, &viewer, id, q.theme, FieldErrors::new()).await
}

async fn render_review(
    app: &App,
    viewer: &Viewer,
    id: i64,
    expanded: Option<String>,
    errors: FieldErrors,
) -> PageResult {
    let (_, e, a) = analysis_for(app, viewer, id).await?;
    let review: Option<Review> = a
        .review
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    // The texts of the responses shown, so the analyst reads what they move.
    let mut texts: HashMap<String, String> = HashMap::new();
    if let Some(r) = &review {
        for t in crate::evidence::corpus(&app.db, &e, &a.question_id).await? {
            texts.insert(t.id, t.text);
        }
        let _ = r;
    }
    #[derive(Serialize)]
    struct Member {
        id: String,
        text: String,
    }
    #[derive(Serialize)]
    struct ThemeView<'a> {
        theme: &'a crate::domain::review::ReviewTheme,
        members: Vec<Member>,
        more: usize,
    }
    let excerpt = |id: &str| -> String {
        let t = texts.get(id).map_or("", String::as_str);
        let short: String = t.chars().take(300).collect();
        if short.len() < t.len() {
            format!("{short}…")
        } else {
            short
        }
    };
    let themes: Vec<ThemeView> = review
        .as_ref()
        .map(|r| {
            r.themes
                .iter()
                .map(|t| {
                    let limit = if expanded.as_deref() == Some(t.id.as_str()) {
                        usize::MAX
                    } else {
                        MEMBERS_SHOWN
                    };
                    ThemeView {
                        theme: t,
                        members: t
                            .members
                            .iter()
                            .take(limit)
                            .map(|m| Member {
                                id: m.clone(),
                                text: excerpt(m),
                            })
                            .collect(),
                        more: t.members.len().saturating_sub(limit),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let unassigned: Vec<Member> = review
        .as_ref()
        .map(|r| {
            r.unassigned
                .iter()
                .take(MEMBERS_SHOWN)
                .map(|m| Member {
                    id: m.clone(),
                    text: excerpt(m),
                })
                .collect()
        })
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    viewer.render_with_status(
        app,
        "admin/consultations/review.html",
        context! {
            exercise => Serde(&e),
            analysis => Serde(&a),
            question => Serde(e.definition().question(&a.question_id)),
            review => Serde(&review),
            themes => Serde(themes),
            unassigned => Serde(unassigned),
            unassigned_total => review.as_ref().map_or(0, |r| r.unassigned.len()),
            changes => Serde(app.db.analysis_changes(a.id).await?),
            errors => Serde(errors),
        },
        status,
    )
}

/// The review page's forms: one action with its fields; `members` are the ticked responses.
#[derive(Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    into: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    status: String,
}

/// `POST /admin/analyses/{id}/edit`: one review edit, recorded with who made it.
pub async fn edit_review(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> PageResult {
    let (user, _, a) = analysis_for(&app, &viewer, id).await?;
    let Some(mut review) = a
        .review
        .as_deref()
        .and_then(|r| serde_json::from_str::<Review>(r).ok())
    else {
        return Err(PageError::BadRequest(
            "This analysis has not finished yet.".into(),
        ));
    };
    let edits: Vec<Edit> = match form.action.as_str() {
        "rename" => vec![Edit::Rename {
            theme: form.theme.clone(),
            label: form.label.clone(),
        }],
        "merge" => vec![Edit::Merge {
            theme: form.theme.clone(),
            into: form.into.clone(),
        }],
        "split" => vec![Edit::Split {
            theme: form.theme.clone(),
            label: form.label.clone(),
            members: form.members.clone(),
        }],
        "move" => form
            .members
            .iter()
            .map(|m| Edit::Move {
                response: m.clone(),
                from: if form.theme.is_empty() {
                    UNASSIGNED.into()
                } else {
                    form.theme.clone()
                },
                to: form.to.clone(),
            })
            .collect(),
        "campaign" => vec![Edit::Campaign {
            campaign: form.campaign.clone(),
            status: form.status.clone(),
        }],
        _ => vec![],
    };
    let mut errors = FieldErrors::new();
    if edits.is_empty() {
        errors.add("members", "Select the responses to move");
    }
    let mut notes = Vec::new();
    for edit in &edits {
        match review.apply(edit) {
            Ok(note) => notes.push(note),
            Err(message) => {
                let field = match form.action.as_str() {
                    "rename" => format!("label-{}", form.theme),
                    "split" => format!("split-{}", form.theme),
                    "merge" => format!("into-{}", form.theme),
                    _ => "members".to_string(),
                };
                errors.add(&field, message);
                break;
            }
        }
    }
    if !errors.is_empty() {
        return render_review(&app, &viewer, id, None, errors).await;
    }
    let detail = if notes.len() > 3 {
        format!("{} (and {} more)", notes[..3].join("; "), notes.len() - 3)
    } else {
        notes.join("; ")
    };
    let json = serde_json::to_string(&review).map_err(|e| PageError::Internal(e.into()))?;
    app.db
        .save_review(id, &json, Some(user.id), &form.action, &detail)
        .await?;
    Ok(Redirect::to(&format!("/admin/analyses/{id}")).into_response())
}

/// `POST /admin/analyses/{id}/publish`: makes this reviewed analysis the question's result.
pub async fn publish_analysis(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<PublishForm>,
) -> PageResult {
    let (user, e, a) = analysis_for(&app, &viewer, id).await?;
    if a.status != "done" {
        return Err(PageError::BadRequest(
            "Only a finished analysis can be published.".into(),
        ));
    }
    app.db.publish_analysis(id, Some(user.id)).await?;
    app.db
        .audit(Some(user.id), "analysis.publish", &e.slug, &a.question_id)
        .await?;
    Ok(Redirect::to(&format!("/admin/analyses/{id}")).into_response())
}

// ----- You said, we did; publishing the results -----

#[derive(Deserialize, Default)]
pub struct ActionForm {
    /// `analysis id:theme id`, or empty for a "you said" not tied to a theme.
    #[serde(default)]
    theme: String,
    #[serde(default)]
    you_said: String,
    #[serde(default)]
    we_did: String,
    /// Slugs of the commitments and projects the "we did" led to.
    #[serde(default)]
    commitments: Vec<String>,
    #[serde(default)]
    projects: Vec<String>,
}

/// `POST /admin/consultations/{id}/actions`: adds a "you said, we did".
pub async fn add_action(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let mut errors = FieldErrors::new();
    let you_said = errors.check(
        "you_said",
        crate::domain::text::required_line(&form.you_said, "what people said", 1000),
    );
    if form.we_did.trim().is_empty() {
        errors.add("we_did", "Enter what you did, or will do, about it");
    } else if form.we_did.chars().count() > 5000 {
        errors.add("we_did", "What you did must be 5000 characters or fewer");
    }
    let theme = match form.theme.split_once(':') {
        None if form.theme.is_empty() => None,
        Some((analysis, theme)) => {
            let found = match analysis.parse::<i64>() {
                Ok(aid) => app
                    .db
                    .analysis(aid)
                    .await
                    .ok()
                    .filter(|a| a.exercise_id == e.id)
                    .and_then(|a| {
                        let r: Review = serde_json::from_str(a.review.as_deref()?).ok()?;
                        r.theme(theme).map(|_| (aid, theme.to_string()))
                    }),
                Err(_) => None,
            };
            if found.is_none() {
                errors.add("theme", "Choose a theme from the list");
            }
            found
        }
        None => {
            errors.add("theme", "Choose a theme from the list");
            None
        }
    };
    let register = app.db.register().await?;
    let resolve = |slugs: &[String],
                   keys: Vec<(String, i64)>,
                   field: &str,
                   errors: &mut FieldErrors|
     -> Vec<i64> {
        slugs
            .iter()
            .filter_map(|s| {
                let id = keys.iter().find(|(k, _)| k == s).map(|(_, id)| *id);
                if id.is_none() {
                    errors.add(field, format!("There is no {field} {s} in the register"));
                }
                id
            })
            .collect()
    };
    let commitments = resolve(
        &form.commitments,
        register.commitment_keys(),
        "commitment",
        &mut errors,
    );
    let projects = resolve(
        &form.projects,
        register.project_keys(),
        "project",
        &mut errors,
    );
    let Some(you_said) = you_said.filter(|_| errors.is_empty()) else {
        let values = HashMap::from([
            ("you_said".into(), form.you_said),
            ("we_did".into(), form.we_did),
            ("theme".into(), form.theme),
        ]);
        return render_show(
            &app,
            &viewer,
            id,
            errors,
            Some(Attempt {
                form: "action",
                values,
                ..Default::default()
            }),
        )
        .await;
    };
    let action = app
        .db
        .add_result_action(
            e.id,
            theme.as_ref().map(|t| t.0),
            theme.as_ref().map(|t| t.1.as_str()),
            &you_said,
            form.we_did.trim(),
        )
        .await?;
    app.db.link_action(action, &commitments, &projects).await?;
    app.db
        .audit(Some(user.id), "results.action", &e.slug, &you_said)
        .await?;
    Ok(back_to(id, "#you-said-we-did"))
}

/// `POST /admin/consultations/{id}/actions/{action}/delete`.
pub async fn delete_action(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, action)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<PublishForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    app.db.delete_result_action(e.id, action).await?;
    app.db
        .audit(
            Some(user.id),
            "results.action.delete",
            &e.slug,
            &action.to_string(),
        )
        .await?;
    Ok(back_to(id, "#you-said-we-did"))
}

/// `POST /admin/consultations/{id}/results`: publishes or withdraws the results page.
pub async fn publish_results(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<PublishForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let publish = form.publish == "yes";
    app.db.set_results_published(e.id, publish).await?;
    app.db
        .audit(
            Some(user.id),
            if publish {
                "results.publish"
            } else {
                "results.withdraw"
            },
            &e.slug,
            "",
        )
        .await?;
    Ok(back_to(id, "#results"))
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    reference: String,
}

/// `POST /admin/consultations/{id}/erase`: removes a respondent's email on request (their
/// anonymous answers stay).
pub async fn erase_contact(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<EraseForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let reference = form.reference.trim().to_uppercase();
    let mut errors = FieldErrors::new();
    match app.db.erase_contact(e.id, &reference).await? {
        true => {
            app.db
                .audit(Some(user.id), "response.erase_contact", &e.slug, &reference)
                .await?;
            Ok(back_to(id, "#privacy"))
        }
        false => {
            errors.add("reference", format!("No response with reference {reference} has an email address to erase. Check the reference, like TH-7KQ2-M9XD"));
            let values = HashMap::from([("reference".into(), form.reference)]);
            render_show(
                &app,
                &viewer,
                id,
                errors,
                Some(Attempt {
                    form: "erase",
                    values,
                    ..Default::default()
                }),
            )
            .await
        }
    }
}
