//! Exercises (consultations, surveys and reviews): their definition, and the answers a
//! respondent gives.
//!
//! A [`Definition`] is the JSON document that the admin import/export and
//! `POST /api/v1/consultations` take. [`Definition::validate`] checks it whole and names every
//! problem by its place in the document (`questions.2.options`), so an editor importing a file
//! sees all the mistakes at once. [`Definition::parse_answers`] checks one respondent's answers
//! against the questions.

use super::FieldErrors;
use super::text::Slug;
use crate::domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

mod answers;
mod question_form;
mod tally;

pub use answers::{Answer, Answers, DimensionScore, level_for, scale_label};
pub use question_form::QuestionForm;
pub use tally::{DimensionTally, Tally};

/// The longest free-text answer, in characters (long enough for a pasted 100 KB document).
pub const MAX_TEXT_ANSWER: usize = 200_000;
const MAX_QUESTIONS: usize = 100;
const MAX_OPTIONS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    Text,
    Single,
    Multiple,
    Scale,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Scale labels: one per point from `min` to `max`, or two (the ends).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Questions with the same page title, one after another, are shown on one page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

/// The largest magnitude of a scale's ends.
pub const SCALE_BOUND: i64 = 1_000;
/// The most points a scale may have.
pub const MAX_SCALE_POINTS: i64 = 11;

/// Whether `min..=max` is a scale a respondent can answer: ends within [`SCALE_BOUND`], at
/// least two points and at most [`MAX_SCALE_POINTS`].
fn is_valid_scale(min: i64, max: i64) -> bool {
    let bounds = -SCALE_BOUND..=SCALE_BOUND;
    bounds.contains(&min) && bounds.contains(&max) && min < max && max - min < MAX_SCALE_POINTS
}

impl Question {
    /// The points of a scale question (1 to 5 when the ends are not given). Empty when the
    /// stored ends are out of range (a definition saved before they were checked), so no page
    /// or download ever walks billions of points.
    #[expect(clippy::reversed_empty_ranges, reason = "no points, deliberately")]
    pub fn scale_points(&self) -> std::ops::RangeInclusive<i64> {
        let (min, max) = (self.min.unwrap_or(1), self.max.unwrap_or(5));
        if is_valid_scale(min, max) {
            min..=max
        } else {
            1..=0
        }
    }
}

/// A question about the respondent (individual or organisation, inside or outside
/// government, team): answers break results down; they are never analysed as text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentQuestion {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub options: Vec<String>,
}

/// A scored survey's dimension: the mean of its scale questions gives a level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub title: String,
    pub questions: Vec<String>,
    /// In ascending order of `min`; a score at or above `min` reaches the level.
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub min: f64,
    pub label: String,
}

impl Level {
    /// Levels written one per line as `minimum score: label` (`2.5: Developing`); blank lines
    /// are skipped. The error lists the lines that are not written so.
    pub fn parse_lines(text: &str) -> Result<Vec<Level>, Vec<String>> {
        let mut levels = Vec::new();
        let mut bad = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parsed = line.split_once(':').and_then(|(min, label)| {
                let label = label.trim();
                let min = min.trim().parse::<f64>().ok()?;
                (!label.is_empty()).then(|| Level {
                    min,
                    label: label.to_string(),
                })
            });
            match parsed {
                Some(level) => levels.push(level),
                None => bad.push(line.to_string()),
            }
        }
        if bad.is_empty() { Ok(levels) } else { Err(bad) }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub organisation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Markdown, shown above the questions.
    #[serde(default)]
    pub body: String,
    pub opens_at: String,
    pub closes_at: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    pub questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentQuestion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
}

/// The kinds of exercise, by name.
pub const KINDS: [&str; 3] = ["consultation", "survey", "review"];

fn default_kind() -> String {
    "consultation".into()
}

/// A definition that passed [`Definition::validate`], with its dates and slug worked out.
#[derive(Debug, Clone)]
pub struct ValidDefinition {
    pub definition: Definition,
    pub slug: Slug,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Accepts `2026-11-21`, `2026-11-21T09:30` (UTC) or RFC 3339.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(Timestamp::from_secs(t.unix_timestamp()));
    }
    match super::post::parse_datetime(s)? {
        Some(t) => Ok(t),
        None => Err("Enter a date".into()),
    }
}

