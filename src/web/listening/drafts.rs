//! A consultation's draft document, commented on paragraph by paragraph.
//!
//! In public: the consultation's page shows the draft with numbered paragraphs (`public.rs`
//! asks [`public_draft`]); `/consultations/{slug}/draft/{n}/comment` takes a comment on
//! paragraph `n` (no account, no JavaScript; held for moderation). In the admin:
//! `/admin/consultations/{id}/draft`, where editors set the draft and moderators decide on
//! the comments, and `/admin/consultations/{id}/draft/analysis`, where analysts read the
//! comments by paragraph, the most discussed first, with their themes.

use super::admin::exercise_for;
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::draft::{CommentStatus, DraftBlock, check_draft, paragraph};
use crate::domain::role::Role;
use crate::drafts::{self, CommentRefusal, CommentSent};
use crate::store::exercises::Exercise;
use crate::web::client_ip::ClientIp;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::publishing::admin::DecisionForm;
use crate::web::viewer::{CsrfForm, Viewer};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

/// The routes of drafts and their comments.
pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/consultations/{slug}/draft/{paragraph}/comment",
            get(comment_form).post(comment),
        )
        .route(
            "/admin/consultations/{id}/draft",
            get(admin_draft).post(save_draft),
        )
        .route(
            "/admin/consultations/{id}/draft/comments/{comment}",
            post(decide),
        )
        .route("/admin/consultations/{id}/draft/analysis", get(analysis))
}

/// The draft's blocks and the approved comments on each paragraph, for the consultation's
/// public page (none when it has no draft).
pub async fn public_draft(app: &App, e: &Exercise) -> PageResult<minijinja::Value> {
    let Some(draft) = app.db.draft(e.id).await? else {
        return Ok(minijinja::Value::from(()));
    };
    let counts = app.db.approved_comment_counts(e.id).await?;
    let counts: std::collections::BTreeMap<String, usize> = counts
        .into_iter()
        .map(|(p, n)| (p.to_string(), n))
        .collect();
    Ok(context! { blocks => Serde(&draft.blocks.0), counts })
}

