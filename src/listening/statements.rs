//! "You said, we did" statements as the admin and the API take them: checked against the
//! exercise's analysed themes (or its organisation's conversations) and the programme
//! register, then stored with their links.

use crate::domain::FieldErrors;
use crate::domain::chain::{ActionInput, Cited, ConversationRef, NewAction, NoSuchTheme, ThemeRef};
use crate::store::analyses::Analysis;
use crate::store::chain::ResultAction;
use crate::store::{Db, StoreResult};

/// Checks a statement typed in the admin or sent to the API; `Err` holds what to correct.
pub async fn check(
    db: &Db,
    exercise_id: i64,
    input: &ActionInput,
) -> StoreResult<Result<NewAction, FieldErrors>> {
    let cited = match Cited::parse(&input.theme) {
        Ok(Some(Cited::Theme(t))) if !is_analysed_theme(db, exercise_id, &t).await? => {
            Err(NoSuchTheme)
        }
        Ok(Some(Cited::Conversation(c))) if !is_published_part(db, exercise_id, &c).await? => {
            Err(NoSuchTheme)
        }
        other => other,
    };
    let register = db.register().await?;
    Ok(input.check(cited, &register.commitment_keys(), &register.project_keys()))
}

/// True when `theme` is a theme of one of the exercise's analyses, as reviewed.
async fn is_analysed_theme(db: &Db, exercise_id: i64, theme: &ThemeRef) -> StoreResult<bool> {
    let a = match db.analysis(theme.analysis_id).await {
        Ok(a) => a,
        Err(crate::store::StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e),
    };
    let review = a.review.filter(|_| a.exercise_id == exercise_id);
    Ok(review.is_some_and(|r| r.theme(&theme.theme_id).is_some()))
}

/// True when `cited` is an approved statement, or a group, of a conversation of the
/// exercise's organisation whose results are published: what the public can follow the link
/// to.
async fn is_published_part(
    db: &Db,
    exercise_id: i64,
    cited: &ConversationRef,
) -> StoreResult<bool> {
    let e = db.exercise(exercise_id).await?;
    let same_organisation = match db.conversation(cited.conversation_id).await {
        Ok(c) => c.organisation_id == e.organisation_id,
        Err(crate::store::StoreError::NotFound) => false,
        Err(err) => return Err(err),
    };
    Ok(same_organisation
        && crate::deliberation::citing::describe(db, cited)
            .await?
            .is_some())
}

/// Whether a statement cites a theme the results page no longer shows: its analysis is not
/// published, but a later one of the same question is, and did not find the theme again
/// (`Review::continue_from`). The analyst chooses its theme again.
pub fn needs_theme_again(action: &ResultAction, analyses: &[Analysis]) -> bool {
    let Some(cited) = (action.analysis_id).and_then(|id| analyses.iter().find(|a| a.id == id))
    else {
        return false;
    };
    cited.published_at.is_none()
        && (analyses.iter()).any(|a| a.question_id == cited.question_id && a.published_at.is_some())
}
