//! One read connection for a whole request on SQLite.
//!
//! sqlx runs each SQLite connection on a thread of its own and checks a connection as it
//! goes back to the pool, so a query read straight from the pool costs two trips between
//! threads and a spawned task besides the query itself. A reader's page reads five to
//! fifteen times, so
//! `shared_pages::serve` runs it inside [`one_connection`]: its first read takes a
//! connection, the others reuse it, and it goes back once, when the page is made.
//!
//! Only reads are held, and only for `GET` and `HEAD`: a form's `POST` waits for a group
//! commit (`group_commit.rs`), and holding a reader through that wait would let eight
//! waiting posts take every reader. Each query is still its own read transaction, so a
//! held connection sees every write committed before it, as a pooled one does.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

type Slot = Option<PoolConnection<Sqlite>>;

tokio::task_local! {
    static HELD: Arc<Mutex<Slot>>;
}

/// Runs `work` with every read on one connection, taken at its first read and given back
/// when `work` ends. Tasks that `work` spawns read from the pool as usual.
pub async fn one_connection<F: Future>(work: F) -> F::Output {
    HELD.scope(Arc::default(), work).await
}

/// The connection one read runs on: the request's held one, or one from the pool when
/// there is none (outside [`one_connection`]) or it is busy (two reads of the request at
/// once: the second does not wait for the first).
pub(crate) enum Lease {
    Held(OwnedMappedMutexGuard<Slot, PoolConnection<Sqlite>>),
    Pooled(PoolConnection<Sqlite>),
}

/// A connection for one read from `pool`.
pub(crate) async fn lease(pool: &SqlitePool) -> Result<Lease, sqlx::Error> {
    let held = HELD.try_with(|slot| slot.clone().try_lock_owned());
    if let Ok(Ok(mut slot)) = held {
        if slot.is_none() {
            *slot = Some(pool.acquire().await?);
        }
        if let Ok(connection) = OwnedMutexGuard::try_map(slot, |slot| slot.as_mut()) {
            return Ok(Lease::Held(connection));
        }
    }
    Ok(Lease::Pooled(pool.acquire().await?))
}

impl Deref for Lease {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            Lease::Held(c) => c,
            Lease::Pooled(c) => c,
        }
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Lease::Held(c) => c,
            Lease::Pooled(c) => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> SqlitePool {
        let options = sqlx::sqlite::SqliteConnectOptions::new().in_memory(true);
        (sqlx::sqlite::SqlitePoolOptions::new().max_connections(4))
            .connect_with(options)
            .await
            .unwrap()
    }

    /// Rows a read's connection has added to its own temporary table: which connection it was.
    async fn mark(pool: &SqlitePool) -> i64 {
        let mut c = lease(pool).await.unwrap();
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS m (n INTEGER)")
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::query("INSERT INTO m VALUES (1)")
            .execute(&mut *c)
            .await
            .unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM m")
            .fetch_one(&mut *c)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_request_reads_on_one_connection_and_gives_it_back() {
        let pool = pool().await;
        let counts = one_connection(async {
            let mut counts = vec![];
            for _ in 0..3 {
                counts.push(mark(&pool).await);
            }
            // Between reads it stays with the request, not idle in the pool.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert_eq!((pool.size(), pool.num_idle()), (1, 0));
            counts
        })
        .await;
        assert_eq!(counts, [1, 2, 3], "the same connection each time");
        // Given back when the request ends (the pool checks it on a task of its own first).
        for _ in 0..200 {
            if pool.num_idle() == pool.size() as usize {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the held connection was not given back to the pool");
    }

    #[tokio::test]
    async fn a_second_read_at_once_takes_another_connection_instead_of_waiting() {
        let pool = pool().await;
        one_connection(async {
            let first = lease(&pool).await.unwrap();
            let second = lease(&pool).await.unwrap();
            assert!(matches!(first, Lease::Held(_)));
            assert!(matches!(second, Lease::Pooled(_)));
        })
        .await;
        assert!(matches!(lease(&pool).await.unwrap(), Lease::Pooled(_)));
    }
}
