//! Importing an existing project spreadsheet (CSV) into the register, in three steps:
//! upload (`multipart/form-data`), choose which column holds what, preview what will be
//! created or updated, then confirm. Nothing is written until the confirmation, and then every
//! row is written in one transaction, so a file with any bad row changes nothing.
//!
//! Rows are numbered as a spreadsheet shows them: the header is row 1.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::programme::NewProject;
use crate::domain::register_import::{
    Known, Named, PlanAction, Planned, TARGETS, guess, plan, read_table,
};
use crate::domain::table::Table;
use crate::web::error::form_status;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, CsrfUpload, Viewer};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use std::collections::BTreeMap;

/// What the register and the organisations hold, for matching the file's rows.
async fn known(app: &App) -> Result<Known, PageError> {
    let register = app.db.register().await?;
    let named = |id, slug: &String, title: &String| Named {
        id,
        slug: slug.clone(),
        title: title.clone(),
    };
    let commitments = register.commitments.iter();
    let projects = register.projects.iter().map(|p| &p.project);
    Ok(Known {
        commitments: commitments
            .map(|c| named(c.id, &c.slug, &c.title))
            .collect(),
        projects: projects.map(|p| named(p.id, &p.slug, &p.title)).collect(),
        organisations: (app.db.organisations().await?.iter())
            .map(|o| named(o.id, &o.slug, &o.name))
            .collect(),
    })
}

#[allow(clippy::too_many_arguments)]
fn render(
    app: &App,
    viewer: &Viewer,
    step: &str,
    csv: &str,
    table: Option<&Table>,
    mapping: &BTreeMap<String, String>,
    planned: &[Planned],
    errors: &FieldErrors,
) -> PageResult {
    let targets: Vec<_> = TARGETS
        .iter()
        .map(|&(f, l, r)| context! { field => f, label => l, required => r })
        .collect();
    let status = form_status(errors);
    viewer.render_with_status(
        app,
        "admin/programme_import.html",
        context! {
            step, csv, targets,
            header => table.map(|t| t.header.clone()),
            sample => table.and_then(|t| t.rows.first().map(|r| r.cells.clone())),
            rows => table.map(|t| t.rows.len()),
            mapping => Serde(mapping),
            planned => Serde(planned),
            creates => planned.iter().filter(|p| p.action == PlanAction::Create).count(),
            updates => planned.iter().filter(|p| p.action == PlanAction::Update).count(),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
}

/// `GET /admin/programme/import`.
pub async fn show(State(app): State<App>, viewer: Viewer) -> PageResult {
    crate::web::programme::admin::editor(&app, &viewer).await?;
    render(
        &app,
        &viewer,
        "upload",
        "",
        None,
        &BTreeMap::new(),
        &[],
        &FieldErrors::new(),
    )
}

/// `POST /admin/programme/import`: the uploaded file (`multipart/form-data`, field `file`).
pub async fn upload(State(app): State<App>, viewer: Viewer, upload: CsrfUpload) -> PageResult {
    crate::web::programme::admin::editor(&app, &viewer).await?;
    let file = upload
        .file()
        .map(|f| f.bytes.as_slice())
        .unwrap_or_default();
    let read = if file.is_empty() {
        Err("Choose a CSV file to upload".to_string())
    } else {
        read_table(file)
    };
    let no_mapping = BTreeMap::new();
    match read {
        Err(message) => {
            let errors = FieldErrors::one("file", message);
            render(&app, &viewer, "upload", "", None, &no_mapping, &[], &errors)
        }
        Ok(table) => {
            let csv = String::from_utf8_lossy(file).into_owned();
            let guessed = guess(&table.header);
            let errors = FieldErrors::new();
            render(
                &app,
                &viewer,
                "map",
                &csv,
                Some(&table),
                &guessed,
                &[],
                &errors,
            )
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct MappingForm {
    csv: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

impl MappingForm {
    fn mapping(&self) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("map_").map(|f| (f.to_string(), v.clone())))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }
}

async fn check(
    app: &App,
    form: &MappingForm,
) -> Result<(Table, Result<Vec<Planned>, FieldErrors>), PageError> {
    let table = read_table(form.csv.as_bytes()).map_err(PageError::BadRequest)?;
    let planned = plan(&table, &form.mapping(), &known(app).await?);
    Ok((table, planned))
}

/// `POST /admin/programme/import/preview`: what the import will do, or why it cannot.
pub async fn preview(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> PageResult {
    crate::web::programme::admin::editor(&app, &viewer).await?;
    let (table, planned) = check(&app, &form).await?;
    match planned {
        Ok(planned) => render(
            &app,
            &viewer,
            "preview",
            &form.csv,
            Some(&table),
            &form.mapping(),
            &planned,
            &FieldErrors::new(),
        ),
        Err(errors) => render(
            &app,
            &viewer,
            "map",
            &form.csv,
            Some(&table),
            &form.mapping(),
            &[],
            &errors,
        ),
    }
}

/// `POST /admin/programme/import/confirm`: writes every row in one transaction.
pub async fn confirm(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> PageResult {
    let user = crate::web::programme::admin::editor(&app, &viewer).await?;
    let (table, planned) = check(&app, &form).await?;
    let saved = match planned {
        Ok(planned) => {
            let items: Vec<(Option<i64>, NewProject)> = planned
                .into_iter()
                .filter_map(|p| p.project.map(|project| (p.existing, project)))
                .collect();
            match app.db.save_projects(&items).await {
                Ok(()) => Ok(items),
                Err(crate::store::StoreError::Conflict(what)) => Err(FieldErrors::one(
                    "map_slug",
                    format!(
                        "Two projects would have the same short name ({what}): nothing was \
                         imported"
                    ),
                )),
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => Err(errors),
    };
    let items = match saved {
        Ok(items) => items,
        Err(errors) => {
            let mapping = form.mapping();
            let table = Some(&table);
            return render(
                &app,
                &viewer,
                "map",
                &form.csv,
                table,
                &mapping,
                &[],
                &errors,
            );
        }
    };
    let created = items.iter().filter(|(e, _)| e.is_none()).count();
    app.db
        .audit(
            Some(user.id),
            "imported projects",
            "programme register",
            &format!("{created} created, {} updated", items.len() - created),
        )
        .await?;
    Ok(Redirect::to("/admin/programme").into_response())
}
