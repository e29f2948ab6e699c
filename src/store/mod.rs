//! The one place SQL lives: a [`Db`] over SQLite or PostgreSQL, one module per aggregate.
//!
//! Queries are written once, with `$1`-style placeholders that both databases understand,
//! and run on whichever pool the URL selected through the [`read!`] and [`write!`] macros;
//! code shared by several transactions takes a [`Conn`] and dispatches with [`on!`].
//! Each macro arm is type-checked against its own driver, so there is no `Any` driver and
//! no lowest-common-denominator type mapping. Times are stored as Unix seconds (`i64`).
//!
//! SQLite runs in WAL mode with one writer connection (writes queue in the pool instead of
//! failing with `SQLITE_BUSY`) and several reader connections.

pub mod alerts;
pub mod analyses;
pub mod analytics;
pub mod audit;
pub mod chain;
mod checkpoint;
pub mod comments;
pub mod conversations;
pub mod digests;
pub mod drafts;
pub mod exercises;
mod group_commit;
pub mod held;
pub mod ideas;
pub mod imports;
pub mod media;
pub mod notices;
pub mod organisations;
pub mod outbox;
pub mod participation;
pub mod password_links;
pub mod posts;
pub mod programme;
pub mod rate_limits;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sign_in;
pub mod sso;
pub mod subscriptions;
pub mod syndication;
pub mod tokens;
pub mod users;
pub mod versions;

use crate::domain::time::Timestamp;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) backend: Backend,
    /// What this node knows of the content versions (`versions.rs`).
    versions: versions::Versions,
    /// When public pages next change by themselves, as last read (`versions.rs`).
    next_change: versions::NextChange,
}

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        /// Small writes committed together on `write` (`group_commit.rs`).
        group: group_commit::GroupCommit,
        /// Copies the write-ahead log into the database file (`checkpoint.rs`).
        checkpointer: checkpoint::Checkpointer,
    },
    Postgres(PgPool),
}

/// Which database engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Errors from the data layer that callers act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; the string names the constraint or column.
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// Text the database cannot store (PostgreSQL refuses NUL characters). Requests are
    /// refused at the edge before this; it keeps a missed path from being a 500.
    #[error("the text contains a NUL character, which cannot be stored")]
    UnstorableText,
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from_sqlx(e)
    }
}

