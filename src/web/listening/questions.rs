//! An exercise's questions, segments and scoring dimensions, under
//! `/admin/consultations/{id}` (editors).

use super::admin::{Attempt, back_to, exercise_for, render_show, save_definition, with_role};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::{Definition, Dimension, Level, QuestionForm, SegmentQuestion};
use crate::domain::role::Role;
use crate::store::exercises::Exercise;
use crate::store::organisations::Organisation;
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
    let editing = Editing::load(&app, &viewer, id).await?;
    let changed = form.add_to(&editing.exercise.definition());
    let change = Change {
        done: format!("added question \"{}\"", form.title.trim()),
        anchor: "#questions",
        part: None,
        attempt: Some(Attempt {
            form: "question",
            question: form,
            ..Default::default()
        }),
    };
    editing.save(&app, &viewer, changed, change).await
}

/// An exercise that the signed-in editor may change, with the organisations they edit for.
struct Editing {
    user_id: i64,
    exercise: Exercise,
    orgs: Vec<Organisation>,
}

/// What a form on the working page changes: for the audit log, and for showing it again.
struct Change {
    done: String,
    /// Where on the working page to go back to.
    anchor: &'static str,
    /// Errors about this part of the definition (`segments.2.`) belong to the fields of the
    /// attempt's form (`segment_title`), so that the error summary links to them.
    part: Option<String>,
    attempt: Option<Attempt>,
}

impl Editing {
    async fn load(app: &App, viewer: &Viewer, id: i64) -> Result<Editing, PageError> {
        let (user, exercise) = exercise_for(app, viewer, id, Role::Editor).await?;
        let (_, orgs) = with_role(app, viewer, Role::Editor).await?;
        Ok(Editing {
            user_id: user.id,
            exercise,
            orgs,
        })
    }

    /// Stores the changed definition and logs it, then goes back to the working page; or shows
    /// the page again with the errors and what was typed.
    async fn save(
        self,
        app: &App,
        viewer: &Viewer,
        changed: Result<Definition, FieldErrors>,
        change: Change,
    ) -> PageResult {
        let e = &self.exercise;
        let saved = match changed {
            Ok(def) => save_definition(app, e, def, &self.orgs).await,
            Err(errors) => Err(errors),
        };
        match saved {
            Ok(()) => {
                let who = Some(self.user_id);
                app.db
                    .audit(who, "exercise.update", &e.slug, &change.done)
                    .await?;
                Ok(back_to(e.id, change.anchor))
            }
            Err(errors) => {
                let errors = match (&change.part, &change.attempt) {
                    (Some(part), Some(a)) => renamed(errors, part, &format!("{}_", a.form)),
                    _ => errors,
                };
                render_show(app, viewer, e.id, errors, change.attempt).await
            }
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
    let editing = Editing::load(&app, &viewer, id).await?;
    let mut def = editing.exercise.definition();
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
    let change = Change {
        done: format!("{action} question {}", form.item),
        anchor: "#questions",
        part: None,
        attempt: None,
    };
    editing.save(&app, &viewer, Ok(def), change).await
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
    let editing = Editing::load(&app, &viewer, id).await?;
    let mut def = editing.exercise.definition();
    def.segments.push(form.question(def.segments.len() + 1));
    let change = Change {
        done: "added a segment question".into(),
        anchor: "#segments",
        part: Some(format!("segments.{}.", def.segments.len() - 1)),
        attempt: Some(Attempt {
            form: "segment",
            values: HashMap::from([
                ("title".into(), form.title),
                ("options".into(), form.options),
                ("id".into(), form.id),
            ]),
            ..Default::default()
        }),
    };
    editing.save(&app, &viewer, Ok(def), change).await
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
    let editing = Editing::load(&app, &viewer, id).await?;
    let mut def = editing.exercise.definition();
    let at = format!("dimensions.{}.", def.dimensions.len());
    let changed = Level::parse_lines(&form.levels).map(|levels| {
        def.dimensions.push(Dimension {
            id: format!("d{}", def.dimensions.len() + 1),
            title: form.title.trim().to_string(),
            questions: form.questions.clone(),
            levels,
        });
        def
    });
    let changed = changed.map_err(|bad| {
        let mut errors = FieldErrors::new();
        for line in bad {
            let message = format!(
                "Write each level as “minimum score: name”, like “2.5: Developing” (not “{line}”)"
            );
            errors.add(&format!("{at}levels"), message);
        }
        errors
    });
    let change = Change {
        done: "added a scored dimension".into(),
        anchor: "#scoring",
        part: Some(at),
        attempt: Some(Attempt {
            form: "dimension",
            values: HashMap::from([("title".into(), form.title), ("levels".into(), form.levels)]),
            ..Default::default()
        }),
    };
    editing.save(&app, &viewer, changed, change).await
}
