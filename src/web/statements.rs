//! The pages every public-sector site publishes: the accessibility statement, the privacy
//! notice and the cookies page (`/accessibility`, `/privacy`, `/cookies`), linked from every
//! footer. Until an admin edits one (`/admin/statements`), it shows a default written from
//! what Townhall does and the site's settings: the department's name and the contact
//! address an admin gives.
//!
//! Each is kept in `settings` as Markdown and as the HTML rendered from it when saved; saving
//! raises the posts topic, so kept pages that show it are made again.

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::role::Role;
use crate::store::settings::CONTACT_EMAIL as CONTACT;
use crate::store::versions::Topic;
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::viewer::{CsrfForm, Viewer};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use serde::Deserialize;

crate::domain::named! {
    /// One of the statements.
    pub enum Statement {
        Accessibility = "accessibility",
        Privacy = "privacy",
        Cookies = "cookies",
    }
}

impl Statement {
    pub fn title(self) -> &'static str {
        match self {
            Statement::Accessibility => "Accessibility statement",
            Statement::Privacy => "Privacy notice",
            Statement::Cookies => "Cookies",
        }
    }

    fn markdown_key(self) -> String {
        format!("statement.{}", self.as_str())
    }

    fn html_key(self) -> String {
        format!("statement.{}.html", self.as_str())
    }

    /// What the page says until an admin writes their own.
    fn default_markdown(self, site: &str, contact: Option<&str>) -> String {
        let write_to = match contact {
            Some(c) => format!("email [{c}](mailto:{c})"),
            None => "contact the team that runs this site".into(),
        };
        match self {
            Statement::Accessibility => format!(
                "This website is run by {site}. We want as many people as possible to be able \
                 to use it: you should be able to change colours, contrast levels and fonts, \
                 zoom in up to 400% without the text spilling off the screen, navigate the \
                 whole site using just a keyboard or speech recognition software, and listen \
                 to it using a screen reader.\n\n\
                 ## How accessible this website is\n\n\
                 Every page is built to the Web Content Accessibility Guidelines (WCAG) 2.2 at \
                 level AA and checked with axe-core in a browser, at desktop and mobile widths. \
                 Charts come with a table of the same figures. Some documents published here, \
                 such as PDFs, may not be fully accessible.\n\n\
                 ## Feedback and contact information\n\n\
                 If you need information on this website in a different format, such as \
                 accessible PDF, large print, easy read, audio recording or braille, or you find \
                 a problem not listed on this page, {write_to}. We will consider your request \
                 and get back to you within 10 working days.\n\n\
                 ## Enforcement procedure\n\n\
                 The Equality and Human Rights Commission (EHRC) is responsible for enforcing \
                 the Public Sector Bodies (Websites and Mobile Applications) (No. 2) \
                 Accessibility Regulations 2018. If you are not happy with how we respond to \
                 your complaint, contact the Equality Advisory and Support Service (EASS).\n\n\
                 ## Technical information about this website's accessibility\n\n\
                 {site} is committed to making its website accessible, in accordance with the \
                 Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility \
                 Regulations 2018. This website is fully compliant with the Web Content \
                 Accessibility Guidelines version 2.2 AA standard.\n"
            ),
            Statement::Privacy => format!(
                "{site} is the data controller for the personal data this website collects.\n\n\
                 ## What we collect and why\n\n\
                 - **Comments**: your name, which is published with your comment, and your email \
                 address, which is never published and is used only to contact you about your \
                 comment.\n\
                 - **Consultation and survey responses**: your answers, which are analysed and \
                 may be quoted without your name. If you ask for a receipt, your email address \
                 is kept with your response so that we can send it; you can ask us to remove \
                 it at any time.\n\
                 - **Email updates**: your email address and what you asked to hear about. \
                 Nothing is sent until you confirm from the link we email you; an address not \
                 confirmed within 7 days is deleted. Every email has a link to change or stop \
                 them, and unsubscribing from everything deletes your address.\n\
                 - **Idea challenges**: a random number in a cookie tells one browser's votes \
                 from another's (see [cookies](/cookies)).\n\
                 - **Visits**: we count page views without cookies. Each visitor is counted \
                 through a code made from their address and a random value that changes every \
                 day; the random value is deleted with the day, after which nobody can link \
                 the counts to anyone.\n\
                 - **Staff accounts**: name, email address and roles, and a record of what \
                 each account changes.\n\n\
                 ## Your rights\n\n\
                 You can ask to see the personal data we hold about you, to have it corrected \
                 or deleted, or to object to how we use it: {write_to}. If you are not happy \
                 with our answer you can complain to the Information Commissioner's Office \
                 (ICO).\n"
            ),
            Statement::Cookies => "Cookies are small files saved on your device. This website \
                 uses only the cookies it needs to work, so it does not ask for your consent, \
                 and it sets no cookies for analytics or advertising.\n\n\
                 | Name | What it is for | How long it is kept |\n\
                 |---|---|---|\n\
                 | townhall_session | keeps staff signed in | 12 hours, or until they sign out |\n\
                 | townhall_visitor | on idea challenges only: tells one browser's votes \
                 from another's, holding a random number | until you delete it |\n"
                .to_string(),
        }
    }
}

/// The department's name, for the defaults: the first top-level organisation.
async fn site_name(app: &App) -> Result<String, PageError> {
    let organisations = app.db.organisations().await?;
    Ok((organisations.iter())
        .find(|o| o.parent_id.is_none())
        .map(|o| o.name.clone())
        .unwrap_or_else(|| "the organisation that publishes it".into()))
}