impl StoreError {
    /// Turns unique-constraint violations into [`StoreError::Conflict`], so handlers can
    /// show "that slug is already taken" instead of a 500, and PostgreSQL's refusal of a NUL
    /// character (SQLSTATE 22021) into [`StoreError::UnstorableText`].
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string());
            }
            if db.code().as_deref() == Some("22021") {
                return StoreError::UnstorableText;
            }
        }
        StoreError::Database(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Runs `$body` with `$pool` bound to something that serves reads:
/// `read!(self, |pool| sqlx::query(…).fetch_all(pool).await)`. The body is compiled once per
/// driver, so each query is type-checked against SQLite and PostgreSQL alike. On SQLite it is
/// a reader connection, the request's held one when there is one (`held.rs`).
macro_rules! read {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.backend {
            $crate::store::Backend::Sqlite { read, .. } => {
                match $crate::store::held::lease(read).await {
                    Ok(mut lease) => {
                        let $pool = &mut *lease;
                        $body
                    }
                    Err(e) => Err(e.into()),
                }
            }
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool that takes writes (SQLite's single writer).
/// A transaction is begun inside the body: `let mut tx = pool.begin().await?;`.
macro_rules! write {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.backend {
            $crate::store::Backend::Sqlite { write: $pool, .. } => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection inside a [`Conn`]:
/// `on!(conn, |c| sqlx::query(…).execute(&mut *c).await)`.
macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use {on, read, write};

/// One connection of either database, usually a transaction's: what code shared by several
/// transactions takes (`Conn::from(&mut *tx)`), so that each transaction stays visible in its
/// own function and the shared part is a plain `async fn` returning a `Result`.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

impl Conn<'_> {
    /// The same connection for a shorter while, so that several calls can share it.
    pub(crate) fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl<'a> From<&'a mut sqlx::SqliteConnection> for Conn<'a> {
    fn from(c: &'a mut sqlx::SqliteConnection) -> Self {
        Conn::Sqlite(c)
    }
}

impl<'a> From<&'a mut sqlx::PgConnection> for Conn<'a> {
    fn from(c: &'a mut sqlx::PgConnection) -> Self {
        Conn::Postgres(c)
    }
}

/// Which table of names with slugs a tag lives in.
#[derive(Clone, Copy)]
pub(crate) enum TagTable {
    Categories,
    Topics,
}

/// The id of the category or topic called `name`, made on first use.
pub(crate) async fn tag_id(conn: Conn<'_>, table: TagTable, name: &str) -> StoreResult<i64> {
    let q = match table {
        TagTable::Categories => {
            "INSERT INTO categories (slug, name) VALUES ($1, $2)
             ON CONFLICT (slug) DO UPDATE SET name = categories.name RETURNING id"
        }
        TagTable::Topics => {
            "INSERT INTO topics (slug, name) VALUES ($1, $2)
             ON CONFLICT (slug) DO UPDATE SET name = topics.name RETURNING id"
        }
    };
    let slug = crate::domain::text::Slug::from_title(name);
    let id = on!(conn, |c| sqlx::query_scalar(q)
        .bind(slug.as_str())
        .bind(name)
        .fetch_one(&mut *c)
        .await)?;
    Ok(id)
}

/// `sqlx::Type` for a type that both databases store as `$inner` (its `Encode` and `Decode`
/// convert).
macro_rules! stored_as {
    ($inner:ty => [$($generic:ident),*] $name:ty) => {
        impl<DB: sqlx::Database $(, $generic)*> sqlx::Type<DB> for $name
        where
            $inner: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$inner as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$inner as sqlx::Type<DB>>::compatible(ty)
            }
        }
    };
}

// A moment is stored as Unix seconds (BIGINT) on both databases.
stored_as!(i64 => [] Timestamp);

impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for Timestamp
where
    i64: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut DB::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        self.secs().encode_by_ref(buf)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for Timestamp
where
    i64: sqlx::Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Timestamp::from_secs(i64::decode(value)?))
    }
}

/// Enums stored as their names (TEXT): decoded by name, so that a row with a name no variant
/// has fails to read instead of being guessed at; `Option<…>` of them decodes NULL as `None`.
macro_rules! stored_by_name {
    ($($name:ty),+) => {$(
        stored_as!(String => [] $name);

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<$name>::try_from(String::decode(value)?)?)
            }
        }
    )+};
}

stored_by_name!(
    crate::domain::programme::Phase,
    crate::domain::programme::Status,
    crate::domain::user::LinkPurpose,
    crate::domain::subscription::List,
    crate::domain::subscription::Frequency,
    crate::domain::subscription::NoticeKind
);

/// A JSON column (TEXT on both databases) decoded into `T` as its row is read: a value that
/// does not decode fails that read with an error naming the problem, instead of turning into an
/// empty value further on. Serialised as the value itself.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

stored_as!(String => [T] Json<T>);

impl<'r, DB: sqlx::Database, T: serde::de::DeserializeOwned> sqlx::Decode<'r, DB> for Json<T>
where
    &'r str: sqlx::Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<DB>>::decode(value)?;
        Ok(Json(serde_json::from_str(text)?))
    }
}

/// An `UPDATE` or `DELETE` that changed no row was about a row that is not there.
pub(crate) fn found(rows: u64) -> StoreResult<()> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Saving a row that editors both create and edit with one form: `insert` makes a new row
/// (`existing` is `None`), `update` changes one. Both texts take the same parameters in the same
/// order and end in `RETURNING id`; the update takes the row's id as one more parameter, bound by
/// [`bind_existing`]. So each save binds its fields once, and the answer goes through [`one`].
pub(crate) fn save_sql(
    existing: Option<i64>,
    insert: &'static str,
    update: &'static str,
) -> &'static str {
    if existing.is_some() { update } else { insert }
}

