//! "You said, we did" and publishing an exercise's results (analysts), and erasing a
//! respondent's contact details.

use super::admin::{Attempt, PublishForm, analysed_themes, back_to, exercise_for, render_show};
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::chain::ActionInput;
use crate::domain::role::Role;
use crate::listening::statements;
use crate::store::chain::ResultAction;
use crate::store::exercises::Exercise;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The "you said, we did" form: the statement, and the filter that narrows the lists of
/// commitments and projects to link (its button shows the form again without saving).
/// (Its fields are `ActionInput`'s, written out: a flattened struct cannot read a list given
/// once in a form.)
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatementForm {
    theme: String,
    you_said: String,
    we_did: String,
    commitments: Vec<String>,
    projects: Vec<String>,
    find: String,
    intent: String,
}

impl StatementForm {
    fn statement(&self) -> ActionInput {
        ActionInput {
            theme: self.theme.clone(),
            you_said: self.you_said.clone(),
            we_did: self.we_did.clone(),
            commitments: self.commitments.clone(),
            projects: self.projects.clone(),
        }
    }
}

/// `GET /admin/consultations/{id}/actions/new`.
pub async fn new_action(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let form = StatementForm::default();
    render_statement(&app, &viewer, &e, None, &form, FieldErrors::new()).await
}

/// `GET /admin/consultations/{id}/actions/{action}`: the statement, to change.
pub async fn edit_action(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, action)): Path<(i64, i64)>,
) -> PageResult {
    let (_, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    let a = statement_of(&app, e.id, action).await?;
    let links = app.db.action_links(e.id).await?;
    let linked = |kind: &str| -> Vec<String> {
        (links.iter())
            .filter(|l| l.action_id == a.id && l.kind == kind)
            .map(|l| l.slug.clone())
            .collect()
    };
    let theme = a.analysis_id.zip(a.theme_id.as_ref());
    let form = StatementForm {
        theme: theme.map_or(String::new(), |(a, t)| format!("{a}:{t}")),
        commitments: linked("commitment"),
        projects: linked("project"),
        you_said: a.you_said,
        we_did: a.we_did,
        ..Default::default()
    };
    render_statement(&app, &viewer, &e, Some(action), &form, FieldErrors::new()).await
}

async fn statement_of(app: &App, exercise_id: i64, action: i64) -> PageResult<ResultAction> {
    let all = app.db.result_actions(exercise_id).await?;
    all.into_iter()
        .find(|a| a.id == action)
        .ok_or(PageError::NotFound)
}

/// `POST /admin/consultations/{id}/actions`: adds a "you said, we did".
pub async fn add_action(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StatementForm>,
) -> PageResult {
    save_statement(app, viewer, id, None, form).await
}

/// `POST /admin/consultations/{id}/actions/{action}`: changes one, links included.
pub async fn update_action(
    State(app): State<App>,
    viewer: Viewer,
    Path((id, action)): Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<StatementForm>,
) -> PageResult {
    save_statement(app, viewer, id, Some(action), form).await
}

async fn save_statement(
    app: App,
    viewer: Viewer,
    id: i64,
    existing: Option<i64>,
    form: StatementForm,
) -> PageResult {
    let (user, e) = exercise_for(&app, &viewer, id, Role::Analyst).await?;
    if form.intent == "filter" {
        return render_statement(&app, &viewer, &e, existing, &form, FieldErrors::new()).await;
    }
    let action = match statements::check(&app.db, e.id, &form.statement()).await? {
        Ok(action) => action,
        Err(errors) => return render_statement(&app, &viewer, &e, existing, &form, errors).await,
    };
    app.db.save_result_action(e.id, existing, &action).await?;
    let what = if existing.is_some() {
        "results.action.change"
    } else {
        "results.action"
    };
    (app.db)
        .audit(Some(user.id), what, &e.slug, &action.you_said)
        .await?;
    Ok(back_to(id, "#you-said-we-did"))
}

/// A commitment or project offered as a link: ticked when linked.
#[derive(Serialize)]
struct LinkChoice {
    value: String,
    text: String,
    hint: String,
    checked: bool,
}

/// The register rows whose title, slug or description contains `find` (any case), and those
/// ticked whatever it says.
fn choices(
    rows: impl Iterator<Item = (String, String, String)>,
    ticked: &[String],
    find: &str,
) -> Vec<LinkChoice> {
    let find = find.trim().to_lowercase();
    rows.filter_map(|(value, text, hint)| {
        let checked = ticked.contains(&value);
        let shown = checked
            || [&value, &text, &hint]
                .iter()
                .any(|s| s.to_lowercase().contains(&find));
        shown.then_some(LinkChoice {
            value,
            text,
            hint,
            checked,
        })
    })
    .collect()
}

async fn render_statement(
    app: &App,
    viewer: &Viewer,
    e: &Exercise,
    action: Option<i64>,
    form: &StatementForm,
    errors: FieldErrors,
) -> PageResult {
    let analyses = app.db.analyses_of(e.id).await?;
    let register = app.db.register().await?;
    let s = form;
    let commitments = (register.commitments.iter()).map(|c| {
        let hint = format!("{}: {}", c.theme_title, c.action_title);
        (c.slug.clone(), c.title.clone(), hint)
    });
    let projects = register.projects.iter().map(|p| {
        let p = &p.project;
        let hint = format!("{}, {}", p.phase.label(), p.status.label());
        (p.slug.clone(), p.title.clone(), hint)
    });
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/consultations/statement.html",
        context! {
            exercise => Serde(e),
            action,
            themes => Serde(analysed_themes(&analyses)),
            conversation_parts => Serde(crate::deliberation::citing::citable(&app.db, e.organisation_id).await?),
            values => context! { theme => &s.theme, you_said => &s.you_said, we_did => &s.we_did, find => &form.find },
            commitments => Serde(choices(commitments, &s.commitments, &form.find)),
            projects => Serde(choices(projects, &s.projects, &form.find)),
            errors => Serde(errors),
        },
        status,
    )
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
