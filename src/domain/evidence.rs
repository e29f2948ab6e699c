//! The evidence log: interview notes, workshop outputs and responses collected elsewhere,
//! added one at a time or imported from a CSV file with a column mapping.

use crate::domain::FieldErrors;
use crate::domain::exercise::{Definition, MAX_TEXT_ANSWER, QuestionType};
use crate::domain::table::Table;
use serde::{Deserialize, Serialize};

/// Where an item of evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Interview,
    Workshop,
    Document,
    /// A row of an imported CSV file.
    Imported,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Interview => "interview",
            Source::Workshop => "workshop",
            Source::Document => "document",
            Source::Imported => "imported",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        [
            Source::Interview,
            Source::Workshop,
            Source::Document,
            Source::Imported,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An item for the evidence log, checked.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub question_id: String,
    pub source: Source,
    /// `YYYY-MM-DD`.
    pub collected_on: String,
    pub segment: String,
    pub body: String,
}

/// An item as typed on the form (or read from a row of a file).
#[derive(Debug, Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct EvidenceInput {
    pub question_id: String,
    pub source_type: String,
    pub collected_on: String,
    pub segment: String,
    pub body: String,
}

impl EvidenceInput {
    /// The item, or a message for each field that is wrong.
    pub fn check(&self, def: &Definition) -> Result<NewEvidence, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !def
            .question(&self.question_id)
            .is_some_and(|q| q.kind == QuestionType::Text)
        {
            errors.add(
                "question_id",
                "Choose the free-text question this evidence answers",
            );
        }
        let source = Source::parse(&self.source_type);
        if source.is_none() {
            errors.add("source_type", "Choose where the evidence came from");
        }
        let date = self.collected_on.trim();
        if crate::domain::time::Timestamp::parse_iso_date(date).is_none() {
            errors.add(
                "collected_on",
                "Enter the date as YYYY-MM-DD, like 2026-03-14",
            );
        }
        if self.segment.chars().count() > 200 {
            errors.add("segment", "Segment must be 200 characters or fewer");
        }
        if self.body.trim().is_empty() {
            errors.add("body", "Enter the notes or the response text");
        } else if self.body.chars().count() > MAX_TEXT_ANSWER {
            errors.add("body", "The text is too long: split it into several items");
        }
        match source {
            Some(source) if errors.is_empty() => Ok(NewEvidence {
                question_id: self.question_id.clone(),
                source,
                collected_on: date.to_string(),
                segment: self.segment.trim().to_string(),
                body: self.body.clone(),
            }),
            _ => Err(errors),
        }
    }
}

/// Which column of an imported file holds what; an empty name means "not in the file".
#[derive(Deserialize, Serialize, Default, Clone, Debug)]
#[serde(default)]
pub struct Mapping {
    pub text: String,
    pub segment: String,
    pub date: String,
    pub question_id: String,
    /// The date of every row when the file has no date column.
    pub default_date: String,
}

impl Mapping {
    /// Fills what the person has not chosen yet: the first free-text question, and a column
    /// whose name says it holds the text.
    pub fn with_defaults(self, def: &Definition, header: &[String]) -> Mapping {
        let question_id = if self.question_id.is_empty() {
            def.questions
                .iter()
                .find(|q| q.kind == QuestionType::Text)
                .map(|q| q.id.clone())
                .unwrap_or_default()
        } else {
            self.question_id
        };
        let text = if self.text.is_empty() {
            header
                .iter()
                .find(|h| {
                    ["text", "response", "answer", "comments"].contains(&h.to_lowercase().as_str())
                })
                .cloned()
                .unwrap_or_default()
        } else {
            self.text
        };
        Mapping {
            question_id,
            text,
            ..self
        }
    }

    /// Every row of `table` as evidence, or messages naming the first wrong row and column.
    /// Rows whose text is blank are not evidence and are left out.
    pub fn apply(&self, def: &Definition, table: &Table) -> Result<Vec<NewEvidence>, FieldErrors> {
        let Some(text) = table.column(&self.text) else {
            return Err(FieldErrors::one(
                "text",
                "Choose the column that holds the response text",
            ));
        };
        let segment = table.column(&self.segment);
        let date = table.column(&self.date);
        let mut out = Vec::new();
        for row in &table.rows {
            let cell = |c: usize| row.cells[c].clone();
            let input = EvidenceInput {
                question_id: self.question_id.clone(),
                source_type: Source::Imported.as_str().into(),
                collected_on: date.map_or_else(|| self.default_date.clone(), cell),
                segment: segment.map(cell).unwrap_or_default(),
                body: cell(text),
            };
            if input.body.trim().is_empty() {
                continue;
            }
            match input.check(def) {
                Ok(item) => out.push(item),
                Err(row_errors) => {
                    let text_column = &table.header[text];
                    return Err(row_errors_named(
                        row_errors,
                        row.number,
                        text_column,
                        date.is_some(),
                    ));
                }
            }
        }
        if out.is_empty() {
            return Err(FieldErrors::one(
                "text",
                "Every row's text is empty in that column: choose another column",
            ));
        }
        Ok(out)
    }
}

/// A row's errors, moved onto the mapping's fields and naming the row.
fn row_errors_named(
    errors: FieldErrors,
    row: usize,
    text_column: &str,
    has_date: bool,
) -> FieldErrors {
    let mut out = FieldErrors::new();
    for e in errors.iter() {
        let field = match e.field.as_str() {
            "collected_on" if has_date => "date",
            "collected_on" => "default_date",
            "body" => "text",
            other => other,
        };
        out.add(field, format!("Row {row} ({text_column}): {}", e.message));
    }
    out
}
