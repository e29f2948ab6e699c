//! The library's pages for editors (find, upload, change, replace, delete) and its API.

use super::file_path;
use crate::App;
use crate::domain::FieldErrors;
use crate::domain::media::{self, Kind};
use crate::domain::role::Role;
use crate::store::StoreError;
use crate::store::media::{MediaDetails, MediaFile, MediaItem};
use crate::store::organisations::Organisation;
use crate::web::api::ApiUser;
use crate::web::error::{ApiError, ApiResult};
use crate::web::error::{PageError, PageResult, form_status};
use crate::web::publishing::public::{PageQuery, pagination};
use crate::web::viewer::{
    CsrfForm, CsrfUpload, MediaUpload, NoFields, SignedIn, UploadRefused, Viewer, read_upload,
};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;
use std::collections::HashMap;

/// Items per page of the library.
const PER_PAGE: i64 = 30;

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
    mut upload: CsrfUpload,
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
    let content = errors.check("file", crate::media::content_of(upload.take_file()).await);
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
    MediaUpload(mut upload): MediaUpload,
) -> PageResult {
    let (user, _, item) = editable(&app, &viewer, id).await?;
    let content = match crate::media::content_of(upload.take_file()).await {
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