fn check_line(errors: &mut FieldErrors, field: &str, value: &str, what: &str, max: usize) {
    if let Err(e) = super::text::required_line(value, what, max) {
        errors.add(field, e);
    }
}

impl Definition {
    /// Parses a definition from JSON text, naming the place of a syntax or shape error.
    pub fn from_json(text: &str) -> Result<Definition, FieldErrors> {
        serde_json::from_str(text).map_err(|e| {
            let mut errors = FieldErrors::new();
            errors.add(
                "definition",
                format!("The definition is not valid: {e}. Check it against the example in the documentation"),
            );
            errors
        })
    }

    /// Checks every rule; the `organisation` slug is checked by the caller, which knows
    /// which organisations exist.
    pub fn validate(self) -> Result<ValidDefinition, FieldErrors> {
        let mut e = FieldErrors::new();
        check_line(&mut e, "title", &self.title, "a title", 200);
        if self.summary.chars().count() > 1000 {
            e.add("summary", "Summary must be 1000 characters or fewer");
        }
        if self.body.chars().count() > 100_000 {
            e.add("body", "Description must be 100,000 characters or fewer");
        }
        if !KINDS.contains(&self.kind.as_str()) {
            e.add("kind", "Kind must be consultation, survey or review");
        }
        let slug = match &self.slug {
            Some(s) if !s.trim().is_empty() => e.check("slug", Slug::parse(s)),
            _ => Some(Slug::from_title(&self.title)),
        };
        let opens = e.check("opens_at", parse_instant(&self.opens_at));
        let closes = e.check("closes_at", parse_instant(&self.closes_at));
        if let (Some(o), Some(c)) = (opens, closes)
            && c <= o
        {
            e.add("closes_at", "Closing date must be after the opening date");
        }
        if self.questions.len() > MAX_QUESTIONS {
            e.add(
                "questions",
                format!("Use {MAX_QUESTIONS} questions or fewer"),
            );
        }
        let mut ids = HashSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            let at = format!("questions.{i}");
            if !valid_id(&q.id) {
                e.add(
                    &format!("{at}.id"),
                    "Question id must be 1 to 40 letters, numbers, hyphens or underscores",
                );
            } else if !ids.insert(q.id.clone()) {
                e.add(
                    &format!("{at}.id"),
                    format!("Question id {} is used twice", q.id),
                );
            }
            check_line(
                &mut e,
                &format!("{at}.title"),
                &q.title,
                "the question",
                500,
            );
            if q.hint.as_ref().is_some_and(|h| h.chars().count() > 1000) {
                e.add(
                    &format!("{at}.hint"),
                    "Hint must be 1000 characters or fewer",
                );
            }
            match q.kind {
                QuestionType::Single | QuestionType::Multiple => {
                    check_options(&mut e, &format!("{at}.options"), &q.options)
                }
                QuestionType::Scale => match (q.min, q.max) {
                    (Some(min), Some(max)) if is_valid_scale(min, max) => {
                        let points = max - min + 1;
                        if !(q.labels.is_empty()
                            || q.labels.len() == 2
                            || q.labels.len() as i64 == points)
                        {
                            e.add(
                                &format!("{at}.labels"),
                                format!("Give 2 labels (the ends) or {points} (one per point)"),
                            );
                        }
                    }
                    _ => e.add(
                        &format!("{at}.min"),
                        format!("A scale needs a min and a max, whole numbers from -{SCALE_BOUND} to {SCALE_BOUND}, with max above min and at most {MAX_SCALE_POINTS} points"),
                    ),
                },
                QuestionType::Text => {}
            }
        }
        for (i, s) in self.segments.iter().enumerate() {
            let at = format!("segments.{i}");
            if !valid_id(&s.id) {
                e.add(
                    &format!("{at}.id"),
                    "Segment id must be 1 to 40 letters, numbers, hyphens or underscores",
                );
            } else if !ids.insert(s.id.clone()) {
                e.add(&format!("{at}.id"), format!("Id {} is used twice", s.id));
            }
            check_line(
                &mut e,
                &format!("{at}.title"),
                &s.title,
                "the question",
                500,
            );
            check_options(&mut e, &format!("{at}.options"), &s.options);
        }
        for (i, d) in self.dimensions.iter().enumerate() {
            let at = format!("dimensions.{i}");
            check_line(
                &mut e,
                &format!("{at}.title"),
                &d.title,
                "the dimension's title",
                200,
            );
            if d.questions.is_empty() {
                e.add(
                    &format!("{at}.questions"),
                    "A dimension needs at least one scale question",
                );
            }
            for qid in &d.questions {
                if !self
                    .questions
                    .iter()
                    .any(|q| &q.id == qid && q.kind == QuestionType::Scale)
                {
                    e.add(
                        &format!("{at}.questions"),
                        format!("{qid} is not a scale question of this exercise"),
                    );
                }
            }
            if d.levels.is_empty() || d.levels.windows(2).any(|w| w[0].min >= w[1].min) {
                e.add(
                    &format!("{at}.levels"),
                    "Give at least one level, in ascending order of min",
                );
            }
        }
        match (slug, opens, closes) {
            (Some(slug), Some(opens_at), Some(closes_at)) if e.is_empty() => Ok(ValidDefinition {
                definition: self,
                slug,
                opens_at,
                closes_at,
            }),
            _ => Err(e),
        }
    }

    /// Refuses a change that would make answers already given mean something else: every
    /// question of `old` must still be here, with its type.
    pub fn keeps_answers_to(&self, old: &Definition) -> Result<(), FieldErrors> {
        let kept = |old: &Question| {
            self.questions
                .iter()
                .any(|q| q.id == old.id && q.kind == old.kind)
        };
        match old.questions.iter().find(|q| !kept(q)) {
            None => Ok(()),
            Some(lost) => Err(FieldErrors::one(
                "questions",
                format!(
                    "Question {} has responses, so it cannot be removed or change type. Close \
                     this exercise and start a new one instead",
                    lost.id
                ),
            )),
        }
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Pages of questions: consecutive questions with the same `page` share one. Segment
    /// questions are asked on the last page.
    pub fn pages(&self) -> Vec<(Option<String>, Vec<&Question>)> {
        let mut pages: Vec<(Option<String>, Vec<&Question>)> = Vec::new();
        for q in &self.questions {
            match pages.last_mut() {
                Some((title, qs)) if *title == q.page => qs.push(q),
                _ => pages.push((q.page.clone(), vec![q])),
            }
        }
        pages
    }
}

