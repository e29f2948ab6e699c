//! The evidence log of an exercise (analysts): notes and workshop outputs added one at a
//! time, CSV files imported after a column mapping and a preview, and every response as CSV.

use super::admin::exercise_for;
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::evidence::{EvidenceInput, Mapping, NewEvidence, Source};
use crate::domain::exercise::{Definition, Question, QuestionType};
use crate::domain::role::Role;
use crate::domain::table::Table;
use crate::domain::time::{DateTimeInput, Zone, prefix_collected, rfc3339};
use crate::store::exercises::Exercise;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::listening::public::csv_download;
use crate::web::viewer::{CsrfForm, CsrfUpload, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

/// The form for one item: its date in the GOV.UK date input (a file's rows give theirs as
/// `YYYY-MM-DD`, which is what is stored).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EvidenceForm {
    #[serde(flatten)]
    item: EvidenceInput,
    /// The date alone: its time is ignored.
    #[serde(flatten, with = "prefix_collected")]
    collected: DateTimeInput,
}

impl EvidenceForm {
    /// The item with its date as stored, and the date's own error (reported against the
    /// date input; the item then has no date, so it is not stored).
    fn item(&self) -> (EvidenceInput, FieldErrors) {
        let mut errors = FieldErrors::new();
        let date = DateTimeInput {
            time: String::new(),
            ..self.collected.clone()
        };
        let day = Zone::utc().required_date_time("Date", "Enter the date it was collected", &date);
        let collected_on = errors
            .check("collected-day", day)
            .map(|t| t.iso_date())
            .unwrap_or_default();
        let item = EvidenceInput {
            collected_on,
            ..self.item.clone()
        };
        (item, errors)
    }
}

async fn render_evidence(
    app: &App,
    viewer: &Viewer,
    e: &Exercise,
    form: &EvidenceForm,
    errors: FieldErrors,
) -> PageResult {
    let def = e.definition();
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/consultations/evidence.html",
        context! {
            exercise => Serde(e),
            items => Serde(app.db.evidence(e.id).await?),
            text_questions => Serde(text_questions(&def)),
            form => context! { collected => Serde(&form.collected), ..Value::from(Serde(form)) },
            errors => Serde(errors),
        },
        status,
    )
}

/// `GET /admin/consultations/{id}/evidence`: the evidence log.
pub async fn evidence(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let form = EvidenceForm {
        item: EvidenceInput {
            source_type: Source::Interview.as_str().into(),
            ..Default::default()
        },
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
    let (input, date_errors) = form.item();
    match input.check(&e.definition()) {
        Ok(item) => {
            app.db.add_evidence(e.id, &[item], Some(user.id)).await?;
            app.db
                .audit(Some(user.id), "evidence.add", &e.slug, &input.source_type)
                .await?;
            Ok(Redirect::to(&format!("/admin/consultations/{id}/evidence")).into_response())
        }
        Err(errors) => {
            // The item's date field is the date input here; its error is already there.
            let mut all = date_errors;
            for err in errors.iter().filter(|err| err.field != "collected_on") {
                all.add(&err.field, err.message.clone());
            }
            render_evidence(&app, &viewer, &e, &form, all).await
        }
    }
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
    let (text, table) = match uploaded_table(&upload) {
        Ok(p) => p,
        Err(m) => {
            let errors = FieldErrors::one("file", m);
            return render_evidence(&app, &viewer, &e, &EvidenceForm::default(), errors).await;
        }
    };
    let mapping: Mapping =
        serde_json::from_value(serde_json::to_value(&upload.fields).unwrap_or_default())
            .unwrap_or_default();
    let mapping = mapping.with_defaults(&def, &table.header);
    let mapped = if step.is_empty() {
        Err(FieldErrors::new())
    } else {
        mapping.apply(&def, &table)
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
    let status = form_status(&errors);
    viewer.render_with_status(
        &app,
        "admin/consultations/evidence_import.html",
        context! {
            exercise => Serde(&e),
            header => &table.header, rows => table.rows.len(), csv => text,
            mapping => Serde(mapping),
            text_questions => Serde(text_questions(&def)),
            preview => Serde(preview_rows(&preview)), preview_count => preview.len(),
            errors => Serde(&errors),
        },
        status,
    )
}

/// The file uploaded in step 1, or its text posted back in steps 2 and 3, as a table with
/// rows.
fn uploaded_table(upload: &CsrfUpload) -> Result<(String, Table), String> {
    let text = match (upload.file(), upload.fields.get("csv")) {
        (Some(f), _) if !f.bytes.is_empty() => String::from_utf8(f.bytes.clone())
            .map_err(|_| "The file is not UTF-8 text: save it as “CSV UTF-8” and try again")?,
        (_, Some(t)) if !t.is_empty() => t.clone(),
        _ => return Err("Choose a CSV file to import".to_string()),
    };
    let table = Table::read_text(&text).map_err(|e| e.to_string())?;
    if table.rows.is_empty() {
        return Err("The file has a header row but no responses".to_string());
    }
    Ok((text, table))
}

/// The first rows of an import as the preview shows them: date, segment, start of the text.
fn preview_rows(items: &[NewEvidence]) -> Vec<(String, String, String)> {
    let first = items.iter().take(10);
    first
        .map(|i| {
            (
                i.collected_on.clone(),
                i.segment.clone(),
                i.body.chars().take(200).collect(),
            )
        })
        .collect()
}

fn text_questions(def: &Definition) -> Vec<&Question> {
    let text = def
        .questions
        .iter()
        .filter(|q| q.kind == QuestionType::Text);
    text.collect()
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
        let (answers, segments) = (r.answers.0, r.segments.0);
        let mut row = vec![
            crate::jobs::analysis::response_id(r.id),
            r.reference,
            rfc3339(r.submitted_at),
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
