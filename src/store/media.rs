//! The media library: files stored once by content (`blobs`), the items editors upload and
//! name (`media`), and what is served for each (`media_files`).

use super::{Conn, Db, StoreResult, found, now, on, one, read, write};
use crate::domain::media::Format;
use crate::domain::time::Timestamp;
use crate::store::versions::Topic;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An item in the library.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MediaItem {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub title: String,
    pub alt: String,
    pub decorative: bool,
    #[sqlx(try_from = "String")]
    pub format: Format,
    pub filename: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub pages: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One file served for an item: an image in one width, or a document as sent (width 0).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MediaFile {
    pub media_id: i64,
    pub width: i64,
    #[sqlx(try_from = "String")]
    pub format: Format,
    pub blob_hash: String,
}

/// The content of an upload, ready to store: what the item is and the files served for it.
pub struct MediaContent {
    pub format: Format,
    pub filename: String,
    /// The size of the file as uploaded.
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub pages: Option<i64>,
    /// (width, format, bytes): an image's renditions, or a document's one file (width 0).
    pub files: Vec<(i64, Format, Vec<u8>)>,
}

/// What an editor says about an item.
pub struct MediaDetails {
    pub title: String,
    pub alt: String,
    pub decorative: bool,
}

/// Where an item is used: enough to name it and link to it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MediaUse {
    pub what: String,
    pub title: String,
    pub admin_path: String,
}

macro_rules! select_media {
    ($where:literal) => {
        concat!(
            "SELECT m.id, m.organisation_id, o.name AS organisation_name, m.title, m.alt,
                    m.decorative, m.format, m.filename, m.size, m.width, m.height, m.pages,
                    m.created_at, m.updated_at
             FROM media m JOIN organisations o ON o.id = m.organisation_id ",
            $where
        )
    };
}

