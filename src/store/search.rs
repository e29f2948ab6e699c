//! Site search over SQLite FTS5 or PostgreSQL full-text search, behind one interface.
//!
//! Snippets come back with the matched words between two control characters, which no
//! stored text contains; `search` escapes the snippet and only then turns those markers into
//! `<mark>`, so nothing in a document can become markup.

use super::{Backend, Conn, Db, StoreResult, now, on, write};
use crate::domain::post::{PostKind, PostStatus};
use crate::domain::time::Timestamp;
use serde::Serialize;

/// A document to index.
pub struct Document<'a> {
    pub kind: &'a str,
    pub ref_id: i64,
    pub organisation_id: Option<i64>,
    /// When it becomes public; `None` while it is not.
    pub published_at: Option<Timestamp>,
    pub url: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub kind: String,
    pub url: String,
    pub title: String,
    pub organisation: Option<String>,
    /// Escaped HTML with `<mark>` around the matched words.
    pub snippet_html: String,
}

const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// What the index keeps of a post.
#[derive(sqlx::FromRow)]
struct IndexedPost {
    id: i64,
    organisation_id: i64,
    slug: String,
    title: String,
    body_html: String,
    #[sqlx(try_from = "String")]
    status: PostStatus,
    published_at: Option<Timestamp>,
    #[sqlx(try_from = "String")]
    kind: PostKind,
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: String,
    url: String,
    title: String,
    organisation: Option<String>,
    snippet: String,
}

impl Db {
    /// Finds public documents matching `query`, best first, with the total count.
    pub async fn search(
        &self,
        query: &str,
        organisation_id: Option<i64>,
        kind: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<SearchHit>, i64)> {
        let t = now();
        let (rows, total): (Vec<Row>, i64) = match &self.backend {
            Backend::Sqlite { read, .. } => {
                let Some(expr) = fts5_query(query) else {
                    return Ok((Vec::new(), 0));
                };
                let filter = "search_index MATCH $1 AND search_index.published_at IS NOT NULL AND
                              search_index.published_at <= $2
                              AND ($3 IS NULL OR search_index.organisation_id = $3) AND ($4 IS
                              NULL OR search_index.kind = $4)";
                let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT search_index.kind, search_index.url, search_index.title, o.name AS
                     organisation,
                            snippet(search_index, 6, char(1), char(2), '…', 24) AS snippet
                     FROM search_index LEFT JOIN organisations o ON o.id =
                     search_index.organisation_id
                     WHERE {filter} ORDER BY bm25(search_index, 0, 0, 0, 0, 0, 5.0, 1.0) LIMIT $5
                     OFFSET $6"
                )))
                .bind(&expr)
                .bind(t)
                .bind(organisation_id)
                .bind(kind)
                .bind(limit)
                .bind(offset)
                .fetch_all(read)
                .await?;
                let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM search_index WHERE {filter}"
                )))
                .bind(&expr)
                .bind(t)
                .bind(organisation_id)
                .bind(kind)
                .fetch_one(read)
                .await?;
                (rows, total)
            }
            Backend::Postgres(pool) => {
                if query.trim().is_empty() {
                    return Ok((Vec::new(), 0));
                }
                let filter = "s.document @@ websearch_to_tsquery('english', $1) AND s.published_at
                              IS NOT NULL AND s.published_at <= $2
                              AND ($3::BIGINT IS NULL OR s.organisation_id = $3) AND ($4::TEXT IS
                              NULL OR s.kind = $4)";
                let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT s.kind, s.url, s.title, o.name AS organisation,
                            ts_headline('english', s.body, websearch_to_tsquery('english', $1),
                                        'StartSel=' || chr(1) || ', StopSel=' || chr(2) ||
                                        ', MaxWords=30, MinWords=12') AS snippet
                     FROM search_index s LEFT JOIN organisations o ON o.id = s.organisation_id
                     WHERE {filter}
                     ORDER BY ts_rank(s.document, websearch_to_tsquery('english', $1)) DESC,
                     s.published_at DESC LIMIT $5 OFFSET $6"
                )))
                .bind(query)
                .bind(t)
                .bind(organisation_id)
                .bind(kind)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM search_index s WHERE {filter}"
                )))
                .bind(query)
                .bind(t)
                .bind(organisation_id)
                .bind(kind)
                .fetch_one(pool)
                .await?;
                (rows, total)
            }
        };
        let hits = rows
            .into_iter()
            .map(|r| SearchHit {
                kind: r.kind,
                url: r.url,
                title: r.title,
                organisation: r.organisation,
                snippet_html: mark(&r.snippet),
            })
            .collect();
        Ok((hits, total))
    }

    /// Rebuilds the whole index from the tables it mirrors (after an upgrade, or a restore).
    pub async fn reindex_posts(&self) -> StoreResult<()> {
        let q = "SELECT id, organisation_id, slug, title, body_html, status, published_at, kind
                 FROM posts";
        let posts: Vec<IndexedPost> = write!(self, |pool| sqlx::query_as(q).fetch_all(pool).await)?;
        for p in posts {
            let url = p.kind.url(&p.slug);
            let body = crate::domain::text::searchable_text(&p.body_html);
            let public = p.status == PostStatus::Published;
            let doc = Document {
                kind: "post",
                ref_id: p.id,
                organisation_id: Some(p.organisation_id),
                published_at: p.published_at.filter(|_| public),
                url: &url,
                title: &p.title,
                body: &body,
            };
            write!(self, |pool| index(
                Conn::from(&mut *pool.acquire().await?),
                &doc
            )
            .await)?;
        }
        Ok(())
    }
}

