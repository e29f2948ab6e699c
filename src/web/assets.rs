//! Static assets (CSS, JavaScript) compiled by `npm run build` and embedded at build time.
//!
//! Each is served at a fingerprinted URL, `/assets/{stem}-{hash}.{ext}`, with a year-long
//! immutable cache lifetime: a new build changes the hash, so browsers never see stale files.
//! Unfingerprinted names are also served, briefly cached, for the ES module imports that
//! `townhall.js` makes by relative name.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::LazyLock;

static FILES: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    pub fingerprinted: bool,
}

struct Catalogue {
    /// Served name → asset.
    by_name: HashMap<String, Asset>,
    /// Plain file name → fingerprinted URL, for templates.
    urls: HashMap<&'static str, String>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut by_name = HashMap::new();
    let mut urls = HashMap::new();
    for &(name, bytes) in FILES {
        let hash = hex::encode(&Sha256::digest(bytes)[..5]);
        let fingerprinted = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}-{hash}.{ext}"),
            None => format!("{name}-{hash}"),
        };
        let content_type = content_type(name);
        urls.insert(name, format!("/assets/{fingerprinted}"));
        by_name.insert(
            fingerprinted,
            Asset {
                bytes,
                content_type,
                fingerprinted: true,
            },
        );
        by_name.insert(
            name.to_string(),
            Asset {
                bytes,
                content_type,
                fingerprinted: false,
            },
        );
    }
    Catalogue { by_name, urls }
});

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("map" | "json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The fingerprinted URL of an embedded asset, e.g. `url("townhall.css")`.
pub fn url(name: &str) -> String {
    CATALOGUE
        .urls
        .get(name)
        .cloned()
        .unwrap_or_else(|| format!("/assets/{name}"))
}

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = CATALOGUE.by_name.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if asset.fingerprinted {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.bytes,
    )
        .into_response()
}