async fn published_with_draft(app: &App, slug: &str) -> PageResult<(Exercise, Vec<DraftBlock>)> {
    let e = app.db.exercise_by_slug(slug).await?;
    if !e.published {
        return Err(PageError::NotFound);
    }
    let draft = app.db.draft(e.id).await?.ok_or(PageError::NotFound)?;
    Ok((e, draft.blocks.0))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CommentForm {
    comment: String,
    name: String,
    submission_key: String,
    /// The honeypot: people leave it empty.
    website: String,
}

fn render_comment_form(
    app: &App,
    viewer: &Viewer,
    (e, blocks): (&Exercise, &[DraftBlock]),
    number: u32,
    (form, errors): (&CommentForm, FieldErrors),
    status: StatusCode,
) -> PageResult {
    let block = paragraph(blocks, number).ok_or(PageError::NotFound)?;
    let open = e.state(crate::store::now()) == crate::domain::WindowState::Open;
    viewer.render_with_status(
        app,
        "consultations/draft_comment.html",
        context! {
            exercise => Serde(e), number, paragraph => Serde(block), open,
            closed => CommentRefusal::CLOSED,
            form => Serde(form), errors => Serde(errors),
        },
        status,
    )
}

/// `GET /consultations/{slug}/draft/{n}/comment`: the paragraph and the comment form (made
/// for each visitor: it carries its own submission key).
pub async fn comment_form(
    State(app): State<App>,
    viewer: Viewer,
    Path((slug, number)): Path<(String, u32)>,
) -> PageResult {
    let (e, blocks) = published_with_draft(&app, &slug).await?;
    let form = CommentForm {
        submission_key: crate::auth::random_token(),
        ..CommentForm::default()
    };
    let page = (&form, FieldErrors::new());
    render_comment_form(&app, &viewer, (&e, &blocks), number, page, StatusCode::OK)
}

/// `POST /consultations/{slug}/draft/{n}/comment`: holds the comment for moderation.
pub async fn comment(
    State(app): State<App>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Path((slug, number)): Path<(String, u32)>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> PageResult {
    let (e, blocks) = published_with_draft(&app, &slug).await?;
    let sent = CommentSent {
        paragraph: number,
        body: &form.comment,
        name: &form.name,
        submission_key: &form.submission_key,
        address: ip,
    };
    // A filled honeypot is treated as sent, and nothing is stored.
    let store = form.website.trim().is_empty();
    let (errors, status) = match drafts::submit_comment(&app.db, &e, &blocks, sent, store).await {
        Ok(()) => {
            return viewer.render(
                &app,
                "consultations/draft_comment_received.html",
                context! { exercise => Serde(&e), number },
            );
        }
        Err(CommentRefusal::NoParagraph) => return Err(PageError::NotFound),
        Err(CommentRefusal::Invalid(errors)) => (errors, StatusCode::BAD_REQUEST),
        // The page then says so in place of the form, which has no field to point at.
        Err(CommentRefusal::Closed) => (FieldErrors::new(), StatusCode::CONFLICT),
        Err(CommentRefusal::TooMany) => (
            FieldErrors::one("comment", CommentRefusal::TOO_MANY),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(CommentRefusal::Store(e)) => return Err(e.into()),
    };
    let page = (&form, errors);
    render_comment_form(&app, &viewer, (&e, &blocks), number, page, status)
}

/// What the viewer may do with an exercise's draft: (edit it, moderate its comments,
/// analyse them); 403 when none.
async fn draft_roles(app: &App, viewer: &Viewer, e: &Exercise) -> PageResult<(bool, bool, bool)> {
    let user = viewer.signed_in()?;
    let all = app.db.organisations().await?;
    let holds =
        |role| (user.organisations_with(role, &all).iter()).any(|o| o.id == e.organisation_id);
    let roles = (
        holds(Role::Editor),
        holds(Role::Moderator),
        holds(Role::Analyst),
    );
    if roles == (false, false, false) {
        return Err(PageError::Forbidden);
    }
    Ok(roles)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DraftForm {
    draft: String,
}

async fn render_admin_draft(
    app: &App,
    viewer: &Viewer,
    id: i64,
    typed: Option<&str>,
    errors: FieldErrors,
) -> PageResult {
    let e = app.db.exercise(id).await?;
    let (can_edit, can_moderate, can_analyse) = draft_roles(app, viewer, &e).await?;
    let draft = app.db.draft(e.id).await?;
    let markdown = typed
        .map(str::to_string)
        .or_else(|| draft.as_ref().map(|d| d.markdown.clone()))
        .unwrap_or_default();
    let blocks = draft.map(|d| d.blocks.0).unwrap_or_default();
    let pending = if can_moderate {
        app.db
            .draft_comments(e.id, &[CommentStatus::Pending])
            .await?
    } else {
        vec![]
    };
    let pending: Vec<_> = (pending.iter())
        .map(|c| context! { comment => Serde(c), paragraph => Serde(paragraph(&blocks, c.paragraph as u32)) })
        .collect();
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/consultations/draft.html",
        context! {
            exercise => Serde(&e), markdown, paragraphs => crate::domain::draft::paragraph_count(&blocks),
            can_edit, can_moderate, can_analyse, pending, errors => Serde(errors),
            max_chars => crate::domain::draft::MAX_DRAFT_CHARS,
            max_paragraphs => crate::domain::draft::MAX_PARAGRAPHS,
        },
        status,
    )
}

/// `GET /admin/consultations/{id}/draft`: the draft's editor and the comments to moderate.
pub async fn admin_draft(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    render_admin_draft(&app, &viewer, id, None, FieldErrors::new()).await
}

/// `POST /admin/consultations/{id}/draft` (editor): a new version of the draft; empty
/// removes it.
pub async fn save_draft(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DraftForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Editor).await?;
    let commented = app.db.highest_commented_paragraph(e.id).await?;
    // Splitting and rendering are bounded but take milliseconds: off the request threads.
    let markdown = form.draft.clone();
    let checked = tokio::task::spawn_blocking(move || check_draft(&markdown, commented))
        .await
        .map_err(|e| PageError::Internal(e.into()))?;
    let draft = match checked {
        Ok(d) => d,
        Err(errors) => {
            return render_admin_draft(&app, &viewer, id, Some(&form.draft), errors).await;
        }
    };
    app.db.save_draft(e.id, &draft, user.id).await?;
    let detail = format!("{} paragraphs", draft.paragraphs());
    (app.db)
        .audit(Some(user.id), "exercise.draft", &e.slug, &detail)
        .await?;
    Ok(Redirect::to(&format!("/admin/consultations/{id}/draft")).into_response())
}

/// `POST /admin/consultations/{id}/draft/comments/{comment}` (moderator): approve, or
/// reject with a reason.
pub async fn decide(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, comment_id)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Moderator).await?;
    let comment = app.db.draft_comment(comment_id).await?;
    if comment.exercise_id != e.id {
        return Err(PageError::NotFound);
    }
    let reason = form.reason.trim();
    let status = match form.decision.as_str() {
        "approve" => CommentStatus::Approved,
        "reject" if !reason.is_empty() => CommentStatus::Rejected,
        "reject" => return Err(PageError::BadRequest("Give a reason for rejecting the comment: it is recorded with the decision. Go back and try again.".into())),
        _ => return Err(PageError::BadRequest("Choose approve or reject. Go back and try again.".into())),
    };
    let reason = (status == CommentStatus::Rejected).then_some(reason);
    (app.db)
        .decide_draft_comment(&comment, status, reason, user.id)
        .await?;
    let detail = format!("comment {comment_id} on paragraph {}", comment.paragraph);
    let action = format!("draft_comment.{}", status.as_str());
    (app.db)
        .audit(Some(user.id), &action, &e.slug, &detail)
        .await?;
    Ok(Redirect::to(&format!("/admin/consultations/{id}/draft#moderate")).into_response())
}

