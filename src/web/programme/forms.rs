//! The register's edit forms, one typed form per kind of row ([`RegisterForm`]): the fields it
//! shows, the values of an existing row, and saving it. The handlers in `admin.rs` are
//! generic over the form; the router gives each kind its own paths.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::chain::LinkTarget;
use crate::domain::programme::{
    CaseStudyInput, CommitmentInput, Phase, ProjectInput, Status, StrategyInput, ThemeInput,
    UpdateInput,
};
use crate::domain::time::iso_date;
use crate::store::StoreError;
use crate::store::programme::{Register, RowKind};
use crate::web::error::PageError;
use crate::web::viewer::SignedIn;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// What a form can offer to choose from.
pub struct Choices {
    pub register: Register,
    /// (slug, name, id), by name.
    pub organisations: Vec<(String, String, i64)>,
}

impl Choices {
    pub async fn load(app: &App) -> Result<Choices, StoreError> {
        let organisations = app.db.organisations().await?;
        Ok(Choices {
            register: app.db.register().await?,
            organisations: organisations
                .into_iter()
                .map(|o| (o.slug, o.name, o.id))
                .collect(),
        })
    }

    fn organisation_keys(&self) -> Vec<(String, i64)> {
        let orgs = self.organisations.iter();
        orgs.map(|(slug, _, id)| (slug.clone(), *id)).collect()
    }
}

/// One field of a form, as `templates/admin/programme_form.html` draws it.
#[derive(Serialize)]
pub struct Field {
    name: &'static str,
    label: &'static str,
    kind: Widget,
    hint: &'static str,
    options: Vec<Choice>,
}

#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Widget {
    Input,
    Textarea,
    Select,
    Checkboxes,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    text: String,
}

fn choices<'a>(items: impl Iterator<Item = (&'a String, &'a String)>) -> Vec<Choice> {
    items
        .map(|(value, text)| Choice {
            value: value.clone(),
            text: text.clone(),
        })
        .collect()
}

fn input(name: &'static str, label: &'static str, hint: &'static str) -> Field {
    Field {
        name,
        label,
        kind: Widget::Input,
        hint,
        options: Vec::new(),
    }
}

fn textarea(name: &'static str, label: &'static str, hint: &'static str) -> Field {
    Field {
        kind: Widget::Textarea,
        ..input(name, label, hint)
    }
}

fn select(name: &'static str, label: &'static str, hint: &'static str, o: Vec<Choice>) -> Field {
    Field {
        kind: Widget::Select,
        options: o,
        ..input(name, label, hint)
    }
}

fn checkboxes(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    o: Vec<Choice>,
) -> Field {
    Field {
        kind: Widget::Checkboxes,
        options: o,
        ..input(name, label, hint)
    }
}

fn slug_field() -> Field {
    input(
        "slug",
        "Short name for the web address",
        "Lowercase letters, numbers and hyphens. Leave empty to make one from the title.",
    )
}

/// (value, label) pairs of an enum's variants as choices.
fn labelled<'a>(all: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Choice> {
    all.map(|(value, text)| Choice {
        value: value.into(),
        text: text.into(),
    })
    .collect()
}

fn phases() -> Vec<Choice> {
    labelled(Phase::ALL.iter().map(|p| (p.as_str(), p.label())))
}

fn statuses() -> Vec<Choice> {
    labelled(Status::ALL.iter().map(|s| (s.as_str(), s.label())))
}

fn organisation_choices(c: &Choices) -> Vec<Choice> {
    choices(c.organisations.iter().map(|(slug, name, _)| (slug, name)))
}

fn theme_choices(r: &Register) -> Vec<Choice> {
    choices(r.themes.iter().map(|t| (&t.slug, &t.title)))
}

fn project_choices(r: &Register) -> Vec<Choice> {
    choices(
        r.projects
            .iter()
            .map(|p| (&p.project.slug, &p.project.title)),
    )
}

/// Saved: the row's id and a name for the audit log.
pub type Saved = Result<(i64, String), NotSaved>;

/// Why a form was not saved: what is wrong with it (shown on the form again), or a failure.
pub enum NotSaved {
    Form(FieldErrors),
    Failed(PageError),
}

impl From<FieldErrors> for NotSaved {
    fn from(errors: FieldErrors) -> Self {
        NotSaved::Form(errors)
    }
}

impl From<StoreError> for NotSaved {
    fn from(e: StoreError) -> Self {
        NotSaved::Failed(e.into())
    }
}

