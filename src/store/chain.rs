//! The evidence chain between listening and the programme register: "we did" statements
//! linked to commitments and projects, and ideas that became projects.

use super::{Db, StoreError, StoreResult, found, read, write};
use crate::domain::chain::{ConversationPart, ConversationRef, LinkTarget, NewAction};
use crate::domain::programme::{Phase, Status};
use crate::store::versions::Topic;
use serde::Serialize;

/// One link of a statement: (statement, commitment or null, project or null).
const INSERT_LINK: &str =
    "INSERT INTO result_action_links (action_id, commitment_id, project_id) VALUES ($1, $2, $3)";

/// A "you said, we did" statement of an exercise's results.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResultAction {
    pub id: i64,
    pub analysis_id: Option<i64>,
    pub theme_id: Option<String>,
    /// A conversation's statement or group cited instead of a theme: `statement:12`,
    /// `group:A` (`domain::chain::ConversationPart`).
    pub conversation_id: Option<i64>,
    pub conversation_part: Option<String>,
    pub you_said: String,
    pub we_did: String,
    pub position: i64,
}

impl ResultAction {
    /// The conversation's statement or group it cites, if any.
    pub fn cited_conversation(&self) -> Option<ConversationRef> {
        let part = ConversationPart::from_stored(self.conversation_part.as_deref()?)?;
        Some(ConversationRef {
            conversation_id: self.conversation_id?,
            part,
        })
    }
}