/// Binds the id of the row an edit changes (see [`save_sql`]); a new row binds nothing more.
pub(crate) fn bind_existing<'q, DB: sqlx::Database, O>(
    query: sqlx::query::QueryScalar<'q, DB, O, DB::Arguments>,
    existing: Option<i64>,
) -> sqlx::query::QueryScalar<'q, DB, O, DB::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match existing {
        Some(id) => query.bind(id),
        None => query,
    }
}

/// The one row a query asked for (or the id a save returned): none is [`StoreError::NotFound`].
pub(crate) fn one<T>(row: Result<Option<T>, sqlx::Error>) -> StoreResult<T> {
    row.map_err(StoreError::from_sqlx)?
        .ok_or(StoreError::NotFound)
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The current time.
pub fn now() -> Timestamp {
    Timestamp::now()
}

impl Db {
    /// Runs `work` as one of the small writes many visitors make at once: on SQLite in the
    /// next group of writes committed together (`group_commit.rs`), answered once that group
    /// has committed; on PostgreSQL in a transaction of its own.
    pub(crate) async fn grouped<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(Conn<'c>) -> group_commit::BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite { group, .. } => group.run(Box::new(work)).await,
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let result = work(Conn::from(&mut *tx)).await;
                if result.is_ok() {
                    tx.commit().await?;
                }
                result
            }
        }
    }

    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`.
    ///
    /// The error message is one line that names the database, for the command line.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| anyhow::anyhow!("invalid SQLite URL {url:?}: {e}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .pragma("temp_store", "memory")
                // Checkpoints run beside the writer instead (`checkpoint.rs`).
                .pragma("wal_autocheckpoint", "0");
            // A connection to a local file cannot go stale as a network one can: checking
            // it before each use would cost every query a second trip to its thread.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {url}: {e}"))?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(options.clone().read_only(true))
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {url}: {e}"))?;
            let group = group_commit::GroupCommit::start(write.clone());
            let checkpointer = checkpoint::start(&options, group.alive(), group.turn())
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {url}: {e}"))?;
            Backend::Sqlite {
                read,
                write,
                group,
                checkpointer,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| anyhow::anyhow!("invalid PostgreSQL URL: {e}"))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot connect to the PostgreSQL database: {}",
                        one_line(&e)
                    )
                })?;
            Backend::Postgres(pool)
        } else {
            anyhow::bail!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST/DB"
            );
        };
        Ok(Db {
            backend,
            versions: Default::default(),
            next_change: Default::default(),
        })
    }

    /// Applies every pending migration; migrations only ever go forward.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(|e| anyhow::anyhow!("cannot migrate the database: {}", one_line(&e)))
    }

    pub fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite { .. } => Engine::Sqlite,
            Backend::Postgres(_) => Engine::Postgres,
        }
    }

    /// True when the database answers a trivial query (for `/healthz`).
    pub async fn ping(&self) -> bool {
        let q = "SELECT 1";
        let answer: Result<i32, sqlx::Error> =
            read!(self, |pool| sqlx::query_scalar(q).fetch_one(pool).await);
        answer.is_ok()
    }

    /// Pool sizes for `/metrics`: (connections open, of which idle).
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, usize)> {
        match &self.backend {
            Backend::Sqlite { read, write, .. } => vec![
                ("sqlite_read", read.size(), read.num_idle()),
                ("sqlite_write", write.size(), write.num_idle()),
            ],
            Backend::Postgres(pool) => vec![("postgres", pool.size(), pool.num_idle())],
        }
    }

    /// Closes every connection (SQLite then checkpoints its WAL).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite {
                read,
                write,
                checkpointer,
                ..
            } => {
                read.close().await;
                write.close().await;
                // Last, so that its close copies the whole log into the database file.
                checkpointer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// Database errors can span lines; the command line promises one.
fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
