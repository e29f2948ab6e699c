//! Notices of what was published (docs/email.md), each queued for its subscribers exactly
//! once: a notice (or a digest round, `digests.rs`) keeps a cursor, the last subscriber id
//! queued, and each batch of messages is inserted in the transaction that moves the cursor on
//! from the value it was read at. A node that dies midway leaves the cursor where its last
//! batch committed; whichever node claims the work next goes on from there.

use super::outbox::{NewMail, queue};
use super::{Backend, Conn, Db, StoreError, StoreResult, now, on, read, write};
use crate::domain::subscription::{List, NoticeKind};
use crate::domain::time::Timestamp;

/// Something published that subscribers hear of.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Notice {
    pub id: i64,
    pub kind: NoticeKind,
    /// The post, exercise, project update or analysis it is about.
    pub source_id: i64,
    pub title: String,
    pub summary: String,
    pub path: String,
    pub happened_at: Timestamp,
}

/// An address to send a notice to, with the list it follows the notice by (its one-click
/// unsubscribe leaves that list).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub subscriber_id: i64,
    pub email: String,
    pub list: List,
}

/// Something the scan found published, with what it is filed under.
#[derive(Debug, Clone)]
pub struct Published {
    pub kind: NoticeKind,
    pub source_id: i64,
    pub title: String,
    pub summary: String,
    pub path: String,
    pub happened_at: Timestamp,
    pub lists: Vec<List>,
}

/// Where work that moves a cursor stands: `Moved` when the batch was queued, `Lost` when
/// another node moved the cursor first (nothing was queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    Queued,
    Lost,
}

pub(super) const NOTICE: &str =
    "n.id, n.kind, n.source_id, n.title, n.summary, n.path, n.happened_at";

impl Db {
    /// Finds what was published up to `to` since the last scan (posts, consultations opening,
    /// closing and publishing results, project updates) and keeps each as a notice, once.
    /// Returns how many notices were made. Each scan looks `overlap` seconds back past where
    /// the last one stopped, so that a row whose transaction committed after a scan had
    /// passed its time is still found (a notice is made once whatever the overlap). Several
    /// nodes may scan: each inside a transaction that holds the scan's row.
    pub async fn scan_notices(&self, to: Timestamp, overlap: i64) -> StoreResult<usize> {
        let lock = match &self.backend {
            Backend::Sqlite { .. } => "",
            Backend::Postgres(_) => " FOR UPDATE",
        };
        let q = format!("SELECT scanned_to FROM notice_scan WHERE id = 1{lock}");
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let scanned_to: Timestamp = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(&mut *tx)
                .await?;
            let from = scanned_to - overlap;
            let found = published_between(Conn::from(&mut *tx), from, to).await?;
            let mut made = 0;
            for p in &found {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO notices (kind, source_id, title, summary, path, happened_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (kind, source_id) DO NOTHING RETURNING id",
                )
                .bind(p.kind.as_str())
                .bind(p.source_id)
                .bind(&p.title)
                .bind(&p.summary)
                .bind(&p.path)
                .bind(p.happened_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else { continue };
                made += 1;
                for list in &p.lists {
                    sqlx::query(
                        "INSERT INTO notice_lists (notice_id, list) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(list.key())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query("UPDATE notice_scan SET scanned_to = $1 WHERE id = 1")
                .bind(to.max(scanned_to))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(made)
        })
    }

    /// Claims the oldest notice whose immediate messages are not all queued, for `lease`
    /// seconds.
    pub async fn claim_notice(
        &self,
        at: Timestamp,
        lease: i64,
    ) -> StoreResult<Option<(Notice, i64)>> {
        let claimed: Option<(i64, i64)> = write!(self, |pool| sqlx::query_as(
            "UPDATE notices SET claimed_until = $2 WHERE id = (
                 SELECT id FROM notices WHERE done_at IS NULL
                     AND (claimed_until IS NULL OR claimed_until < $1)
                 ORDER BY id LIMIT 1)
             AND (claimed_until IS NULL OR claimed_until < $1)
             RETURNING id, sent_through"
        )
        .bind(at)
        .bind(at + lease)
        .fetch_optional(pool)
        .await)?;
        let Some((id, sent_through)) = claimed else {
            return Ok(None);
        };
        let q = format!("SELECT {NOTICE} FROM notices n WHERE n.id = $1");
        let notice: Notice = read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_one(pool)
            .await)?;
        Ok(Some((notice, sent_through)))
    }

    /// The next `limit` confirmed addresses after subscriber `after` that hear of `notice`
    /// immediately, each once however many of its lists hold the notice.
    pub async fn immediate_recipients(
        &self,
        notice: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<Recipient>> {
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT s.subscriber_id, b.email, MIN(s.list) AS list
             FROM notice_lists nl
             JOIN subscriptions s ON s.list = nl.list
             JOIN subscribers b ON b.id = s.subscriber_id
             WHERE nl.notice_id = $1 AND s.frequency = 'immediately'
               AND s.confirmed_at IS NOT NULL AND s.since_notice < $1
               AND b.paused_at IS NULL AND s.subscriber_id > $2
             GROUP BY s.subscriber_id, b.email
             ORDER BY s.subscriber_id LIMIT $3"
        )
        .bind(notice)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
    }

