//! What the listening API takes and answers, with their schemas. An exercise's definition is
//! read and written as `domain::exercise::Definition` itself (which the admin import and export
//! also use); `ExerciseDefinition` and the types under it describe that shape for the OpenAPI
//! document, and `tests/it/openapi.rs` checks real answers against them.

use crate::domain::WindowState;
use crate::domain::exercise::{self, Definition};
use crate::domain::review::{AnalysisStatus, Review, ReviewCampaign, ReviewTheme};
use crate::web::openapi::{AnalysisStatusName, ExerciseKindName, WindowStateName, one_of};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, OneOfBuilder, Schema, Type};

/// A published consultation, survey or review, as lists show it.
#[derive(Serialize, ToSchema)]
pub struct ExerciseSummary {
    pub slug: String,
    pub title: String,
    #[schema(value_type = ExerciseKindName, inline)]
    pub kind: String,
    pub summary: String,
    /// The organisation's slug
    pub organisation: String,
    #[schema(format = DateTime)]
    pub opens_at: String,
    #[schema(format = DateTime)]
    pub closes_at: String,
    #[schema(value_type = WindowStateName, inline)]
    pub state: WindowState,
    pub url: String,
    /// Where its results are, once published
    #[schema(required)]
    pub results_url: Option<String>,
}

/// Every published exercise.
#[derive(Serialize, ToSchema)]
pub struct ExerciseList {
    pub items: Vec<ExerciseSummary>,
}

/// An exercise with its definition.
#[derive(Serialize, ToSchema)]
pub struct ExerciseDetail {
    #[serde(flatten)]
    pub summary: ExerciseSummary,
    #[schema(value_type = ExerciseDefinition)]
    pub definition: Definition,
}

/// An exercise's definition: what `POST /api/v1/consultations` takes, and the admin's
/// import and export read and write.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organisation": "community-services",
    "title": "Library opening hours",
    "summary": "When should the libraries open?",
    "opens_at": "2020-01-01",
    "closes_at": "2099-01-01",
    "questions": [
        {"id": "q1", "type": "text", "title": "What should change?", "required": true},
        {"id": "q2", "type": "single", "title": "Which library do you use?", "options": ["North", "South"], "required": false},
        {"id": "q3", "type": "scale", "title": "How satisfied are you?", "min": 1, "max": 5, "required": true}
    ],
    "segments": [
        {"id": "who", "title": "Are you responding as", "options": ["An individual", "An organisation"]}
    ]
}))]
pub struct ExerciseDefinition {
    /// slug of an organisation you are an editor of
    pub organisation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default = "default_kind")]
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Markdown
    #[serde(default)]
    pub body: String,
    /// YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC) or RFC 3339
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

fn default_kind() -> String {
    exercise::KINDS[0].into()
}

/// `kind`: one of the kinds, a consultation when absent.
fn kind_schema() -> Object {
    let mut schema = one_of(exercise::KINDS);
    schema.default = Some(default_kind().into());
    schema
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,40}$")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: QuestionType,
    #[schema(max_length = 500)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default)]
    #[schema(default = false)]
    pub required: bool,
    /// single and multiple: 2 to 50 options
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// scale: max - min at most 10
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// scale: two labels (the ends) or one per point
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// consecutive questions with the same page title are asked on one page
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

#[derive(Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    Text,
    Single,
    Multiple,
    Scale,
}

#[derive(Serialize, Deserialize, ToSchema)]
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

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub title: String,
    /// ids of scale questions
    pub questions: Vec<String>,
    #[schema(inline)]
    pub levels: Vec<Level>,
}

/// A dimension's level: a mean score at or above `min` reaches it.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub min: f64,
    pub label: String,
}

/// A response to an exercise.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "answers": {"q1": "Open on Sunday afternoons.", "q2": "North", "q3": 4},
    "segment": "An individual"
}))]
pub struct NewResponse {
    /// by question id: a string (text, single), an array of strings (multiple) or an integer (scale)
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// The answer to the first segment question, or an object of segment answers by id.
    #[serde(default)]
    #[schema(schema_with = segment_schema)]
    pub segment: Option<Value>,
    /// for a receipt; kept apart from the answers and never published
    #[serde(default)]
    pub email: Option<String>,
}

/// `segment`: a string, or an object of answers by segment id.
fn segment_schema() -> Schema {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Object))
        .description(Some(
            "the answer to the first segment question, or an object of answers by segment id",
        ))
        .build()
        .into()
}

/// A stored response's reference.
#[derive(Serialize, ToSchema)]
pub struct Reference {
    pub reference: String,
}

/// Which free-text question to analyse.
#[derive(Deserialize, ToSchema)]
pub struct AnalysisRequest {
    /// The question's id
    pub question: String,
}

/// A queued analysis (202).
#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub id: i64,
    #[schema(value_type = AnalysisStatusName, inline)]
    pub status: AnalysisStatus,
}

/// An analysis job and, when done, its reviewed result.
#[derive(Serialize, ToSchema)]
pub struct Analysis {
    pub id: i64,
    /// The exercise's slug
    pub exercise: String,
    /// The question's id
    pub question: String,
    #[schema(value_type = AnalysisStatusName, inline)]
    pub status: AnalysisStatus,
    #[schema(required)]
    pub error: Option<String>,
    pub published: bool,
    #[schema(required)]
    pub result: Option<AnalysisResult>,
}

/// the `townhall analyse` JSON, as reviewed by an analyst; campaigns carry a status (detected, confirmed, dismissed)
#[derive(Serialize, ToSchema)]
pub struct AnalysisResult {
    pub responses: usize,
    #[schema(value_type = Vec<Object>)]
    pub themes: Vec<ReviewTheme>,
    #[schema(value_type = Vec<Object>)]
    pub campaigns: Vec<ReviewCampaign>,
    /// ids of the responses in no theme
    pub unassigned: Vec<String>,
    /// The engine's own record of how the result was made
    #[serde(skip_serializing_if = "Value::is_null")]
    #[schema(value_type = Object)]
    pub meta: Value,
}

impl From<Review> for AnalysisResult {
    /// The review as analysts and the public see it: without each response's segment.
    fn from(r: Review) -> Self {
        let Review {
            responses,
            themes,
            campaigns,
            unassigned,
            segment_of: _,
            meta,
            theme_numbers_used: _,
            continues: _,
        } = r;
        AnalysisResult {
            responses,
            themes,
            campaigns,
            unassigned,
            meta,
        }
    }
}