fn check_options(e: &mut FieldErrors, field: &str, options: &[String]) {
    if options.len() < 2 || options.len() > MAX_OPTIONS {
        e.add(field, format!("Give between 2 and {MAX_OPTIONS} options"));
    } else if options
        .iter()
        .any(|o| o.trim().is_empty() || o.chars().count() > 200)
    {
        e.add(field, "Each option must have 1 to 200 characters");
    } else if options.iter().collect::<HashSet<_>>().len() != options.len() {
        e.add(field, "Each option must be different");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;
    use serde_json::json;

    fn definition() -> Definition {
        serde_json::from_value(json!({
            "organisation": "community-services",
            "title": "Library opening hours",
            "opens_at": "2026-01-01",
            "closes_at": "2026-03-01T17:00",
            "questions": [
                {"id": "q1", "type": "text", "title": "What should change?", "required": true},
                {"id": "q2", "type": "single", "title": "Which library?", "options": ["North", "South"]},
                {"id": "q3", "type": "multiple", "title": "When?", "options": ["Mornings", "Evenings", "Weekends"]},
                {"id": "q4", "type": "scale", "title": "How satisfied?", "min": 1, "max": 5, "labels": ["Not at all", "Very"], "required": true}
            ],
            "segments": [{"id": "who", "title": "Responding as", "options": ["An individual", "An organisation"]}],
            "dimensions": [{"id": "d1", "title": "Satisfaction", "questions": ["q4"],
                            "levels": [{"min": 0, "label": "Low"}, {"min": 3, "label": "High"}]}]
        }))
        .unwrap()
    }

    #[test]
    fn a_good_definition_validates_and_gets_a_slug() {
        let v = definition().validate().unwrap();
        assert_eq!(v.slug.as_str(), "library-opening-hours");
        assert!(v.closes_at > v.opens_at);
    }

    #[test]
    fn every_problem_is_named_by_its_place() {
        let mut d = definition();
        d.questions[1].options = vec!["Only".into()];
        d.questions[2].id = "q1".into();
        d.questions[3].max = Some(1);
        d.closes_at = "2025-01-01".into();
        let e = d.validate().unwrap_err();
        assert!(e.get("questions.1.options").is_some());
        assert!(e.get("questions.2.id").unwrap().contains("twice"));
        assert!(e.get("questions.3.min").is_some());
        assert!(e.get("closes_at").is_some());
    }

    #[test]
    fn scale_ends_are_range_checked_without_overflow() {
        for (min, max) in [
            (i64::MIN, i64::MAX),
            (-5_000, -4_995),
            (0, 11),
            (3, 3),
            (5, 1),
        ] {
            let mut d = definition();
            d.questions[3].min = Some(min);
            d.questions[3].max = Some(max);
            d.questions[3].labels = vec![];
            let e = d.validate().unwrap_err();
            assert!(
                e.get("questions.3.min").unwrap().contains("-1000 to 1000"),
                "{min}..{max}"
            );
        }
        let mut d = definition();
        d.questions[3].min = Some(-1_000);
        d.questions[3].max = Some(-990);
        d.questions[3].labels = vec![];
        assert!(d.validate().is_ok());
    }

    #[test]
    fn a_stored_scale_out_of_range_has_no_points_and_no_panic() {
        let mut q = definition().questions[3].clone();
        q.min = Some(i64::MIN);
        q.max = Some(i64::MAX);
        assert_eq!(q.scale_points().count(), 0);
        assert_eq!(scale_label(&q, i64::MAX), i64::MAX.to_string());
        let answers = json!({"q4": 3});
        let e = Definition {
            questions: vec![q],
            ..definition()
        };
        assert!(
            e.parse_answers(answers.as_object().unwrap(), &Map::new(), None)
                .is_err()
        );
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let d = definition();
        let ok = d
            .parse_answers(
                json!({"q1": "More evenings", "q2": "North", "q3": ["Weekends", "Mornings"], "q4": "4"}).as_object().unwrap(),
                json!({"who": "An individual"}).as_object().unwrap(),
                None,
            )
            .unwrap();
        assert_eq!(
            ok.answers["q3"],
            Answer::Choices(vec!["Mornings".into(), "Weekends".into()])
        );
        assert_eq!(ok.answers["q4"], Answer::Scale(4));
        assert_eq!(d.score(&ok)[0].level, "High");

        let bad = d
            .parse_answers(
                json!({"q2": "East", "q4": 9, "q9": "x"})
                    .as_object()
                    .unwrap(),
                json!({"who": "A robot"}).as_object().unwrap(),
                None,
            )
            .unwrap_err();
        assert!(bad.get("q1").unwrap().starts_with("Enter your answer"));
        assert!(bad.get("q2").is_some());
        assert!(bad.get("q4").unwrap().contains("1 to 5"));
        assert!(bad.get("q9").is_some());
        assert!(bad.get("who").is_some());
    }

    #[test]
    fn text_is_kept_exactly_as_typed() {
        let d = definition();
        let typed = "<script>alert(1)</script> 🎉 مرحبا\r\nsecond line  ";
        let a = d
            .parse_answers(
                json!({"q1": typed, "q4": 1}).as_object().unwrap(),
                &Map::new(),
                None,
            )
            .unwrap();
        assert_eq!(a.answers["q1"], Answer::Text(typed.into()));
    }

    #[test]
    fn a_page_checks_only_its_questions() {
        let d = definition();
        let a = d
            .parse_answers(&Map::new(), &Map::new(), Some(&["q2", "q3"]))
            .unwrap();
        assert!(a.answers.is_empty());
    }

    #[test]
    fn definitions_round_trip_through_json() {
        let d = definition();
        let text = serde_json::to_string(&d).unwrap();
        let back = Definition::from_json(&text).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&d).unwrap()
        );
    }
}
