//! The counts an exercise's results are drawn from, added to one response at a time.
//!
//! A consultation in the news gathers a hundred thousand responses; its results page must not
//! read them all each time it is made. The store keeps a [`Tally`] of the responses up to
//! some id, and the results add only the responses since ([`Tally::add`]). A tally is only
//! meaningful for the definition it was counted under: [`Tally::fingerprint`] tells when the
//! questions have changed and counting must start again.

use super::{Answer, Answers, Definition, Question, QuestionType, level_for, scale_label};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Counts over some responses to one exercise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// How many responses were added.
    pub responses: u64,
    /// By question id.
    pub questions: BTreeMap<String, QuestionTally>,
    /// By segment question id: each answer given, with its count.
    pub segments: BTreeMap<String, BTreeMap<String, u64>>,
    /// By dimension id.
    pub dimensions: BTreeMap<String, DimensionTally>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionTally {
    /// How many answered it.
    pub answered: u64,
    /// Closed questions: each option chosen (a scale point as its number), with its count.
    pub chosen: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DimensionTally {
    /// Respondents at each level, by label.
    pub levels: BTreeMap<String, u64>,
    pub scores: ScoreSum,
    /// By segment question id, then answer: the scores of the respondents who gave it.
    pub by_segment: BTreeMap<String, BTreeMap<String, ScoreSum>>,
}

/// Scores added up in hundredths (a respondent's score is rounded to two places), so a sum
/// kept for months and read back from JSON is exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreSum {
    pub respondents: u64,
    pub hundredths: i64,
}

impl DimensionTally {
    /// Respondents at the level labelled `label`.
    pub fn level_count(&self, label: &str) -> u64 {
        self.levels.get(label).copied().unwrap_or(0)
    }

    /// The scores of the respondents who answered `value` to a segment question, if any did.
    pub fn segment_scores(&self, segment_id: &str, value: &str) -> Option<&ScoreSum> {
        self.by_segment.get(segment_id)?.get(value)
    }
}

impl ScoreSum {
    fn add(&mut self, score: f64) {
        self.respondents += 1;
        self.hundredths += (score * 100.0).round() as i64;
    }

    /// The mean, to two places (0 when nobody scored).
    pub fn mean(&self) -> f64 {
        if self.respondents == 0 {
            return 0.0;
        }
        (self.hundredths as f64 / self.respondents as f64).round() / 100.0
    }
}

impl Tally {
    /// What a tally depends on in a definition: its questions, segments and dimensions. A
    /// stored tally with another fingerprint was counted under other questions.
    pub fn fingerprint(def: &Definition) -> String {
        let counted = serde_json::to_vec(&(&def.questions, &def.segments, &def.dimensions))
            .expect("definitions serialise");
        hex::encode(Sha256::digest(counted))
    }

