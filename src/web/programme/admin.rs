//! Editing the programme register (`programme` role, or admin, hub-wide): strategies, themes,
//! commitments, projects, updates and case studies, through one generic form per kind.
//! Every change is written to the audit log; deleting something another row points at is
//! refused with the reason ([`crate::store::programme::refusal`]).

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::programme::{
    CaseStudyInput, CommitmentInput, Phase, ProjectInput, Status, StrategyInput, ThemeInput,
    UpdateInput, format_date,
};
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::store::programme::{Register, RowKind, refusal};
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::{CsrfForm, SignedIn, Viewer};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::value::Serde;
use minijinja::{Value, context};
use std::collections::BTreeMap;

/// The form's fields as submitted: repeated names (checkboxes) keep every value.
type FormFields = Vec<(String, String)>;
type Values = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Strategies,
    Themes,
    Commitments,
    Projects,
    Updates,
    CaseStudies,
}

impl Kind {
    fn parse(s: &str) -> Result<Kind, PageError> {
        Ok(match s {
            "strategies" => Kind::Strategies,
            "themes" => Kind::Themes,
            "commitments" => Kind::Commitments,
            "projects" => Kind::Projects,
            "updates" => Kind::Updates,
            "case-studies" => Kind::CaseStudies,
            _ => return Err(PageError::NotFound),
        })
    }
    fn path(self) -> &'static str {
        match self {
            Kind::Strategies => "strategies",
            Kind::Themes => "themes",
            Kind::Commitments => "commitments",
            Kind::Projects => "projects",
            Kind::Updates => "updates",
            Kind::CaseStudies => "case-studies",
        }
    }
    /// "project", as in "Add a project".
    fn noun(self) -> &'static str {
        match self {
            Kind::Strategies => "strategy",
            Kind::Themes => "theme",
            Kind::Commitments => "commitment",
            Kind::Projects => "project",
            Kind::Updates => "update",
            Kind::CaseStudies => "case study",
        }
    }
    fn row(self) -> RowKind {
        match self {
            Kind::Strategies => RowKind::Strategy,
            Kind::Themes => RowKind::Theme,
            Kind::Commitments => RowKind::Commitment,
            Kind::Projects => RowKind::Project,
            Kind::Updates => RowKind::Update,
            Kind::CaseStudies => RowKind::CaseStudy,
        }
    }
}

/// The signed-in user if they may edit the register.
pub async fn editor(app: &App, viewer: &Viewer) -> Result<SignedIn, PageError> {
    Ok(viewer.require_hub_role(app, Role::Programme).await?.clone())
}

fn option(value: &str, text: &str) -> Value {
    context! { value, text }
}

fn field(name: &str, label: &str, kind: &str, hint: &str, options: Vec<Value>) -> Value {
    context! { name, label, kind, hint, options }
}

