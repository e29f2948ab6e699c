//! "You said, we did" and publishing an exercise's results (analysts), and erasing a
//! respondent's contact details.

use super::admin::{Attempt, PublishForm, back_to, exercise_for, render_show};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::chain::{ActionInput, NoSuchTheme, ThemeRef};
use crate::domain::role::Role;
use crate::web::error::PageResult;
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use serde::Deserialize;
use std::collections::HashMap;

/// `POST /admin/consultations/{id}/actions`: adds a "you said, we did".
pub async fn add_action(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ActionInput>,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let theme = match ThemeRef::parse(&form.theme) {
        Ok(Some(t)) if !is_analysed_theme(&app, e.id, &t).await => Err(NoSuchTheme),
        other => other,
    };
    let register = app.db.register().await?;
    let checked = form.check(theme, &register.commitment_keys(), &register.project_keys());
    let action = match checked {
        Ok(action) => action,
        Err(errors) => {
            let values = HashMap::from([
                ("you_said".into(), form.you_said),
                ("we_did".into(), form.we_did),
                ("theme".into(), form.theme),
            ]);
            let attempt = Attempt {
                form: "action",
                values,
                ..Default::default()
            };
            return render_show(&app, &viewer, id, errors, Some(attempt)).await;
        }
    };
    let theme = action.theme.as_ref();
    let analysis = theme.map(|t| t.analysis_id);
    let theme_id = theme.map(|t| t.theme_id.as_str());
    let stored = (app.db)
        .add_result_action(e.id, analysis, theme_id, &action.you_said, &action.we_did)
        .await?;
    (app.db)
        .link_action(stored, &action.commitment_ids, &action.project_ids)
        .await?;
    app.db
        .audit(Some(user.id), "results.action", &e.slug, &action.you_said)
        .await?;
    Ok(back_to(id, "#you-said-we-did"))
}

/// True when `theme` is a theme of one of the exercise's analyses, as reviewed.
async fn is_analysed_theme(app: &App, exercise_id: i64, theme: &ThemeRef) -> bool {
    let Ok(a) = app.db.analysis(theme.analysis_id).await else {
        return false;
    };
    let review = a.review.filter(|_| a.exercise_id == exercise_id);
    review.is_some_and(|r| r.theme(&theme.theme_id).is_some())
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EraseForm {
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
