//! Conversations in the admin: `/admin/conversations`, where editors open a conversation
//! (organisation, topic, question, dates, opening statements) and publish it, and moderators
//! approve or reject statements (with a reason) and publish the results. Statements waiting
//! also appear in the moderation queue beside comments (`/admin/comments`).

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::conversation::{ConversationInput, StatementStatus};
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::store::conversations::Conversation;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

/// What the viewer may do with conversations of an organisation.
struct Powers {
    user: i64,
    editor: bool,
    moderator: bool,
}

async fn powers(app: &App, viewer: &Viewer, organisation_id: i64) -> PageResult<Powers> {
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let holds =
        |role| (user.organisations_with(role, &all).iter()).any(|o| o.id == organisation_id);
    let (editor, moderator) = (holds(Role::Editor), holds(Role::Moderator));
    if !editor && !moderator {
        return Err(PageError::Forbidden);
    }
    Ok(Powers {
        user: user.id,
        editor,
        moderator,
    })
}

/// `GET /admin/conversations`: conversations, and the form for a new one.
pub async fn list(State(app): State<App>, viewer: Viewer) -> PageResult {
    render_list(
        &app,
        &viewer,
        &ConversationInput::default(),
        FieldErrors::new(),
    )
    .await
}

async fn render_list(
    app: &App,
    viewer: &Viewer,
    form: &ConversationInput,
    errors: FieldErrors,
) -> PageResult {
    let user = viewer.signed_in()?.clone();
    let all = app.db.organisations().await?;
    let editor = user.organisations_with(Role::Editor, &all);
    let moderator = user.organisations_with(Role::Moderator, &all);
    if editor.is_empty() && moderator.is_empty() {
        return Err(PageError::Forbidden);
    }
    let mine =
        |c: &Conversation| (editor.iter().chain(&moderator)).any(|o| o.id == c.organisation_id);
    let conversations: Vec<Conversation> = app
        .db
        .conversations()
        .await?
        .into_iter()
        .filter(mine)
        .collect();
    viewer.render_with_status(
        app,
        "admin/conversations/list.html",
        context! {
            conversations => Serde(conversations), organisations => Serde(&editor),
            errors => Serde(&errors), time_zone => app.config.time_zone.name(),
            form => context! {
                opens => Serde(&form.opens), closes => Serde(&form.closes),
                ..Value::from(Serde(form))
            },
        },
        form_status(&errors),
    )
}

/// `POST /admin/conversations`: opens a conversation, unpublished (editor).
pub async fn create(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<ConversationInput>,
) -> PageResult {
    let user = viewer.signed_in()?.clone();
    let orgs = user.organisations_with(Role::Editor, &app.db.organisations().await?);
    if orgs.is_empty() {
        return Err(PageError::Forbidden);
    }
    let keys: Vec<(String, i64)> = orgs.iter().map(|o| (o.slug.clone(), o.id)).collect();
    let new = match form.check(&keys, &app.config.time_zone) {
        Ok(new) => new,
        Err(errors) => return render_list(&app, &viewer, &form, errors).await,
    };
    match app.db.create_conversation(&new).await {
        Ok(_) => {
            let slug = new.slug.as_str();
            (app.db)
                .audit(Some(user.id), "conversation.create", slug, &new.question)
                .await?;
            Ok(Redirect::to(&format!("/admin/conversations/{slug}")).into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let errors = FieldErrors::one(
                "slug",
                "Another conversation already has that web address: choose another",
            );
            render_list(&app, &viewer, &form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/conversations/{slug}`: statements to moderate, publishing, the groups.
pub async fn show(State(app): State<App>, viewer: Viewer, Path(slug): Path<String>) -> PageResult {
    let c = app.db.conversation_by_slug(&slug).await?;
    let p = powers(&app, &viewer, c.organisation_id).await?;
    let statements = app.db.moderated_statements(c.id).await?;
    let results = app.db.conversation_results(c.id).await?;
    viewer.render(
        &app,
        "admin/conversations/show.html",
        context! {
            conversation => Serde(&c), statements => Serde(&statements),
            editor => p.editor, moderator => p.moderator,
            voted => results.voted, counted => results.counted, groups => results.groups.len(),
            topics => Serde(app.db.conversation_topics(c.id).await?),
            organisation => Serde(app.db.organisation(c.organisation_id).await?),
            files => super::downloads::FILES,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    number: String,
    decision: String,
    reason: String,
    /// `queue`: go back to the moderation queue rather than the conversation.
    back: String,
}

/// `POST /admin/conversations/{slug}/decide`: approve statement `number`, or reject it with
/// a reason (moderator). A statement shown already can be rejected later.
pub async fn decide(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> PageResult {
    let c = app.db.conversation_by_slug(&slug).await?;
    let p = powers(&app, &viewer, c.organisation_id).await?;
    if !p.moderator {
        return Err(PageError::Forbidden);
    }
    let Ok(number) = form.number.trim().parse::<i64>() else {
        return Err(PageError::BadRequest(
            "Enter the statement's number, as the table of statements shows it.".into(),
        ));
    };
    let reason: String = form.reason.trim().chars().take(500).collect();
    let status = match form.decision.as_str() {
        "approve" => StatementStatus::Approved,
        "reject" if !reason.is_empty() => StatementStatus::Rejected,
        "reject" => {
            return Err(PageError::BadRequest(
                "Give a reason for rejecting the statement: it is recorded with the decision. \
                 Go back and enter one."
                    .into(),
            ));
        }
        _ => {
            return Err(PageError::BadRequest(
                "Choose whether to approve or reject the statement.".into(),
            ));
        }
    };
    let reason = (status == StatementStatus::Rejected).then_some(reason.as_str());
    app.db
        .decide_statement(c.id, number, status, reason)
        .await?;
    let action = format!("conversation.statement.{}", status.as_str());
    let detail = format!(
        "statement {number}{}",
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    app.db.audit(Some(p.user), &action, &slug, &detail).await?;
    let back = if form.back == "queue" {
        "/admin/comments#statements".to_string()
    } else {
        format!("/admin/conversations/{slug}#statements")
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishForm {
    /// `publish`, `unpublish` (editor), `publish-results`, `withdraw-results` (moderator).
    action: String,
}

/// `POST /admin/conversations/{slug}/publish`.
pub async fn publish(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<PublishForm>,
) -> PageResult {
    let c = app.db.conversation_by_slug(&slug).await?;
    let p = powers(&app, &viewer, c.organisation_id).await?;
    let db = &app.db;
    match form.action.as_str() {
        "publish" if p.editor => db.set_conversation_published(c.id, true).await?,
        "unpublish" if p.editor => db.set_conversation_published(c.id, false).await?,
        "publish-results" if p.moderator => {
            (db.set_conversation_results_published(c.id, Some(crate::store::now()))).await?
        }
        "withdraw-results" if p.moderator => {
            db.set_conversation_results_published(c.id, None).await?
        }
        "publish" | "unpublish" | "publish-results" | "withdraw-results" => {
            return Err(PageError::Forbidden);
        }
        _ => {
            return Err(PageError::BadRequest(
                "Choose what to publish: go back and use one of the buttons.".into(),
            ));
        }
    }
    let action = format!("conversation.{}", form.action);
    app.db.audit(Some(p.user), &action, &slug, "").await?;
    Ok(Redirect::to(&format!("/admin/conversations/{slug}")).into_response())
}
