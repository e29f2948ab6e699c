//! "You said, we did" statements as the admin and the API take them: checked against the
//! exercise's analysed themes and the programme register, then stored with their links.

use crate::domain::FieldErrors;
use crate::domain::chain::{ActionInput, NewAction, NoSuchTheme, ThemeRef};
use crate::store::analyses::Analysis;
use crate::store::chain::ResultAction;
use crate::store::{Db, StoreResult};

/// Checks a statement typed in the admin or sent to the API; `Err` holds what to correct.
pub async fn check(
    db: &Db,
    exercise_id: i64,
    input: &ActionInput,
) -> StoreResult<Result<NewAction, FieldErrors>> {
    let theme = match ThemeRef::parse(&input.theme) {
        Ok(Some(t)) if !is_analysed_theme(db, exercise_id, &t).await? => Err(NoSuchTheme),
        other => other,
    };
    let register = db.register().await?;
    Ok(input.check(theme, &register.commitment_keys(), &register.project_keys()))
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
