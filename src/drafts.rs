//! Draft documents on consultations: the rules for commenting on a paragraph (shared by
//! every entrance, so the window, the checks and the per-address limit are in one place),
//! and what was said about each paragraph, with themes found by the evidence engine, for
//! the analyst's page and the published results.

use crate::analyse::model::Engine;
use crate::domain::FieldErrors;
use crate::domain::WindowState;
use crate::domain::draft::{
    CommentStatus, DraftBlock, MIN_COMMENTS_FOR_THEMES, check_comment, most_discussed, paragraph,
};
use crate::store::drafts::{CommentSubmitted, DraftComment};
use crate::store::exercises::Exercise;
use crate::store::rate_limits::Limit;
use crate::store::{Db, StoreError, now};
use serde::Serialize;
use std::collections::BTreeMap;

/// Comments one address may send in [`COMMENT_WINDOW_SECS`]: enough for someone going
/// through a long draft paragraph by paragraph, not for a script.
pub const COMMENT_LIMIT: i64 = 30;
/// The window of the per-address limit.
pub const COMMENT_WINDOW_SECS: i64 = 3600;

/// A comment as sent, before checking.
pub struct CommentSent<'a> {
    pub paragraph: u32,
    pub body: &'a str,
    pub name: &'a str,
    /// The form's own key: the same form sent twice is one comment.
    pub submission_key: &'a str,
    pub address: std::net::IpAddr,
}

/// Why a comment was not taken.
#[derive(Debug)]
pub enum CommentRefusal {
    /// The consultation is not open (or has no such paragraph).
    Closed,
    NoParagraph,
    Invalid(FieldErrors),
    TooMany,
    Store(StoreError),
}

impl From<StoreError> for CommentRefusal {
    fn from(e: StoreError) -> Self {
        CommentRefusal::Store(e)
    }
}

impl CommentRefusal {
    pub const CLOSED: &str = "This consultation is not taking comments now: comments can be \
                              sent while it is open";
    pub const TOO_MANY: &str = "You have sent many comments in a short time. Wait an hour and \
                                try again.";
}

/// Checks a comment on paragraph `sent.paragraph` of `blocks` and holds it for moderation.
/// `store` false (a form's honeypot was filled) checks everything but stores nothing.
pub async fn submit_comment(
    db: &Db,
    exercise: &Exercise,
    blocks: &[DraftBlock],
    sent: CommentSent<'_>,
    store: bool,
) -> Result<(), CommentRefusal> {
    if paragraph(blocks, sent.paragraph).is_none() {
        return Err(CommentRefusal::NoParagraph);
    }
    if exercise.state(now()) != WindowState::Open {
        return Err(CommentRefusal::Closed);
    }
    let comment = check_comment(sent.body, sent.name).map_err(CommentRefusal::Invalid)?;
    if !store {
        return Ok(());
    }
    let key = sent.submission_key.trim();
    if key.is_empty() || key.len() > 100 {
        let message = "This form has expired: go back to the paragraph, open the comment form again and send your comment";
        return Err(CommentRefusal::Invalid(FieldErrors::one(
            "comment", message,
        )));
    }
    let limit = Limit {
        key: format!("draft-comment:{}", sent.address),
        window_secs: COMMENT_WINDOW_SECS,
        max: COMMENT_LIMIT,
    };
    match (db.submit_draft_comment(exercise.id, sent.paragraph, &comment, key, Some(limit))).await?
    {
        CommentSubmitted::New(_) | CommentSubmitted::Again(_) => Ok(()),
        CommentSubmitted::OverLimit => Err(CommentRefusal::TooMany),
    }
}

/// A theme found in one paragraph's comments.
#[derive(Debug, Clone, Serialize)]
pub struct ParagraphTheme {
    pub label: String,
    pub keywords: Vec<String>,
    /// Comments in the theme.
    pub count: usize,
}

/// What was said about one paragraph.
#[derive(Debug, Clone, Serialize)]
pub struct ParagraphDiscussion {
    pub number: u32,
    /// The paragraph as readers see it (sanitised when the draft was saved).
    pub html: String,
    /// Approved comments.
    pub count: usize,
    /// Themes in its comments; empty when there are too few comments (`too_few`) or when
    /// none stood out.
    pub themes: Vec<ParagraphTheme>,
    /// Fewer than [`MIN_COMMENTS_FOR_THEMES`] comments: read one by one, no themes.
    pub too_few: bool,
    /// Comments in no theme.
    pub unassigned: usize,
    pub comments: Vec<DraftComment>,
}

/// What was said about a draft: the paragraphs with approved comments, the most discussed
/// first.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Discussion {
    pub paragraphs: Vec<ParagraphDiscussion>,
    /// Approved comments on the whole draft.
    pub comments: usize,
    /// The fewest comments a paragraph needs for themes.
    pub min_for_themes: usize,
}

/// The approved comments on each paragraph of `blocks`, with themes where a paragraph has
/// enough, found by `engine` off the async threads.
pub async fn discussion(
    db: &Db,
    engine: &Engine,
    exercise_id: i64,
    blocks: &[DraftBlock],
) -> anyhow::Result<Discussion> {
    let approved = db
        .draft_comments(exercise_id, &[CommentStatus::Approved])
        .await?;
    let mut by_paragraph: BTreeMap<u32, Vec<DraftComment>> = BTreeMap::new();
    for c in approved {
        if let Ok(p) = u32::try_from(c.paragraph) {
            by_paragraph.entry(p).or_default().push(c);
        }
    }
    let counts = by_paragraph.iter().map(|(p, c)| (*p, c.len())).collect();
    let mut out = Discussion {
        min_for_themes: MIN_COMMENTS_FOR_THEMES,
        ..Discussion::default()
    };
    for (number, count) in most_discussed(&counts) {
        let comments = by_paragraph.remove(&number).unwrap_or_default();
        let html = (paragraph(blocks, number).map(|b| b.html.clone())).unwrap_or_default();
        let too_few = count < MIN_COMMENTS_FOR_THEMES;
        let (themes, unassigned) = if too_few {
            (vec![], 0)
        } else {
            themes_of(engine, &comments).await?
        };
        out.comments += count;
        out.paragraphs.push(ParagraphDiscussion {
            number,
            html,
            count,
            themes,
            too_few,
            unassigned,
            comments,
        });
    }
    Ok(out)
}

/// The themes of one paragraph's comments, and how many comments are in none.
async fn themes_of(
    engine: &Engine,
    comments: &[DraftComment],
) -> anyhow::Result<(Vec<ParagraphTheme>, usize)> {
    let texts: Vec<textkit::Response> = (comments.iter())
        .map(|c| textkit::Response::new(format!("d{}", c.id), c.body.clone(), None))
        .collect();
    let config = engine.configure(textkit::Config::default());
    let analysis = tokio::task::spawn_blocking(move || textkit::analyse(&texts, &config))
        .await
        .map_err(|_| anyhow::anyhow!("the analysis engine stopped unexpectedly"))?;
    let themes = (analysis.themes.into_iter())
        .map(|t| ParagraphTheme {
            label: t.label,
            keywords: t.keywords.into_iter().take(5).collect(),
            count: t.count,
        })
        .collect();
    Ok((themes, analysis.unassigned.len()))
}