/// What the index keeps of a row of a kind it learned after databases already held them.
#[derive(sqlx::FromRow)]
struct LaterRow {
    kind: String,
    id: i64,
    organisation_id: Option<i64>,
    published_at: Timestamp,
    url: String,
    title: String,
    text: String,
    html: String,
}

/// Marks a database whose index has [`LATER_KINDS`].
const INDEXED_KINDS: &str = "search_index.kinds";
const LATER_KINDS: &str = "case-study,commitment,syndicated,idea";

impl Db {
    /// Indexes, once per database, the case studies, commitments, items from other sites and
    /// ideas it held before site search found them (they are indexed as they are saved since).
    /// Returns how many were indexed.
    pub async fn index_later_kinds(&self) -> StoreResult<usize> {
        if self.setting(INDEXED_KINDS).await?.as_deref() == Some(LATER_KINDS) {
            return Ok(0);
        }
        let q = "SELECT 'case-study' AS kind, id, CAST(NULL AS BIGINT) AS organisation_id, published_at,
                        '/programme/case-studies/' || slug AS url, title, summary AS text,
                        body_html AS html
                 FROM case_studies
                 UNION ALL
                 SELECT 'commitment', id, CAST(NULL AS BIGINT), CAST(0 AS BIGINT),
                        '/programme/commitments/' || slug, title,
                        body, ''
                 FROM commitments
                 UNION ALL
                 SELECT 'syndicated', i.id, s.organisation_id,
                        COALESCE(i.published_at, i.fetched_at), '/syndicated/' || i.id, i.title,
                        '', COALESCE(i.content_html, i.summary_html, '')
                 FROM feed_items i JOIN feed_subscriptions s ON s.id = i.subscription_id
                 UNION ALL
                 SELECT 'idea', i.id, c.organisation_id,
                        COALESCE(i.decided_at, i.submitted_at),
                        '/ideas/' || c.slug || '#idea-' || i.id, i.title, i.body, ''
                 FROM ideas i JOIN challenges c ON c.id = i.challenge_id
                 WHERE i.status IN ('approved', 'shortlisted')";
        let rows: Vec<LaterRow> = write!(self, |pool| sqlx::query_as(q).fetch_all(pool).await)?;
        for r in &rows {
            let body = format!(
                "{}\n{}",
                r.text,
                crate::domain::text::searchable_text(&r.html)
            );
            let doc = Document {
                kind: &r.kind,
                ref_id: r.id,
                organisation_id: r.organisation_id,
                published_at: Some(r.published_at),
                url: &r.url,
                title: &r.title,
                body: &body,
            };
            write!(self, |pool| index(
                Conn::from(&mut *pool.acquire().await?),
                &doc
            )
            .await)?;
        }
        self.set_setting(INDEXED_KINDS, Some(LATER_KINDS)).await?;
        Ok(rows.len())
    }
}

/// Writes `doc` to the index on `conn` (a transaction's connection, usually).
pub(crate) async fn index(conn: Conn<'_>, doc: &Document<'_>) -> Result<(), sqlx::Error> {
    // SQLite's FTS5 tables have no unique keys and no upsert, so on both databases the entry
    // is deleted, then inserted (in one transaction when the caller gave one).
    on!(conn, |c| {
        sqlx::query("DELETE FROM search_index WHERE kind = $1 AND ref_id = $2")
            .bind(doc.kind)
            .bind(doc.ref_id)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO search_index (kind, ref_id, organisation_id, published_at, url, title,
                                       body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(doc.kind)
        .bind(doc.ref_id)
        .bind(doc.organisation_id)
        .bind(doc.published_at)
        .bind(doc.url)
        .bind(doc.title)
        .bind(doc.body)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Turns what a person typed into a safe FTS5 query: each word quoted (so operators and
/// punctuation are literal), all words required, the last one also as a prefix.
pub fn fts5_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut q = words.join(" ");
    q.push('*');
    Some(q)
}

/// Escapes a snippet and marks the matches.
fn mark(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 32);
    for c in snippet.chars() {
        match c {
            OPEN => out.push_str("<mark>"),
            CLOSE => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_queries_become_safe_fts5_expressions() {
        assert_eq!(
            fts5_query("records online").unwrap(),
            "\"records\" \"online\"*"
        );
        assert_eq!(
            fts5_query("NEAR(a b) OR \"x\"").unwrap(),
            "\"near\" \"a\" \"b\" \"or\" \"x\"*"
        );
        assert_eq!(fts5_query("  ,;: "), None);
    }

    #[test]
    fn snippets_are_escaped_before_marking() {
        assert_eq!(
            mark("a \u{1}<script>\u{2} b"),
            "a <mark>&lt;script&gt;</mark> b"
        );
    }
}
