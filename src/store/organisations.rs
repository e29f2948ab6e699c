//! Organisations: the department and its arm's-length bodies.

use super::{Db, StoreError, StoreResult, found, now, one, read, write};
use crate::domain::organisation::NewOrganisation;
use crate::store::versions::Topic;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Organisation {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub parent_id: Option<i64>,
    /// The parent's slug, joined in for display and the API.
    pub parent_slug: Option<String>,
}

impl Organisation {
    /// The organisation and the one above it, whose roles apply to it.
    pub fn lineage(&self) -> Vec<i64> {
        std::iter::once(self.id).chain(self.parent_id).collect()
    }
}

/// The organisation columns, with `$rest` (a WHERE or ORDER BY clause) appended.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT o.id, o.slug, o.name, o.summary, o.parent_id, p.slug AS parent_slug
             FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id ",
            $rest
        )
    };
}

impl Db {
    /// Every organisation, departments first, then by name.
    pub async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        let q = select!("ORDER BY o.parent_id IS NOT NULL, o.name");
        Ok(read!(self, |pool| sqlx::query_as(q).fetch_all(pool).await)?)
    }

    /// The departments: organisations at the top, with no parent.
    pub async fn department_ids(&self) -> StoreResult<Vec<i64>> {
        let q = "SELECT id FROM organisations WHERE parent_id IS NULL ORDER BY id";
        Ok(read!(self, |pool| sqlx::query_scalar(q)
            .fetch_all(pool)
            .await)?)
    }

    pub async fn organisation_by_slug(&self, slug: &str) -> StoreResult<Organisation> {
        let q = select!("WHERE o.slug = $1");
        one(read!(self, |pool| sqlx::query_as(q)
            .bind(slug)
            .fetch_optional(pool)
            .await))
    }

    pub async fn organisation(&self, id: i64) -> StoreResult<Organisation> {
        let q = select!("WHERE o.id = $1");
        one(read!(self, |pool| sqlx::query_as(q)
            .bind(id)
            .fetch_optional(pool)
            .await))
    }

    /// Creates an organisation; a taken slug is a [`StoreError::Conflict`].
    pub async fn create_organisation(&self, org: &NewOrganisation) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let q = "INSERT INTO organisations (slug, name, summary, parent_id, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id";
            write!(self, |pool| sqlx::query_scalar(q)
                .bind(org.slug.as_str())
                .bind(org.name.as_str())
                .bind(&org.summary)
                .bind(org.parent_id)
                .bind(now())
                .fetch_one(pool)
                .await)
            .map_err(StoreError::from_sqlx)
        }
        .await;
        self.then_changed(done, &[Topic::Organisations]).await
    }

    pub async fn update_organisation(&self, id: i64, org: &NewOrganisation) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let q =
                "UPDATE organisations SET slug = $1, name = $2, summary = $3, parent_id = $4 WHERE
                     id = $5";
            let done = write!(self, |pool| sqlx::query(q)
                .bind(org.slug.as_str())
                .bind(org.name.as_str())
                .bind(&org.summary)
                .bind(org.parent_id)
                .bind(id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))
            .map_err(StoreError::from_sqlx)?;
            found(done)
        }
        .await;
        self.then_changed(done, &[Topic::Organisations]).await
    }
}
