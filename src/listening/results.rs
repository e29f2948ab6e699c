//! An exercise's published results: counts for closed questions, themes from the reviewed
//! analyses, segments, scored dimensions and "you said, we did", as a page, JSON and CSV;
//! and the evidence a project page cites.

use crate::App;
use crate::domain::exercise::{
    Answer, Answers, Definition, DimensionScore, DimensionTally, QuestionType, Tally, level_for,
};
use crate::domain::review::summary_theme;
use crate::jobs::analysis::segment_label;
use crate::store::exercises::Exercise;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A respondent's scores in a scored survey, from their stored answers.
pub fn scores_of(def: &Definition, answers: &BTreeMap<String, Answer>) -> Vec<DimensionScore> {
    def.score(&Answers {
        answers: answers.clone(),
        segments: BTreeMap::new(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// How many answered it.
    pub answered: usize,
    /// Closed questions: each option's count.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Count>,
    /// Free text: the published, reviewed analysis (themes with counts, shares and quotes;
    /// campaigns with their size), without response-level membership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct SegmentResult {
    pub id: String,
    pub title: String,
    pub counts: Vec<Count>,
}

#[derive(Debug, Serialize)]
pub struct DimensionResult {
    pub id: String,
    pub title: String,
    /// Respondents at each level, in the definition's order.
    pub levels: Vec<Count>,
    pub mean: f64,
    /// By the answer to each segment question (for example, team).
    pub by_segment: Vec<SegmentBreakdown>,
}

#[derive(Debug, Serialize)]
pub struct SegmentBreakdown {
    pub segment: String,
    pub value: String,
    pub respondents: usize,
    pub mean: f64,
    pub level: String,
}

#[derive(Debug, Serialize)]
pub struct ActionResult {
    pub you_said: String,
    pub we_did: String,
    pub question_id: Option<String>,
    pub theme_id: Option<String>,
    pub theme_label: Option<String>,
    /// A conversation's statement or group cited instead of a theme, while it is shown.
    pub conversation: Option<crate::deliberation::citing::CitedPart>,
    /// The commitments and projects in the programme register that the "we did" led to.
    pub links: Vec<crate::store::chain::ActionLink>,
}

/// Everything `/consultations/{slug}/results` shows and its downloads contain.
#[derive(Debug, Serialize)]
pub struct Results {
    pub slug: String,
    pub title: String,
    pub organisation: String,
    pub responses: usize,
    pub evidence_items: usize,
    pub questions: Vec<QuestionResult>,
    pub segments: Vec<SegmentResult>,
    pub dimensions: Vec<DimensionResult>,
    pub actions: Vec<ActionResult>,
    pub licence: &'static str,
}

pub const LICENCE: &str = "Open Government Licence v3.0";

/// Responses younger than this (seconds) are counted for the page but left out of the kept
/// tally: on PostgreSQL a response's id is handed out before it commits, so one still
/// committing may yet appear below a high-water mark kept past it.
const SETTLING_SECS: i64 = 2;

/// The exercise's tally over every response stored: the kept one plus the responses since,
/// keeping the larger tally for next time (off the request path) when more have settled.
async fn current_tally(
    db: &crate::store::Db,
    exercise: &Exercise,
    def: &Definition,
) -> anyhow::Result<Tally> {
    let fingerprint = Tally::fingerprint(def);
    let kept = db.result_tally(exercise.id).await?.filter(|t| {
        // Another definition, or a response committed late below the mark: count again.
        let late = t
            .present
            .is_some_and(|n| u64::try_from(n) != Ok(t.tally.responses));
        t.definition == fingerprint && !late
    });
    let (mut tally, kept_through) =
        kept.map_or((Tally::default(), 0), |t| (t.tally.0, t.through_id));
    let settled_before = crate::domain::time::Timestamp::now() - SETTLING_SECS;
    let newer = db.responses_after(exercise.id, kept_through).await?;
    let settled = newer
        .iter()
        .take_while(|r| r.submitted_at < settled_before)
        .count();
    for r in &newer[..settled] {
        tally.add(def, &r.answers, &r.segments);
    }
    if let Some(last) = newer[..settled].last() {
        let (db, id, through, keep) = (db.clone(), exercise.id, last.id, tally.clone());
        tokio::spawn(async move {
            if let Err(e) = db.save_result_tally(id, &fingerprint, through, &keep).await {
                tracing::warn!(error = %e, exercise = id, "could not keep the results tally");
            }
        });
    }
    for r in &newer[settled..] {
        tally.add(def, &r.answers, &r.segments);
    }
    Ok(tally)
}

/// Keeps the public summary of the analyses published before summaries were kept; returns
/// how many. Run when the server starts.
pub async fn summarise_published(db: &crate::store::Db) -> anyhow::Result<usize> {
    let ids = db.unsummarised_analyses().await?;
    for &id in &ids {
        db.summarise(&db.analysis(id).await?).await?;
    }
    Ok(ids.len())
}

/// Puts together an exercise's results from its tally and its published analyses.
pub async fn results(db: &crate::store::Db, exercise: &Exercise) -> anyhow::Result<Results> {
    let def = exercise.definition();
    let tally = current_tally(db, exercise, &def).await?;
    // The published copy of each review: edits made since stay private until published again.
    let analyses = db.published_analyses(exercise.id).await?;
    let count = |(label, count): (String, u64)| Count {
        label,
        count: count as usize,
    };
    let questions = def
        .questions
        .iter()
        .map(|q| QuestionResult {
            id: q.id.clone(),
            title: q.title.clone(),
            kind: q.kind,
            answered: tally.answered(&q.id) as usize,
            options: tally.option_counts(q).into_iter().map(count).collect(),
            analysis: analyses
                .iter()
                .find(|a| a.question_id == q.id)
                .map(|a| a.summary.0.clone()),
        })
        .collect();
    let segments = def
        .segments
        .iter()
        .map(|s| SegmentResult {
            id: s.id.clone(),
            title: s.title.clone(),
            counts: s
                .options
                .iter()
                .map(|o| count((o.clone(), tally.segment_count(&s.id, o))))
                .collect(),
        })
        .collect();
    let nobody_scored = DimensionTally::default();
    let dimensions = def
        .dimensions
        .iter()
        .map(|d| {
            let counted = tally.dimensions.get(&d.id).unwrap_or(&nobody_scored);
            let levels = d
                .levels
                .iter()
                .map(|l| count((l.label.clone(), counted.level_count(&l.label))))
                .collect();
            let mut by_segment = Vec::new();
            for s in &def.segments {
                for value in &s.options {
                    let Some(sum) = counted.segment_scores(&s.id, value) else {
                        continue;
                    };
                    by_segment.push(SegmentBreakdown {
                        segment: s.title.clone(),
                        value: value.clone(),
                        respondents: sum.respondents as usize,
                        mean: sum.mean(),
                        level: level_for(d, sum.mean()),
                    });
                }
            }
            DimensionResult {
                id: d.id.clone(),
                title: d.title.clone(),
                levels,
                mean: counted.scores.mean(),
                by_segment,
            }
        })
        .collect();
    let links = db.action_links(exercise.id).await?;
    let mut actions = Vec::new();
    for a in db.result_actions(exercise.id).await? {
        let conversation = match a.cited_conversation() {
            Some(c) => crate::deliberation::citing::describe(db, &c).await?,
            None => None,
        };
        actions.push((a, conversation));
    }
    let actions = (actions.into_iter())
        .map(|(a, conversation)| {
            let analysis = a
                .analysis_id
                .and_then(|id| analyses.iter().find(|x| x.id == id));
            let theme_label = analysis
                .zip(a.theme_id.as_deref())
                .and_then(|(x, t)| summary_theme(&x.summary, t))
                .map(|t| t.label);
            ActionResult {
                you_said: a.you_said,
                we_did: a.we_did,
                question_id: analysis.map(|x| x.question_id.clone()),
                theme_id: a.theme_id.filter(|_| theme_label.is_some()),
                theme_label,
                conversation,
                links: links
                    .iter()
                    .filter(|l| l.action_id == a.id)
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    Ok(Results {
        slug: exercise.slug.clone(),
        title: exercise.title.clone(),
        organisation: exercise.organisation_name.clone(),
        responses: tally.responses as usize,
        evidence_items: db.evidence_count(exercise.id).await? as usize,
        questions,
        segments,
        dimensions,
        actions,
        licence: LICENCE,
    })
}

/// The response's segment label, for analyses (re-exported for the API's export).
pub fn response_segment(
    exercise: &Exercise,
    segments: &BTreeMap<String, String>,
) -> Option<String> {
    segment_label(exercise, segments)
}

/// The columns of a results table (the CSV download and the open data export).
pub const RESULT_COLUMNS: [&str; 7] = [
    "section",
    "question_id",
    "question",
    "label",
    "count",
    "share",
    "detail",
];

/// The results as rows of [`RESULT_COLUMNS`]: one per option count, theme, campaign,
/// segment count, level and action. Text is as written (see [`results_csv`] for spreadsheets).
pub fn result_rows(r: &Results) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    let mut row = |section: &str,
                   id: &str,
                   question: &str,
                   label: &str,
                   count: String,
                   share: String,
                   detail: String| {
        rows.push([
            section.into(),
            id.into(),
            question.into(),
            label.into(),
            count,
            share,
            detail,
        ]);
    };
    for q in &r.questions {
        for o in &q.options {
            row(
                "option",
                &q.id,
                &q.title,
                &o.label,
                o.count.to_string(),
                String::new(),
                String::new(),
            );
        }
        let Some(a) = &q.analysis else { continue };
        for t in a["themes"].as_array().into_iter().flatten() {
            let keywords: Vec<&str> = t["keywords"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let label = t["label"].as_str().unwrap_or_default();
            row(
                "theme",
                &q.id,
                &q.title,
                label,
                t["count"].to_string(),
                t["share"].to_string(),
                keywords.join("; "),
            );
        }
        for c in a["campaigns"].as_array().into_iter().flatten() {
            let canonical = c["canonical"].as_str().unwrap_or_default();
            let status = c["status"].as_str().unwrap_or_default().to_string();
            row(
                "campaign",
                &q.id,
                &q.title,
                canonical,
                c["count"].to_string(),
                String::new(),
                status,
            );
        }
    }
    for s in &r.segments {
        for c in &s.counts {
            row(
                "segment",
                &s.id,
                &s.title,
                &c.label,
                c.count.to_string(),
                String::new(),
                String::new(),
            );
        }
    }
    for d in &r.dimensions {
        for l in &d.levels {
            row(
                "level",
                &d.id,
                &d.title,
                &l.label,
                l.count.to_string(),
                String::new(),
                String::new(),
            );
        }
    }
    for a in &r.actions {
        let mut detail = a.we_did.clone();
        for l in &a.links {
            detail.push_str(&format!(" [{}: {}]", l.kind, l.slug));
        }
        let label = (a.theme_label.as_deref())
            .or(a.conversation.as_ref().map(|c| c.label.as_str()))
            .unwrap_or_default();
        row(
            "action",
            a.question_id.as_deref().unwrap_or_default(),
            &a.you_said,
            label,
            String::new(),
            String::new(),
            detail,
        );
    }
    rows
}

/// The results as CSV ([`RESULT_COLUMNS`]). Text that a spreadsheet would take for a
/// formula is prefixed with an apostrophe.
pub fn results_csv(r: &Results) -> anyhow::Result<Vec<u8>> {
    use crate::analyse::report::cell;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RESULT_COLUMNS)?;
    for row in result_rows(r) {
        w.write_record(row.iter().map(|c| cell(c)))?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write the CSV: {e}"))
}

/// What a project page credits: the "you said" statements whose "we did" links to the project
/// (and the idea it started from), and apart from them those linked only to a commitment the
/// project delivers. Each links to its theme on the results page. The API and the page show
/// the same credits.
#[derive(Debug, Default, Serialize)]
pub struct ProjectCredits {
    pub direct: Vec<Credit>,
    pub through_commitments: Vec<Credit>,
    /// The idea the project started from.
    pub idea: Option<Credit>,
}

/// One credited statement (or idea): what was said, where, and the path to read it.
#[derive(Debug, Clone, Serialize)]
pub struct Credit {
    /// "Consultation: “what people said”", or "Started as an idea: “…”".
    pub title: String,
    /// The site path: the theme on the results page, or the idea.
    pub href: String,
    /// The theme with its count, and what was done.
    pub text: String,
}

pub async fn project_evidence(app: &App, project_id: i64) -> anyhow::Result<ProjectCredits> {
    let mut credits = ProjectCredits::default();
    for e in app.db.project_evidence(project_id).await? {
        let mut href = format!("/consultations/{}/results#you-said-we-did", e.exercise_slug);
        let mut text = format!("We did: {}", e.we_did);
        if let (Some(aid), Some(tid)) = (e.analysis_id, &e.theme_id)
            && let Ok(a) = app.db.published_analysis(aid).await
            && let Some(theme) = summary_theme(&a.summary, tid)
        {
            href = format!(
                "/consultations/{}/results#theme-{}-{}",
                e.exercise_slug, a.question_id, tid
            );
            text = format!(
                "Theme: {} ({} responses). We did: {}",
                theme.label, theme.count, e.we_did
            );
        }
        let credit = Credit {
            title: format!("{}: “{}”", e.exercise_title, e.you_said),
            href,
            text,
        };
        if e.is_direct() {
            credits.direct.push(credit);
        } else {
            credits.through_commitments.push(credit);
        }
    }
    credits.idea = app.db.idea_origin(project_id).await?.map(|idea| Credit {
        title: format!("Started as an idea: “{}”", idea.title),
        href: format!("/ideas/{}#idea-{}", idea.challenge_slug, idea.idea_id),
        text: format!(
            "Put forward in the idea challenge “{}” and shortlisted",
            idea.challenge_title
        ),
    });
    Ok(credits)
}
