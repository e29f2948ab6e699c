//! The evidence chain between listening and the programme register: "we did" statements
//! linked to commitments and projects, and ideas that became projects.

use super::{Db, StoreError, StoreResult, read, write};
use crate::domain::programme::{Phase, Status};
use serde::Serialize;

/// A register row a "we did" statement links to.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ActionLink {
    pub action_id: i64,
    /// `commitment` or `project`.
    pub kind: String,
    pub slug: String,
    pub title: String,
    /// Projects only.
    pub phase: Option<Phase>,
    pub status: Option<Status>,
}

/// A "you said" that led to a project (directly, or through one of its commitments).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProjectEvidence {
    pub exercise_slug: String,
    pub exercise_title: String,
    pub you_said: String,
    pub we_did: String,
    pub analysis_id: Option<i64>,
    pub theme_id: Option<String>,
    /// How many of the statement's links name the project itself; none means it is credited
    /// only through a commitment the project delivers.
    pub direct_links: i64,
}

impl ProjectEvidence {
    /// The "we did" links to the project itself, not only to one of its commitments.
    pub fn is_direct(&self) -> bool {
        self.direct_links > 0
    }
}

/// The idea a project started from.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct IdeaOrigin {
    pub idea_id: i64,
    pub title: String,
    pub challenge_slug: String,
    pub challenge_title: String,
}

impl Db {
    /// Links a "we did" statement to commitments and projects (by id), in one transaction.
    pub async fn link_action(
        &self,
        action_id: i64,
        commitments: &[i64],
        projects: &[i64],
    ) -> StoreResult<()> {
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            for c in commitments {
                sqlx::query(
                    "INSERT INTO result_action_links (action_id, commitment_id) VALUES ($1, $2)",
                )
                .bind(action_id)
                .bind(c)
                .execute(&mut *tx)
                .await?;
            }
            for p in projects {
                sqlx::query(
                    "INSERT INTO result_action_links (action_id, project_id) VALUES ($1, $2)",
                )
                .bind(action_id)
                .bind(p)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every register link of an exercise's "we did" statements.
    pub async fn action_links(&self, exercise_id: i64) -> StoreResult<Vec<ActionLink>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT l.action_id, 'commitment' AS kind, c.slug, c.title, NULL AS phase, NULL AS
                 status
                   FROM result_action_links l JOIN result_actions a ON a.id = l.action_id JOIN
                   commitments c ON c.id = l.commitment_id
                  WHERE a.exercise_id = $1
                 UNION ALL
                 SELECT l.action_id, 'project' AS kind, p.slug, p.title, p.phase, p.status
                   FROM result_action_links l JOIN result_actions a ON a.id = l.action_id JOIN
                   projects p ON p.id = l.project_id
                  WHERE a.exercise_id = $1
                 ORDER BY 1, 2, 4",
            )
            .bind(exercise_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// What people said, on published results, that led to a project: "we did" statements
    /// linked to it or to one of its commitments.
    pub async fn project_evidence(&self, project_id: i64) -> StoreResult<Vec<ProjectEvidence>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT e.slug AS exercise_slug, e.title AS exercise_title, a.you_said,
                        a.we_did, a.analysis_id, a.theme_id,
                        CAST(SUM(CASE WHEN l.project_id = $1 THEN 1 ELSE 0 END) AS BIGINT)
                          AS direct_links
                   FROM result_action_links l
                   JOIN result_actions a ON a.id = l.action_id
                   JOIN exercises e ON e.id = a.exercise_id
                  WHERE e.published AND e.results_published_at IS NOT NULL
                    AND (l.project_id = $1 OR l.commitment_id IN (SELECT commitment_id FROM
                    project_commitments WHERE project_id = $1))
                  GROUP BY a.id, e.slug, e.title, a.you_said, a.we_did, a.analysis_id, a.theme_id
                  ORDER BY e.slug, a.you_said",
            )
            .bind(project_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Records that an idea became a project; an idea becomes one project at most.
    pub async fn link_idea(&self, idea_id: i64, project_id: i64) -> StoreResult<()> {
        write!(self, |pool| sqlx::query(
            "INSERT INTO idea_projects (idea_id, project_id) VALUES ($1, $2)"
        )
        .bind(idea_id)
        .bind(project_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from_sqlx)?;
        Ok(())
    }

    /// The project each idea of a challenge became: (idea id, project slug, project title).
    pub async fn idea_projects(
        &self,
        challenge_id: i64,
    ) -> StoreResult<Vec<(i64, String, String)>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT x.idea_id, p.slug, p.title FROM idea_projects x JOIN projects p ON p.id =
                 x.project_id
                   JOIN ideas i ON i.id = x.idea_id WHERE i.challenge_id =
                   $1",
            )
            .bind(challenge_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The idea a project started from, if any.
    pub async fn idea_origin(&self, project_id: i64) -> StoreResult<Option<IdeaOrigin>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
            "SELECT i.id AS idea_id, i.title, c.slug AS challenge_slug, c.title AS challenge_title
              FROM idea_projects x JOIN ideas i ON i.id = x.idea_id JOIN challenges c ON c.id =
              i.challenge_id
             WHERE x.project_id = $1").bind(project_id).fetch_optional(pool).await
        })?)
    }
}
