//! Feed subscriptions and the items fetched from them.

use super::search::{Document, index};
use super::{Conn, Db, StoreError, StoreResult, now, read, write};
use crate::domain::feed::FeedItem;
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub url: String,
    pub title: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetched_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub next_fetch_at: Timestamp,
}

/// An item as republished on the hub.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SyndicatedItem {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    pub author: Option<String>,
    pub published_at: Option<Timestamp>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub source_title: String,
    pub organisation_slug: String,
    pub organisation_name: String,
}

/// What a fetch found, to record on the subscription.
#[derive(Debug, Default)]
pub struct FetchRecord {
    pub title: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error: Option<String>,
}

const SUBSCRIPTION: &str = "SELECT s.id, s.organisation_id, o.name AS organisation_name, s.url,
                                                    s.title, s.etag, s.last_modified,
                                s.last_fetched_at, s.last_error, s.next_fetch_at
                            FROM feed_subscriptions s JOIN organisations o ON o.id =
                            s.organisation_id";

macro_rules! items {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.title, i.link, i.author, i.published_at, i.summary_html,
             i.content_html,
                    s.title AS source_title, o.slug AS organisation_slug, o.name AS
                    organisation_name
             FROM feed_items i JOIN feed_subscriptions s ON s.id = i.subscription_id
             JOIN organisations o ON o.id = s.organisation_id ",
            $rest
        )
    };
}

impl Db {
    /// Subscribes an organisation to a feed, due for fetching at once.
    pub async fn create_subscription(&self, organisation_id: i64, url: &str) -> StoreResult<i64> {
        let done: StoreResult<_> = async {
            let q =
                "INSERT INTO feed_subscriptions (organisation_id, url, next_fetch_at, created_at)
                     VALUES ($1, $2, $3, $3) RETURNING id";
            write!(self, |pool| sqlx::query_scalar(q)
                .bind(organisation_id)
                .bind(url)
                .bind(now())
                .fetch_one(pool)
                .await)
            .map_err(StoreError::from_sqlx)
        }
        .await;
        self.then_changed(done, &[Topic::Syndication]).await
    }

    pub async fn subscription(&self, id: i64) -> StoreResult<Subscription> {
        let q = format!("{SUBSCRIPTION} WHERE s.id = $1");
        read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }

    pub async fn subscriptions(&self) -> StoreResult<Vec<Subscription>> {
        let q = format!("{SUBSCRIPTION} ORDER BY o.name, s.url");
        Ok(read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(q))
            .fetch_all(pool)
            .await)?)
    }

    /// Ids of subscriptions whose fetch is due.
    pub async fn due_subscriptions(&self, limit: i64) -> StoreResult<Vec<i64>> {
        let q = "SELECT id FROM feed_subscriptions WHERE next_fetch_at <= $1 ORDER BY
                 next_fetch_at LIMIT $2";
        Ok(read!(self, |pool| sqlx::query_scalar(q)
            .bind(now())
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// Claims a due subscription by moving its next fetch on; true for exactly one claimer
    /// however many nodes try at once (the update is conditional on it still being due).
    pub async fn claim_subscription(&self, id: i64, next_fetch_at: Timestamp) -> StoreResult<bool> {
        let q = "UPDATE feed_subscriptions SET next_fetch_at = $1 WHERE id = $2 AND next_fetch_at
                 <= $3";
        let n = write!(self, |pool| sqlx::query(q)
            .bind(next_fetch_at)
            .bind(id)
            .bind(now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Stores new items (a guid already seen is skipped) and what the fetch found, in one
    /// transaction. Returns how many items were new.
    pub async fn record_fetch(
        &self,
        id: i64,
        items: &[FeedItem],
        record: &FetchRecord,
    ) -> StoreResult<u64> {
        let done: StoreResult<_> = async {
            let t = now();
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let mut new = 0;
                let organisation_id: i64 = sqlx::query_scalar(
                    "SELECT organisation_id FROM feed_subscriptions WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                for item in items {
                    let stored: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO feed_items (subscription_id, guid, title, link,
                                     author, published_at, summary_html, content_html, fetched_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (subscription_id,
                         guid) DO NOTHING RETURNING id",
                    )
                    .bind(id)
                    .bind(&item.guid)
                    .bind(&item.title)
                    .bind(&item.link)
                    .bind(&item.author)
                    .bind(item.published)
                    .bind(&item.summary_html)
                    .bind(&item.content_html)
                    .bind(t)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(item_id) = stored {
                        new += 1;
                        let url = format!("/syndicated/{item_id}");
                        let html = (item.content_html.as_deref())
                            .or(item.summary_html.as_deref())
                            .unwrap_or_default();
                        let body = crate::domain::text::searchable_text(html);
                        let doc = Document {
                            kind: "syndicated",
                            ref_id: item_id,
                            organisation_id: Some(organisation_id),
                            published_at: Some(item.published.map_or(t, Timestamp::from_secs)),
                            url: &url,
                            title: &item.title,
                            body: &body,
                        };
                        index(Conn::from(&mut *tx), &doc).await?;
                    }
                }
                sqlx::query(
                    "UPDATE feed_subscriptions SET title = COALESCE($1, title), etag =
                          COALESCE($2, etag),
                     last_modified = COALESCE($3, last_modified), last_fetched_at = $4, last_error
                     = $5 WHERE id = $6",
                )
                .bind(&record.title)
                .bind(&record.etag)
                .bind(&record.last_modified)
                .bind(t)
                .bind(&record.error)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(new)
            })
        }
        .await;
        self.then_changed(done, &[Topic::Syndication]).await
    }

    /// The newest items, for the hub (all organisations) or one organisation.
    pub async fn recent_items(
        &self,
        organisation_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<SyndicatedItem>> {
        Ok(read!(self, |pool| sqlx::query_as(items!(
            "WHERE ($1 IS NULL OR s.organisation_id = $1)
             ORDER BY COALESCE(i.published_at, i.fetched_at) DESC, i.id DESC LIMIT $2"
        ))
        .bind(organisation_id)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
    }

    pub async fn syndicated_item(&self, id: i64) -> StoreResult<SyndicatedItem> {
        read!(self, |pool| sqlx::query_as(items!("WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound)
    }
}
