//! An exercise's questions, segments and scoring dimensions, under
//! `/admin/consultations/{id}` (editors).

use super::admin::{Attempt, back_to, exercise_for, render_show, save_definition, with_role};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::{Dimension, Level, QuestionForm, SegmentQuestion};
use crate::domain::role::Role;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use serde::Deserialize;
use std::collections::HashMap;

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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ItemForm {
    item: String,
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
#[serde(default)]
pub struct SegmentForm {
    id: String,
    title: String,
    options: String,
    required: Option<String>,
}

impl SegmentForm {
    /// The segment question, numbered `n` when it was given no id.
    fn question(&self, n: usize) -> SegmentQuestion {
        let id = match self.id.trim() {
            "" => format!("segment{n}"),
            id => id.to_string(),
        };
        let options = self
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        SegmentQuestion {
            id,
            title: self.title.trim().to_string(),
            hint: None,
            required: self.required.is_some(),
            options: options.map(str::to_string).collect(),
        }
    }
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
    def.segments.push(form.question(def.segments.len() + 1));
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
pub(super) fn renamed(errors: FieldErrors, prefix: &str, to: &str) -> FieldErrors {
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
#[serde(default)]
pub struct DimensionForm {
    title: String,
    questions: Vec<String>,
    /// One level per line: `minimum score: label`, e.g. `2.5: Developing`.
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
