//! The media library: editors upload images and documents (`/admin/media`), bodies refer to
//! them in Markdown by their library address (`![Alt text](/media/12)` for an image, a
//! paragraph that is only `[Title](/media/13)` for a document), and the files are served
//! from the site's own origin under addresses that carry their content's hash, so browsers
//! keep them for a year.
//!
//! A body's stored HTML keeps the library address; [`with_media`] turns it, as a page is
//! made, into an image with its widths (`srcset`) or a GOV.UK attachment. So replacing an
//! item's file changes every page that shows it, which are then made again (topic
//! [`Topic::Media`]).

use crate::App;
use crate::domain::FieldErrors;
use crate::domain::media::{self, Kind};
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::store::media::{MediaDetails, MediaFile, MediaItem};
use crate::store::organisations::Organisation;
use crate::store::settings::CONTACT_EMAIL;
use crate::store::versions::Topic;
use crate::web::api::ApiUser;
use crate::web::error::{ApiError, ApiResult};
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::publishing::public::{PageQuery, pagination};
use crate::web::viewer::{
    CsrfForm, CsrfUpload, MediaUpload, SignedIn, UploadRefused, Viewer, read_upload,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;
use std::collections::HashMap;

/// How long a browser may keep a file whose address carries its hash: it never changes.
const FOREVER: &str = "public, max-age=31536000, immutable";

/// A file is shown by nothing but the browser itself: no script runs, nothing is fetched.
const FILE_POLICY: &str = "default-src 'none'; sandbox";

/// Items per page of the library.
const PER_PAGE: i64 = 30;

// ---------------------------------------------------------------------------------------
// Serving files

/// `GET /media/{id}/{hash}.{ext}`: one of an item's files, kept by browsers for a year.
/// Documents are always downloads.
pub async fn file(
    State(app): State<App>,
    Path((id, name)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let hash = name.split('.').next().unwrap_or_default();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PageError::NotFound);
    }
    let (format, filename, bytes) =
        (app.db.media_file_bytes(id, hash).await?).ok_or(PageError::NotFound)?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(FOREVER));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_POLICY),
    );
    if format.kind() == Kind::Document {
        let disposition = format!("attachment; filename=\"{filename}\"");
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

/// `GET /media/{id}`: the item's current file (its widest image), for links that must
/// outlive a replacement.
pub async fn current(State(app): State<App>, Path(id): Path<i64>) -> Result<Response, PageError> {
    let (item, files) = (app.db.media_with_files(&[id]).await?)
        .pop()
        .ok_or(PageError::NotFound)?;
    let widest = files.last().ok_or(PageError::NotFound)?;
    let mut r = Redirect::to(&file_path(&item, widest)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}

fn file_path(item: &MediaItem, file: &MediaFile) -> String {
    format!(
        "/media/{}/{}.{}",
        item.id,
        file.blob_hash,
        file.format.extension()
    )
}

// ---------------------------------------------------------------------------------------
// Bodies that refer to the library

/// `html` (a body as stored) with each reference to the library made into what it shows.
/// A body that refers to nothing costs no query.
pub async fn with_media(app: &App, html: &str) -> Result<String, PageError> {
    let ids = referred(html);
    if ids.is_empty() {
        return Ok(html.to_string());
    }
    let items: HashMap<i64, (MediaItem, Vec<MediaFile>)> = (app.db.media_with_files(&ids).await?)
        .into_iter()
        .map(|(item, files)| (item.id, (item, files)))
        .collect();
    let documents = items
        .values()
        .any(|(i, _)| i.format.kind() == Kind::Document);
    let contact = match documents {
        true => app.db.setting(CONTACT_EMAIL).await?,
        false => None,
    };
    Ok(expand(html, &Shown { items, contact }))
}

/// What a body's references are made into: the items it names, and the address the
/// attachments' "Request an accessible format" link writes to (none until an admin gives
/// one on `/admin/statements`).
struct Shown {
    items: HashMap<i64, (MediaItem, Vec<MediaFile>)>,
    contact: Option<String>,
}

/// The topics of a page whose body may show library items: `topics` and [`Topic::Media`].
pub fn and_media<const N: usize>(topics: [Topic; N]) -> Vec<Topic> {
    let mut all = topics.to_vec();
    all.push(Topic::Media);
    all
}

const PREFIX: &str = "\"/media/";

/// The item ids a body refers to (`"/media/ID"` as a whole attribute value).
fn referred(html: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(PREFIX) {
        rest = &rest[at + PREFIX.len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if rest[digits..].starts_with('"')
            && let Ok(id) = rest[..digits].parse::<i64>()
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// Rewrites `<img src="/media/ID" …>` for an image and `<p><a href="/media/ID">Title</a></p>`
/// for a document. The HTML is the sanitiser's output, so tags and attributes are
/// well formed, values are double-quoted and a `"` inside one is escaped.
fn expand(html: &str, found: &Shown) -> String {
    let find_img = |from: usize| html[from..].find("<img ").map(|i| i + from);
    let find_para = |from: usize| paragraph_of_a_link(&html[from..]).map(|i| i + from);
    let mut out = String::with_capacity(html.len() + 512);
    let mut pos = 0;
    // Each search goes forward from where the last one stopped, so a body is read once
    // however many images it has.
    let (mut next_img, mut next_para) = (find_img(0), find_para(0));
    loop {
        let at = match (next_img, next_para) {
            (Some(i), Some(p)) => i.min(p),
            (Some(i), None) => i,
            (None, Some(p)) => p,
            (None, None) => break,
        };
        out.push_str(&html[pos..at]);
        let done = if Some(at) == next_img {
            image_tag(&html[at..], &found.items)
        } else {
            attachment(&html[at..], found)
        };
        pos = match done {
            Some((tag, used)) => {
                out.push_str(&tag);
                at + used
            }
            None => {
                out.push('<');
                at + 1
            }
        };
        if next_img.is_some_and(|i| i < pos) {
            next_img = find_img(pos);
        }
        if next_para.is_some_and(|p| p < pos) {
            next_para = find_para(pos);
        }
    }
    out.push_str(&html[pos..]);
    out
}

/// Where the next paragraph that starts with a link to the library begins.
fn paragraph_of_a_link(html: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = html[from..].find("<p").map(|i| i + from) {
        let rest = &html[at..];
        if let Some((_, open)) = attributes(rest).filter(|_| rest[2..].starts_with([' ', '>']))
            && rest[open..].starts_with("<a ")
            && rest[open..]
                .find('>')
                .is_some_and(|end| rest[open..open + end].contains(PREFIX))
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// The attributes of the tag at the start of `html`, and where the tag ends.
fn attributes(html: &str) -> Option<(Vec<(&str, &str)>, usize)> {
    let mut attrs = Vec::new();
    let mut i = html.find([' ', '>'])?;
    loop {
        i += html[i..].len() - html[i..].trim_start().len();
        let rest = &html[i..];
        if rest.starts_with('>') {
            return Some((attrs, i + 1));
        }
        let eq = rest.find("=\"")?;
        let name = &rest[..eq];
        let value_start = eq + 2;
        let end = rest[value_start..].find('"')? + value_start;
        attrs.push((name, &rest[value_start..end]));
        i += end + 1;
    }
}

fn media_id(value: &str) -> Option<i64> {
    value.strip_prefix("/media/")?.parse().ok()
}

/// An image from the library in each of its widths.
fn image_tag(
    html: &str,
    found: &HashMap<i64, (MediaItem, Vec<MediaFile>)>,
) -> Option<(String, usize)> {
    let (attrs, used) = attributes(html)?;
    let get = |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let (item, files) = found.get(&media_id(get("src")?)?)?;
    if item.format.kind() != Kind::Image || files.is_empty() {
        return None;
    }
    // The sanitiser escaped what the Markdown said; the library's text is escaped here.
    let alt = match get("alt").filter(|a| !a.trim().is_empty()) {
        _ if item.decorative => String::new(),
        Some(written) => written.to_string(),
        None => crate::sanitise::escape(&item.alt),
    };
    let srcset = (files.iter())
        .map(|f| format!("{} {}w", file_path(item, f), f.width))
        .collect::<Vec<_>>()
        .join(", ");
    // A two-thirds column is at most 640 CSS pixels wide; below that the image fills it.
    let fallback = (files.iter().rev().find(|f| f.width <= 960)).unwrap_or(&files[0]);
    let title = get("title")
        .map(|t| format!(" title=\"{t}\""))
        .unwrap_or_default();
    let tag = format!(
        "<img src=\"{}\" srcset=\"{srcset}\" sizes=\"(min-width: 1020px) 640px, 100vw\" \
         width=\"{}\" height=\"{}\" alt=\"{alt}\"{title} loading=\"lazy\" decoding=\"async\">",
        file_path(item, fallback),
        item.width.unwrap_or_default(),
        item.height.unwrap_or_default(),
    );
    Some((tag, used))
}

/// A document from the library in the GOV.UK attachment pattern: its title, type, size and,
/// for a PDF, its number of pages. `html` starts with a paragraph that holds nothing but a
/// link to the library.
fn attachment(html: &str, shown: &Shown) -> Option<(String, usize)> {
    let (_, open_p) = attributes(html)?;
    let link = html[open_p..]
        .strip_prefix("<a ")
        .map(|_| &html[open_p..])?;
    let (attrs, open_a) = attributes(link)?;
    if attrs
        .iter()
        .any(|(name, _)| !matches!(*name, "href" | "class"))
    {
        return None;
    }
    let href = attrs.iter().find(|(name, _)| *name == "href")?.1;
    let (item, files) = shown.items.get(&media_id(href)?)?;
    let close = "</a></p>";
    let text_end = link[open_a..].find(close)? + open_a;
    let text = &link[open_a..text_end];
    if item.format.kind() != Kind::Document || text.contains('<') {
        return None;
    }
    let file = files.first()?;
    let mut facts = vec![
        item.format.label().to_string(),
        media::human_size(item.size as u64),
    ];
    if let Some(pages) = item.pages {
        facts.push(format!("{pages} page{}", if pages == 1 { "" } else { "s" }));
    }
    let block = format!(
        "<div class=\"app-attachment\">\
         <div class=\"app-attachment__thumbnail\" aria-hidden=\"true\">{}</div>\
         <div class=\"app-attachment__details\">\
         <p class=\"govuk-heading-s app-attachment__title\">\
         <a class=\"govuk-link\" href=\"{}\" download>{text}</a></p>\
         <p class=\"govuk-body-s app-attachment__metadata\">{}</p>{}\
         </div></div>",
        item.format.extension().to_uppercase(),
        file_path(item, file),
        facts.join(", "),
        request_link(shown.contact.as_deref(), &item.title),
    );
    Some((block, open_p + text_end + close.len()))
}

/// The GOV.UK attachment's offer of another format, by e-mail to the site's contact address.
fn request_link(contact: Option<&str>, title: &str) -> String {
    let Some(contact) = contact else {
        return String::new();
    };
    let subject =
        crate::web::error::urlencode(&format!("Request for '{title}' in an alternative format"));
    format!(
        "<p class=\"govuk-body-s app-attachment__metadata\">This file may not be suitable for \
         users of assistive technology. <a class=\"govuk-link\" href=\"mailto:{}?subject={subject}\">\
         Request an accessible format<span class=\"govuk-visually-hidden\"> of {}</span></a>.</p>",
        crate::sanitise::escape(contact),
        crate::sanitise::escape(title),
    )
}

// ---------------------------------------------------------------------------------------
// The library, for editors

// The viewer, and the organisations whose library items they may add, change and delete:
// those whose posts they edit.
use crate::web::publishing::admin::editor_orgs as editor;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LibraryQuery {
    q: String,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /admin/media`: every item, latest first, searchable by title and file name.
pub async fn library(
    State(app): State<App>,
    viewer: Viewer,
    Query(q): Query<LibraryQuery>,
) -> PageResult {
    editor(&app, &viewer).await?;
    let page = q.page.number();
    let search = q.q.trim();
    let (items, total) = app
        .db
        .media_items(search, PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let thumbnails: HashMap<i64, String> = (app.db.media_with_files(&ids).await?)
        .into_iter()
        .filter(|(item, _)| item.format.kind() == Kind::Image)
        .filter_map(|(item, files)| Some((item.id, file_path(&item, files.first()?))))
        .collect();
    let rows: Vec<_> = (items.iter())
        .map(|item| {
            context! {
                item => Serde(item),
                kind => Serde(item.format.kind()),
                label => item.format.label(),
                size => media::human_size(item.size as u64),
                thumbnail => thumbnails.get(&item.id),
                markdown => markdown_for(item),
            }
        })
        .collect();
    let base = format!("/admin/media?q={}", crate::web::error::urlencode(search));
    let (count, blobs, bytes) = app.db.media_totals().await?;
    viewer.render(
        &app,
        "admin/media.html",
        context! {
            items => rows, q => search, total, count, blobs,
            stored => media::human_size(bytes as u64),
            pagination => pagination(&base, page, total, PER_PAGE),
        },
    )
}

/// What an editor pastes into a body to show the item.
fn markdown_for(item: &MediaItem) -> String {
    match item.format.kind() {
        Kind::Image => format!(
            "![{}](/media/{})",
            item.alt.replace(['[', ']'], ""),
            item.id
        ),
        Kind::Document => format!(
            "[{}](/media/{})",
            item.title.replace(['[', ']'], ""),
            item.id
        ),
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DetailsForm {
    organisation: String,
    title: String,
    alt: String,
    decorative: Option<String>,
}

impl DetailsForm {
    fn from_fields(fields: &HashMap<String, String>) -> Self {
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        DetailsForm {
            organisation: get("organisation"),
            title: get("title"),
            alt: get("alt"),
            decorative: fields.get("decorative").cloned(),
        }
    }

    /// The details, or what is wrong with them; `kind` is what the file is (`None` when
    /// there is no usable file yet, and then the alternative text is checked as for an image).
    fn check(&self, kind: Option<Kind>, errors: &mut FieldErrors) -> Option<MediaDetails> {
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", "Enter a title that says what the file is");
        } else if title.chars().count() > 200 {
            errors.add("title", "The title must be 200 characters or fewer");
        }
        let decorative = self.decorative.is_some();
        let alt = self.alt.trim();
        if kind != Some(Kind::Document) && !decorative && alt.is_empty() {
            errors.add(
                "alt",
                "Describe the image for people who cannot see it, or mark it as decorative",
            );
        } else if alt.chars().count() > 250 {
            errors.add("alt", "The description must be 250 characters or fewer");
        }
        errors.is_empty().then(|| MediaDetails {
            title: title.to_string(),
            alt: if decorative {
                String::new()
            } else {
                alt.to_string()
            },
            decorative,
        })
    }
}

fn upload_page(
    app: &App,
    viewer: &Viewer,
    orgs: &[Organisation],
    form: &DetailsForm,
    errors: &FieldErrors,
) -> PageResult {
    viewer.render_with_status(
        app,
        "admin/media_upload.html",
        context! {
            form => context! {
                organisation => &form.organisation, title => &form.title, alt => &form.alt,
                decorative => form.decorative.is_some(),
            },
            organisations => Serde(orgs),
            limit => media::human_size(app.config.max_upload_bytes),
            accepted => media::ACCEPTED,
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        form_status(errors),
    )
}

/// `GET /admin/media/new`.
pub async fn new(State(app): State<App>, viewer: Viewer) -> PageResult {
    let (_, orgs) = editor(&app, &viewer).await?;
    let form = DetailsForm {
        organisation: orgs[0].slug.clone(),
        ..Default::default()
    };
    upload_page(&app, &viewer, &orgs, &form, &FieldErrors::new())
}

/// Checks an upload (organisation, details, file) and stores it: the new item's id, or what
/// is wrong with it. The admin form and the API both come here.
async fn add_upload(
    app: &App,
    user: &SignedIn,
    orgs: &[Organisation],
    upload: CsrfUpload,
) -> Result<Result<i64, FieldErrors>, StoreError> {
    let form = DetailsForm::from_fields(&upload.fields);
    let mut errors = FieldErrors::new();
    let org = orgs.iter().find(|o| o.slug == form.organisation);
    if org.is_none() {
        errors.add(
            "organisation",
            "Choose the organisation the file belongs to",
        );
    }
    let content = errors.check("file", crate::media::content_of(upload.file).await);
    let details = form.check(content.as_ref().map(|c| c.format.kind()), &mut errors);
    let (Some(org), Some(content), Some(details)) = (org, content, details) else {
        return Ok(Err(errors));
    };
    let id = app
        .db
        .add_media(org.id, &details, &content, Some(user.id))
        .await?;
    app.db
        .audit(
            Some(user.id),
            "uploaded media",
            &id.to_string(),
            &content.filename,
        )
        .await?;
    Ok(Ok(id))
}

/// `POST /admin/media/new` (`multipart/form-data`): the file and its details.
pub async fn upload(
    State(app): State<App>,
    viewer: Viewer,
    MediaUpload(upload): MediaUpload,
) -> PageResult {
    let (user, orgs) = editor(&app, &viewer).await?;
    let form = DetailsForm::from_fields(&upload.fields);
    match add_upload(&app, &user, &orgs, upload).await? {
        Ok(id) => Ok(Redirect::to(&format!("/admin/media/{id}")).into_response()),
        Err(errors) => upload_page(&app, &viewer, &orgs, &form, &errors),
    }
}

/// What the API says about a library item.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiMediaItem {
    pub id: i64,
    pub title: String,
    /// "image" or "document".
    pub kind: String,
    /// jpeg, png, pdf, docx…
    pub format: String,
    /// Bytes of the file as uploaded.
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub pages: Option<i64>,
    /// What to put in a body's Markdown to show it.
    pub markdown: String,
    /// The item's address, which leads to its current file.
    pub url: String,
}

/// `POST /api/v1/media`: upload an image or document (editor), as `multipart/form-data`
/// with the fields of the admin form: `organisation`, `title`, `alt` (images), `decorative`
/// (any value marks an image decorative) and `file`.
#[utoipa::path(
    post,
    path = "/api/v1/media",
    operation_id = "uploadMedia",
    tag = "publishing",
    summary = "Upload an image or a document to the media library (editor)",
    security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "Fields organisation, title, alt, decorative and file"),
    responses(
        (status = 201, description = "Stored", body = ApiMediaItem),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 413, description = "Larger than the server's --max-upload-mb"),
        (status = 422, response = crate::web::openapi::Invalid),
    )
)]
pub async fn api_upload(
    State(app): State<App>,
    user: ApiUser,
    req: axum::extract::Request,
) -> ApiResult<(axum::http::StatusCode, axum::Json<ApiMediaItem>)> {
    let (user, orgs) = user.organisations_for(&app, Role::Editor).await?;
    let upload = read_upload(req, &app, app.config.max_upload_bytes)
        .await
        .map_err(|e| match e {
            UploadRefused::TooLarge(m) => ApiError::TooLarge(m),
            UploadRefused::Unreadable(m) | UploadRefused::Nul(m) => ApiError::BadRequest(m),
        })?;
    let id = add_upload(&app, &user, &orgs, upload)
        .await?
        .map_err(ApiError::Invalid)?;
    let item = app.db.media_item(id).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        axum::Json(ApiMediaItem {
            id,
            kind: match item.format.kind() {
                Kind::Image => "image".into(),
                Kind::Document => "document".into(),
            },
            format: item.format.as_str().into(),
            size: item.size,
            width: item.width,
            height: item.height,
            pages: item.pages,
            markdown: markdown_for(&item),
            url: format!("/media/{id}"),
            title: item.title,
        }),
    ))
}

/// The item, if the viewer may change it.
async fn editable(
    app: &App,
    viewer: &Viewer,
    id: i64,
) -> Result<(SignedIn, Vec<Organisation>, MediaItem), PageError> {
    let (user, orgs) = editor(app, viewer).await?;
    let item = app.db.media_item(id).await?;
    if !orgs.iter().any(|o| o.id == item.organisation_id) {
        return Err(PageError::Forbidden);
    }
    Ok((user, orgs, item))
}

fn item_page(
    app: &App,
    viewer: &Viewer,
    shown: &(MediaItem, Vec<MediaFile>),
    uses: &[crate::store::media::MediaUse],
    form: &DetailsForm,
    errors: &FieldErrors,
) -> PageResult {
    let (item, files) = shown;
    let preview = (item.format.kind() == Kind::Image)
        .then(|| {
            files
                .iter()
                .rev()
                .find(|f| f.width <= 640)
                .or(files.first())
        })
        .flatten()
        .map(|f| file_path(item, f));
    viewer.render_with_status(
        app,
        "admin/media_item.html",
        context! {
            item => Serde(item),
            kind => Serde(item.format.kind()),
            label => item.format.label(),
            size => media::human_size(item.size as u64),
            preview,
            download => files.last().map(|f| file_path(item, f)),
            markdown => markdown_for(item),
            uses => Serde(uses),
            form => context! {
                title => &form.title, alt => &form.alt, decorative => form.decorative.is_some(),
            },
            limit => media::human_size(app.config.max_upload_bytes),
            errors => Serde(errors.iter().collect::<Vec<_>>()),
        },
        form_status(errors),
    )
}

async fn show_item(
    app: &App,
    viewer: &Viewer,
    id: i64,
    form: Option<&DetailsForm>,
    errors: &FieldErrors,
) -> PageResult {
    let shown = (app.db.media_with_files(&[id]).await?)
        .pop()
        .ok_or(PageError::NotFound)?;
    let uses = app.db.media_uses(id).await?;
    let current = DetailsForm {
        title: shown.0.title.clone(),
        alt: shown.0.alt.clone(),
        decorative: shown.0.decorative.then(|| "yes".into()),
        ..Default::default()
    };
    item_page(app, viewer, &shown, &uses, form.unwrap_or(&current), errors)
}

/// `GET /admin/media/{id}`: the item, where it is used, and forms to change it.
pub async fn item(State(app): State<App>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    editable(&app, &viewer, id).await?;
    show_item(&app, &viewer, id, None, &FieldErrors::new()).await
}

/// `POST /admin/media/{id}`: a new title or alternative text.
pub async fn update(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> PageResult {
    let (user, _, item) = editable(&app, &viewer, id).await?;
    let mut errors = FieldErrors::new();
    let Some(details) = form.check(Some(item.format.kind()), &mut errors) else {
        return show_item(&app, &viewer, id, Some(&form), &errors).await;
    };
    app.db.update_media_details(id, &details).await?;
    app.db
        .audit(
            Some(user.id),
            "changed media",
            &id.to_string(),
            &details.title,
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/media/{id}")).into_response())
}

/// `POST /admin/media/{id}/replace` (`multipart/form-data`): new content at the same
/// library address, shown wherever the item is used.
pub async fn replace(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    MediaUpload(upload): MediaUpload,
) -> PageResult {
    let (user, _, item) = editable(&app, &viewer, id).await?;
    let content = match crate::media::content_of(upload.file).await {
        Ok(c) if c.format.kind() != item.format.kind() => Err(match item.format.kind() {
            Kind::Image => "Replace an image with another image".to_string(),
            Kind::Document => "Replace a document with another document".to_string(),
        }),
        other => other,
    };
    match content {
        Ok(content) => {
            app.db.replace_media(id, &content).await?;
            app.db
                .audit(
                    Some(user.id),
                    "replaced media",
                    &id.to_string(),
                    &content.filename,
                )
                .await?;
            Ok(Redirect::to(&format!("/admin/media/{id}")).into_response())
        }
        Err(message) => {
            let errors = FieldErrors::one("replacement", message);
            show_item(&app, &viewer, id, None, &errors).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NoFields {}

/// `POST /admin/media/{id}/delete`: refused while a body refers to the item, naming where.
pub async fn delete(
    State(app): State<App>,
    viewer: Viewer,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (user, _, item) = editable(&app, &viewer, id).await?;
    let uses = app.db.media_uses(id).await?;
    if let Some(first) = uses.first() {
        let more = match uses.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let message = format!(
            "This file cannot be deleted because it is used in {} “{}”{more}: take it out of \
             those first",
            first.what.to_lowercase(),
            first.title
        );
        return show_item(
            &app,
            &viewer,
            id,
            None,
            &FieldErrors::one("delete", message),
        )
        .await;
    }
    match app.db.delete_media(id).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    app.db
        .audit(Some(user.id), "deleted media", &id.to_string(), &item.title)
        .await?;
    Ok(Redirect::to("/admin/media").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::media::Format;
    use crate::domain::time::Timestamp;

    fn item(id: i64, format: Format) -> MediaItem {
        MediaItem {
            id,
            organisation_id: 1,
            organisation_name: "Org".into(),
            title: "Strategy <2026>".into(),
            alt: "A \"quoted\" view".into(),
            decorative: false,
            format,
            filename: "s.pdf".into(),
            size: 2_516_582,
            width: Some(1000),
            height: Some(500),
            pages: Some(24),
            created_at: Timestamp::from_secs(0),
            updated_at: Timestamp::from_secs(0),
        }
    }

    fn file(id: i64, width: i64, format: Format) -> MediaFile {
        MediaFile {
            media_id: id,
            width,
            format,
            blob_hash: format!("{width:064}"),
        }
    }

    fn library() -> Shown {
        let items = HashMap::from([
            (
                1,
                (
                    item(1, Format::Jpeg),
                    vec![file(1, 320, Format::Jpeg), file(1, 1000, Format::Jpeg)],
                ),
            ),
            (2, (item(2, Format::Pdf), vec![file(2, 0, Format::Pdf)])),
        ]);
        Shown {
            items,
            contact: Some("access@example.gov.uk".into()),
        }
    }

    #[test]
    fn references_are_found_once_each() {
        let html = r#"<img src="/media/1" alt=""><a href="/media/2">x</a><img src="/media/1"><a href="/media/12x">"#;
        assert_eq!(referred(html), [1, 2]);
    }

    #[test]
    fn an_image_gets_its_widths_and_the_librarys_alt_text() {
        let out = expand(r#"<p><img src="/media/1" alt=""></p>"#, &library());
        assert!(
            out.contains(&format!("srcset=\"/media/1/{:064}.jpg 320w, ", 320)),
            "{out}"
        );
        assert!(out.contains("1000w\""), "{out}");
        assert!(out.contains("alt=\"A &quot;quoted&quot; view\""), "{out}");
        assert!(out.contains("width=\"1000\" height=\"500\""), "{out}");
        let written = expand(r#"<img src="/media/1" alt="Mine">"#, &library());
        assert!(written.contains("alt=\"Mine\""), "{written}");
    }

    #[test]
    fn a_document_on_its_own_line_becomes_an_attachment() {
        let out = expand(
            r#"<p>Read it:</p><p class="govuk-body"><a href="/media/2" class="govuk-link">The strategy</a></p>"#,
            &library(),
        );
        assert!(
            out.starts_with("<p>Read it:</p><div class=\"app-attachment\">"),
            "{out}"
        );
        assert!(out.contains("PDF, 2.4 MB, 24 pages"), "{out}");
        assert!(
            out.contains(&format!("href=\"/media/2/{:064}.pdf\" download", 0)),
            "{out}"
        );
        assert!(out.ends_with("</div></div>"), "{out}");
        assert!(
            out.contains("href=\"mailto:access@example.gov.uk?subject=Request%20for%20%27Strategy%20%3C2026%3E%27"),
            "{out}"
        );
        assert!(out.contains("Request an accessible format"), "{out}");
    }

    #[test]
    fn anything_else_is_left_as_it_was() {
        for html in [
            r#"<p>See <a href="/media/2">it</a> here</p>"#,
            r#"<img src="/media/9" alt="unknown">"#,
            r#"<img src="https://example.org/x.png" alt="elsewhere">"#,
            r#"<p><a href="/media/1">an image as a link</a></p>"#,
            "<img broken",
        ] {
            assert_eq!(expand(html, &library()), html);
        }
    }
}
