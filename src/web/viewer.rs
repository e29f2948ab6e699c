//! Who is looking: the signed-in user (from the session cookie) or a visitor, the CSRF token
//! their forms carry, and page rendering with the layout's common context.
//!
//! CSRF protection (ARCHITECTURE.md, "Security"):
//! 1. `middleware::cross_origin_guard` refuses any state-changing request that a browser
//!    marks as cross-site (`Sec-Fetch-Site`) or whose `Origin` is another site.
//! 2. A signed-in user's forms also carry their session's token, checked by [`CsrfForm`].
//!    A visitor who is not signed in holds no authority a forged form could borrow, and gets
//!    no token, so the public pages are the same bytes for everyone (`shared_pages`).

use crate::App;
use crate::auth::{constant_time_eq, token_hash};
use crate::domain::role::Role;
use crate::store::organisations::Organisation;
use crate::store::users::Membership;
use crate::store::versions::Topic;
use crate::web::error::{PageError, PageResult};
use crate::web::shared_pages::ForEveryone;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse};
use axum_extra::extract::cookie::CookieJar;
use minijinja::{Value, context};
use serde::de::DeserializeOwned;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "townhall_session";
/// A session's last use is written at most this often (each write is one per minute per
/// signed-in person, not one per request).
const TOUCH_EVERY_SECS: i64 = 60;

/// A signed-in user and their roles.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedIn {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub memberships: Vec<Membership>,
    /// Manages every organisation (see [`SignedIn::administered`]).
    pub hub_admin: bool,
    /// Signs in with a second factor.
    pub two_factor: bool,
    /// Must set up a second factor (`--two-factor`) before any other signed-in page.
    pub two_factor_owed: bool,
    #[serde(skip)]
    pub session_hash: String,
}

impl SignedIn {
    /// The user with their roles, for a session (`session_hash`) or an API token (empty).
    pub async fn load(
        db: &crate::store::Db,
        id: i64,
        session_hash: String,
    ) -> crate::store::StoreResult<SignedIn> {
        let u = db.user(id).await?;
        Ok(SignedIn {
            memberships: db.memberships(u.id).await?,
            id: u.id,
            name: u.name,
            email: u.email,
            hub_admin: u.hub_admin,
            two_factor: u.two_factor,
            two_factor_owed: false,
            session_hash,
        })
    }

    /// True when the user holds `role` (or admin) in a top-level organisation, which makes
    /// it a hub-wide role.
    pub fn has_hub_role(&self, role: Role, top_level: &[i64]) -> bool {
        self.memberships
            .iter()
            .any(|m| m.role.grants(role) && top_level.contains(&m.organisation_id))
    }

    /// True when the user may manage organisations and users somewhere.
    pub fn is_admin(&self) -> bool {
        self.hub_admin || self.memberships.iter().any(|m| m.role == Role::Admin)
    }

    /// The ids of the organisations whose details, bodies and roles this user manages:
    /// every one for a hub admin; otherwise each where they hold admin, with the bodies
    /// under it.
    pub fn administered(&self, all: &[Organisation]) -> Vec<i64> {
        all.iter()
            .filter(|o| self.hub_admin || self.has_role_in(Role::Admin, &o.lineage()))
            .map(|o| o.id)
            .collect()
    }

    /// The organisations (of `all`) in which the user holds `role`, there or above.
    pub fn organisations_with(&self, role: Role, all: &[Organisation]) -> Vec<Organisation> {
        all.iter()
            .filter(|o| self.has_role_in(role, &o.lineage()))
            .cloned()
            .collect()
    }

    /// True when the user holds `role` (or admin) in `org` or in one of its ancestors.
    pub fn has_role_in(&self, role: Role, org_and_ancestors: &[i64]) -> bool {
        self.memberships
            .iter()
            .any(|m| m.role.grants(role) && org_and_ancestors.contains(&m.organisation_id))
    }
}

/// The request's viewer; cached in the request's extensions so extractors share one lookup.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<SignedIn>,
    /// The session's form token; empty for a visitor who is not signed in.
    pub csrf_token: String,
    pub path: String,
}

impl FromRequestParts<App> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<Arc<Viewer>>() {
            return Ok((**v).clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let mut user = None;
        let mut session_csrf = None;
        if let Some(cookie) = jar.get(SESSION_COOKIE) {
            let hash = token_hash(cookie.value());
            let idle_secs = app.config.sessions.idle_secs;
            if let Some(session) = app.db.session(&hash, idle_secs).await? {
                if crate::store::now().secs() - session.last_seen_at.secs() >= TOUCH_EVERY_SECS {
                    app.db.touch_session(&hash).await?;
                }
                session_csrf = Some(session.csrf_token);
                let mut signed_in = SignedIn::load(&app.db, session.user_id, hash).await?;
                signed_in.two_factor_owed =
                    !signed_in.two_factor && app.config.two_factor.requires(signed_in.is_admin());
                user = Some(signed_in);
            }
        }
        let viewer = Viewer {
            user,
            csrf_token: session_csrf.unwrap_or_default(),
            path: parts.uri.path().to_string(),
        };
        parts.extensions.insert(Arc::new(viewer.clone()));
        Ok(viewer)
    }
}

