//! `townhall backup` and `townhall restore` for SQLite databases.
//!
//! A backup is SQLite's `VACUUM INTO` on its own connection: one read transaction, so the copy
//! is the database as it was when the backup began, and in WAL mode a reader never blocks the
//! server's writer. A restore checks the file is a Townhall database, refuses to replace a
//! database a running server holds (`townhall serve` keeps a shared lock on `PATH.lock` beside
//! it) unless forced, then swaps it in atomically. PostgreSQL has its own tools (pg_dump and
//! pg_restore; see docs/operations.md).

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

const POSTGRES_HINT: &str = "is a PostgreSQL database: back it up with pg_dump and restore it with pg_restore (see docs/operations.md)";

/// The SQLite file named by a `sqlite://PATH` URL.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        bail!("the database {POSTGRES_HINT}");
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| anyhow::anyhow!("invalid SQLite URL {url:?}: {e}"))?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        bail!("{url:?} does not name a database file");
    }
    Ok(path.to_path_buf())
}

/// The lock file a server holds (shared) while it has the database open.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the shared "in use" lock for the database at `url` (a no-op for PostgreSQL); held
/// until the returned file is dropped. Waits while a restore holds it exclusively.
pub async fn hold_in_use_lock(url: &str) -> anyhow::Result<Option<File>> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let Ok(path) = sqlite_path(url) else {
        return Ok(None);
    };
    let lock = lock_path(&path);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .with_context(|| format!("cannot open the lock file {}", lock.display()))?;
    let file = tokio::task::spawn_blocking(move || file.lock_shared().map(|()| file))
        .await?
        .with_context(|| format!("cannot lock {}", lock.display()))?;
    Ok(Some(file))
}

fn progress(message: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("{message}");
    }
}

async fn open(path: &Path, read_only: bool) -> anyhow::Result<sqlx::SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("cannot open {}: {}", path.display(), one_line(&e)))
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks `conn` is an intact Townhall database; returns how many migrations it has.
async fn check_townhall(conn: &mut sqlx::SqliteConnection, path: &Path) -> anyhow::Result<i64> {
    let not_ours = |why: String| {
        anyhow::anyhow!(
            "{} is not a Townhall SQLite database ({why})",
            path.display()
        )
    };
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| not_ours(one_line(&e)))?;
    if integrity != ["ok"] {
        return Err(not_ours(format!(
            "the integrity check failed: {}",
            integrity.join("; ")
        )));
    }
    let has_migrations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| not_ours(one_line(&e)))?;
    if has_migrations == 0 {
        return Err(not_ours("it has no migrations table".into()));
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| not_ours(one_line(&e)))?;
    Ok(n)
}

/// Writes `tmp`'s directory entry to disk after a rename.
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

fn temp_beside(path: &Path, what: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{what}-{}", uuid::Uuid::new_v4().simple()));
    PathBuf::from(name)
}

/// `townhall backup --out FILE`: a consistent copy of the live database.
pub async fn backup(database_url: &str, out: &Path) -> anyhow::Result<()> {
    let source = sqlite_path(database_url)?;
    if !source.exists() {
        bail!("there is no database at {}", source.display());
    }
    if out.exists() {
        bail!(
            "{} already exists: choose another --out or remove it",
            out.display()
        );
    }
    let mut conn = open(&source, false).await?;
    check_townhall(&mut conn, &source).await?;
    let tmp = temp_beside(out, "partial");
    progress(&format!("Copying {} …", source.display()));
    let result = sqlx::query("VACUUM INTO $1")
        .bind(tmp.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        bail!("cannot write {}: {}", out.display(), one_line(&e));
    }
    let finish = || -> std::io::Result<()> {
        File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, out)?;
        sync_dir(out);
        Ok(())
    };
    if let Err(e) = finish() {
        let _ = std::fs::remove_file(&tmp);
        bail!("cannot write {}: {e}", out.display());
    }
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "Backed up {} to {} ({:.1} MiB).",
        source.display(),
        out.display(),
        size as f64 / 1_048_576.0
    );
    Ok(())
}

/// `townhall restore FILE`: puts a backup in place of the database at `database_url`.
pub async fn restore(file: &Path, database_url: &str, force: bool) -> anyhow::Result<()> {
    let target = sqlite_path(database_url)?;
    if !file.is_file() {
        bail!("there is no backup file at {}", file.display());
    }
    progress(&format!("Checking {} …", file.display()));
    let mut conn = open(file, true).await?;
    let migrations = check_townhall(&mut conn, file).await;
    conn.close().await.ok();
    let migrations = migrations?;

    // A running server holds a shared lock; an exclusive one means nobody has it open.
    let lock_file = lock_path(&target);
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_file)
        .with_context(|| format!("cannot open the lock file {}", lock_file.display()))?;
    let locked = match lock.try_lock() {
        Ok(()) => true,
        Err(std::fs::TryLockError::WouldBlock) if force => false,
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "the database {} is in use by a running townhall server: stop it first, or use --force (then restart the server)",
            target.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            bail!("cannot lock {}: {e}", lock_file.display())
        }
    };

    progress(&format!("Restoring to {} …", target.display()));
    let tmp = temp_beside(&target, "restore");
    let swap = || -> std::io::Result<()> {
        std::fs::copy(file, &tmp)?;
        File::options().write(true).open(&tmp)?.sync_all()?;
        // A WAL left from the old database would be replayed into the new one.
        for suffix in ["-wal", "-shm"] {
            let mut side = target.as_os_str().to_owned();
            side.push(suffix);
            match std::fs::remove_file(PathBuf::from(side)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        std::fs::rename(&tmp, &target)?;
        sync_dir(&target);
        Ok(())
    };
    if let Err(e) = swap() {
        let _ = std::fs::remove_file(&tmp);
        bail!("cannot restore to {}: {e}", target.display());
    }
    // The restored file opens in WAL mode like the server's, so the server finds it as it left it.
    if let Ok(mut c) = SqliteConnectOptions::new()
        .filename(&target)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await
    {
        let _ = sqlx::query("SELECT 1").execute(&mut c).await;
        let _ = c.close().await;
    }
    drop(lock);
    eprintln!(
        "Restored {} from {} ({migrations} migrations; newer ones apply when the server starts){}.",
        target.display(),
        file.display(),
        if locked {
            ""
        } else {
            "; the database was in use: restart the server now"
        }
    );
    Ok(())
}
