//! Analytics: daily counts per path and referring host, the day's shared salt, and the day's
//! visitor hashes (see migrations/*/0008_analytics.sql).

use super::{Db, StoreResult, read, write};
use serde::Serialize;

/// Counts gathered by one node since its last flush, for one day.
#[derive(Debug, Default)]
pub struct Batch {
    pub day: i64,
    /// (path, views)
    pub views: Vec<(String, i64)>,
    /// (path, visitor hash) seen in this batch, each once.
    pub visitors: Vec<(String, String)>,
    /// (path, host, views)
    pub referrers: Vec<(String, String, i64)>,
}

/// A path's totals over a period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PageCount {
    pub path: String,
    pub views: i64,
    pub visitors: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DayCount {
    pub day: i64,
    pub views: i64,
    pub visitors: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReferrerCount {
    pub host: String,
    pub views: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DailyPageCount {
    pub day: i64,
    pub path: String,
    pub views: i64,
    pub visitors: i64,
}

/// Which paths a reader may see: the whole hub, or one organisation's pages (its page and
/// everything under it, and its posts and pages).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Hub,
    Organisation { id: i64, slug: &'a str },
}

/// Binds a report's first five parameters: the first and last day ($1, $2; NULL for no limit)
/// and the scope ($3 to $5, see [`SCOPE`]): organisation id (NULL for the hub), its page, and
/// its page's prefix for LIKE.
fn scoped<'q, DB: sqlx::Database, O>(
    query: sqlx::query::QueryAs<'q, DB, O, DB::Arguments>,
    scope: Scope<'_>,
    from: Option<i64>,
    to: Option<i64>,
) -> sqlx::query::QueryAs<'q, DB, O, DB::Arguments>
where
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let (org, page, prefix) = match scope {
        Scope::Hub => (None, String::new(), String::new()),
        Scope::Organisation { id, slug } => (
            Some(id),
            format!("/organisations/{slug}"),
            format!("/organisations/{slug}/%"),
        ),
    };
    query.bind(from).bind(to).bind(org).bind(page).bind(prefix)
}

/// The filter for a scope, with its binds at $3, $4 and $5.
const SCOPE: &str = "($3 IS NULL OR a.path = $4 OR a.path LIKE $5
                     OR a.path IN (SELECT '/blog/' || p.slug FROM posts p WHERE p.organisation_id
                     = $3)
                     OR a.path IN (SELECT '/pages/' || p.slug FROM posts p WHERE p.organisation_id
                     = $3))";