/// The SHA-256 of `bytes`, in hex: a blob's name.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Db {
    /// Stores a new item and its files in one transaction.
    pub async fn add_media(
        &self,
        organisation_id: i64,
        details: &MediaDetails,
        content: &MediaContent,
        user_id: Option<i64>,
    ) -> StoreResult<i64> {
        let t = now();
        let done: StoreResult<i64> = async {
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let id = one(sqlx::query_scalar(
                    "INSERT INTO media (organisation_id, title, alt, decorative, format, filename,
                                    size, width, height, pages, uploaded_by, created_at,
                                    updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
                )
                .bind(organisation_id)
                .bind(&details.title)
                .bind(&details.alt)
                .bind(details.decorative)
                .bind(content.format.as_str())
                .bind(&content.filename)
                .bind(content.size)
                .bind(content.width)
                .bind(content.height)
                .bind(content.pages)
                .bind(user_id)
                .bind(t)
                .fetch_optional(&mut *tx)
                .await)?;
                store_files(Conn::from(&mut *tx), id, content).await?;
                tx.commit().await?;
                Ok(id)
            })
        }
        .await;
        // A page may already refer to the item it was waiting for.
        self.then_changed(done, &[Topic::Media]).await
    }

    /// Puts new content behind an existing item: its address and everything that refers to
    /// it stay; the files it no longer uses are deleted.
    pub async fn replace_media(&self, id: i64, content: &MediaContent) -> StoreResult<()> {
        let done: StoreResult<()> = async {
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let rows = sqlx::query(
                    "UPDATE media SET format = $1, filename = $2, size = $3, width = $4,
                        height = $5, pages = $6, updated_at = $7 WHERE id = $8",
                )
                .bind(content.format.as_str())
                .bind(&content.filename)
                .bind(content.size)
                .bind(content.width)
                .bind(content.height)
                .bind(content.pages)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                found(rows)?;
                let old = take_files(Conn::from(&mut *tx), id).await?;
                store_files(Conn::from(&mut *tx), id, content).await?;
                drop_unused_blobs(Conn::from(&mut *tx), &old).await?;
                tx.commit().await?;
                Ok(())
            })
        }
        .await;
        self.then_changed(done, &[Topic::Media]).await
    }

    /// Changes an item's title and alternative text.
    pub async fn update_media_details(&self, id: i64, details: &MediaDetails) -> StoreResult<()> {
        let done: StoreResult<()> = async {
            let rows = write!(self, |pool| sqlx::query(
                "UPDATE media SET title = $1, alt = $2, decorative = $3, updated_at = $4
                 WHERE id = $5"
            )
            .bind(&details.title)
            .bind(&details.alt)
            .bind(details.decorative)
            .bind(now())
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
            found(rows)
        }
        .await;
        self.then_changed(done, &[Topic::Media]).await
    }

    /// Deletes an item and the files nothing else uses. The caller checks it is not used
    /// ([`Db::media_uses`]).
    pub async fn delete_media(&self, id: i64) -> StoreResult<()> {
        let done: StoreResult<()> = async {
            write!(self, |pool| {
                let mut tx = pool.begin().await?;
                let old = take_files(Conn::from(&mut *tx), id).await?;
                let rows = sqlx::query("DELETE FROM media WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                found(rows)?;
                drop_unused_blobs(Conn::from(&mut *tx), &old).await?;
                tx.commit().await?;
                Ok(())
            })
        }
        .await;
        self.then_changed(done, &[Topic::Media]).await
    }

    pub async fn media_item(&self, id: i64) -> StoreResult<MediaItem> {
        one(read!(self, |pool| sqlx::query_as(select_media!(
            "WHERE m.id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await))
    }

    /// The items whose title or file name contains `search` (all when empty), latest first.
    pub async fn media_items(
        &self,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<MediaItem>, i64)> {
        let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
        let items = read!(self, |pool| sqlx::query_as(select_media!(
            "WHERE LOWER(m.title) LIKE $1 ESCAPE '\\' OR LOWER(m.filename) LIKE $1 ESCAPE '\\'
             ORDER BY m.updated_at DESC, m.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?;
        let total = read!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM media m
             WHERE LOWER(m.title) LIKE $1 ESCAPE '\\' OR LOWER(m.filename) LIKE $1 ESCAPE '\\'"
        )
        .bind(&pattern)
        .fetch_one(pool)
        .await)?;
        Ok((items, total))
    }

    /// The items among `ids` with their files, for pages that show them.
    pub async fn media_with_files(
        &self,
        ids: &[i64],
    ) -> StoreResult<Vec<(MediaItem, Vec<MediaFile>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // The ids are numbers this process formatted: nothing a visitor wrote.
        let items: Vec<MediaItem> = read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
            format!(select_media!("WHERE m.id IN ({})"), list)
        ))
        .fetch_all(pool)
        .await)?;
        let files: Vec<MediaFile> =
            read!(self, |pool| sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT media_id, width, format, blob_hash FROM media_files
                 WHERE media_id IN ({list}) ORDER BY media_id, width"
            )))
            .fetch_all(pool)
            .await)?;
        Ok(items
            .into_iter()
            .map(|item| {
                let id = item.id;
                let own = files.iter().filter(|f| f.media_id == id).cloned();
                (item, own.collect())
            })
            .collect())
    }

    /// One of an item's files, by the hash its address carries: its format, the item's file
    /// name and the bytes.
    pub async fn media_file_bytes(
        &self,
        id: i64,
        hash: &str,
    ) -> StoreResult<Option<(Format, String, Vec<u8>)>> {
        let row: Option<(String, String, Vec<u8>)> = read!(self, |pool| sqlx::query_as(
            "SELECT f.format, m.filename, b.bytes FROM media_files f
             JOIN media m ON m.id = f.media_id JOIN blobs b ON b.hash = f.blob_hash
             WHERE f.media_id = $1 AND f.blob_hash = $2"
        )
        .bind(id)
        .bind(hash)
        .fetch_optional(pool)
        .await)?;
        Ok(row
            .and_then(|(format, name, bytes)| Some((Format::try_from(format).ok()?, name, bytes))))
    }

    /// Where an item is referred to (`/media/ID` in a body's Markdown): posts and pages
    /// (drafts too), strategies, case studies and consultations (their text is inside the
    /// definition's JSON, where `/` is written as it is).
    pub async fn media_uses(&self, id: i64) -> StoreResult<Vec<MediaUse>> {
        // `/media/12` followed by `)` or a space (a title): not `/media/123`.
        let closed = format!("%/media/{id})%");
        let titled = format!("%/media/{id} %");
        Ok(read!(self, |pool| sqlx::query_as(
            "SELECT CASE WHEN kind = 'page' THEN 'Page' ELSE 'Post' END AS what, title,
                    '/admin/posts/' || id || '/edit' AS admin_path
             FROM posts WHERE body_markdown LIKE $1 OR body_markdown LIKE $2
             UNION ALL
             SELECT 'Strategy', title, '/admin/programme/strategies/' || id || '/edit'
             FROM strategies WHERE body_markdown LIKE $1 OR body_markdown LIKE $2
             UNION ALL
             SELECT 'Case study', title, '/admin/programme/case-studies/' || id || '/edit'
             FROM case_studies WHERE body_markdown LIKE $1 OR body_markdown LIKE $2
             UNION ALL
             SELECT 'Consultation', title, '/admin/consultations/' || id
             FROM exercises WHERE definition LIKE $1 OR definition LIKE $2
             ORDER BY 1, 2"
        )
        .bind(&closed)
        .bind(&titled)
        .fetch_all(pool)
        .await)?)
    }

    /// What the library holds: items, distinct files and their bytes (for the library page
    /// and the benchmarks).
    pub async fn media_totals(&self) -> StoreResult<(i64, i64, i64)> {
        let items = read!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM media"
        )
        .fetch_one(pool)
        .await)?;
        let (blobs, bytes): (i64, Option<i64>) = read!(self, |pool| sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(size) AS BIGINT) FROM blobs"
        )
        .fetch_one(pool)
        .await)?;
        Ok((items, blobs, bytes.unwrap_or(0)))
    }
}