/// The form's fields for `kind`; `editing` leaves out what cannot change (an update's project).
async fn fields(
    app: &App,
    kind: Kind,
    register: &Register,
    editing: bool,
) -> Result<Vec<Value>, PageError> {
    let slug_hint =
        "Lowercase letters, numbers and hyphens. Leave empty to make one from the title.";
    let phases: Vec<Value> = Phase::ALL
        .iter()
        .map(|p| option(p.as_str(), p.label()))
        .collect();
    let statuses: Vec<Value> = Status::ALL
        .iter()
        .map(|s| option(s.as_str(), s.label()))
        .collect();
    let orgs: Vec<Value> = app
        .db
        .organisations()
        .await?
        .iter()
        .map(|o| option(&o.slug, &o.name))
        .collect();
    Ok(match kind {
        Kind::Strategies => vec![
            field(
                "organisation",
                "Organisation",
                "select",
                "Whose strategy this is.",
                orgs,
            ),
            field("title", "Title", "input", "", vec![]),
            field(
                "slug",
                "Short name for the web address",
                "input",
                slug_hint,
                vec![],
            ),
            field(
                "period",
                "Period",
                "input",
                "For example: 2025 to 2028.",
                vec![],
            ),
            field("summary", "Summary", "textarea", "", vec![]),
            field("body", "Text", "textarea", "Markdown.", vec![]),
        ],
        Kind::Themes => vec![
            field(
                "strategy",
                "Strategy",
                "select",
                "",
                register
                    .strategies
                    .iter()
                    .map(|s| option(&s.slug, &s.title))
                    .collect(),
            ),
            field("title", "Title", "input", "", vec![]),
            field(
                "slug",
                "Short name for the web address",
                "input",
                slug_hint,
                vec![],
            ),
            field("summary", "Summary", "textarea", "", vec![]),
            field(
                "position",
                "Order",
                "input",
                "Themes are listed in this order (a whole number).",
                vec![],
            ),
        ],
        Kind::Commitments => vec![
            field(
                "theme",
                "Theme",
                "select",
                "",
                register
                    .themes
                    .iter()
                    .map(|t| option(&t.slug, &t.title))
                    .collect(),
            ),
            field("title", "Title", "input", "", vec![]),
            field(
                "slug",
                "Short name for the web address",
                "input",
                slug_hint,
                vec![],
            ),
            field("body", "Description", "textarea", "", vec![]),
            field(
                "action_ref",
                "Reference of the external action it answers (optional)",
                "input",
                "For example: A3.",
                vec![],
            ),
            field(
                "action_title",
                "Title of that action (optional)",
                "input",
                "",
                vec![],
            ),
            field(
                "position",
                "Order",
                "input",
                "Commitments are listed in this order under their theme.",
                vec![],
            ),
        ],
        Kind::Projects => vec![
            field("title", "Title", "input", "", vec![]),
            field(
                "slug",
                "Short name for the web address",
                "input",
                slug_hint,
                vec![],
            ),
            field("summary", "Summary", "textarea", "", vec![]),
            field("owner_team", "Owner team", "input", "", vec![]),
            field("phase", "Phase", "select", "", phases),
            field("status", "Status", "select", "", statuses),
            field(
                "start_date",
                "Start date (optional)",
                "input",
                "YYYY-MM-DD.",
                vec![],
            ),
            field(
                "end_date",
                "End date (optional)",
                "input",
                "YYYY-MM-DD.",
                vec![],
            ),
            field(
                "topics",
                "Topics (optional)",
                "input",
                "Separate them with commas.",
                vec![],
            ),
            field(
                "commitments",
                "Commitments it delivers",
                "checkboxes",
                "Choose at least one.",
                register
                    .commitments
                    .iter()
                    .map(|c| option(&c.slug, &c.title))
                    .collect(),
            ),
            field(
                "organisations",
                "Organisations",
                "checkboxes",
                "Choose at least one.",
                orgs,
            ),
        ],
        Kind::Updates => {
            let mut f = Vec::new();
            if !editing {
                f.push(field(
                    "project",
                    "Project",
                    "select",
                    "",
                    register
                        .projects
                        .iter()
                        .map(|p| option(&p.project.slug, &p.project.title))
                        .collect(),
                ));
            }
            let mut p = vec![option("", "No change")];
            p.extend(phases);
            let mut s = vec![option("", "No change")];
            s.extend(statuses);
            f.extend([
                field("dated", "Date", "input", "YYYY-MM-DD.", vec![]),
                field("body", "What happened", "textarea", "", vec![]),
                field(
                    "phase",
                    "New phase",
                    "select",
                    "The project moves to this phase.",
                    p,
                ),
                field("status", "New status", "select", "", s),
            ]);
            f
        }
        Kind::CaseStudies => vec![
            field("title", "Title", "input", "", vec![]),
            field(
                "slug",
                "Short name for the web address",
                "input",
                slug_hint,
                vec![],
            ),
            field("summary", "Summary", "textarea", "", vec![]),
            field(
                "body",
                "Text",
                "textarea",
                "Markdown: ## for a heading, * for a list.",
                vec![],
            ),
            field(
                "published",
                "Publication date (optional)",
                "input",
                "YYYY-MM-DD; empty for today.",
                vec![],
            ),
            field(
                "projects",
                "Projects",
                "checkboxes",
                "",
                register
                    .projects
                    .iter()
                    .map(|p| option(&p.project.slug, &p.project.title))
                    .collect(),
            ),
            field(
                "themes",
                "Themes",
                "checkboxes",
                "",
                register
                    .themes
                    .iter()
                    .map(|t| option(&t.slug, &t.title))
                    .collect(),
            ),
        ],
    })
}

