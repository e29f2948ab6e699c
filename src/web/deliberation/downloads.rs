//! A conversation's data in Pol.is's open-data format, so researchers keep their tools:
//! `/conversations/{slug}/data/{file}` for anyone once the results are published (the text
//! of statements not shown left out), `/admin/conversations/{slug}/data/{file}` for staff.
//! The groups are those the results page shows.

use crate::App;
use crate::deliberation::{Audience, as_export, with_groups};
use crate::store::conversations::Conversation;
use crate::web::error::{PageError, PageResult};
use crate::web::viewer::Viewer;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use opinion::Id;
use opinion::polis::{self, COMMENTS, PARTICIPANTS_VOTES, SUMMARY, VOTES};

/// The files, as linked from the results and admin pages.
pub const FILES: [&str; 4] = [COMMENTS, VOTES, PARTICIPANTS_VOTES, SUMMARY];

/// `GET /conversations/{slug}/data/{file}`.
pub async fn public_file(
    State(app): State<App>,
    Path((slug, file)): Path<(String, String)>,
) -> PageResult {
    let c = app.db.conversation_by_slug(&slug).await?;
    if !c.published || c.results_published_at.is_none() {
        return Err(PageError::NotFound);
    }
    serve(&app, &c, &file, Audience::Public).await
}

/// `GET /admin/conversations/{slug}/data/{file}`.
pub async fn staff_file(
    State(app): State<App>,
    viewer: Viewer,
    Path((slug, file)): Path<(String, String)>,
) -> PageResult {
    viewer.signed_in()?;
    let c = app.db.conversation_by_slug(&slug).await?;
    if !super::results::is_staff(&app, &viewer, &c).await? {
        return Err(PageError::Forbidden);
    }
    serve(&app, &c, &file, Audience::Staff).await
}

async fn serve(app: &App, c: &Conversation, file: &str, audience: Audience) -> PageResult {
    let Some(&file) = FILES.iter().find(|f| **f == file) else {
        return Err(PageError::NotFound);
    };
    let results = app.db.conversation_results(c.id).await?;
    let groups: Vec<Vec<Id>> = (results.groups.iter())
        .map(|g| g.members.iter().map(|&m| Id::Number(m as u64)).collect())
        .collect();
    let (votes, _) = as_export(&app.db, c.id, true).await?;
    let c2 = c.clone();
    // Every vote of a large conversation goes through here: off the async threads.
    let body = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        let export = with_groups(votes, &c2, &groups, audience)?;
        let mut out = Vec::new();
        match file {
            COMMENTS => {
                polis::write_comments(&mut out, export.comments.as_deref().unwrap_or_default())?
            }
            VOTES => polis::write_votes_csv(&mut out, export.votes.as_deref().unwrap_or_default())?,
            PARTICIPANTS_VOTES => {
                if let Some(p) = &export.participants {
                    polis::write_participants_votes(&mut out, p)?
                }
            }
            _ => {
                if let Some(s) = &export.summary {
                    polis::write_summary(&mut out, s)?
                }
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| PageError::Internal(e.into()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-{file}\"", c.slug),
            ),
        ],
        body,
    )
        .into_response())
}
