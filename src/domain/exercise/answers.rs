//! A respondent's answers: checked against the questions, and scored by dimension.

use super::{Definition, Dimension, MAX_TEXT_ANSWER, Question, QuestionType};
use crate::domain::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One answer, as stored (JSON) and analysed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Scale(i64),
    Text(String),
    Choices(Vec<String>),
}

/// A respondent's validated answers and segments, keyed by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answers {
    pub answers: BTreeMap<String, Answer>,
    pub segments: BTreeMap<String, String>,
}

impl Definition {
    /// Checks one respondent's answers. `answers` maps question ids to a string (text,
    /// single), a list of strings (multiple) or an integer (scale; a numeric string is
    /// accepted, as forms send). `only` limits the check to some questions (one page).
    pub fn parse_answers(
        &self,
        answers: &Map<String, Value>,
        segments: &Map<String, Value>,
        only: Option<&[&str]>,
    ) -> Result<Answers, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut out = Answers::default();
        let asked = |id: &str| only.is_none_or(|ids| ids.contains(&id));
        for key in answers.keys() {
            if self.question(key).is_none() {
                e.add(key, format!("There is no question {key} in this exercise"));
            }
        }
        for q in self.questions.iter().filter(|q| asked(&q.id)) {
            match parse_answer(q, answers.get(&q.id)) {
                Ok(Some(a)) => {
                    out.answers.insert(q.id.clone(), a);
                }
                Ok(None) if q.required => e.add(&q.id, missing_message(q)),
                Ok(None) => {}
                Err(m) => e.add(&q.id, m),
            }
        }
        for key in segments.keys() {
            if !self.segments.iter().any(|s| &s.id == key) {
                e.add(
                    key,
                    format!("There is no segment question {key} in this exercise"),
                );
            }
        }
        for s in self.segments.iter().filter(|s| asked(&s.id)) {
            match segments.get(&s.id) {
                None | Some(Value::Null) => {
                    if s.required {
                        e.add(&s.id, format!("Select an answer to: {}", s.title));
                    }
                }
                Some(Value::String(v)) if v.is_empty() && !s.required => {}
                Some(Value::String(v)) if s.options.contains(v) => {
                    out.segments.insert(s.id.clone(), v.clone());
                }
                Some(_) => e.add(&s.id, format!("Select one of the options for: {}", s.title)),
            }
        }
        e.into_result(|| out)
    }

    /// Each dimension's mean score and level for one respondent (dimensions with no
    /// answered question are left out).
    pub fn score(&self, answers: &Answers) -> Vec<DimensionScore> {
        self.dimensions
            .iter()
            .filter_map(|d| {
                let values: Vec<f64> = d
                    .questions
                    .iter()
                    .filter_map(|q| match answers.answers.get(q) {
                        Some(Answer::Scale(v)) => Some(*v as f64),
                        _ => None,
                    })
                    .collect();
                if values.is_empty() {
                    return None;
                }
                let score = values.iter().sum::<f64>() / values.len() as f64;
                Some(DimensionScore {
                    id: d.id.clone(),
                    title: d.title.clone(),
                    score: (score * 100.0).round() / 100.0,
                    level: level_for(d, score),
                })
            })
            .collect()
    }
}

/// The level a score reaches (the first level when it is below them all).
pub fn level_for(d: &Dimension, score: f64) -> String {
    d.levels
        .iter()
        .rev()
        .find(|l| score >= l.min)
        .or(d.levels.first())
        .map(|l| l.label.clone())
        .unwrap_or_default()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DimensionScore {
    pub id: String,
    pub title: String,
    pub score: f64,
    pub level: String,
}

fn missing_message(q: &Question) -> String {
    match q.kind {
        QuestionType::Text => format!("Enter your answer to: {}", q.title),
        QuestionType::Multiple => format!("Select at least one answer to: {}", q.title),
        _ => format!("Select an answer to: {}", q.title),
    }
}

/// `Ok(None)` when unanswered.
fn parse_answer(q: &Question, value: Option<&Value>) -> Result<Option<Answer>, String> {
    let value = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    match q.kind {
        QuestionType::Text => {
            let Value::String(s) = value else {
                return Err(format!("Answer to {} must be text", q.title));
            };
            if s.trim().is_empty() {
                return Ok(None);
            }
            if s.chars().count() > MAX_TEXT_ANSWER {
                return Err(format!(
                    "Your answer must be {MAX_TEXT_ANSWER} characters or fewer; shorten it or send the rest by email"
                ));
            }
            if s.contains('\0') {
                return Err(
                    "Your answer contains a null character; remove it and try again".into(),
                );
            }
            Ok(Some(Answer::Text(s.clone())))
        }
        QuestionType::Single => match value {
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) if q.options.contains(s) => Ok(Some(Answer::Choices(vec![s.clone()]))),
            _ => Err(format!("Select one of the options for: {}", q.title)),
        },
        QuestionType::Multiple => {
            let chosen: Vec<String> = match value {
                Value::String(s) if s.is_empty() => vec![],
                Value::String(s) => vec![s.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("Select options from the list for: {}", q.title))?,
                _ => return Err(format!("Select options from the list for: {}", q.title)),
            };
            if chosen.is_empty() {
                return Ok(None);
            }
            if chosen.iter().any(|c| !q.options.contains(c)) {
                return Err(format!("Select options from the list for: {}", q.title));
            }
            // Keep the definition's order and drop repeats.
            let ordered = q
                .options
                .iter()
                .filter(|o| chosen.contains(o))
                .cloned()
                .collect();
            Ok(Some(Answer::Choices(ordered)))
        }
        QuestionType::Scale => {
            let n = match value {
                Value::Number(n) => n.as_i64(),
                Value::String(s) if s.trim().is_empty() => return Ok(None),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            let points = q.scale_points();
            match n {
                Some(n) if points.contains(&n) => Ok(Some(Answer::Scale(n))),
                _ => Err(format!(
                    "Select a point from {} to {} for: {}",
                    points.start(),
                    points.end(),
                    q.title
                )),
            }
        }
    }
}

/// The label shown for a point of a scale question.
pub fn scale_label(q: &Question, point: i64) -> String {
    let points = q.scale_points();
    let (min, max) = (*points.start(), *points.end());
    if !points.contains(&point) {
        point.to_string()
    } else if q.labels.len() as i64 == max - min + 1 {
        format!("{point} – {}", q.labels[(point - min) as usize])
    } else if q.labels.len() == 2 && point == min {
        format!("{point} – {}", q.labels[0])
    } else if q.labels.len() == 2 && point == max {
        format!("{point} – {}", q.labels[1])
    } else {
        point.to_string()
    }
}