    /// Adds one response.
    pub fn add(
        &mut self,
        def: &Definition,
        answers: &BTreeMap<String, Answer>,
        segments: &BTreeMap<String, String>,
    ) {
        self.responses += 1;
        for q in &def.questions {
            let Some(answer) = answers.get(&q.id) else {
                continue;
            };
            let counts = self.questions.entry(q.id.clone()).or_default();
            counts.answered += 1;
            match answer {
                Answer::Choices(chosen) => {
                    for c in chosen {
                        *counts.chosen.entry(c.clone()).or_default() += 1;
                    }
                }
                Answer::Scale(n) => *counts.chosen.entry(n.to_string()).or_default() += 1,
                Answer::Text(_) => {}
            }
        }
        for s in &def.segments {
            if let Some(value) = segments.get(&s.id) {
                *self
                    .segments
                    .entry(s.id.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default() += 1;
            }
        }
        let scores = def.score(&Answers {
            answers: answers.clone(),
            segments: BTreeMap::new(),
        });
        for score in scores {
            let Some(d) = def.dimensions.iter().find(|d| d.id == score.id) else {
                continue;
            };
            let counts = self.dimensions.entry(d.id.clone()).or_default();
            *counts.levels.entry(level_for(d, score.score)).or_default() += 1;
            counts.scores.add(score.score);
            for s in &def.segments {
                if let Some(value) = segments.get(&s.id) {
                    counts
                        .by_segment
                        .entry(s.id.clone())
                        .or_default()
                        .entry(value.clone())
                        .or_default()
                        .add(score.score);
                }
            }
        }
    }

    /// A closed question's options (a scale's points, labelled), each with its count, in the
    /// definition's order.
    pub fn option_counts(&self, q: &Question) -> Vec<(String, u64)> {
        let chosen = self.questions.get(&q.id).map(|c| &c.chosen);
        let count = |key: &str| chosen.and_then(|c| c.get(key)).copied().unwrap_or(0);
        match q.kind {
            QuestionType::Text => vec![],
            QuestionType::Scale => (q.scale_points())
                .map(|p| (scale_label(q, p), count(&p.to_string())))
                .collect(),
            QuestionType::Single | QuestionType::Multiple => {
                q.options.iter().map(|o| (o.clone(), count(o))).collect()
            }
        }
    }

    /// How many answered a question.
    pub fn answered(&self, question_id: &str) -> u64 {
        self.questions.get(question_id).map_or(0, |c| c.answered)
    }

    /// How many gave `value` as their answer to a segment question.
    pub fn segment_count(&self, segment_id: &str, value: &str) -> u64 {
        let counts = self.segments.get(segment_id);
        counts.and_then(|c| c.get(value)).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Definition {
        serde_json::from_value(serde_json::json!({
            "organisation": "o", "title": "t", "opens_at": "2026-01-01", "closes_at": "2026-02-01",
            "questions": [
                {"id": "q1", "type": "scale", "title": "a", "min": 1, "max": 3},
                {"id": "q2", "type": "scale", "title": "b", "min": 1, "max": 3},
                {"id": "pick", "type": "multiple", "title": "c", "options": ["x", "y"]},
                {"id": "why", "type": "text", "title": "d"}
            ],
            "segments": [{"id": "team", "title": "Team", "options": ["red", "blue"]}],
            "dimensions": [{"id": "d", "title": "D", "questions": ["q1", "q2"],
                            "levels": [{"min": 0, "label": "low"}, {"min": 2, "label": "high"}]}]
        }))
        .unwrap()
    }

    fn response(
        q1: i64,
        q2: i64,
        team: &str,
    ) -> (BTreeMap<String, Answer>, BTreeMap<String, String>) {
        let answers = BTreeMap::from([
            ("q1".to_string(), Answer::Scale(q1)),
            ("q2".to_string(), Answer::Scale(q2)),
            (
                "pick".to_string(),
                Answer::Choices(vec!["x".into(), "y".into()]),
            ),
        ]);
        (
            answers,
            BTreeMap::from([("team".to_string(), team.to_string())]),
        )
    }

    #[test]
    fn counts_options_segments_levels_and_exact_means() {
        let def = survey();
        let mut t = Tally::default();
        for (a, s) in [
            response(1, 2, "red"),
            response(3, 3, "red"),
            response(1, 1, "blue"),
        ] {
            t.add(&def, &a, &s);
        }
        assert_eq!(t.responses, 3);
        assert_eq!(t.answered("q1"), 3);
        assert_eq!(t.answered("why"), 0);
        let q1 = &def.questions[0];
        assert_eq!(
            t.option_counts(q1),
            vec![("1".into(), 2), ("2".into(), 0), ("3".into(), 1)]
        );
        assert_eq!(
            t.option_counts(&def.questions[2]),
            vec![("x".into(), 3), ("y".into(), 3)]
        );
        assert!(t.option_counts(&def.questions[3]).is_empty());
        assert_eq!(t.segments["team"]["red"], 2);
        let d = &t.dimensions["d"];
        // Scores 1.5, 3 and 1: a mean of 1.83, one high and two low.
        assert_eq!(d.scores.mean(), 1.83);
        assert_eq!(d.levels["high"], 1);
        assert_eq!(d.levels["low"], 2);
        assert_eq!(d.by_segment["team"]["red"].mean(), 2.25);
        // Kept as JSON and read back, it goes on counting exactly where it stopped.
        let back: Tally = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn the_fingerprint_changes_with_the_questions_not_the_wording_around_them() {
        let def = survey();
        let mut retitled = def.clone();
        retitled.title = "Another title".into();
        retitled.summary = "Another summary".into();
        assert_eq!(Tally::fingerprint(&def), Tally::fingerprint(&retitled));
        let mut more = def.clone();
        more.questions[2].options.push("z".into());
        assert_ne!(Tally::fingerprint(&def), Tally::fingerprint(&more));
    }
}
