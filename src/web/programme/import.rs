//! Importing an existing project spreadsheet (CSV) into the register, in three steps:
//! upload (`multipart/form-data`), choose which column holds what, preview what will be
//! created or updated, then confirm. Nothing is written until the confirmation, and then every
//! row is written in one transaction, so a file with any bad row changes nothing.
//!
//! Rows are numbered as a spreadsheet shows them: the header is row 1.

use crate::App;
use crate::auth::constant_time_eq;
use crate::domain::FieldErrors;
use crate::domain::programme::{NewProject, ProjectInput};
use crate::domain::table::Table;
use crate::domain::text::Slug;
use crate::store::programme::Register;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use std::collections::BTreeMap;

/// What a column can hold: (field, label, required).
pub const TARGETS: &[(&str, &str, bool)] = &[
    ("title", "Title", true),
    ("slug", "Short name (slug)", false),
    ("summary", "Summary", false),
    ("owner_team", "Owner team", false),
    ("phase", "Phase", true),
    ("status", "Status", true),
    ("start_date", "Start date", false),
    ("end_date", "End date", false),
    ("topics", "Topics", false),
    ("commitments", "Commitments", true),
    ("organisations", "Organisations", true),
];

/// Other headers that mean the same field.
const ALIASES: &[(&str, &str)] = &[
    ("name", "title"),
    ("project", "title"),
    ("team", "owner_team"),
    ("owner", "owner_team"),
    ("stage", "phase"),
    ("rag", "status"),
    ("start", "start_date"),
    ("end", "end_date"),
    ("commitment", "commitments"),
    ("organisation", "organisations"),
    ("topic", "topics"),
];

/// Reads the uploaded CSV file (cells trimmed), with one to 5,000 projects.
pub fn read_table(bytes: &[u8]) -> Result<Table, String> {
    let mut table = Table::read(bytes).map_err(|e| e.to_string())?;
    if table.rows.is_empty() {
        return Err("The file has a header but no projects: add one row per project".into());
    }
    if table.rows.len() > 5000 {
        return Err("The file has more than 5,000 projects: split it into smaller files".into());
    }
    for cell in table.rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
        *cell = cell.trim().to_string();
    }
    Ok(table)
}

fn normalise(s: &str) -> String {
    s.trim().to_lowercase().replace([' ', '-'], "_")
}

/// The column each field is probably in, from the header.
pub fn guess(header: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (i, h) in header.iter().enumerate() {
        let n = normalise(h);
        let target = TARGETS
            .iter()
            .find(|(f, label, _)| *f == n || normalise(label) == n)
            .map(|(f, _, _)| *f)
            .or_else(|| ALIASES.iter().find(|(a, _)| *a == n).map(|(_, f)| *f));
        if let Some(t) = target {
            out.entry(t.to_string()).or_insert(i.to_string());
        }
    }
    out
}

/// What importing a row does to the register.
#[derive(serde::Serialize, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    Create,
    Update,
}

/// One row's outcome in the preview.
#[derive(serde::Serialize)]
pub struct Planned {
    pub row: usize,
    pub action: PlanAction,
    pub title: String,
    pub slug: String,
    pub phase: String,
    pub status: String,
    #[serde(skip)]
    pub existing: Option<i64>,
    #[serde(skip)]
    pub project: Option<NewProject>,
}