/// Removes an item's files, returning the blobs they were, for [`drop_unused_blobs`].
async fn take_files(mut conn: Conn<'_>, id: i64) -> StoreResult<Vec<String>> {
    let q = "SELECT blob_hash FROM media_files WHERE media_id = $1";
    let old = on!(conn.reborrow(), |c| sqlx::query_scalar(q)
        .bind(id)
        .fetch_all(&mut *c)
        .await)?;
    on!(conn.reborrow(), |c| sqlx::query(
        "DELETE FROM media_files WHERE media_id = $1"
    )
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    Ok(old)
}

/// Writes an item's files, each blob once however many items share it.
async fn store_files(mut conn: Conn<'_>, id: i64, content: &MediaContent) -> StoreResult<()> {
    for (width, format, bytes) in &content.files {
        let hash = content_hash(bytes);
        on!(conn.reborrow(), |c| sqlx::query(
            "INSERT INTO blobs (hash, size, bytes) VALUES ($1, $2, $3)
             ON CONFLICT (hash) DO NOTHING"
        )
        .bind(&hash)
        .bind(bytes.len() as i64)
        .bind(bytes.as_slice())
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
        on!(conn.reborrow(), |c| sqlx::query(
            "INSERT INTO media_files (media_id, width, format, blob_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (media_id, width) DO NOTHING"
        )
        .bind(id)
        .bind(width)
        .bind(format.as_str())
        .bind(&hash)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// Deletes those of `hashes` no item's file uses any more.
async fn drop_unused_blobs(mut conn: Conn<'_>, hashes: &[String]) -> StoreResult<()> {
    for hash in hashes {
        on!(conn.reborrow(), |c| sqlx::query(
            "DELETE FROM blobs WHERE hash = $1
             AND NOT EXISTS (SELECT 1 FROM media_files WHERE blob_hash = $1)"
        )
        .bind(hash)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// `text` matched literally by `LIKE … ESCAPE '\\'`.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