/// `GET /admin/consultations/{id}/draft/analysis` (analyst): the comments by paragraph,
/// the most discussed first, with themes where a paragraph has enough comments.
pub async fn analysis(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let blocks = (app.db.draft(e.id).await?)
        .map(|d| d.blocks.0)
        .unwrap_or_default();
    let discussion =
        drafts::discussion(&app.db, &app.config.analysis_engine, e.id, &blocks).await?;
    let pending = app
        .db
        .draft_comments(e.id, &[CommentStatus::Pending])
        .await?
        .len();
    let chart: Vec<_> = (discussion.paragraphs.iter())
        .map(|p| context! { label => format!("Paragraph {}", p.number), value => p.count, href => format!("#paragraph-{}", p.number) })
        .collect();
    viewer.render(
        &app,
        "admin/consultations/draft_analysis.html",
        context! {
            exercise => Serde(&e), has_draft => !blocks.is_empty(),
            paragraphs => crate::domain::draft::paragraph_count(&blocks),
            discussion => Serde(&discussion), chart, pending,
        },
    )
}

/// What was said about each paragraph of the draft, for the published results (none when
/// the exercise has no draft). Comments are shown without names, as responses are.
pub async fn draft_results(app: &App, e: &Exercise) -> PageResult<minijinja::Value> {
    let Some(draft) = app.db.draft(e.id).await? else {
        return Ok(minijinja::Value::from(()));
    };
    let mut discussion =
        drafts::discussion(&app.db, &app.config.analysis_engine, e.id, &draft.blocks).await?;
    // What was said is published, not who said it.
    for c in discussion
        .paragraphs
        .iter_mut()
        .flat_map(|p| &mut p.comments)
    {
        c.author_name.clear();
    }
    Ok(context! {
        discussion => Serde(&discussion),
        paragraphs => crate::domain::draft::paragraph_count(&draft.blocks),
    })
}
