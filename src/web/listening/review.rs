//! Analyses and their review (analysts): run an analysis of a question, then rename, merge,
//! split and move themes and quotes, each change recorded, before publishing it.

use super::admin::{PublishForm, exercise_for, render_show};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::QuestionType;
use crate::domain::review::AnalysisStatus;
use crate::domain::review::{Edit, Review, ReviewTheme, UNASSIGNED};
use crate::domain::role::Role;
use crate::store::exercises::Exercise;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, SignedIn, Viewer};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnalysisForm {
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
        let errors = FieldErrors::one("question", "Choose a free-text question to analyse");
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewQuery {
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

/// A response as the review page lists it: its id and the start of its text.
#[derive(Serialize)]
struct Member {
    id: String,
    text: String,
}

/// A theme with the responses shown under it, and how many more there are.
#[derive(Serialize)]
struct ThemeView<'a> {
    theme: &'a ReviewTheme,
    members: Vec<Member>,
    more: usize,
}

/// The texts of an analysis's responses, so the analyst reads what they move.
struct Texts(HashMap<String, String>);

impl Texts {
    /// The first `limit` of `ids`, each with the start of its text.
    fn members(&self, ids: &[String], limit: usize) -> Vec<Member> {
        let excerpt = |id: &str| -> String {
            let t = self.0.get(id).map_or("", String::as_str);
            let short: String = t.chars().take(300).collect();
            if short.len() < t.len() {
                format!("{short}…")
            } else {
                short
            }
        };
        let shown = ids.iter().take(limit);
        shown
            .map(|id| Member {
                id: id.clone(),
                text: excerpt(id),
            })
            .collect()
    }
}

async fn render_review(
    app: &App,
    viewer: &Viewer,
    id: i64,
    expanded: Option<String>,
    errors: FieldErrors,
) -> PageResult {
    let (_, e, a) = analysis_for(app, viewer, id).await?;
    let review: Option<Review> = a.review.clone().map(|r| r.0);
    let mut texts = Texts(HashMap::new());
    if review.is_some() {
        for t in crate::jobs::analysis::corpus(&app.db, &e, &a.question_id).await? {
            texts.0.insert(t.id, t.text);
        }
    }
    let themes: Vec<ThemeView> = (review.iter().flat_map(|r| &r.themes))
        .map(|t| {
            let all = expanded.as_deref() == Some(t.id.as_str());
            let limit = if all { usize::MAX } else { MEMBERS_SHOWN };
            let members = texts.members(&t.members, limit);
            let more = t.members.len().saturating_sub(limit);
            ThemeView {
                theme: t,
                members,
                more,
            }
        })
        .collect();
    let unassigned = review
        .as_ref()
        .map(|r| &r.unassigned[..])
        .unwrap_or_default();
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/consultations/review.html",
        context! {
            exercise => Serde(&e),
            analysis => Serde(&a),
            question => Serde(e.definition().question(&a.question_id)),
            review => Serde(&review),
            themes => Serde(themes),
            unassigned => Serde(texts.members(unassigned, MEMBERS_SHOWN)),
            unassigned_total => unassigned.len(),
            changes => Serde(app.db.analysis_changes(a.id).await?),
            errors => Serde(errors),
        },
        status,
    )
}

/// The review page's forms: one action with its fields; `members` are the ticked responses.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    action: String,
    theme: String,
    label: String,
    into: String,
    to: String,
    members: Vec<String>,
    campaign: String,
    status: String,
}

impl EditForm {
    /// The edits the form asks for: one, or one move per ticked response.
    fn edits(&self) -> Vec<Edit> {
        match self.action.as_str() {
            "rename" => vec![Edit::Rename {
                theme: self.theme.clone(),
                label: self.label.clone(),
            }],
            "merge" => vec![Edit::Merge {
                theme: self.theme.clone(),
                into: self.into.clone(),
            }],
            "split" => vec![Edit::Split {
                theme: self.theme.clone(),
                label: self.label.clone(),
                members: self.members.clone(),
            }],
            "move" => self
                .members
                .iter()
                .map(|m| Edit::Move {
                    response: m.clone(),
                    from: if self.theme.is_empty() {
                        UNASSIGNED.into()
                    } else {
                        self.theme.clone()
                    },
                    to: self.to.clone(),
                })
                .collect(),
            "campaign" => vec![Edit::Campaign {
                campaign: self.campaign.clone(),
                status: self.status.clone(),
            }],
            _ => vec![],
        }
    }

    /// The field an edit's refusal is shown against.
    fn error_field(&self) -> String {
        match self.action.as_str() {
            "rename" => format!("label-{}", self.theme),
            "split" => format!("split-{}", self.theme),
            "merge" => format!("into-{}", self.theme),
            _ => "members".to_string(),
        }
    }
}

/// `POST /admin/analyses/{id}/edit`: one review edit, recorded with who made it.
pub async fn edit_review(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> PageResult {
    let (user, _, a) = analysis_for(&app, &viewer, id).await?;
    let Some(mut review) = a.review.map(|r| r.0) else {
        return Err(PageError::BadRequest(
            "This analysis has not finished yet.".into(),
        ));
    };
    let edits = form.edits();
    let mut errors = FieldErrors::new();
    if edits.is_empty() {
        errors.add("members", "Select the responses to move");
    }
    let mut notes = Vec::new();
    for edit in &edits {
        match review.apply(edit) {
            Ok(note) => notes.push(note),
            Err(message) => {
                errors.add(&form.error_field(), message);
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
    let Some(review) = a.review.filter(|_| a.status == AnalysisStatus::Done) else {
        return Err(PageError::BadRequest(
            "Only a finished analysis can be published.".into(),
        ));
    };
    let unchecked = review.unreviewed_names();
    if let Some(first) = unchecked.first() {
        let names: Vec<String> = (unchecked.iter().take(5))
            .map(|t| format!("{} (“{}”)", t.id, t.label))
            .collect();
        let message = format!(
            "Check the name of every theme before publishing: {} {} still {} the name the engine made ({}). Rename each, or choose “Keep this name”",
            unchecked.len(),
            if unchecked.len() == 1 {
                "theme"
            } else {
                "themes"
            },
            if unchecked.len() == 1 { "has" } else { "have" },
            names.join(", ")
        );
        let errors = FieldErrors::one(&format!("label-{}", first.id), message);
        return render_review(&app, &viewer, id, None, errors).await;
    }
    app.db.publish_analysis(id, Some(user.id)).await?;
    app.db
        .audit(Some(user.id), "analysis.publish", &e.slug, &a.question_id)
        .await?;
    Ok(Redirect::to(&format!("/admin/analyses/{id}")).into_response())
}
