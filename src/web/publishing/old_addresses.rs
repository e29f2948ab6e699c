//! The addresses of a blog brought over by `townhall import wordpress`: its permalinks
//! (`/2020/01/02/slug/`, `/about/`) and its `/?p=ID` and `/?page_id=ID` links answer 301
//! with the post's or page's address here. The import records them (`store::imports`).

use crate::App;
use crate::web::error::PageError;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Any address no route answers: a redirect when an import recorded it, else 404.
pub async fn fallback(
    State(app): State<App>,
    method: Method,
    uri: Uri,
) -> Result<Response, PageError> {
    let path = uri.path().trim_end_matches('/');
    if matches!(method, Method::GET | Method::HEAD)
        && !path.is_empty()
        && let Some(to) = app.db.redirect(path).await?
    {
        return Ok(moved(to));
    }
    Err(PageError::NotFound)
}

/// The hub's `/?p=ID` and `/?page_id=ID`: a redirect when an import recorded the id.
pub async fn from_query(app: &App, query: Option<&str>) -> Result<Option<Response>, PageError> {
    let Some(pair) = query.and_then(|q| {
        q.split('&')
            .find(|kv| kv.starts_with("p=") || kv.starts_with("page_id="))
    }) else {
        return Ok(None);
    };
    match app.db.redirect(&format!("/?{pair}")).await? {
        Some(to) => Ok(Some(moved(to))),
        None => Err(PageError::NotFound),
    }
}

fn moved(to: String) -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response()
}