/// One kind of register row, as its form edits it.
pub trait RegisterForm: DeserializeOwned + Serialize + Default + Send + Sync + 'static {
    /// The kind's part of the address: `/admin/programme/{PATH}/new`.
    const PATH: &'static str;
    /// "project", as in "Add a project".
    const NOUN: &'static str;
    /// The table deleting refers to.
    const ROW: RowKind;

    /// The fields; `editing` leaves out what cannot change (an update's project).
    fn fields(c: &Choices, editing: bool) -> Vec<Field>;

    /// A new row's form.
    fn blank() -> Self {
        Self::default()
    }

    /// Row `id`'s form, and its name for the page's title.
    fn current(
        app: &App,
        c: &Choices,
        id: i64,
    ) -> impl Future<Output = Result<(Self, String), PageError>> + Send;

    /// What "you said, we did" statements can link to in row `id`, for the kinds they can.
    fn link_target(_id: i64) -> Option<LinkTarget> {
        None
    }

    /// Checks the form and saves row `id` (a new one for `None`).
    fn save(
        &self,
        app: &App,
        c: &Choices,
        id: Option<i64>,
        user: &SignedIn,
    ) -> impl Future<Output = Saved> + Send;
}

/// The id of the parent chosen in `field` (one of `keys`) with the row `parsed` from the rest
/// of the form; or every error, the parent's first.
fn with_parent<T>(
    keys: &[(String, i64)],
    field: &str,
    given: &str,
    parsed: Result<T, FieldErrors>,
) -> Result<(i64, T), FieldErrors> {
    let found = keys.iter().find(|(k, _)| k == given).map(|(_, id)| *id);
    match (found, parsed) {
        (Some(id), Ok(row)) => Ok((id, row)),
        (found, parsed) => {
            let mut errors = FieldErrors::new();
            if found.is_none() {
                errors.add(field, format!("Choose the {field}"));
            }
            for e in parsed.err().iter().flat_map(FieldErrors::iter) {
                errors.add(&e.field, e.message.clone());
            }
            Err(errors)
        }
    }
}

/// A taken slug is a form error; other store errors are failures.
fn saved(r: Result<i64, StoreError>, slug: String) -> Saved {
    match r {
        Ok(id) => Ok((id, slug)),
        Err(StoreError::Conflict(_)) => Err(NotSaved::Form(FieldErrors::one(
            "slug",
            "Another one already has that short name: choose another",
        ))),
        Err(e) => Err(e.into()),
    }
}

