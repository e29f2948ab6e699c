//! Writing the register: strategies, themes, commitments, projects (with their links and
//! search entries), dated updates and case studies.

use crate::domain::programme::{
    NewCaseStudy, NewCommitment, NewProject, NewStrategy, NewTheme, NewUpdate,
};
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;
use crate::store::{
    Conn, Db, StoreError, StoreResult, TagTable, bind_existing, now, on, one, save_sql, tag_id,
    write,
};

use crate::store::found;

/// Writes a project (a new one when `existing` is `None`), its links and its search entry
/// inside the caller's transaction; returns the project's id.
async fn save_project_in(
    conn: Conn<'_>,
    existing: Option<i64>,
    p: &NewProject,
    t: Timestamp,
) -> StoreResult<i64> {
    let sql = save_sql(
        existing,
        "INSERT INTO projects (slug, title, summary, owner_team, phase, status, start_date,
                               end_date, updated_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        "UPDATE projects SET slug = $1, title = $2, summary = $3, owner_team = $4, phase = $5,
                status = $6, start_date = $7, end_date = $8, updated_at = $9
         WHERE id = $10 RETURNING id",
    );
    on!(conn, |c| {
        let q = sqlx::query_scalar(sql)
            .bind(p.slug.as_str())
            .bind(&p.title)
            .bind(&p.summary)
            .bind(&p.owner_team)
            .bind(p.phase.as_str())
            .bind(p.status.as_str())
            .bind(p.start_date)
            .bind(p.end_date)
            .bind(t);
        let id = one(bind_existing(q, existing).fetch_optional(&mut *c).await)?;
        if existing.is_some() {
            for table in [
                "project_commitments",
                "project_organisations",
                "project_topics",
            ] {
                let q = format!("DELETE FROM {table} WHERE project_id = $1");
                sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
            }
        }
        let links = [
            ("project_commitments", "commitment_id", &p.commitment_ids),
            (
                "project_organisations",
                "organisation_id",
                &p.organisation_ids,
            ),
        ];
        for (table, column, ids) in links {
            for other in ids {
                let q = format!(
                    "INSERT INTO {table} (project_id, {column}) VALUES ($1, $2) ON CONFLICT DO
                     NOTHING"
                );
                sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(id)
                    .bind(other)
                    .execute(&mut *c)
                    .await?;
            }
        }
        for name in &p.topics {
            let topic = tag_id(Conn::from(&mut *c), TagTable::Topics, name).await?;
            sqlx::query(
                "INSERT INTO project_topics (project_id, topic_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(topic)
            .execute(&mut *c)
            .await?;
        }
        let url = format!("/programme/projects/{}", p.slug);
        // The phase and status change with updates, so they are not indexed (they would go stale).
        let body = format!("{}\n{}", p.summary, p.owner_team);
        let doc = crate::store::search::Document {
            kind: "project",
            ref_id: id,
            organisation_id: p.organisation_ids.first().copied(),
            published_at: Some(Timestamp::from_secs(0)),
            url: &url,
            title: &p.title,
            body: &body,
        };
        crate::store::search::index(Conn::from(&mut *c), &doc).await?;
        Ok(id)
    })
}

impl Db {
    // ----- Strategies, themes, commitments -----

    /// Creates a strategy (`existing` is `None`) or changes one; returns its id.
    pub async fn save_strategy(
        &self,
        existing: Option<i64>,
        organisation_id: i64,
        s: &NewStrategy,
        body_html: &str,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let sql = save_sql(
                existing,
                "INSERT INTO strategies (organisation_id, slug, title, period, summary,
                                         body_markdown, body_html, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                "UPDATE strategies SET organisation_id = $1, slug = $2, title = $3, period = $4,
                        summary = $5, body_markdown = $6, body_html = $7, updated_at = $8
                 WHERE id = $9 RETURNING id",
            );
            one(write!(self, |pool| {
                let q = sqlx::query_scalar(sql)
                    .bind(organisation_id)
                    .bind(s.slug.as_str())
                    .bind(&s.title)
                    .bind(&s.period)
                    .bind(&s.summary)
                    .bind(&s.body_markdown)
                    .bind(body_html)
                    .bind(now());
                bind_existing(q, existing).fetch_optional(pool).await
            }))
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Creates a theme under a strategy (`existing` is `None`) or changes one; returns its id.
    pub async fn save_theme(
        &self,
        existing: Option<i64>,
        strategy_id: i64,
        t: &NewTheme,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let sql = save_sql(
                existing,
                "INSERT INTO programme_themes (strategy_id, slug, title, summary, position)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                "UPDATE programme_themes SET strategy_id = $1, slug = $2, title = $3, summary = $4,
                        position = $5
                 WHERE id = $6 RETURNING id",
            );
            one(write!(self, |pool| {
                let q = sqlx::query_scalar(sql)
                    .bind(strategy_id)
                    .bind(t.slug.as_str())
                    .bind(&t.title)
                    .bind(&t.summary)
                    .bind(t.position);
                bind_existing(q, existing).fetch_optional(pool).await
            }))
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Creates a commitment under a theme (`existing` is `None`) or changes one; returns its id.
    pub async fn save_commitment(
        &self,
        existing: Option<i64>,
        theme_id: i64,
        c: &NewCommitment,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let sql = save_sql(
                existing,
                "INSERT INTO commitments (theme_id, slug, title, body, action_ref, action_title,
                                          position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                "UPDATE commitments SET theme_id = $1, slug = $2, title = $3, body = $4,
                        action_ref = $5, action_title = $6, position = $7
                 WHERE id = $8 RETURNING id",
            );
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let q = sqlx::query_scalar(sql)
                    .bind(theme_id)
                    .bind(c.slug.as_str())
                    .bind(&c.title)
                    .bind(&c.body)
                    .bind(&c.action_ref)
                    .bind(&c.action_title)
                    .bind(c.position);
                let id = one(bind_existing(q, existing).fetch_optional(&mut *tx).await)?;
                let url = format!("/programme/commitments/{}", c.slug);
                let doc = commitment_document(id, &url, c);
                crate::store::search::index(Conn::from(&mut *tx), &doc).await?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    // ----- Projects -----

    /// Creates a project (`existing` = None) or replaces one, with its links and search entry,
    /// in one transaction.
    pub async fn save_project(&self, existing: Option<i64>, p: &NewProject) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let t = now();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let id = save_project_in(Conn::from(&mut *tx), existing, p, t).await?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Creates a project from a shortlisted idea and records the link back to the idea, in one
    /// transaction; an idea that already became a project is a conflict.
    pub async fn create_project_from_idea(&self, idea_id: i64, p: &NewProject) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let t = now();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let id = save_project_in(Conn::from(&mut *tx), None, p, t).await?;
                sqlx::query("INSERT INTO idea_projects (idea_id, project_id) VALUES ($1, $2)")
                    .bind(idea_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Creates or replaces many projects in one transaction: all of them, or none (CSV import).
    /// Each item is (existing id, project).
    pub async fn save_projects(&self, items: &[(Option<i64>, NewProject)]) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let t = now();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                for (existing, p) in items {
                    save_project_in(Conn::from(&mut *tx), *existing, p, t).await?;
                }
                tx.commit().await?;
                Ok(())
            })
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Adds a dated update; a new phase or status given with it becomes the project's own,
    /// in the same transaction.
    pub async fn add_update(
        &self,
        project_id: i64,
        u: &NewUpdate,
        user_id: Option<i64>,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let t = now();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO project_updates (project_id, dated, body, phase, status, created_by,
                     created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(project_id)
                .bind(u.dated)
                .bind(&u.body)
                .bind(u.phase.map(|p| p.as_str()))
                .bind(u.status.map(|s| s.as_str()))
                .bind(user_id)
                .bind(t)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
                sqlx::query(
                    "UPDATE projects SET phase = COALESCE($1, phase), status = COALESCE($2,
                     status), updated_at = $3 WHERE id = $4",
                )
                .bind(u.phase.map(|p| p.as_str()))
                .bind(u.status.map(|s| s.as_str()))
                .bind(t)
                .bind(project_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    /// Corrects an update (date, text, and the phase and status it records); the project's own
    /// phase and status are left as they are.
    pub async fn edit_update(&self, id: i64, u: &NewUpdate) -> StoreResult<()> {
        let done: StoreResult<_> = async {
            let done = write!(self, |pool| {
                sqlx::query(
                    "UPDATE project_updates SET dated = $1, body = $2, phase = $3, status = $4
                     WHERE id = $5",
                )
                .bind(u.dated)
                .bind(&u.body)
                .bind(u.phase.map(|p| p.as_str()))
                .bind(u.status.map(|s| s.as_str()))
                .bind(id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
            })?;
            found(done)
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }

    // ----- Case studies -----

    pub async fn save_case_study(
        &self,
        existing: Option<i64>,
        c: &NewCaseStudy,
        body_html: &str,
    ) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let t = now();
            let published = c.published_at.unwrap_or(t);
            let sql = save_sql(
                existing,
                "INSERT INTO case_studies (slug, title, summary, body_markdown, body_html,
                                           published_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                "UPDATE case_studies SET slug = $1, title = $2, summary = $3, body_markdown = $4,
                        body_html = $5, published_at = $6, updated_at = $7
                 WHERE id = $8 RETURNING id",
            );
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let q = sqlx::query_scalar(sql)
                    .bind(c.slug.as_str())
                    .bind(&c.title)
                    .bind(&c.summary)
                    .bind(&c.body_markdown)
                    .bind(body_html)
                    .bind(published)
                    .bind(t);
                let id = one(bind_existing(q, existing).fetch_optional(&mut *tx).await)?;
                if existing.is_some() {
                    for table in ["case_study_projects", "case_study_themes"] {
                        let q = format!("DELETE FROM {table} WHERE case_study_id = $1");
                        sqlx::query(sqlx::AssertSqlSafe(q))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                for p in &c.project_ids {
                    sqlx::query(
                        "INSERT INTO case_study_projects (case_study_id, project_id) VALUES
                         ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(p)
                    .execute(&mut *tx)
                    .await?;
                }
                for th in &c.theme_ids {
                    sqlx::query(
                        "INSERT INTO case_study_themes (case_study_id, theme_id) VALUES ($1,
                         $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(th)
                    .execute(&mut *tx)
                    .await?;
                }
                let url = format!("/programme/case-studies/{}", c.slug);
                let body = format!(
                    "{}\n{}",
                    c.summary,
                    crate::domain::text::searchable_text(body_html)
                );
                let doc = crate::store::search::Document {
                    kind: "case-study",
                    ref_id: id,
                    organisation_id: None,
                    published_at: Some(published),
                    url: &url,
                    title: &c.title,
                    body: &body,
                };
                crate::store::search::index(Conn::from(&mut *tx), &doc).await?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Register]).await
    }
}

/// A commitment's entry in the search index: public as soon as it is in the register.
fn commitment_document<'a>(
    id: i64,
    url: &'a str,
    c: &'a NewCommitment,
) -> crate::store::search::Document<'a> {
    crate::store::search::Document {
        kind: "commitment",
        ref_id: id,
        organisation_id: None,
        published_at: Some(Timestamp::from_secs(0)),
        url,
        title: &c.title,
        body: &c.body,
    }
}
