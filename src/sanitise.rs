//! Untrusted text to inert HTML: the pure work is the `sanitise` crate
//! (`crates/sanitise`, re-exported here); this module runs it the way handlers need it, off
//! the threads that serve requests.

pub use ::sanitise::*;

use crate::domain::FieldErrors;

/// [`render_markdown`] on the blocking pool, for async callers: rendering is bounded but can
/// still take milliseconds, which must not hold up the threads serving requests.
pub async fn render_markdown_off_thread(markdown: String) -> Result<Rendered, TooComplex> {
    tokio::task::spawn_blocking(move || render_markdown(&markdown))
        .await
        .expect("rendering Markdown does not panic")
}

/// [`render_markdown_off_thread`] for a form or an API body: a refusal becomes an error on
/// `field` ("The text nests …: flatten the deepest parts").
pub async fn render_field(markdown: &str, field: &str) -> Result<Rendered, FieldErrors> {
    render_markdown_off_thread(markdown.to_string())
        .await
        .map_err(|e| FieldErrors::one(field, format!("The text {e}")))
}
