//! Deleting a register row, refused while anything still points at it.

use crate::domain::programme::Referrers;
use crate::store::found;
use crate::store::versions::Topic;
use crate::store::{Db, StoreError, StoreResult, read, write};

/// A kind of register row that others may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Strategy,
    Theme,
    Commitment,
    Project,
    CaseStudy,
    Update,
}

impl RowKind {
    fn table(self) -> &'static str {
        match self {
            RowKind::Strategy => "strategies",
            RowKind::Theme => "programme_themes",
            RowKind::Commitment => "commitments",
            RowKind::Project => "projects",
            RowKind::CaseStudy => "case_studies",
            RowKind::Update => "project_updates",
        }
    }

    /// Its kind in the search index, for the kinds site search finds.
    fn search_kind(self) -> Option<&'static str> {
        match self {
            RowKind::Project => Some("project"),
            RowKind::Commitment => Some("commitment"),
            RowKind::CaseStudy => Some("case-study"),
            _ => None,
        }
    }
}

/// What points at a row: for each kind, a query giving the titles of the rows that refer to
/// it (`$1` is the id), and what those rows are called. Other areas that link into the
/// register (such as "we did" statements) add their line here, so deletion stays refused
/// while anything still points at the row.
const REFERENCES: &[(RowKind, &str, &str)] = &[
    (
        RowKind::Strategy,
        "SELECT title FROM programme_themes WHERE strategy_id = $1 ORDER BY title",
        "theme",
    ),
    (
        RowKind::Theme,
        "SELECT title FROM commitments WHERE theme_id = $1 ORDER BY title",
        "commitment",
    ),
    (
        RowKind::Theme,
        "SELECT cs.title FROM case_study_themes x JOIN case_studies cs ON cs.id = x.case_study_id
         WHERE x.theme_id = $1 ORDER BY cs.title",
        "case study",
    ),
    (
        RowKind::Commitment,
        "SELECT p.title FROM project_commitments x JOIN projects p ON p.id = x.project_id WHERE
         x.commitment_id = $1 ORDER BY p.title",
        "project",
    ),
    (
        RowKind::Project,
        "SELECT body FROM project_updates WHERE project_id = $1 ORDER BY dated",
        "update",
    ),
    (
        RowKind::Project,
        "SELECT cs.title FROM case_study_projects x JOIN case_studies cs ON cs.id =
         x.case_study_id WHERE x.project_id = $1 ORDER BY cs.title",
        "case study",
    ),
    // The evidence chain (migration 0009): "we did" statements and ideas.
    (
        RowKind::Commitment,
        "SELECT a.we_did FROM result_action_links x JOIN result_actions a ON a.id = x.action_id
         WHERE x.commitment_id = $1 ORDER BY a.id",
        "\u{201c}we did\u{201d} statement",
    ),
    (
        RowKind::Project,
        "SELECT a.we_did FROM result_action_links x JOIN result_actions a ON a.id = x.action_id
         WHERE x.project_id = $1 ORDER BY a.id",
        "\u{201c}we did\u{201d} statement",
    ),
    (
        RowKind::Project,
        "SELECT i.title FROM idea_projects x JOIN ideas i ON i.id = x.idea_id WHERE x.project_id =
         $1",
        "idea",
    ),
];

impl Db {
    /// The rows that still point at the row `id` of `kind`, grouped by what they are; empty
    /// when it may be deleted.
    pub async fn referrers(&self, kind: RowKind, id: i64) -> StoreResult<Vec<Referrers>> {
        let mut out = Vec::new();
        for (k, q, what) in REFERENCES {
            if *k != kind {
                continue;
            }
            let titles: Vec<String> =
                read!(self, |pool| sqlx::query_scalar(sqlx::AssertSqlSafe(*q))
                    .bind(id)
                    .fetch_all(pool)
                    .await)?;
            if !titles.is_empty() {
                out.push(Referrers { what, titles });
            }
        }
        Ok(out)
    }

    /// Deletes a row that nothing points at. Callers check [`Db::referrers`] first to explain a
    /// refusal; the database's own `RESTRICT` keys refuse anything that slips past (a conflict).
    pub async fn delete_row(&self, kind: RowKind, id: i64) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let q = format!("DELETE FROM {} WHERE id = $1", kind.table());
            let done = write!(self, |pool| {
                let mut tx = pool.begin().await?;
                if let Some(indexed) = kind.search_kind() {
                    sqlx::query("DELETE FROM search_index WHERE kind = $1 AND ref_id = $2")
                        .bind(indexed)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match e.as_database_error() {
                        Some(d) if d.is_foreign_key_violation() => {
                            StoreError::Conflict("still referred to".into())
                        }
                        _ => StoreError::Database(e),
                    })?;
                tx.commit().await?;
                done.rows_affected()
            });
            found(done)
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }
}