    /// Queues `mails` for `notice` and moves its cursor from `from` to `to` (finishing it when
    /// `last`), if no other node moved it first.
    pub async fn queue_notice_batch(
        &self,
        notice: i64,
        (from, to): (i64, i64),
        last: bool,
        mails: &[NewMail<'_>],
    ) -> StoreResult<Batch> {
        let t = now();
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE notices SET sent_through = $1,
                     done_at = CASE WHEN $2 THEN $3 ELSE NULL END
                 WHERE id = $4 AND sent_through = $5 AND done_at IS NULL",
            )
            .bind(to)
            .bind(last)
            .bind(t)
            .bind(notice)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                return Ok(Batch::Lost);
            }
            for mail in mails {
                queue(Conn::from(&mut *tx), mail, t).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(Batch::Queued)
        })
    }
}

/// What became public in `(from, to]`, with the lists each is filed under.
async fn published_between(
    mut conn: Conn<'_>,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<Published>> {
    type Row = (i64, String, String, String, i64, Timestamp);
    let mut found = Vec::new();

    let posts: Vec<Row> = on!(conn.reborrow(), |c| {
        sqlx::query_as(
        "SELECT id, title, summary, '/blog/' || slug, organisation_id, published_at FROM posts
         WHERE status = 'published' AND published_at > $1 AND published_at <= $2 ORDER BY published_at, id"
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await
    })?;
    for (id, title, summary, path, organisation, at) in posts {
        let mut lists = vec![List::Hub, List::Organisation(organisation)];
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT category_id FROM post_categories WHERE post_id = $1",
                id,
                List::Category,
            )
            .await?,
        );
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT topic_id FROM post_topics WHERE post_id = $1",
                id,
                List::Topic,
            )
            .await?,
        );
        found.push(Published {
            kind: NoticeKind::Post,
            source_id: id,
            title,
            summary,
            path,
            happened_at: at,
            lists,
        });
    }

    for (kind, column, suffix) in [
        (NoticeKind::ConsultationOpened, "opens_at", ""),
        (NoticeKind::ConsultationClosed, "closes_at", ""),
        (
            NoticeKind::ResultsPublished,
            "results_published_at",
            "/results",
        ),
    ] {
        let q = format!(
            "SELECT id, title, summary, '/consultations/' || slug || '{suffix}', organisation_id, {column}
             FROM exercises WHERE published AND {column} > $1 AND {column} <= $2 ORDER BY {column}, id"
        );
        let rows: Vec<Row> = on!(conn.reborrow(), |c| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(from)
            .bind(to)
            .fetch_all(&mut *c)
            .await)?;
        for (id, title, summary, path, organisation, at) in rows {
            let mut lists = vec![
                List::Hub,
                List::Consultations,
                List::Organisation(organisation),
            ];
            if kind == NoticeKind::ResultsPublished {
                lists.push(List::Results(id));
            }
            lists.extend(
                filed(
                    conn.reborrow(),
                    "SELECT topic_id FROM exercise_topics WHERE exercise_id = $1",
                    id,
                    List::Topic,
                )
                .await?,
            );
            found.push(Published {
                kind,
                source_id: id,
                title,
                summary,
                path,
                happened_at: at,
                lists,
            });
        }
    }

    let updates: Vec<(i64, i64, String, String, String, Timestamp)> =
        on!(conn.reborrow(), |c| sqlx::query_as(
            "SELECT u.id, p.id, p.title, u.body, '/programme/projects/' || p.slug, u.created_at
         FROM project_updates u JOIN projects p ON p.id = u.project_id
         WHERE u.created_at > $1 AND u.created_at <= $2 ORDER BY u.created_at, u.id"
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await)?;
    for (id, project, title, body, path, at) in updates {
        let mut lists = vec![List::Hub, List::Programme];
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT organisation_id FROM project_organisations WHERE project_id = $1",
                project,
                List::Organisation,
            )
            .await?,
        );
        lists.extend(
            filed(
                conn.reborrow(),
                "SELECT topic_id FROM project_topics WHERE project_id = $1",
                project,
                List::Topic,
            )
            .await?,
        );
        let summary = crate::domain::text::snippet(&body, 280);
        found.push(Published {
            kind: NoticeKind::ProjectUpdate,
            source_id: id,
            title,
            summary,
            path,
            happened_at: at,
            lists,
        });
    }
    // For staff only (no list): whoever asked for an analysis hears it has finished.
    let analyses: Vec<(i64, String, String, String, Timestamp)> = on!(conn.reborrow(), |c| {
        sqlx::query_as(
            "SELECT a.id, e.title || ': ' || a.question_id,
                    CASE WHEN a.status = 'failed' THEN 'The analysis failed: ' || COALESCE(a.error, '')
                         ELSE 'Its themes are ready for you to review.' END,
                    '/admin/analyses/' || a.id, a.finished_at
             FROM analyses a JOIN exercises e ON e.id = a.exercise_id
             WHERE a.status IN ('done', 'failed') AND a.finished_at > $1 AND a.finished_at <= $2
             ORDER BY a.finished_at, a.id"
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await
    })?;
    for (id, title, summary, path, at) in analyses {
        found.push(Published {
            kind: NoticeKind::AnalysisFinished,
            source_id: id,
            title,
            summary,
            path,
            happened_at: at,
            lists: vec![],
        });
    }
    Ok(found)
}

/// The lists of one kind something is filed under: the ids `q` finds for `id`, each made a
/// list by `list` (`List::Category`, say).
async fn filed(
    conn: Conn<'_>,
    q: &'static str,
    id: i64,
    list: fn(i64) -> List,
) -> StoreResult<Vec<List>> {
    let ids: Vec<i64> = on!(conn, |c| sqlx::query_scalar(q)
        .bind(id)
        .fetch_all(&mut *c)
        .await)?;
    Ok(ids.into_iter().map(list).collect())
}