/// Checks every row under the mapping; the errors name the row and the column.
pub fn plan(
    table: &Table,
    mapping: &BTreeMap<String, String>,
    register: &Register,
    organisations: &[(String, String, i64)],
) -> Result<Vec<Planned>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut columns: BTreeMap<&str, usize> = BTreeMap::new();
    for (field, label, required) in TARGETS {
        match mapping
            .get(*field)
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|c| *c < table.header.len())
        {
            Some(c) => {
                columns.insert(field, c);
            }
            None if *required => errors.add(
                &format!("map_{field}"),
                format!("Choose the column that holds the {}", label.to_lowercase()),
            ),
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let cell = |row: &[String], field: &str| -> String {
        columns
            .get(field)
            .map(|c| row[*c].clone())
            .unwrap_or_default()
    };
    let commitment_keys = register.commitment_keys();
    let org_keys: Vec<(String, i64)> = organisations
        .iter()
        .map(|(s, _, id)| (s.clone(), *id))
        .collect();
    let mut planned: Vec<Planned> = Vec::new();
    for row in &table.rows {
        let (n, row) = (row.number, &row.cells);
        let mut row_errors: Vec<(String, String)> = Vec::new();
        // Commitments and organisations are given by slug or by title, separated by semicolons.
        let mut resolve = |field: &str, known: &dyn Fn(&str) -> Option<String>| -> Vec<String> {
            let mut out = Vec::new();
            for item in cell(row, field)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match known(item) {
                    Some(slug) => out.push(slug),
                    None => row_errors.push((
                        field.to_string(),
                        format!(
                            "there is no {} called \u{201c}{item}\u{201d}",
                            field.trim_end_matches('s')
                        ),
                    )),
                }
            }
            out
        };
        let commitments = resolve("commitments", &|item| {
            register
                .commitments
                .iter()
                .find(|c| c.slug == item || c.title.eq_ignore_ascii_case(item))
                .map(|c| c.slug.clone())
        });
        let orgs = resolve("organisations", &|item| {
            organisations
                .iter()
                .find(|(slug, name, _)| slug == item || name.eq_ignore_ascii_case(item))
                .map(|(slug, _, _)| slug.clone())
        });
        let input = ProjectInput {
            title: cell(row, "title"),
            slug: cell(row, "slug"),
            summary: cell(row, "summary"),
            owner_team: cell(row, "owner_team"),
            phase: cell(row, "phase"),
            status: cell(row, "status"),
            start_date: cell(row, "start_date"),
            end_date: cell(row, "end_date"),
            topics: cell(row, "topics").replace(';', ","),
            commitments,
            organisations: orgs,
        };
        let parsed = input.parse(&commitment_keys, &org_keys);
        if let Err(e) = &parsed {
            for fe in e.iter() {
                if !row_errors.iter().any(|(f, _)| *f == fe.field) {
                    row_errors.push((fe.field.clone(), lower_first(&fe.message)));
                }
            }
        }
        for (field, message) in &row_errors {
            let column = columns
                .get(field.as_str())
                .map(|c| format!("column \u{201c}{}\u{201d}", table.header[*c]))
                .unwrap_or_else(|| format!("no column for {field}"));
            errors.add(
                &format!("row-{n}-{field}"),
                format!("Row {n}, {column}: {message}"),
            );
        }
        let Ok(project) = parsed else { continue };
        if let Some(earlier) = planned.iter().find(|p| p.slug == project.slug.as_str()) {
            errors.add(
                &format!("row-{n}-title"),
                format!(
                    "Row {n}: the same project as row {} (short name {})",
                    earlier.row, project.slug
                ),
            );
            continue;
        }
        let existing = register.projects.iter().find(|p| {
            p.project.slug == project.slug.as_str()
                || p.project.title.eq_ignore_ascii_case(&project.title)
        });
        let mut project = project;
        if let Some(e) = existing
            && cell(row, "slug").is_empty()
        {
            // Matched by title: keep the project's web address.
            project.slug = Slug::parse(&e.project.slug).unwrap_or(project.slug);
        }
        planned.push(Planned {
            row: n,
            action: if existing.is_some() {
                PlanAction::Update
            } else {
                PlanAction::Create
            },
            title: project.title.clone(),
            slug: project.slug.to_string(),
            phase: project.phase.label().to_string(),
            status: project.status.label().to_string(),
            existing: existing.map(|e| e.project.id),
            project: Some(project),
        });
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The parts of a `multipart/form-data` body: (name, data).
pub fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, d, 0)? + d.len();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let data_start = headers_end + 4;
        let next = find(body, d, data_start)?;
        let data_end = next.checked_sub(2).filter(|e| *e >= data_start)?;
        let name = headers
            .split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("name=\""))
            .and_then(|n| n.split('"').next())?
            .to_string();
        parts.push((name, body[data_start..data_end].to_vec()));
        pos = next + d.len();
    }
    Some(parts)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

async fn organisations(app: &App) -> Result<Vec<(String, String, i64)>, PageError> {
    Ok(app
        .db
        .organisations()
        .await?
        .into_iter()
        .map(|o| (o.slug, o.name, o.id))
        .collect())
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
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
pub async fn upload(
    State(app): State<App>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    crate::web::programme::admin::editor(&app, &viewer).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let parts = multipart_parts(content_type, &body).ok_or_else(|| {
        PageError::BadRequest("The upload could not be read: choose a file and try again.".into())
    })?;
    let token = parts
        .iter()
        .find(|(n, _)| n == "csrf_token")
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
        .unwrap_or_default();
    if !constant_time_eq(token, &viewer.csrf_token) {
        return Err(PageError::BadRequest(
            "This form has expired. Go back, reload the page and try again.".into(),
        ));
    }
    let file = parts
        .iter()
        .find(|(n, _)| n == "file")
        .map(|(_, d)| d.as_slice())
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    if file.is_empty() {
        errors.add("file", "Choose a CSV file to upload");
    }
    let table = if errors.is_empty() {
        errors.check("file", read_table(file))
    } else {
        None
    };
    let Some(table) = table else {
        return render(
            &app,
            &viewer,
            "upload",
            "",
            None,
            &BTreeMap::new(),
            &[],
            &errors,
        );
    };
    let csv = String::from_utf8_lossy(file).into_owned();
    render(
        &app,
        &viewer,
        "map",
        &csv,
        Some(&table),
        &guess(&table.header),
        &[],
        &errors,
    )
}

#[derive(serde::Deserialize)]
pub struct MappingForm {
    #[serde(default)]
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
    let register = app.db.register().await?;
    let orgs = organisations(app).await?;
    let planned = plan(&table, &form.mapping(), &register, &orgs);
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
    let planned = match planned {
        Ok(p) => p,
        Err(errors) => {
            return render(
                &app,
                &viewer,
                "map",
                &form.csv,
                Some(&table),
                &form.mapping(),
                &[],
                &errors,
            );
        }
    };
    let items: Vec<(Option<i64>, NewProject)> = planned
        .into_iter()
        .filter_map(|p| p.project.map(|project| (p.existing, project)))
        .collect();
    match app.db.save_projects(&items).await {
        Ok(()) => {}
        Err(crate::store::StoreError::Conflict(what)) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "map_slug",
                format!(
                    "Two projects would have the same short name ({what}): nothing was imported"
                ),
            );
            return render(
                &app,
                &viewer,
                "map",
                &form.csv,
                Some(&table),
                &form.mapping(),
                &[],
                &errors,
            );
        }
        Err(e) => return Err(e.into()),
    }
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