/// The statement's Markdown and HTML: the admin's, or the default.
async fn current(app: &App, statement: Statement) -> Result<(String, String, bool), PageError> {
    if let (Some(markdown), Some(html)) = (
        app.db.setting(&statement.markdown_key()).await?,
        app.db.setting(&statement.html_key()).await?,
    ) {
        return Ok((markdown, html, true));
    }
    let contact = app.db.setting(CONTACT).await?;
    let markdown = statement.default_markdown(&site_name(app).await?, contact.as_deref());
    let html = crate::sanitise::render_markdown_off_thread(markdown.clone())
        .await
        .map_err(|e| anyhow::anyhow!("the default {} does not render: {e}", statement.as_str()))?
        .html;
    Ok((markdown, html, false))
}

/// `GET /accessibility`, `/privacy`, `/cookies`.
pub async fn show(app: App, viewer: Viewer, statement: Statement) -> PageResult {
    let (_, body_html, _) = current(&app, statement).await?;
    viewer.render_public(
        &app,
        &[Topic::Posts, Topic::Organisations],
        "statement.html",
        context! { title => statement.title(), body_html },
    )
}

pub async fn accessibility(State(app): State<App>, viewer: Viewer) -> PageResult {
    show(app, viewer, Statement::Accessibility).await
}

pub async fn privacy(State(app): State<App>, viewer: Viewer) -> PageResult {
    show(app, viewer, Statement::Privacy).await
}

pub async fn cookies(State(app): State<App>, viewer: Viewer) -> PageResult {
    show(app, viewer, Statement::Cookies).await
}

/// `GET /admin/statements`: the three, and the contact address their defaults give.
pub async fn index(State(app): State<App>, viewer: Viewer) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let contact = app.db.setting(CONTACT).await?.unwrap_or_default();
    statements_page(&app, &viewer, &contact, &FieldErrors::new()).await
}

async fn statements_page(
    app: &App,
    viewer: &Viewer,
    contact: &str,
    errors: &FieldErrors,
) -> PageResult {
    let mut rows = Vec::new();
    for &s in Statement::ALL {
        let edited = app.db.setting(&s.markdown_key()).await?.is_some();
        rows.push(context! { slug => s.as_str(), title => s.title(), edited });
    }
    viewer.render_with_status(
        app,
        "admin/statements.html",
        context! {
            statements => rows, contact,
            errors => minijinja::value::Serde(errors.iter().collect::<Vec<_>>()),
        },
        form_status(errors),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    contact_email: String,
}

/// `POST /admin/statements`: the contact address (empty removes it).
pub async fn set_contact(
    State(app): State<App>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<ContactForm>,
) -> PageResult {
    let admin = viewer.require_hub_role(&app, Role::Admin).await?.clone();
    let typed = form.contact_email.trim();
    let value = if typed.is_empty() {
        None
    } else {
        match crate::domain::user::Email::parse(typed) {
            Ok(email) => Some(email.as_str().to_string()),
            Err(_) => {
                let errors = FieldErrors::one(
                    "contact_email",
                    "Enter an email address in the correct format, like name@example.gov.uk",
                );
                return statements_page(&app, &viewer, typed, &errors).await;
            }
        }
    };
    app.db.set_setting(CONTACT, value.as_deref()).await?;
    app.db
        .audit(Some(admin.id), "set contact address", "", typed)
        .await?;
    Ok(Redirect::to("/admin/statements").into_response())
}

fn statement(slug: &str) -> Result<Statement, PageError> {
    Statement::try_from(slug.to_string()).map_err(|_| PageError::NotFound)
}

/// `GET /admin/statements/{kind}`: its Markdown (the default until edited) to change.
pub async fn edit(State(app): State<App>, viewer: Viewer, Path(slug): Path<String>) -> PageResult {
    viewer.require_hub_role(&app, Role::Admin).await?;
    let statement = statement(&slug)?;
    let (markdown, _, edited) = current(&app, statement).await?;
    form_page(
        &app,
        &viewer,
        statement,
        &markdown,
        edited,
        &FieldErrors::new(),
    )
}

fn form_page(
    app: &App,
    viewer: &Viewer,
    statement: Statement,
    body: &str,
    edited: bool,
    errors: &FieldErrors,
) -> PageResult {
    viewer.render_with_status(
        app,
        "admin/statement_form.html",
        context! {
            slug => statement.as_str(), title => statement.title(), body, edited,
            errors => minijinja::value::Serde(errors.iter().collect::<Vec<_>>()),
        },
        form_status(errors),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatementForm {
    body: String,
}

/// `POST /admin/statements/{kind}`: saves the text (rendered once, here); an empty text
/// brings the default back.
pub async fn save(
    State(app): State<App>,
    viewer: Viewer,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<StatementForm>,
) -> PageResult {
    let admin = viewer.require_hub_role(&app, Role::Admin).await?.clone();
    let statement = statement(&slug)?;
    let body = form.body.trim();
    if body.is_empty() {
        app.db.set_setting(&statement.markdown_key(), None).await?;
        app.db.set_setting(&statement.html_key(), None).await?;
    } else {
        let rendered = match crate::sanitise::render_field(body, "body").await {
            Ok(r) => r,
            Err(errors) => return form_page(&app, &viewer, statement, body, true, &errors),
        };
        app.db
            .set_setting(&statement.html_key(), Some(&rendered.html))
            .await?;
        app.db
            .set_setting(&statement.markdown_key(), Some(body))
            .await?;
    }
    app.db
        .audit(Some(admin.id), "edited statement", statement.as_str(), "")
        .await?;
    Ok(Redirect::to(&format!("/{}", statement.as_str())).into_response())
}
