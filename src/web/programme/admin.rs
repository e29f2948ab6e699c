//! Editing the programme register (`programme` role, or admin, hub-wide): strategies, themes,
//! commitments, projects, updates and case studies, each through its own typed form
//! (`forms.rs`) and these handlers, which are generic over the form.
//! Every change is written to the audit log; deleting something another row points at is
//! refused with the reason ([`crate::domain::programme::refusal`]).

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::programme::refusal;
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::programme::forms::{Choices, NotSaved, RegisterForm};
use crate::web::viewer::{CsrfForm, NoFields, SignedIn, Viewer};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;

/// The signed-in user if they may edit the register.
pub async fn editor(app: &App, viewer: &Viewer) -> Result<SignedIn, PageError> {
    Ok(viewer.require_hub_role(app, Role::Programme).await?.clone())
}

/// The form page for a new row (`id` = None) or row `id`.
async fn form_page<F: RegisterForm>(
    app: &App,
    viewer: &Viewer,
    id: Option<i64>,
    title: &str,
    form: &F,
    errors: &FieldErrors,
    choices: &Choices,
) -> PageResult {
    let status = form_status(errors);
    viewer.render_with_status(
        app,
        "admin/programme_form.html",
        context! {
            kind => F::PATH, noun => F::NOUN, id, title,
            fields => Serde(F::fields(choices, id.is_some())),
            values => Serde(form),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
            takes_statements => id.and_then(F::link_target).is_some(),
        },
        status,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FindQuery {
    find: String,
}

/// `GET /admin/programme/{commitments|projects}/{id}/statements`: the "you said, we did"
/// statements linked to the row, and the others (those `find` matches) to link.
pub async fn statements<F: RegisterForm>(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<FindQuery>,
) -> PageResult {
    editor(&app, &viewer).await?;
    let errors = FieldErrors::new();
    statements_page::<F>(&app, &viewer, id, &q.find, errors).await
}

async fn statements_page<F: RegisterForm>(
    app: &App,
    viewer: &Viewer,
    id: i64,
    find: &str,
    errors: FieldErrors,
) -> PageResult {
    let target = F::link_target(id).ok_or(PageError::NotFound)?;
    let choices = Choices::load(app).await?;
    let (_, name) = F::current(app, &choices, id).await?;
    let (linked, others): (Vec<_>, Vec<_>) =
        (app.db.statements_for(target).await?.into_iter()).partition(|(_, linked)| *linked);
    let needle = find.trim().to_lowercase();
    let matching = others.into_iter().map(|(s, _)| s).filter(|s| {
        [&s.exercise_title, &s.you_said, &s.we_did]
            .iter()
            .any(|t| t.to_lowercase().contains(&needle))
    });
    let status = form_status(&errors);
    viewer.render_with_status(
        app,
        "admin/programme_statements.html",
        context! {
            kind => F::PATH, noun => F::NOUN, id, name, find,
            linked => Serde(linked.into_iter().map(|(s, _)| s).collect::<Vec<_>>()),
            others => Serde(matching.collect::<Vec<_>>()),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
}

#[derive(serde::Deserialize)]
pub struct StatementLink {
    statement: i64,
    /// `yes` links, anything else unlinks.
    #[serde(default)]
    link: String,
}

/// `POST /admin/programme/{commitments|projects}/{id}/statements`: links a "you said, we
/// did" statement to the row, or unlinks it.
pub async fn link_statement<F: RegisterForm>(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StatementLink>,
) -> PageResult {
    let user = editor(&app, &viewer).await?;
    let target = F::link_target(id).ok_or(PageError::NotFound)?;
    let choices = Choices::load(&app).await?;
    let (_, name) = F::current(&app, &choices, id).await?;
    let linked = form.link == "yes";
    match app
        .db
        .set_statement_link(form.statement, target, linked)
        .await
    {
        Err(StoreError::NotFound) => {
            let errors = FieldErrors::one("statement", "Choose a statement from the list");
            return statements_page::<F>(&app, &viewer, id, "", errors).await;
        }
        other => other?,
    }
    let what = if linked { "linked" } else { "unlinked" };
    let detail = format!("{what} statement {}", form.statement);
    (app.db)
        .audit(Some(user.id), &detail, &name, "programme register")
        .await?;
    let back = format!("/admin/programme/{}/{id}/statements", F::PATH);
    Ok(Redirect::to(&back).into_response())
}

/// `GET /admin/programme`: everything in the register, with links to edit it.
pub async fn index(State(app): State<App>, viewer: Viewer) -> PageResult {
    editor(&app, &viewer).await?;
    let register = app.db.register().await?;
    let updates = app.db.recent_updates(20).await?;
    let case_studies = app.db.case_studies().await?;
    viewer.render(
        &app,
        "admin/programme.html",
        context! {
            register => Serde(&register), updates => Serde(updates), case_studies => Serde(case_studies),
        },
    )
}

/// `GET /admin/programme/{kind}/new`.
pub async fn new<F: RegisterForm>(State(app): State<App>, viewer: Viewer) -> PageResult {
    editor(&app, &viewer).await?;
    let choices = Choices::load(&app).await?;
    let title = format!("Add a {}", F::NOUN);
    let errors = FieldErrors::new();
    form_page(&app, &viewer, None, &title, &F::blank(), &errors, &choices).await
}

/// `POST /admin/programme/{kind}/new`.
pub async fn create<F: RegisterForm>(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<F>,
) -> PageResult {
    submit(app, viewer, None, form).await
}

/// `GET /admin/programme/{kind}/{id}/edit`.
pub async fn edit<F: RegisterForm>(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    editor(&app, &viewer).await?;
    let choices = Choices::load(&app).await?;
    let (form, name) = F::current(&app, &choices, id).await?;
    let title = format!("Edit \u{201c}{name}\u{201d}");
    let errors = FieldErrors::new();
    form_page(&app, &viewer, Some(id), &title, &form, &errors, &choices).await
}

/// `POST /admin/programme/{kind}/{id}/edit`.
pub async fn update<F: RegisterForm>(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<F>,
) -> PageResult {
    submit(app, viewer, Some(id), form).await
}

async fn submit<F: RegisterForm>(app: App, viewer: Viewer, id: Option<i64>, form: F) -> PageResult {
    let user = editor(&app, &viewer).await?;
    let choices = Choices::load(&app).await?;
    if let Some(id) = id {
        F::current(&app, &choices, id).await?;
    }
    match form.save(&app, &choices, id, &user).await {
        Ok((_, name)) => {
            let done = if id.is_some() { "updated" } else { "created" };
            let action = format!("{done} {}", F::NOUN);
            app.db
                .audit(Some(user.id), &action, &name, "programme register")
                .await?;
            Ok(Redirect::to("/admin/programme").into_response())
        }
        Err(NotSaved::Failed(e)) => Err(e),
        Err(NotSaved::Form(errors)) => {
            let title = if id.is_some() {
                format!("Edit this {}", F::NOUN)
            } else {
                format!("Add a {}", F::NOUN)
            };
            form_page(&app, &viewer, id, &title, &form, &errors, &choices).await
        }
    }
}

/// `POST /admin/programme/{kind}/{id}/delete`: refused, with the reason, while anything
/// points at the row.
pub async fn delete<F: RegisterForm>(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let user = editor(&app, &viewer).await?;
    let choices = Choices::load(&app).await?;
    let (form, name) = F::current(&app, &choices, id).await?;
    let referrers = app.db.referrers(F::ROW, id).await?;
    let reason = match refusal(F::NOUN, &referrers) {
        Some(reason) => Some(reason),
        None => match app.db.delete_row(F::ROW, id).await {
            Ok(()) => None,
            Err(StoreError::Conflict(_)) => Some(format!(
                "This {} cannot be deleted because other records still refer to it.",
                F::NOUN
            )),
            Err(e) => return Err(e.into()),
        },
    };
    if let Some(reason) = reason {
        let errors = FieldErrors::one("delete", reason);
        let title = format!("Edit \u{201c}{name}\u{201d}");
        return form_page(&app, &viewer, Some(id), &title, &form, &errors, &choices).await;
    }
    let action = format!("deleted {}", F::NOUN);
    app.db
        .audit(Some(user.id), &action, &name, "programme register")
        .await?;
    Ok(Redirect::to("/admin/programme").into_response())
}