fn values_from(form: &FormFields) -> Values {
    let mut v = Values::new();
    for (k, val) in form {
        if k != "csrf_token" {
            v.entry(k.clone()).or_default().push(val.clone());
        }
    }
    v
}

fn one(v: &Values, name: &str) -> String {
    v.get(name)
        .and_then(|x| x.first())
        .cloned()
        .unwrap_or_default()
}

fn many(v: &Values, name: &str) -> Vec<String> {
    v.get(name).cloned().unwrap_or_default()
}

fn single(pairs: &[(&str, String)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.clone()]))
        .collect()
}

/// The current values of row `id`, for its edit form; also its title for the page.
async fn current(
    app: &App,
    kind: Kind,
    id: i64,
    register: &Register,
) -> Result<(Values, String), PageError> {
    let nf = || PageError::NotFound;
    Ok(match kind {
        Kind::Strategies => {
            let s = register
                .strategies
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(nf)?;
            (
                single(&[
                    ("organisation", s.organisation_slug.clone()),
                    ("title", s.title.clone()),
                    ("slug", s.slug.clone()),
                    ("period", s.period.clone()),
                    ("summary", s.summary.clone()),
                    ("body", s.body_markdown.clone()),
                ]),
                s.title.clone(),
            )
        }
        Kind::Themes => {
            let t = register.themes.iter().find(|t| t.id == id).ok_or_else(nf)?;
            (
                single(&[
                    ("strategy", t.strategy_slug.clone()),
                    ("title", t.title.clone()),
                    ("slug", t.slug.clone()),
                    ("summary", t.summary.clone()),
                    ("position", t.position.to_string()),
                ]),
                t.title.clone(),
            )
        }
        Kind::Commitments => {
            let c = register
                .commitments
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(nf)?;
            (
                single(&[
                    ("theme", c.theme_slug.clone()),
                    ("title", c.title.clone()),
                    ("slug", c.slug.clone()),
                    ("body", c.body.clone()),
                    ("action_ref", c.action_ref.clone()),
                    ("action_title", c.action_title.clone()),
                    ("position", c.position.to_string()),
                ]),
                c.title.clone(),
            )
        }
        Kind::Projects => {
            let p = register
                .projects
                .iter()
                .find(|p| p.project.id == id)
                .ok_or_else(nf)?;
            let q = &p.project;
            let mut v = single(&[
                ("title", q.title.clone()),
                ("slug", q.slug.clone()),
                ("summary", q.summary.clone()),
                ("owner_team", q.owner_team.clone()),
                ("phase", q.phase.clone()),
                ("status", q.status.clone()),
                (
                    "start_date",
                    q.start_date.map(format_date).unwrap_or_default(),
                ),
                ("end_date", q.end_date.map(format_date).unwrap_or_default()),
                (
                    "topics",
                    p.topics
                        .iter()
                        .map(|t| t.title.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ]);
            v.insert(
                "commitments".into(),
                p.commitments.iter().map(|c| c.slug.clone()).collect(),
            );
            v.insert(
                "organisations".into(),
                p.organisations.iter().map(|c| c.slug.clone()).collect(),
            );
            (v, q.title.clone())
        }
        Kind::Updates => {
            let u = app.db.project_update(id).await?;
            (
                single(&[
                    ("dated", format_date(u.dated)),
                    ("body", u.body.clone()),
                    ("phase", u.phase.clone().unwrap_or_default()),
                    ("status", u.status.clone().unwrap_or_default()),
                ]),
                format!("{}: update of {}", u.project_title, format_date(u.dated)),
            )
        }
        Kind::CaseStudies => {
            let all = app.db.case_studies().await?;
            let c = all.iter().find(|c| c.case_study.id == id).ok_or_else(nf)?;
            let mut v = single(&[
                ("title", c.case_study.title.clone()),
                ("slug", c.case_study.slug.clone()),
                ("summary", c.case_study.summary.clone()),
                ("body", c.case_study.body_markdown.clone()),
                ("published", format_date(c.case_study.published_at)),
            ]);
            v.insert(
                "projects".into(),
                c.projects.iter().map(|p| p.slug.clone()).collect(),
            );
            v.insert(
                "themes".into(),
                c.themes.iter().map(|p| p.slug.clone()).collect(),
            );
            (v, c.case_study.title.clone())
        }
    })
}

/// Validates and saves; `Ok((id, name))` or the form's errors.
async fn save(
    app: &App,
    kind: Kind,
    id: Option<i64>,
    v: &Values,
    register: &Register,
    user: &SignedIn,
) -> Result<Result<(i64, String), FieldErrors>, PageError> {
    let orgs: Vec<(String, i64)> = app
        .db
        .organisations()
        .await?
        .into_iter()
        .map(|o| (o.slug, o.id))
        .collect();
    let pick = |keys: &[(String, i64)], field: &str, what: &str, e: &mut FieldErrors| {
        let given = one(v, field);
        let found = keys.iter().find(|(k, _)| *k == given).map(|(_, id)| *id);
        if found.is_none() {
            e.add(field, format!("Choose the {what}"));
        }
        found
    };
    let strategy_keys: Vec<(String, i64)> = register
        .strategies
        .iter()
        .map(|s| (s.slug.clone(), s.id))
        .collect();
    let result: Result<(i64, String), FieldErrors> = match kind {
        Kind::Strategies => {
            let mut e = FieldErrors::new();
            let org = pick(&orgs, "organisation", "organisation", &mut e);
            let input = StrategyInput {
                title: one(v, "title"),
                slug: one(v, "slug"),
                period: one(v, "period"),
                summary: one(v, "summary"),
                body: one(v, "body"),
            };
            match (org, input.parse()) {
                (Some(org), Ok(s)) if e.is_empty() => {
                    match crate::sanitise::render_field(&s.body_markdown, "body").await {
                        Err(e) => Err(e),
                        Ok(body) => {
                            let r = match id {
                                Some(id) => (app.db.update_strategy(id, org, &s, &body.html).await)
                                    .map(|_| id),
                                None => app.db.create_strategy(org, &s, &body.html).await,
                            };
                            conflict(r, s.slug.to_string())?
                        }
                    }
                }
                (_, parsed) => Err(merge(e, parsed.err())),
            }
        }
        Kind::Themes => {
            let mut e = FieldErrors::new();
            let strategy = pick(&strategy_keys, "strategy", "strategy", &mut e);
            let input = ThemeInput {
                title: one(v, "title"),
                slug: one(v, "slug"),
                summary: one(v, "summary"),
                position: one(v, "position"),
            };
            match (strategy, input.parse()) {
                (Some(sid), Ok(t)) if e.is_empty() => {
                    let r = match id {
                        Some(id) => app.db.update_theme(id, sid, &t).await.map(|_| id),
                        None => app.db.create_theme(sid, &t).await,
                    };
                    conflict(r, t.slug.to_string())?
                }
                (_, parsed) => Err(merge(e, parsed.err())),
            }
        }
        Kind::Commitments => {
            let mut e = FieldErrors::new();
            let theme = pick(&register.theme_keys(), "theme", "theme", &mut e);
            let input = CommitmentInput {
                title: one(v, "title"),
                slug: one(v, "slug"),
                body: one(v, "body"),
                action_ref: one(v, "action_ref"),
                action_title: one(v, "action_title"),
                position: one(v, "position"),
            };
            match (theme, input.parse()) {
                (Some(tid), Ok(c)) if e.is_empty() => {
                    let r = match id {
                        Some(id) => app.db.update_commitment(id, tid, &c).await.map(|_| id),
                        None => app.db.create_commitment(tid, &c).await,
                    };
                    conflict(r, c.slug.to_string())?
                }
                (_, parsed) => Err(merge(e, parsed.err())),
            }
        }
        Kind::Projects => {
            let input = ProjectInput {
                title: one(v, "title"),
                slug: one(v, "slug"),
                summary: one(v, "summary"),
                owner_team: one(v, "owner_team"),
                phase: one(v, "phase"),
                status: one(v, "status"),
                start_date: one(v, "start_date"),
                end_date: one(v, "end_date"),
                topics: one(v, "topics"),
                commitments: many(v, "commitments"),
                organisations: many(v, "organisations"),
            };
            match input.parse(&register.commitment_keys(), &orgs) {
                Ok(p) => conflict(app.db.save_project(id, &p).await, p.slug.to_string())?,
                Err(e) => Err(e),
            }
        }
        Kind::Updates => {
            let input = UpdateInput {
                dated: one(v, "dated"),
                body: one(v, "body"),
                phase: one(v, "phase"),
                status: one(v, "status"),
            };
            match id {
                Some(id) => match input.parse() {
                    Ok(u) => {
                        app.db.edit_update(id, &u).await?;
                        Ok((id, format_date(u.dated)))
                    }
                    Err(e) => Err(e),
                },
                None => {
                    let mut e = FieldErrors::new();
                    let project = pick(&register.project_keys(), "project", "project", &mut e);
                    match (project, input.parse()) {
                        (Some(pid), Ok(u)) if e.is_empty() => {
                            let new = app.db.add_update(pid, &u, Some(user.id)).await?;
                            Ok((new, one(v, "project")))
                        }
                        (_, parsed) => Err(merge(e, parsed.err())),
                    }
                }
            }
        }
        Kind::CaseStudies => {
            let input = CaseStudyInput {
                title: one(v, "title"),
                slug: one(v, "slug"),
                summary: one(v, "summary"),
                body: one(v, "body"),
                published: one(v, "published"),
                projects: many(v, "projects"),
                themes: many(v, "themes"),
            };
            match input.parse(&register.project_keys(), &register.theme_keys()) {
                Ok(c) => match crate::sanitise::render_field(&c.body_markdown, "body").await {
                    Err(e) => Err(e),
                    Ok(body) => conflict(
                        app.db.save_case_study(id, &c, &body.html).await,
                        c.slug.to_string(),
                    )?,
                },
                Err(e) => Err(e),
            }
        }
    };
    Ok(result)
}

fn merge(mut a: FieldErrors, b: Option<FieldErrors>) -> FieldErrors {
    for e in b.iter().flat_map(|b| b.iter()) {
        a.add(&e.field, e.message.clone());
    }
    a
}

/// A taken slug is a form error; other store errors are failures.
fn conflict(
    r: Result<i64, StoreError>,
    slug: String,
) -> Result<Result<(i64, String), FieldErrors>, PageError> {
    match r {
        Ok(id) => Ok(Ok((id, slug))),
        Err(StoreError::Conflict(_)) => {
            let mut e = FieldErrors::new();
            e.add(
                "slug",
                "Another one already has that short name: choose another",
            );
            Ok(Err(e))
        }
        Err(e) => Err(e.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    app: &App,
    viewer: &Viewer,
    kind: Kind,
    id: Option<i64>,
    title: &str,
    values: &Values,
    errors: &FieldErrors,
    register: &Register,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    viewer.render_with_status(
        app,
        "admin/programme_form.html",
        context! {
            kind => kind.path(), noun => kind.noun(), id, title,
            fields => fields(app, kind, register, id.is_some()).await?,
            values => Serde(values),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        status,
    )
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
pub async fn new(State(app): State<App>, viewer: Viewer, Path(kind): Path<String>) -> PageResult {
    let kind = Kind::parse(&kind)?;
    editor(&app, &viewer).await?;
    let register = app.db.register().await?;
    let mut values = Values::new();
    if kind == Kind::Updates {
        values.insert("dated".into(), vec![format_date(crate::store::now())]);
    }
    form_page(
        &app,
        &viewer,
        kind,
        None,
        &format!("Add a {}", kind.noun()),
        &values,
        &FieldErrors::new(),
        &register,
    )
    .await
}

/// `POST /admin/programme/{kind}/new`.
pub async fn create(
    State(app): State<App>,
    viewer: Viewer,
    Path(kind): Path<String>,
    CsrfForm(form): CsrfForm<FormFields>,
) -> PageResult {
    let kind = Kind::parse(&kind)?;
    submit(app, viewer, kind, None, form).await
}

/// `GET /admin/programme/{kind}/{id}/edit`.
pub async fn edit(
    State(app): State<App>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, i64)>,
) -> PageResult {
    let kind = Kind::parse(&kind)?;
    editor(&app, &viewer).await?;
    let register = app.db.register().await?;
    let (values, title) = current(&app, kind, id, &register).await?;
    form_page(
        &app,
        &viewer,
        kind,
        Some(id),
        &format!("Edit \u{201c}{title}\u{201d}"),
        &values,
        &FieldErrors::new(),
        &register,
    )
    .await
}

/// `POST /admin/programme/{kind}/{id}/edit`.
pub async fn update(
    State(app): State<App>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, i64)>,
    CsrfForm(form): CsrfForm<FormFields>,
) -> PageResult {
    let kind = Kind::parse(&kind)?;
    submit(app, viewer, kind, Some(id), form).await
}

async fn submit(
    app: App,
    viewer: Viewer,
    kind: Kind,
    id: Option<i64>,
    form: FormFields,
) -> PageResult {
    let user = editor(&app, &viewer).await?;
    let register = app.db.register().await?;
    if let Some(id) = id {
        current(&app, kind, id, &register).await?;
    }
    let values = values_from(&form);
    match save(&app, kind, id, &values, &register, &user).await? {
        Ok((_, name)) => {
            let action = format!(
                "{} {}",
                if id.is_some() { "updated" } else { "created" },
                kind.noun()
            );
            app.db
                .audit(Some(user.id), &action, &name, "programme register")
                .await?;
            Ok(Redirect::to("/admin/programme").into_response())
        }
        Err(errors) => {
            let title = if id.is_some() {
                format!("Edit this {}", kind.noun())
            } else {
                format!("Add a {}", kind.noun())
            };
            form_page(&app, &viewer, kind, id, &title, &values, &errors, &register).await
        }
    }
}

/// `POST /admin/programme/{kind}/{id}/delete`: refused, with the reason, while anything
/// points at the row.
pub async fn delete(
    State(app): State<App>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<FormFields>,
) -> PageResult {
    let kind = Kind::parse(&kind)?;
    let user = editor(&app, &viewer).await?;
    let register = app.db.register().await?;
    let (values, title) = current(&app, kind, id, &register).await?;
    let referrers = app.db.referrers(kind.row(), id).await?;
    let reason = match refusal(kind.noun(), &referrers) {
        Some(reason) => Some(reason),
        None => match app.db.delete_row(kind.row(), id).await {
            Ok(()) => None,
            Err(StoreError::Conflict(_)) => Some(format!(
                "This {} cannot be deleted because other records still refer to it.",
                kind.noun()
            )),
            Err(e) => return Err(e.into()),
        },
    };
    if let Some(reason) = reason {
        let mut errors = FieldErrors::new();
        errors.add("delete", reason);
        return form_page(
            &app,
            &viewer,
            kind,
            Some(id),
            &format!("Edit \u{201c}{title}\u{201d}"),
            &values,
            &errors,
            &register,
        )
        .await;
    }
    app.db
        .audit(
            Some(user.id),
            &format!("deleted {}", kind.noun()),
            &title,
            "programme register",
        )
        .await?;
    Ok(Redirect::to("/admin/programme").into_response())
}