impl Db {
    /// Runs a report's query: its first five parameters as [`scoped`] binds them, and a limit
    /// as `$6` when there is one.
    async fn report<T>(
        &self,
        sql: String,
        scope: Scope<'_>,
        from: Option<i64>,
        to: Option<i64>,
        limit: Option<i64>,
    ) -> StoreResult<Vec<T>>
    where
        T: Send + Unpin,
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        Ok(read!(self, |pool| {
            let q = scoped(sqlx::query_as(sqlx::AssertSqlSafe(sql)), scope, from, to);
            match limit {
                Some(limit) => q.bind(limit),
                None => q,
            }
            .fetch_all(pool)
            .await
        })?)
    }

    /// The salt for `day`, made by whichever node asks first; every node gets the same one.
    /// Salts of earlier days are deleted, with their visitor hashes.
    pub async fn analytics_salt(&self, day: i64, fresh: &str) -> StoreResult<String> {
        write!(self, |pool| {
            sqlx::query(
                "INSERT INTO analytics_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day)
                 DO NOTHING",
            )
            .bind(day)
            .bind(fresh)
            .execute(pool)
            .await?;
            sqlx::query("DELETE FROM analytics_salts WHERE day < $1")
                .bind(day)
                .execute(pool)
                .await?;
            sqlx::query("DELETE FROM analytics_visitors WHERE day < $1")
                .bind(day)
                .execute(pool)
                .await?;
            let salt: String =
                sqlx::query_scalar("SELECT salt FROM analytics_salts WHERE day = $1")
                    .bind(day)
                    .fetch_one(pool)
                    .await?;
            Ok(salt)
        })
    }

    /// Adds a node's batch to the counts, in one transaction. A visitor hash already recorded
    /// today (by this node or another) does not count again.
    pub async fn record_analytics(&self, batch: &Batch) -> StoreResult<()> {
        let day = batch.day;
        write!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (path, views) in &batch.views {
                sqlx::query(
                    "INSERT INTO analytics_pages (day, path, views, visitors) VALUES ($1,
                          $2, $3, 0)
                     ON CONFLICT (day, path) DO UPDATE SET views = analytics_pages.views +
                     excluded.views",
                )
                .bind(day)
                .bind(path)
                .bind(views)
                .execute(&mut *tx)
                .await?;
            }
            for (path, visitor) in &batch.visitors {
                let new = sqlx::query(
                    "INSERT INTO analytics_visitors (day, path, visitor) VALUES ($1, $2, $3)
                     ON CONFLICT (day, path, visitor) DO NOTHING",
                )
                .bind(day)
                .bind(path)
                .bind(visitor)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if new == 1 {
                    sqlx::query(
                        "UPDATE analytics_pages SET visitors = visitors + 1 WHERE day = $1
                         AND path = $2",
                    )
                    .bind(day)
                    .bind(path)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for (path, host, views) in &batch.referrers {
                sqlx::query(
                    "INSERT INTO analytics_referrers (day, path, host, views) VALUES ($1,
                          $2, $3, $4)
                     ON CONFLICT (day, path, host) DO UPDATE SET views =
                     analytics_referrers.views + excluded.views",
                )
                .bind(day)
                .bind(path)
                .bind(host)
                .bind(views)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Paths by views between two days (inclusive; `None` for all time), most viewed first.
    /// Visitors are daily unique visitors, summed over the days.
    pub async fn analytics_pages(
        &self,
        scope: Scope<'_>,
        from: Option<i64>,
        to: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<PageCount>> {
        let q = format!(
            "SELECT a.path, CAST(SUM(a.views) AS BIGINT) AS views, CAST(SUM(a.visitors) AS BIGINT)
             AS visitors
             FROM analytics_pages a
             WHERE ($1 IS NULL OR a.day >= $1) AND ($2 IS NULL OR a.day <= $2) AND {SCOPE}
             GROUP BY a.path ORDER BY views DESC, a.path LIMIT $6"
        );
        self.report(q, scope, from, to, Some(limit)).await
    }

    /// Views and visitors per day between two days (inclusive), for days with any.
    pub async fn analytics_days(
        &self,
        scope: Scope<'_>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<DayCount>> {
        let q = format!(
            "SELECT a.day, CAST(SUM(a.views) AS BIGINT) AS views, CAST(SUM(a.visitors) AS BIGINT)
             AS visitors
             FROM analytics_pages a
             WHERE a.day >= $1 AND a.day <= $2 AND {SCOPE}
             GROUP BY a.day ORDER BY a.day"
        );
        self.report(q, scope, Some(from), Some(to), None).await
    }

    /// Every (day, path) row between two days, for the CSV download.
    pub async fn analytics_rows(
        &self,
        scope: Scope<'_>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<DailyPageCount>> {
        let q = format!(
            "SELECT a.day, a.path, a.views, a.visitors FROM analytics_pages a
             WHERE a.day >= $1 AND a.day <= $2 AND {SCOPE}
             ORDER BY a.day, a.views DESC, a.path"
        );
        self.report(q, scope, Some(from), Some(to), None).await
    }

    /// Referring sites' hosts between two days, most views first.
    pub async fn analytics_referrers(
        &self,
        scope: Scope<'_>,
        from: i64,
        to: i64,
        limit: i64,
    ) -> StoreResult<Vec<ReferrerCount>> {
        let q = format!(
            "SELECT a.host, CAST(SUM(a.views) AS BIGINT) AS views FROM analytics_referrers a
             WHERE a.day >= $1 AND a.day <= $2 AND {SCOPE}
             GROUP BY a.host ORDER BY views DESC, a.host LIMIT $6"
        );
        self.report(q, scope, Some(from), Some(to), Some(limit))
            .await
    }

    /// The demo's published post slugs, most recent first (for its sample analytics).
    pub async fn public_posts_for_demo_analytics(&self) -> StoreResult<Vec<String>> {
        let q = "SELECT slug FROM posts WHERE status = 'published' AND kind = 'post' ORDER BY
                 published_at DESC";
        Ok(read!(self, |pool| sqlx::query_scalar(q)
            .fetch_all(pool)
            .await)?)
    }

    /// The demo's sample visitors: about two views in three are by a different person.
    pub async fn demo_analytics_visitors(&self) -> StoreResult<()> {
        let q = "UPDATE analytics_pages SET visitors = views * 2 / 3 WHERE visitors = 0";
        write!(self, |pool| sqlx::query(q).execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}
