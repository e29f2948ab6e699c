//! Analyses and their review (analysts): run an analysis of a question, then rename, merge,
//! split and move themes and quotes, each change recorded, before publishing it.

use super::admin::{PublishForm, exercise_for, render_show};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::exercise::QuestionType;
use crate::domain::review::AnalysisStatus;
use crate::domain::review::{Edit, Review, UNASSIGNED};
use crate::domain::role::Role;
use crate::store::exercises::Exercise;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, SignedIn, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
        for t in crate::jobs::analysis::corpus(&app.db, &e, &a.question_id).await? {
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
    if a.status != AnalysisStatus::Done {
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