fn not_found() -> PageError {
    PageError::NotFound
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct StrategyForm {
    organisation: String,
    #[serde(flatten)]
    input: StrategyInput,
}

impl RegisterForm for StrategyForm {
    const PATH: &'static str = "strategies";
    const NOUN: &'static str = "strategy";
    const ROW: RowKind = RowKind::Strategy;

    fn fields(c: &Choices, _: bool) -> Vec<Field> {
        let whose = "Whose strategy this is.";
        vec![
            select(
                "organisation",
                "Organisation",
                whose,
                organisation_choices(c),
            ),
            input("title", "Title", ""),
            slug_field(),
            input("period", "Period", "For example: 2025 to 2028."),
            textarea("summary", "Summary", ""),
            textarea("body", "Text", "Markdown."),
        ]
    }

    async fn current(_: &App, c: &Choices, id: i64) -> Result<(Self, String), PageError> {
        let s = c.register.strategies.iter().find(|s| s.id == id);
        let s = s.ok_or_else(not_found)?;
        let input = StrategyInput {
            title: s.title.clone(),
            slug: s.slug.clone(),
            period: s.period.clone(),
            summary: s.summary.clone(),
            body: s.body_markdown.clone(),
        };
        let organisation = s.organisation_slug.clone();
        Ok((
            StrategyForm {
                organisation,
                input,
            },
            s.title.clone(),
        ))
    }

    async fn save(&self, app: &App, c: &Choices, id: Option<i64>, _: &SignedIn) -> Saved {
        let keys = c.organisation_keys();
        let parsed = self.input.parse();
        let (org, s) = with_parent(&keys, "organisation", &self.organisation, parsed)?;
        let body = crate::sanitise::render_field(&s.body_markdown, "body").await?;
        let r = app.db.save_strategy(id, org, &s, &body.html).await;
        saved(r, s.slug.to_string())
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ThemeForm {
    strategy: String,
    #[serde(flatten)]
    input: ThemeInput,
}

impl RegisterForm for ThemeForm {
    const PATH: &'static str = "themes";
    const NOUN: &'static str = "theme";
    const ROW: RowKind = RowKind::Theme;

    fn fields(c: &Choices, _: bool) -> Vec<Field> {
        let strategies = c.register.strategies.iter();
        let order = "Themes are listed in this order (a whole number).";
        vec![
            select(
                "strategy",
                "Strategy",
                "",
                choices(strategies.map(|s| (&s.slug, &s.title))),
            ),
            input("title", "Title", ""),
            slug_field(),
            textarea("summary", "Summary", ""),
            input("position", "Order", order),
        ]
    }

    async fn current(_: &App, c: &Choices, id: i64) -> Result<(Self, String), PageError> {
        let t = c.register.themes.iter().find(|t| t.id == id);
        let t = t.ok_or_else(not_found)?;
        let input = ThemeInput {
            title: t.title.clone(),
            slug: t.slug.clone(),
            summary: t.summary.clone(),
            position: t.position.to_string(),
        };
        let strategy = t.strategy_slug.clone();
        Ok((ThemeForm { strategy, input }, t.title.clone()))
    }

    async fn save(&self, app: &App, c: &Choices, id: Option<i64>, _: &SignedIn) -> Saved {
        let keys = c.register.strategy_keys();
        let parsed = self.input.parse();
        let (strategy, t) = with_parent(&keys, "strategy", &self.strategy, parsed)?;
        let r = app.db.save_theme(id, strategy, &t).await;
        saved(r, t.slug.to_string())
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CommitmentForm {
    theme: String,
    #[serde(flatten)]
    input: CommitmentInput,
}

impl RegisterForm for CommitmentForm {
    const PATH: &'static str = "commitments";
    const NOUN: &'static str = "commitment";
    const ROW: RowKind = RowKind::Commitment;

    fn link_target(id: i64) -> Option<LinkTarget> {
        Some(LinkTarget::Commitment(id))
    }

    fn fields(c: &Choices, _: bool) -> Vec<Field> {
        let action_ref = "Reference of the external action it answers (optional)";
        let order = "Commitments are listed in this order under their theme.";
        vec![
            select("theme", "Theme", "", theme_choices(&c.register)),
            input("title", "Title", ""),
            slug_field(),
            textarea("body", "Description", ""),
            input("action_ref", action_ref, "For example: A3."),
            input("action_title", "Title of that action (optional)", ""),
            input("position", "Order", order),
        ]
    }

    async fn current(_: &App, c: &Choices, id: i64) -> Result<(Self, String), PageError> {
        let commitment = c.register.commitments.iter().find(|c| c.id == id);
        let commitment = commitment.ok_or_else(not_found)?;
        let input = CommitmentInput {
            title: commitment.title.clone(),
            slug: commitment.slug.clone(),
            body: commitment.body.clone(),
            action_ref: commitment.action_ref.clone(),
            action_title: commitment.action_title.clone(),
            position: commitment.position.to_string(),
        };
        let theme = commitment.theme_slug.clone();
        Ok((CommitmentForm { theme, input }, commitment.title.clone()))
    }

    async fn save(&self, app: &App, c: &Choices, id: Option<i64>, _: &SignedIn) -> Saved {
        let keys = c.register.theme_keys();
        let parsed = self.input.parse();
        let (theme, commitment) = with_parent(&keys, "theme", &self.theme, parsed)?;
        let r = app.db.save_commitment(id, theme, &commitment).await;
        saved(r, commitment.slug.to_string())
    }
}

/// A project's form is the domain's input itself: every field is the project's own.
impl RegisterForm for ProjectInput {
    const PATH: &'static str = "projects";
    const NOUN: &'static str = "project";
    const ROW: RowKind = RowKind::Project;

    fn link_target(id: i64) -> Option<LinkTarget> {
        Some(LinkTarget::Project(id))
    }

    fn fields(c: &Choices, _: bool) -> Vec<Field> {
        let commitments = c.register.commitments.iter();
        let commitments = choices(commitments.map(|c| (&c.slug, &c.title)));
        let one = "Choose at least one.";
        vec![
            input("title", "Title", ""),
            slug_field(),
            textarea("summary", "Summary", ""),
            input("owner_team", "Owner team", ""),
            select("phase", "Phase", "", phases()),
            select("status", "Status", "", statuses()),
            input("start_date", "Start date (optional)", "YYYY-MM-DD."),
            input("end_date", "End date (optional)", "YYYY-MM-DD."),
            input("topics", "Topics (optional)", "Separate them with commas."),
            checkboxes("commitments", "Commitments it delivers", one, commitments),
            checkboxes(
                "organisations",
                "Organisations",
                one,
                organisation_choices(c),
            ),
        ]
    }

    async fn current(_: &App, c: &Choices, id: i64) -> Result<(Self, String), PageError> {
        let p = c.register.projects.iter().find(|p| p.project.id == id);
        let p = p.ok_or_else(not_found)?;
        let q = &p.project;
        let topics: Vec<&str> = p.topics.iter().map(|t| t.title.as_str()).collect();
        let form = ProjectInput {
            title: q.title.clone(),
            slug: q.slug.clone(),
            summary: q.summary.clone(),
            owner_team: q.owner_team.clone(),
            phase: q.phase.as_str().into(),
            status: q.status.as_str().into(),
            start_date: q.start_date.map(iso_date).unwrap_or_default(),
            end_date: q.end_date.map(iso_date).unwrap_or_default(),
            topics: topics.join(", "),
            commitments: p.commitments.iter().map(|c| c.slug.clone()).collect(),
            organisations: p.organisations.iter().map(|o| o.slug.clone()).collect(),
        };
        Ok((form, q.title.clone()))
    }

    async fn save(&self, app: &App, c: &Choices, id: Option<i64>, _: &SignedIn) -> Saved {
        let p = self.parse(&c.register.commitment_keys(), &c.organisation_keys())?;
        saved(app.db.save_project(id, &p).await, p.slug.to_string())
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct UpdateForm {
    /// Only for a new update: an update stays with its project.
    project: String,
    #[serde(flatten)]
    input: UpdateInput,
}

impl RegisterForm for UpdateForm {
    const PATH: &'static str = "updates";
    const NOUN: &'static str = "update";
    const ROW: RowKind = RowKind::Update;

    fn fields(c: &Choices, editing: bool) -> Vec<Field> {
        let no_change = || Choice {
            value: String::new(),
            text: "No change".into(),
        };
        let mut new_phase = vec![no_change()];
        new_phase.extend(phases());
        let mut new_status = vec![no_change()];
        new_status.extend(statuses());
        let mut f = Vec::new();
        if !editing {
            f.push(select(
                "project",
                "Project",
                "",
                project_choices(&c.register),
            ));
        }
        let moves = "The project moves to this phase.";
        f.extend([
            input("dated", "Date", "YYYY-MM-DD."),
            textarea("body", "What happened", ""),
            select("phase", "New phase", moves, new_phase),
            select("status", "New status", "", new_status),
        ]);
        f
    }

    fn blank() -> Self {
        let dated = iso_date(crate::store::now());
        let input = UpdateInput {
            dated,
            ..UpdateInput::default()
        };
        UpdateForm {
            project: String::new(),
            input,
        }
    }

    async fn current(app: &App, _: &Choices, id: i64) -> Result<(Self, String), PageError> {
        let u = app.db.project_update(id).await?;
        let title = format!("{}: update of {}", u.project_title, iso_date(u.dated));
        let input = UpdateInput {
            dated: iso_date(u.dated),
            body: u.body,
            phase: u.phase.map(|p| p.as_str().into()).unwrap_or_default(),
            status: u.status.map(|s| s.as_str().into()).unwrap_or_default(),
        };
        let project = u.project_slug;
        Ok((UpdateForm { project, input }, title))
    }

    async fn save(&self, app: &App, c: &Choices, id: Option<i64>, user: &SignedIn) -> Saved {
        if let Some(id) = id {
            let u = self.input.parse()?;
            app.db.edit_update(id, &u).await?;
            return Ok((id, iso_date(u.dated)));
        }
        let keys = c.register.project_keys();
        let (project, u) = with_parent(&keys, "project", &self.project, self.input.parse())?;
        let new = app.db.add_update(project, &u, Some(user.id)).await?;
        Ok((new, self.project.clone()))
    }
}

/// A case study's form is the domain's input itself.
impl RegisterForm for CaseStudyInput {
    const PATH: &'static str = "case-studies";
    const NOUN: &'static str = "case study";
    const ROW: RowKind = RowKind::CaseStudy;

    fn fields(c: &Choices, _: bool) -> Vec<Field> {
        let markdown = "Markdown: ## for a heading, * for a list.";
        let published = "YYYY-MM-DD; empty for today.";
        vec![
            input("title", "Title", ""),
            slug_field(),
            textarea("summary", "Summary", ""),
            textarea("body", "Text", markdown),
            input("published", "Publication date (optional)", published),
            checkboxes("projects", "Projects", "", project_choices(&c.register)),
            checkboxes("themes", "Themes", "", theme_choices(&c.register)),
        ]
    }

    async fn current(app: &App, _: &Choices, id: i64) -> Result<(Self, String), PageError> {
        let all = app.db.case_studies().await?;
        let c = all.into_iter().find(|c| c.case_study.id == id);
        let c = c.ok_or_else(not_found)?;
        let s = c.case_study;
        let form = CaseStudyInput {
            title: s.title.clone(),
            slug: s.slug,
            summary: s.summary,
            body: s.body_markdown,
            published: iso_date(s.published_at),
            projects: c.projects.iter().map(|p| p.slug.clone()).collect(),
            themes: c.themes.iter().map(|t| t.slug.clone()).collect(),
        };
        Ok((form, s.title))
    }

    async fn save(&self, app: &App, c: &Choices, id: Option<i64>, _: &SignedIn) -> Saved {
        let r = &c.register;
        let case = self.parse(&r.project_keys(), &r.theme_keys())?;
        let body = crate::sanitise::render_field(&case.body_markdown, "body").await?;
        let r = app.db.save_case_study(id, &case, &body.html).await;
        saved(r, case.slug.to_string())
    }
}
