//! Analyses of an exercise's free-text answers, run as background jobs.
//!
//! An analyst asks for an analysis of one question; the request is a row in `analyses`
//! (status `queued`). A worker task in every `townhall serve` process claims the oldest
//! queued row (`Db::claim_analysis`: one node per job), gathers the question's answers and
//! the evidence log's items for it, runs the evidence engine off the async threads, and
//! stores the result together with the review that starts from it.

use crate::App;
use crate::analyse::model::Engine;
use crate::domain::exercise::Answer;
use crate::domain::review::Review;
use crate::store::Db;
use crate::store::analyses::Analysis;
use crate::store::exercises::Exercise;
use anyhow::Result;
use std::collections::BTreeMap;
use std::time::Duration;

/// How often an idle worker looks for queued analyses.
const POLL: Duration = Duration::from_secs(1);

/// The id a response has in analyses and published results (`r` + row id; the reference
/// stays private to the respondent).
pub fn response_id(id: i64) -> String {
    format!("r{id}")
}

/// The id an evidence log item has in analyses.
pub fn evidence_id(id: i64) -> String {
    format!("e{id}")
}

/// A respondent's segment label: the answer to the exercise's first segment question.
pub fn segment_label(exercise: &Exercise, segments: &BTreeMap<String, String>) -> Option<String> {
    let first = exercise.definition.segments.first()?;
    segments.get(&first.id).cloned()
}

/// The texts to analyse for one question: every non-empty answer to it, and every evidence
/// log item filed against it.
pub async fn corpus(
    db: &Db,
    exercise: &Exercise,
    question_id: &str,
) -> Result<Vec<textkit::Response>> {
    let mut out = Vec::new();
    for r in db.responses(exercise.id).await? {
        if let Some(Answer::Text(text)) = r.answers.get(question_id) {
            out.push(textkit::Response::new(
                response_id(r.id),
                text.clone(),
                segment_label(exercise, &r.segments),
            ));
        }
    }
    for e in db.evidence(exercise.id).await? {
        if e.question_id == question_id {
            let segment = (!e.segment.is_empty()).then(|| e.segment.clone());
            out.push(textkit::Response::new(evidence_id(e.id), e.body, segment));
        }
    }
    Ok(out)
}

/// Runs one analysis that a worker has claimed, recording success or failure on it.
async fn run(db: &Db, engine: &Engine, job: Analysis) -> Result<()> {
    let outcome = async {
        let exercise = db.exercise(job.exercise_id).await?;
        let responses = corpus(db, &exercise, &job.question_id).await?;
        if responses.is_empty() {
            anyhow::bail!("there are no answers to this question yet");
        }
        let segment_of: BTreeMap<String, String> = responses
            .iter()
            .filter_map(|r| r.segment.clone().map(|s| (r.id.clone(), s)))
            .collect();
        let config = engine.configure(textkit::Config::default());
        let analysis = tokio::task::spawn_blocking(move || textkit::analyse(&responses, &config))
            .await
            .map_err(|_| anyhow::anyhow!("the analysis engine stopped unexpectedly"))?;
        let result = serde_json::to_string(&analysis)?;
        let mut review = Review::from_result(&result, segment_of)?;
        review.recount();
        let note = continue_earlier(db, &job, &mut review).await?;
        Ok::<_, anyhow::Error>((result, serde_json::to_string(&review)?, note))
    }
    .await;
    match outcome {
        Ok((result, review, note)) => {
            (db.finish_analysis(job.id, &result, &review, note.as_deref())).await?
        }
        Err(e) => {
            tracing::warn!(analysis = job.id, error = %e, "analysis failed");
            db.fail_analysis(job.id, &e.to_string()).await?
        }
    }
    Ok(())
}

/// Makes a fresh analysis continue the themes of the question's earlier one: the published
/// analysis, or else the latest finished. Returns the line for the change log, if there was
/// an earlier one.
async fn continue_earlier(db: &Db, job: &Analysis, review: &mut Review) -> Result<Option<String>> {
    let analyses = db.analyses_of(job.exercise_id).await?;
    let earlier: Vec<&Analysis> = (analyses.iter())
        .filter(|a| a.question_id == job.question_id && a.id < job.id && a.review.is_some())
        .collect();
    let numbers_used = (earlier.iter())
        .filter_map(|a| a.review.as_ref())
        .map(|r| r.highest_theme_number())
        .max()
        .unwrap_or(0);
    // `analyses_of` lists the newest first.
    let Some(base) = (earlier.iter().find(|a| a.published_at.is_some())).or(earlier.first()) else {
        return Ok(None);
    };
    let Some(base_review) = &base.review else {
        return Ok(None);
    };
    let continuity = review.continue_from(base_review, base.id, numbers_used);
    review.recount();
    Ok(Some(continuity.note(base.id)))
}

/// Claims and runs queued analyses with `engine` until none is left; returns how many ran.
pub async fn run_pending(db: &Db, engine: &Engine) -> Result<usize> {
    let mut ran = 0;
    while let Some(job) = db.claim_analysis().await? {
        run(db, engine, job).await?;
        ran += 1;
    }
    Ok(ran)
}

/// The worker task that `App::serve` starts.
pub fn spawn_worker(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_pending(&app.db, &app.config.analysis_engine).await {
                tracing::error!(error = %e, "analysis worker failed");
            }
            tokio::time::sleep(POLL).await;
        }
    })
}
