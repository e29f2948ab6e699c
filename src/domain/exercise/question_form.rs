//! The admin's form for one question.

use super::{Definition, Question, QuestionType};
use crate::domain::FieldErrors;
use serde::{Deserialize, Serialize};

/// The admin's "add a question" form: options and labels one per line.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct QuestionForm {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub title: String,
    pub hint: String,
    pub required: Option<String>,
    pub options: String,
    pub min: String,
    pub max: String,
    pub labels: String,
    pub page: String,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

impl QuestionForm {
    /// Adds the question to a copy of `def` and checks the whole definition, so the rules
    /// live in one place ([`Definition::validate`]); errors are named by form field.
    pub fn add_to(&self, def: &Definition) -> Result<Definition, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = match self.kind.as_str() {
            "text" => Some(QuestionType::Text),
            "single" => Some(QuestionType::Single),
            "multiple" => Some(QuestionType::Multiple),
            "scale" => Some(QuestionType::Scale),
            _ => {
                e.add("type", "Choose the type of question");
                None
            }
        };
        let number = |s: &str, field: &str, e: &mut FieldErrors| -> Option<i64> {
            if s.trim().is_empty() {
                return None;
            }
            let n = s.trim().parse().ok();
            if n.is_none() {
                e.add(field, "Enter a whole number");
            }
            n
        };
        let min = number(&self.min, "min", &mut e);
        let max = number(&self.max, "max", &mut e);
        let id = if self.id.trim().is_empty() {
            let mut n = def.questions.len() + 1;
            while def.question(&format!("q{n}")).is_some() {
                n += 1;
            }
            format!("q{n}")
        } else {
            self.id.trim().to_string()
        };
        let Some(kind) = kind else { return Err(e) };
        let q = Question {
            id,
            kind,
            title: self.title.trim().to_string(),
            hint: Some(self.hint.trim().to_string()).filter(|h| !h.is_empty()),
            required: self.required.is_some(),
            options: if matches!(kind, QuestionType::Single | QuestionType::Multiple) {
                lines(&self.options)
            } else {
                vec![]
            },
            min: if kind == QuestionType::Scale {
                min.or(Some(1))
            } else {
                None
            },
            max: if kind == QuestionType::Scale {
                max.or(Some(5))
            } else {
                None
            },
            labels: if kind == QuestionType::Scale {
                lines(&self.labels)
            } else {
                vec![]
            },
            page: Some(self.page.trim().to_string()).filter(|p| !p.is_empty()),
        };
        let at = def.questions.len();
        let mut next = def.clone();
        next.questions.push(q);
        if !e.is_empty() {
            return Err(e);
        }
        next.clone().validate().map(|_| next).map_err(|errors| {
            let prefix = format!("questions.{at}.");
            let mut out = FieldErrors::new();
            for err in errors.iter() {
                match err.field.strip_prefix(&prefix) {
                    Some(field) => out.add(field, err.message.clone()),
                    None => out.add(&err.field, err.message.clone()),
                }
            }
            out
        })
    }
}
