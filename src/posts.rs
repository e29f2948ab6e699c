//! Rules about posts shared by the admin, the API, the demo and start-up: a post's Markdown
//! is rendered once, when it is saved (off the threads that serve requests), and again only
//! when the renderer changes. Views serve the stored HTML and headings as they are.

use crate::App;
use crate::sanitise::render_markdown_off_thread;
use crate::store::comments::{Decision, QueuedComment};
use crate::store::outbox::NewMail;
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
    decide_comment_telling(app, moderator, comment, decision, reason, false).await
}

/// [`decide_comment`], and when `tell` and the comment is rejected, an e-mail to the commenter
/// with the reason (the moderator chooses: some rejections are better not answered).
pub async fn decide_comment_telling(
    app: &App,
    moderator: i64,
    comment: &QueuedComment,
    decision: Decision,
    reason: &str,
    tell: bool,
) -> StoreResult<()> {
    let subject = format!("Your comment on “{}” was not published", comment.post_title);
    let post = match &app.config.public_url {
        Some(base) => format!(
            "{}/blog/{}",
            base.as_str().trim_end_matches('/'),
            comment.post_slug
        ),
        None => format!("/blog/{}", comment.post_slug),
    };
    let body = format!(
        "Hello {},\n\nThank you for commenting on “{}”. A moderator did not publish your \
         comment, for this reason:\n\n{reason}\n\nYou are welcome to comment again: {post}\n\n\
         Your comment was:\n\n{}\n",
        comment.name, comment.post_title, comment.body
    );
    let address = crate::domain::user::Email::parse(&comment.email).ok();
    let mail = match (&address, decision, tell) {
        (Some(to), Decision::Reject, true) => Some(NewMail::plain(to.as_str(), &subject, &body)),
        _ => None,
    };
    app.db
        .decide_comment_telling(comment.id, decision, reason, moderator, mail.as_ref())
        .await?;
    let action = match (decision, mail.is_some()) {
        (Decision::Approve, _) => "approved comment",
        (Decision::Reject, false) => "rejected comment",
        (Decision::Reject, true) => "rejected comment, telling the commenter why",
    };
    let what = format!("comment {} on {}", comment.id, comment.post_slug);
    app.db.audit(Some(moderator), action, &what, reason).await
}