impl Viewer {
    /// A visitor who is not signed in, for pages rendered when the session cannot be read
    /// (an error page while the database is down).
    pub fn anonymous(path: &str) -> Viewer {
        Viewer {
            user: None,
            csrf_token: String::new(),
            path: path.to_string(),
        }
    }

    /// The signed-in user, or a redirect to sign in (or, for someone who must set up a
    /// second factor and has not, to setting it up).
    pub fn signed_in(&self) -> PageResult<&SignedIn> {
        let user = self.signed_in_owing_two_factor()?;
        if user.two_factor_owed {
            return Err(PageError::TwoFactorOwed);
        }
        Ok(user)
    }

    /// The signed-in user, even one who has still to set up a second factor: only for
    /// setting it up and signing out.
    pub fn signed_in_owing_two_factor(&self) -> PageResult<&SignedIn> {
        self.user.as_ref().ok_or_else(|| PageError::SignIn {
            next: self.path.clone(),
        })
    }

    /// The signed-in user if they hold `role` hub-wide; 403 otherwise.
    pub async fn require_hub_role(&self, app: &App, role: Role) -> PageResult<&SignedIn> {
        let user = self.signed_in()?;
        let top = app.db.department_ids().await?;
        if user.has_hub_role(role, &top) {
            Ok(user)
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// Renders `template` inside the layout, with the viewer and CSRF token in its context.
    pub fn render(&self, app: &App, template: &str, ctx: Value) -> PageResult {
        self.render_with_status(app, template, ctx, axum::http::StatusCode::OK)
    }

    /// Renders a page that is the same for every visitor who is not signed in and shows
    /// `topics`: `shared_pages` keeps it for them until one of those changes. A signed-in
    /// viewer's copy is theirs alone.
    pub fn render_public(
        &self,
        app: &App,
        topics: &[Topic],
        template: &str,
        ctx: Value,
    ) -> PageResult {
        let mut page = self.render(app, template, ctx)?;
        if self.user.is_some() {
            let private = crate::web::shared_pages::PRIVATE;
            page.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, private);
            return Ok(page);
        }
        Ok(ForEveryone::showing(topics).mark(page))
    }

    pub fn render_with_status(
        &self,
        app: &App,
        template: &str,
        ctx: Value,
        status: axum::http::StatusCode,
    ) -> PageResult {
        let html = render_page(app, template, self, ctx)?;
        Ok(self.respond(html, status))
    }

    /// `html` as the response.
    fn respond(&self, html: String, status: axum::http::StatusCode) -> axum::response::Response {
        (status, Html(html)).into_response()
    }
}

/// Renders a page template with the layout's common context (viewer, asset URLs, nav).
pub fn render_page(
    app: &App,
    template: &str,
    viewer: &Viewer,
    ctx: Value,
) -> Result<String, minijinja::Error> {
    let base = context! {
        user => minijinja::value::Serde(viewer.user.as_ref()),
        csrf_token => &viewer.csrf_token,
        current_path => &viewer.path,
        css_url => crate::web::assets::url("townhall.css"),
        // `--public-url` without its trailing slash, for absolute links in metadata.
        public_url => app.config.public_url.as_ref().map(|u| u.as_str().trim_end_matches('/').to_string()),
        js_url => crate::web::assets::url("townhall.js"),
    };
    app.templates
        .get_template(template)?
        .render(context! { ..ctx, ..base })
}

/// A form body whose CSRF token has been checked against the viewer's.
pub struct CsrfForm<T>(pub T);

/// What a posted form's CSRF token is checked against: the viewer's.
struct CsrfGuard {
    viewer: Viewer,
}

impl CsrfGuard {
    async fn of(parts: &mut Parts, app: &App) -> Result<CsrfGuard, PageError> {
        let viewer = Viewer::from_request_parts(parts, app).await?;
        Ok(CsrfGuard { viewer })
    }

