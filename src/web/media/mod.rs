//! The media library: editors upload images and documents (`/admin/media`, in [`library`]),
//! bodies refer to them in Markdown by their library address (`![Alt text](/media/12)` for an
//! image, a paragraph that is only `[Title](/media/13)` for a document; see [`bodies`]), and
//! the files are served (here) from the site's own origin under addresses that carry their
//! content's hash, so browsers keep them for a year.
//!
//! A body's stored HTML keeps the library address; [`with_media`] turns it, as a page is
//! made, into an image with its widths (`srcset`) or a GOV.UK attachment. So replacing an
//! item's file changes every page that shows it, which are then made again (topic
//! [`Topic::Media`](crate::store::versions::Topic::Media)).

mod bodies;
pub mod library;

pub use bodies::{and_media, body_with_media, with_media};

use crate::App;
use crate::domain::media::Kind;
use crate::store::media::{MediaFile, MediaItem};
use crate::web::error::PageError;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// How long a browser may keep a file whose address carries its hash: it never changes.
const FOREVER: &str = "public, max-age=31536000, immutable";

/// A file is shown by nothing but the browser itself: no script runs, nothing is fetched.
const FILE_POLICY: &str = "default-src 'none'; sandbox";

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

pub(crate) fn file_path(item: &MediaItem, file: &MediaFile) -> String {
    format!(
        "/media/{}/{}.{}",
        item.id,
        file.blob_hash,
        file.format.extension()
    )
}
