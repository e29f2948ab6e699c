//! "You said, we did" and publishing an exercise's results (analysts), and erasing a
//! respondent's contact details.

use super::admin::{Attempt, PublishForm, back_to, exercise_for, render_show};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::review::Review;
use crate::domain::role::Role;
use crate::web::error::PageResult;
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use serde::Deserialize;
use std::collections::HashMap;

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
