//! Importing a project spreadsheet into the register: which column holds what (guessed
//! from the header, then chosen), and what each row would do, checked whole before anything
//! is written. Rows are numbered as a spreadsheet shows them: the header is row 1.

use super::FieldErrors;
use super::programme::{NewProject, ProjectInput};
use super::table::{Row, Table};
use super::text::Slug;
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

/// What the register holds already, as rows of a file are matched against it.
pub struct Known {
    pub commitments: Vec<Named>,
    pub projects: Vec<Named>,
    pub organisations: Vec<Named>,
}

/// A row of the register: its id, slug and title (or name).
pub struct Named {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

impl Named {
    /// Given by slug, or by title in any case.
    fn is(&self, given: &str) -> bool {
        self.slug == given || self.title.eq_ignore_ascii_case(given)
    }
}

fn keys(rows: &[Named]) -> Vec<(String, i64)> {
    rows.iter().map(|r| (r.slug.clone(), r.id)).collect()
}

/// The column chosen for each field, or a message for each required field without one.
fn columns(
    mapping: &BTreeMap<String, String>,
    header: &[String],
) -> Result<BTreeMap<&'static str, usize>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut columns = BTreeMap::new();
    for (field, label, required) in TARGETS {
        let chosen = mapping.get(*field).and_then(|c| c.parse::<usize>().ok());
        match chosen.filter(|c| *c < header.len()) {
            Some(c) => {
                columns.insert(*field, c);
            }
            None if *required => errors.add(
                &format!("map_{field}"),
                format!("Choose the column that holds the {}", label.to_lowercase()),
            ),
            None => {}
        }
    }
    errors.into_result(|| columns)
}

/// Checks every row under the mapping; the errors name the row and the column.
pub fn plan(
    table: &Table,
    mapping: &BTreeMap<String, String>,
    known: &Known,
) -> Result<Vec<Planned>, FieldErrors> {
    let columns = columns(mapping, &table.header)?;
    let mut errors = FieldErrors::new();
    let mut planned: Vec<Planned> = Vec::new();
    for row in &table.rows {
        let reader = RowReader {
            columns: &columns,
            header: &table.header,
            row,
        };
        let project = match reader.project(known) {
            Ok(project) => project,
            Err(row_errors) => {
                for e in row_errors.iter() {
                    errors.add(&e.field, e.message.clone());
                }
                continue;
            }
        };
        let n = row.number;
        if let Some(earlier) = planned.iter().find(|p| p.slug == project.slug.as_str()) {
            let message = format!(
                "Row {n}: the same project as row {} (short name {})",
                earlier.row, project.slug
            );
            errors.add(&format!("row-{n}-title"), message);
            continue;
        }
        planned.push(reader.planned(project, known));
    }
    errors.into_result(|| planned)
}

/// One row of the file, read through the mapping.
struct RowReader<'a> {
    columns: &'a BTreeMap<&'static str, usize>,
    header: &'a [String],
    row: &'a Row,
}

impl RowReader<'_> {
    fn cell(&self, field: &str) -> String {
        let column = self.columns.get(field);
        column
            .map(|c| self.row.cells[*c].clone())
            .unwrap_or_default()
    }

    /// "Row 3, column “Stage”", for a message about `field`.
    fn place(&self, field: &str) -> String {
        let column = self.columns.get(field).map_or_else(
            || format!("no column for {field}"),
            |c| format!("column \u{201c}{}\u{201d}", self.header[*c]),
        );
        format!("Row {}, {column}", self.row.number)
    }

    /// Commitments and organisations are given by slug or by title, separated by semicolons.
    fn resolve(
        &self,
        field: &str,
        known: &[Named],
        errors: &mut Vec<(String, String)>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let cell = self.cell(field);
        for item in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            match known.iter().find(|k| k.is(item)) {
                Some(k) => out.push(k.slug.clone()),
                None => {
                    let what = field.trim_end_matches('s');
                    let message = format!("there is no {what} called \u{201c}{item}\u{201d}");
                    errors.push((field.to_string(), message));
                }
            }
        }
        out
    }

    /// The row's project, or its errors keyed `row-N-field`.
    fn project(&self, known: &Known) -> Result<NewProject, FieldErrors> {
        let mut row_errors: Vec<(String, String)> = Vec::new();
        let commitments = self.resolve("commitments", &known.commitments, &mut row_errors);
        let organisations = self.resolve("organisations", &known.organisations, &mut row_errors);
        let input = ProjectInput {
            title: self.cell("title"),
            slug: self.cell("slug"),
            summary: self.cell("summary"),
            owner_team: self.cell("owner_team"),
            phase: self.cell("phase"),
            status: self.cell("status"),
            start_date: self.cell("start_date"),
            end_date: self.cell("end_date"),
            topics: self.cell("topics").replace(';', ","),
            commitments,
            organisations,
        };
        let parsed = input.parse(&keys(&known.commitments), &keys(&known.organisations));
        for fe in parsed
            .as_ref()
            .err()
            .into_iter()
            .flat_map(FieldErrors::iter)
        {
            if !row_errors.iter().any(|(f, _)| *f == fe.field) {
                row_errors.push((fe.field.clone(), lower_first(&fe.message)));
            }
        }
        if row_errors.is_empty() {
            return parsed;
        }
        let mut errors = FieldErrors::new();
        for (field, message) in &row_errors {
            let key = format!("row-{}-{field}", self.row.number);
            errors.add(&key, format!("{}: {message}", self.place(field)));
        }
        Err(errors)
    }

    /// What importing the row's `project` does: update the project it matches (by slug, or by
    /// title, keeping that project's web address unless the file gives one), or create one.
    fn planned(&self, mut project: NewProject, known: &Known) -> Planned {
        let existing = known.projects.iter().find(|p| {
            p.slug == project.slug.as_str() || p.title.eq_ignore_ascii_case(&project.title)
        });
        if let Some(e) = existing
            && self.cell("slug").is_empty()
        {
            project.slug = Slug::parse(&e.slug).unwrap_or(project.slug);
        }
        Planned {
            row: self.row.number,
            action: if existing.is_some() {
                PlanAction::Update
            } else {
                PlanAction::Create
            },
            title: project.title.clone(),
            slug: project.slug.to_string(),
            phase: project.phase.label().to_string(),
            status: project.status.label().to_string(),
            existing: existing.map(|e| e.id),
            project: Some(project),
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
