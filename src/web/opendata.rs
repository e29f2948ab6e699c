//! `/data`: the open data registry's datasets, their documented columns and downloads.

use crate::App;
use crate::opendata::{DATASETS, LICENCE};
use crate::web::error::{PageError, PageResult};
use crate::web::shared_pages::ForEveryone;
use crate::web::viewer::Viewer;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use minijinja::context;
use minijinja::value::Serde;

/// `GET /data`.
pub async fn index(State(app): State<App>, viewer: Viewer) -> PageResult {
    // The list of datasets is fixed in the code.
    viewer.render_public(
        &app,
        &[],
        "data.html",
        context! { datasets => Serde(DATASETS), licence => LICENCE.0, licence_url => LICENCE.1 },
    )
}

/// `GET /data/{name}.csv` and `GET /data/{name}.json`.
pub async fn download(State(app): State<App>, Path(file): Path<String>) -> PageResult {
    let (name, ext) = file.rsplit_once('.').ok_or(PageError::NotFound)?;
    let dataset = crate::opendata::find(name).ok_or(PageError::NotFound)?;
    let rows = dataset.rows(&app.db).await?;
    let (body, content_type) = match ext {
        "csv" => (dataset.to_csv(&rows)?, "text/csv; charset=utf-8"),
        "json" => (dataset.to_json(&rows)?, "application/json"),
        _ => return Err(PageError::NotFound),
    };
    let disposition = format!("inline; filename=\"{name}.{ext}\"");
    let file = (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    );
    Ok(match dataset.shows {
        Some(topics) => ForEveryone::showing(topics).mark(file),
        None => file.into_response(),
    })
}