    fn check(&self, given: Option<&str>) -> Result<(), PageError> {
        // Without a session the request carries no authority to borrow, and the
        // cross-origin guard has already refused browsers' cross-site posts.
        let must_match = self.viewer.user.is_some();
        if must_match && !constant_time_eq(given.unwrap_or_default(), &self.viewer.csrf_token) {
            return Err(PageError::BadRequest(
                "This form has expired. Go back, reload the page and try again.".into(),
            ));
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned + Send> FromRequest<App> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let guard = CsrfGuard::of(&mut parts, app).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
            PageError::TooLarge("The form was too large to accept: shorten what you wrote.".into())
        })?;
        if crate::web::middleware::form_has_nul(&bytes) {
            return Err(PageError::BadRequest(
                crate::web::middleware::NUL_REFUSED.into(),
            ));
        }
        let token: TokenField =
            serde_html_form::from_bytes(&bytes).unwrap_or(TokenField { csrf_token: None });
        guard.check(token.csrf_token.as_deref())?;
        let value = serde_html_form::from_bytes(&bytes)
            .map_err(|e| PageError::BadRequest(format!("The form could not be read: {e}")))?;
        Ok(CsrfForm(value))
    }
}

/// A form with nothing but its CSRF token (a button that deletes, restores, fetches…).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// The largest form body accepted (long posts and consultation answers fit easily).
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// A `multipart/form-data` form (one with files) whose CSRF token has been checked like
/// [`CsrfForm`]'s: text fields by name, and the files in the order sent.
pub struct CsrfUpload {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<UploadedFile>,
}

/// A file sent in a form.
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// Its name on the sender's computer.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl CsrfUpload {
    /// The first file, for forms that send one.
    pub fn file(&self) -> Option<&UploadedFile> {
        self.files.first()
    }

    /// The first file as (name, bytes), taken out of the form.
    pub fn take_file(&mut self) -> Option<(String, Vec<u8>)> {
        (!self.files.is_empty()).then(|| {
            let f = self.files.remove(0);
            (f.name, f.bytes)
        })
    }

    /// The file sent in field `field`, if one was chosen (a browser sends an empty file with
    /// no name for a file input left empty).
    pub fn file_in(&self, field: &str) -> Option<&UploadedFile> {
        (self.files.iter()).find(|f| f.field == field && !(f.name.is_empty() && f.bytes.is_empty()))
    }
}

impl FromRequest<App> for CsrfUpload {
    type Rejection = PageError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        CsrfUpload::read(req, app, FORM_LIMIT as u64).await
    }
}

/// A [`CsrfUpload`] of a file for the media library: as large as `--max-upload-mb` allows
/// (its routes raise axum's body limit to match).
pub struct MediaUpload(pub CsrfUpload);

impl FromRequest<App> for MediaUpload {
    type Rejection = PageError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        Ok(MediaUpload(
            CsrfUpload::read(req, app, app.config.max_upload_bytes).await?,
        ))
    }
}

impl CsrfUpload {
    /// Reads a form of at most `limit` bytes (see [`read_upload`]) whose CSRF token is good.
    async fn read(req: Request, app: &App, limit: u64) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let guard = CsrfGuard::of(&mut parts, app).await?;
        let req = Request::from_parts(parts, body);
        let upload = read_upload(req, app, limit).await.map_err(|e| match e {
            UploadRefused::TooLarge(m) => PageError::TooLarge(m),
            UploadRefused::Unreadable(m) | UploadRefused::Nul(m) => PageError::BadRequest(m),
        })?;
        guard.check(upload.fields.get("csrf_token").map(String::as_str))?;
        Ok(upload)
    }
}

/// Why a `multipart/form-data` body was not read.
pub enum UploadRefused {
    TooLarge(String),
    Unreadable(String),
    Nul(String),
}

/// Reads a `multipart/form-data` body of at most `limit` bytes: its text fields and files. A body that says it is larger is refused before any of it is read; one that turns
/// out larger is refused as soon as it passes the limit.
pub async fn read_upload(req: Request, app: &App, limit: u64) -> Result<CsrfUpload, UploadRefused> {
    let too_large = || {
        UploadRefused::TooLarge(format!(
            "The file is too large: send one of {} or less.",
            crate::domain::media::human_size(limit)
        ))
    };
    let declared = (req.headers().get(axum::http::header::CONTENT_LENGTH))
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut multipart = axum::extract::Multipart::from_request(req, app)
        .await
        .map_err(|_| UploadRefused::Unreadable("Choose a file and send the form again.".into()))?;
    let mut upload = CsrfUpload {
        fields: Default::default(),
        files: Vec::new(),
    };
    let mut total = 0u64;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| too_large())? {
            total += chunk.len() as u64;
            if total > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        match filename {
            Some(file_name) => upload.files.push(UploadedFile {
                field: name,
                name: file_name,
                bytes,
            }),
            None if bytes.contains(&0) => {
                return Err(UploadRefused::Nul(
                    crate::web::middleware::NUL_REFUSED.into(),
                ));
            }
            None => {
                upload
                    .fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok(upload)
}