/// A statement as the programme side lists it: with the exercise it belongs to.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Statement {
    pub id: i64,
    pub exercise_id: i64,
    pub exercise_title: String,
    pub you_said: String,
    pub we_did: String,
}

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
    /// An exercise's "you said, we did" statements, in their order.
    pub async fn result_actions(&self, exercise_id: i64) -> StoreResult<Vec<ResultAction>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
            "SELECT id, analysis_id, theme_id, conversation_id, conversation_part, you_said, we_did,
             position FROM result_actions WHERE exercise_id = $1 ORDER BY position, id"
        )
        .bind(exercise_id)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Adds a statement (`existing` = None, last in order) or replaces one of the exercise's,
    /// with exactly the links given, in one transaction; returns its id.
    pub async fn save_result_action(
        &self,
        exercise_id: i64,
        existing: Option<i64>,
        action: &NewAction,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let theme = action.theme.as_ref();
            let analysis_id = theme.map(|t| t.analysis_id);
            let theme_id = theme.map(|t| t.theme_id.as_str());
            let conversation = action.conversation.as_ref();
            let conversation_id = conversation.map(|c| c.conversation_id);
            let conversation_part = conversation.map(|c| c.part.stored());
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let saved: Option<i64> = match existing {
                    None => Some(
                        sqlx::query_scalar(
                            "INSERT INTO result_actions (exercise_id, analysis_id, theme_id, you_said,
                             we_did, conversation_id, conversation_part, position)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT COALESCE(MAX(position), 0) + 1
                             FROM result_actions WHERE exercise_id = $1))
                             RETURNING id",
                        )
                        .bind(exercise_id)
                        .bind(analysis_id)
                        .bind(theme_id)
                        .bind(&action.you_said)
                        .bind(&action.we_did)
                        .bind(conversation_id)
                        .bind(&conversation_part)
                        .fetch_one(&mut *tx)
                        .await?,
                    ),
                    Some(id) => {
                        sqlx::query_scalar(
                            "UPDATE result_actions SET analysis_id = $2, theme_id = $3, you_said = $4,
                             we_did = $5, conversation_id = $7, conversation_part = $8
                             WHERE exercise_id = $1 AND id = $6 RETURNING id",
                        )
                        .bind(exercise_id)
                        .bind(analysis_id)
                        .bind(theme_id)
                        .bind(&action.you_said)
                        .bind(&action.we_did)
                        .bind(id)
                        .bind(conversation_id)
                        .bind(&conversation_part)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                };
                if let Some(id) = saved {
                    sqlx::query("DELETE FROM result_action_links WHERE action_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    let targets = (action.commitment_ids.iter())
                        .map(|c| LinkTarget::Commitment(*c))
                        .chain(action.project_ids.iter().map(|p| LinkTarget::Project(*p)));
                    for target in targets {
                        let (commitment, project) = target.columns();
                        sqlx::query(INSERT_LINK)
                            .bind(id)
                            .bind(commitment)
                            .bind(project)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                saved
            })
            .ok_or(StoreError::NotFound)
        }
        .await;
        // Projects' pages list the statements that led to them.
        (self.then_changed(done, &[Topic::Results(exercise_id), Topic::Register])).await
    }

    pub async fn delete_result_action(&self, exercise_id: i64, id: i64) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let n = write!(self, |pool| sqlx::query(
                "DELETE FROM result_actions WHERE id = $1 AND exercise_id = $2"
            )
            .bind(id)
            .bind(exercise_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            found(n)
        }
        .await;
        // Projects' pages list the statements that led to them.
        (self.then_changed(done, &[Topic::Results(exercise_id), Topic::Register])).await
    }

    /// Links a statement to a commitment or project, or removes the link (from the
    /// programme's side); linking twice is one link.
    pub async fn set_statement_link(
        &self,
        action_id: i64,
        target: LinkTarget,
        linked: bool,
    ) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let (commitment, project) = target.columns();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM result_actions WHERE id = $1")
                        .bind(action_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
                sqlx::query(
                    "DELETE FROM result_action_links WHERE action_id = $1
                      AND commitment_id IS NOT DISTINCT FROM $2 AND project_id IS NOT DISTINCT FROM $3",
                )
                .bind(action_id)
                .bind(commitment)
                .bind(project)
                .execute(&mut *tx)
                .await?;
                if linked {
                    sqlx::query(INSERT_LINK)
                        .bind(action_id)
                        .bind(commitment)
                        .bind(project)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            });
            Ok(())
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Every statement, linked to `target` first, then the others by exercise, for the
    /// programme side; `.1` is true when it is linked.
    pub async fn statements_for(&self, target: LinkTarget) -> StoreResult<Vec<(Statement, bool)>> {
        let (commitment, project) = target.columns();
        let rows: Vec<(i64, i64, String, String, String, i64)> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.id, a.exercise_id, e.title, a.you_said, a.we_did,
                        CAST((SELECT COUNT(*) FROM result_action_links l WHERE l.action_id = a.id
                          AND (l.commitment_id = $1 OR l.project_id = $2)) AS BIGINT)
                   FROM result_actions a JOIN exercises e ON e.id = a.exercise_id
                  ORDER BY e.title, a.position, a.id",
            )
            .bind(commitment)
            .bind(project)
            .fetch_all(pool)
            .await
        })?;
        let mut all: Vec<(Statement, bool)> = (rows.into_iter())
            .map(
                |(id, exercise_id, exercise_title, you_said, we_did, links)| {
                    let s = Statement {
                        id,
                        exercise_id,
                        exercise_title,
                        you_said,
                        we_did,
                    };
                    (s, links > 0)
                },
            )
            .collect();
        all.sort_by_key(|(_, linked)| !linked);
        Ok(all)
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

    /// For each project with any: (project id, statements linked to it, statements linked
    /// only to a commitment it delivers), on published results — the same rule as
    /// [`Db::project_evidence`], for the downloads.
    pub async fn project_statement_counts(&self) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(read!(self, |pool| {
            sqlx::query_as(
                "SELECT project_id,
                        CAST(SUM(CASE WHEN direct > 0 THEN 1 ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN direct > 0 THEN 0 ELSE 1 END) AS BIGINT)
                   FROM (SELECT p.id AS project_id, a.id AS action_id,
                                SUM(CASE WHEN l.project_id = p.id THEN 1 ELSE 0 END) AS direct
                           FROM projects p
                           JOIN result_action_links l ON l.project_id = p.id
                             OR l.commitment_id IN (SELECT commitment_id FROM
                                project_commitments WHERE project_id = p.id)
                           JOIN result_actions a ON a.id = l.action_id
                           JOIN exercises e ON e.id = a.exercise_id
                          WHERE e.published AND e.results_published_at IS NOT NULL
                          GROUP BY p.id, a.id) per_statement
                  GROUP BY project_id",
            )
            .fetch_all(pool)
            .await
        })?)
    }

    /// Records that an idea became a project; an idea becomes one project at most.
    pub async fn link_idea(&self, idea_id: i64, project_id: i64) -> StoreResult<()> {
        let done: StoreResult<_> = async {
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
        .await;
        self.then_changed(done, &[Topic::Register]).await
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
