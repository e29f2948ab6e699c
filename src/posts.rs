//! Rules about posts shared by the admin, the API, the demo and start-up: a post's Markdown
//! is rendered once, when it is saved (off the threads that serve requests), and again only
//! when the renderer changes. Views serve the stored HTML and headings as they are.

use crate::App;
use crate::sanitise::render_markdown_off_thread;
use crate::store::comments::{Decision, QueuedComment};
use crate::store::{Db, StoreResult};

/// Renders again every post that an older renderer rendered; returns how many. Run when the
/// server starts. A body that the current limits refuse (saved before they existed) is shown
/// as plain paragraphs, and logged, rather than left unrendered.
pub async fn rerender_stale(db: &Db) -> StoreResult<usize> {
    let mut done = 0;
    loop {
        let batch = db.posts_to_render(100).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        for (id, markdown) in batch {
            let rendered = match render_markdown_off_thread(markdown.clone()).await {
                Ok(rendered) => rendered,
                Err(e) => {
                    tracing::warn!(post = id, "post shown as plain text: the text {e}");
                    crate::sanitise::plain_paragraphs(&markdown)
                }
            };
            db.set_post_rendering(id, &rendered).await?;
            done += 1;
        }
    }
}

/// A moderator's decision on a comment: stored, the post's pages forgotten so that it shows at
/// once, and logged with the reason.
pub async fn decide_comment(
    app: &App,
    moderator: i64,
    comment: &QueuedComment,
    decision: Decision,
    reason: &str,
) -> StoreResult<()> {
    let decided = app
        .db
        .decide_comment(comment.id, decision, reason, moderator)
        .await;
    decided?;
    let action = match decision {
        Decision::Approve => "approved comment",
        Decision::Reject => "rejected comment",
    };
    let what = format!("comment {} on {}", comment.id, comment.post_slug);
    app.db.audit(Some(moderator), action, &what, reason).await
}
