//! An organisation as an admin enters it.

use super::FieldErrors;
use super::text::{Slug, optional_text, required_line};

/// A validated organisation, ready to store.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub slug: Slug,
    pub name: String,
    pub summary: String,
    pub parent_id: Option<i64>,
}

impl NewOrganisation {
    /// Validates form or API input; an empty slug is made from the name.
    pub fn parse(
        name: &str,
        slug: &str,
        summary: &str,
        parent_id: Option<i64>,
    ) -> Result<NewOrganisation, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", required_line(name, "the organisation's name", 200));
        let slug = if slug.trim().is_empty() {
            name.as_deref().map(Slug::from_title)
        } else {
            errors.check("slug", Slug::parse(slug))
        };
        let summary = errors.check("summary", optional_text(summary, "the summary", 2000));
        match (name, slug, summary) {
            (Some(name), Some(slug), Some(summary)) if errors.is_empty() => Ok(NewOrganisation {
                slug,
                name,
                summary,
                parent_id,
            }),
            _ => Err(errors),
        }
    }
}
