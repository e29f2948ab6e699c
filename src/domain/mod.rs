//! Types and rules, with no HTTP and no SQL: values are parsed once at the edge into types
//! that cannot hold invalid data, and every rule a user can break yields a [`FieldErrors`].

pub mod exercise;
pub mod feed;
pub mod organisation;
pub mod post;
pub mod programme;
pub mod review;
pub mod role;
pub mod text;
pub mod user;

use serde::Serialize;

/// Validation messages by field, in the order the fields appear on the form.
///
/// Pages show them in a GOV.UK error summary; the API returns them as `fields`.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One message for one field.
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Records the first message for a field; later ones for the same field are dropped
    /// because GOV.UK pages show one message per field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError {
                field: field.to_string(),
                message: message.into(),
            });
        }
    }

    /// Keeps the value when `result` is Ok, records the message otherwise.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(value)` when there were no errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// Where `at` falls in a window that opens at `opens_at` and closes at `closes_at` (Unix
/// seconds): `upcoming`, `open` or `closed`. Consultations and idea challenges both have one.
pub fn window_state(opens_at: i64, closes_at: i64, at: i64) -> &'static str {
    if at < opens_at {
        "upcoming"
    } else if at < closes_at {
        "open"
    } else {
        "closed"
    }
}
