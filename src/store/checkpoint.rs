//! Checkpoints of SQLite's write-ahead log, kept off the path of each write. SQLite's own
//! automatic checkpoint runs inside whichever commit crosses its threshold: that commit
//! copies the log's pages into the database file and waits for the file's `fsync` before it
//! returns, and every write queued behind it (`group_commit.rs`) waits too; a vote that is
//! acknowledged in a millisecond then waits several. So the automatic checkpoint is off on
//! every connection (`Db::connect`), and the work is split in two:
//!
//! - every [`EVERY`], this task runs a `PASSIVE` checkpoint on a connection of its own. In WAL
//!   mode that runs beside the writer, which keeps appending, and copies nearly everything;
//! - the log only starts again from its beginning when a write begins with all of it already
//!   copied, which under a steady stream of writes never happens by chance. So once the log
//!   is longer than [`RESTART_FRAMES`], the task copies again what was written during its
//!   last copy (less each time), then takes the writer's turn between two groups of writes
//!   for a last copy of a few pages; the next write starts the log again.

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How often the log is copied into the database file: at a few hundred small writes a
/// second, a few megabytes each time.
const EVERY: Duration = Duration::from_secs(1);
/// The log's length (in pages of 4 KB) past which the writer is asked to finish a checkpoint
/// so that the log starts again: 32 MB.
const RESTART_FRAMES: i64 = 8192;
/// At most this many copies of what was written during the copy before.
const CATCH_UP: usize = 4;
/// A copy this quick leaves little for the last one.
const CAUGHT_UP: Duration = Duration::from_millis(5);

/// What `PRAGMA wal_checkpoint` answers.
struct Checkpointed {
    /// Pages in the log.
    log: i64,
    /// Of those, pages now in the database file.
    copied: i64,
}

/// The checkpointing task's connection, shared with the `Db` so that closing the database
/// closes it too (the last connection to close copies the whole log and removes it).
#[derive(Clone, Debug)]
pub(crate) struct Checkpointer(Arc<Mutex<Option<SqliteConnection>>>);

impl Checkpointer {
    /// Stops checkpointing and closes the connection.
    pub(crate) async fn close(&self) {
        if let Some(conn) = self.0.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}

/// Opens a connection to the database `options` open and checkpoints on it every [`EVERY`]
/// for as long as `alive()` (until the last `Db` on it is dropped) or until closed. `turn`
/// is the writer's (`group_commit.rs`).
pub(crate) async fn start(
    options: &SqliteConnectOptions,
    alive: impl Fn() -> bool + Send + 'static,
    turn: Arc<Mutex<()>>,
) -> sqlx::Result<Checkpointer> {
    let conn = Arc::new(Mutex::new(Some(options.connect().await?)));
    let checkpointer = Checkpointer(conn.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            let mut held = conn.lock().await;
            let Some(conn) = held.as_mut().filter(|_| alive()) else {
                break;
            };
            if let Err(e) = copy_and_restart(conn, &turn, RESTART_FRAMES).await {
                tracing::warn!(error = %e, "checkpointing the database failed; the next try is in a second");
            }
        }
    });
    Ok(checkpointer)
}

/// Copies the log into the database file and, when it is `restart_frames` long or longer and
/// no reader holds it back, lets the next write start it again.
async fn copy_and_restart(
    conn: &mut SqliteConnection,
    turn: &Mutex<()>,
    restart_frames: i64,
) -> sqlx::Result<()> {
    let mut c = checkpoint(conn).await?;
    if c.log < restart_frames || c.copied < c.log {
        return Ok(());
    }
    // Each copy takes what was written during the one before, so the last, made while no
    // group is being written, has only a few pages to copy.
    for _ in 0..CATCH_UP {
        let started = Instant::now();
        c = checkpoint(conn).await?;
        if started.elapsed() < CAUGHT_UP || c.copied < c.log {
            break;
        }
    }
    if c.copied < c.log {
        return Ok(());
    }
    let _turn = turn.lock().await;
    let started = Instant::now();
    let last = checkpoint(conn).await?;
    tracing::debug!(
        pages = last.log,
        millis = started.elapsed().as_secs_f64() * 1000.0,
        "the log was copied in full and starts again at the next write"
    );
    Ok(())
}

/// Copies every page of the log that no reader still needs into the database file.
async fn checkpoint(conn: &mut SqliteConnection) -> sqlx::Result<Checkpointed> {
    // Read to the end (not `fetch_one`), so the statement is finished and holds nothing.
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_all(conn)
        .await?;
    let (_busy, log, copied) = rows.first().copied().unwrap_or_default();
    Ok(Checkpointed { log, copied })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    use std::sync::atomic::AtomicBool;

    /// Closing the database closes the checkpointer's connection last, which copies the log
    /// in and removes it: the database file alone is then the whole database.
    #[tokio::test]
    async fn closing_the_database_leaves_no_log() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("closed.db").display());
        let db = crate::store::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let wal = dir.path().join("closed.db-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        db.close().await;
        assert!(!wal.exists(), "the log is still there after closing");
    }

    /// A log that keeps growing under a steady stream of writes is started again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_log_starts_again_while_writes_keep_coming() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("log.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .pragma("wal_autocheckpoint", "0");
        let mut writer = options.connect().await.unwrap();
        sqlx::query("CREATE TABLE t (x BLOB)")
            .execute(&mut writer)
            .await
            .unwrap();
        let turn = Arc::new(Mutex::new(()));
        // A writer taking its turn for each transaction, as `group_commit.rs` does for each
        // group, until told to stop.
        let stop = Arc::new(AtomicBool::new(false));
        let writes = tokio::spawn({
            let (turn, stop) = (turn.clone(), stop.clone());
            async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _turn = turn.lock().await;
                    let mut tx = sqlx::Connection::begin(&mut writer).await.unwrap();
                    sqlx::query("INSERT INTO t VALUES (randomblob(8000))")
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                    n += 1;
                }
                (writer, n)
            }
        });
        let mut checkpointer = options.connect().await.unwrap();
        // Copies as they come (every page copied, the log never starting again by itself)
        // until the log is 400 pages long.
        let mut before = checkpoint(&mut checkpointer).await.unwrap();
        while before.log < 400 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            before = checkpoint(&mut checkpointer).await.unwrap();
        }
        copy_and_restart(&mut checkpointer, &turn, 400)
            .await
            .unwrap();
        // The writer was waiting for its turn, so it writes (and starts the log again) before
        // this takes the turn; it stops after a write or two more.
        drop(turn.lock().await);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut writer, n) = writes.await.unwrap();
        sqlx::query("INSERT INTO t VALUES (randomblob(8000))")
            .execute(&mut writer)
            .await
            .unwrap();
        let after = checkpoint(&mut checkpointer).await.unwrap();
        // Started again, the log holds only the last few writes.
        assert!(
            after.log < before.log,
            "the log had {} pages and now has {}: it did not start again",
            before.log,
            after.log
        );
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut writer)
            .await
            .unwrap();
        assert_eq!(rows, n + 1);
    }
}
