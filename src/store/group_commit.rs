//! Group commit on SQLite's single writer. The small writes that many visitors make at once
//! (a comment, a consultation response, a rate-limit hit) are queued; the writer takes every
//! one waiting, runs each in its own savepoint of one transaction (a write that fails rolls
//! back alone), commits once — one `fsync` for all of them — and only then answers each
//! caller. So "acknowledged means stored" holds as before, and the durable rate grows with
//! the number of writes waiting instead of being one `fsync` each. No timer: while one
//! group commits, the next gathers.
//!
//! On PostgreSQL, which groups concurrent commits itself, a grouped write is an ordinary
//! transaction.

use super::{Conn, StoreError, StoreResult};
use sqlx::{Connection, SqlitePool};
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// A write's future, borrowing the group's connection.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The most writes committed together: bounds one transaction's work and how long the
/// first of them waits.
const MAX_GROUP: usize = 256;

/// A write to run inside a transaction of either database.
pub(crate) type Work<T> =
    Box<dyn for<'c> FnOnce(Conn<'c>) -> BoxFuture<'c, StoreResult<T>> + Send + 'static>;

/// A queued write, whatever its result type.
trait Queued: Send {
    /// Runs it on the group's connection; its answer waits for the group's commit.
    fn run<'c>(
        self: Box<Self>,
        c: &'c mut sqlx::SqliteConnection,
    ) -> BoxFuture<'c, Box<dyn Answer>>;
    /// Answers it with an error without running it.
    fn fail(self: Box<Self>, why: &str);
}

/// A write that has run, waiting for the group's commit.
trait Answer: Send {
    fn succeeded(&self) -> bool;
    /// Sends its result, or `why` the group's commit failed.
    fn send(self: Box<Self>, commit: Result<(), &str>);
}

struct Job<T> {
    work: Work<T>,
    reply: oneshot::Sender<StoreResult<T>>,
}

struct Done<T> {
    result: StoreResult<T>,
    reply: oneshot::Sender<StoreResult<T>>,
}

fn failed(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "the write was not stored: {why}"
    )))
}

impl<T: Send + 'static> Queued for Job<T> {
    fn run<'c>(
        self: Box<Self>,
        c: &'c mut sqlx::SqliteConnection,
    ) -> BoxFuture<'c, Box<dyn Answer>> {
        Box::pin(async move {
            let result = (self.work)(Conn::from(c)).await;
            Box::new(Done {
                result,
                reply: self.reply,
            }) as Box<dyn Answer>
        })
    }

    fn fail(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(failed(why)));
    }
}

impl<T: Send> Answer for Done<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn send(self: Box<Self>, commit: Result<(), &str>) {
        let result = match commit {
            Ok(()) => self.result,
            Err(why) => Err(failed(why)),
        };
        let _ = self.reply.send(result);
    }
}

/// The queue in front of SQLite's writer.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<Box<dyn Queued>>,
    /// Held while a group runs and commits; the checkpointer (`checkpoint.rs`) takes it
    /// between two groups to copy the log's last pages, so that the log can start again.
    turn: Arc<Mutex<()>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl GroupCommit {
    /// Starts the task that commits groups on `writer` (the single-connection pool).
    pub(crate) fn start(writer: SqlitePool) -> GroupCommit {
        let (queue, waiting) = mpsc::unbounded_channel();
        let turn = Arc::new(Mutex::new(()));
        tokio::spawn(commit_groups(writer, waiting, turn.clone()));
        GroupCommit { queue, turn }
    }

    /// Whether any `Db` is still open on this writer, asked without keeping it open.
    pub(crate) fn alive(&self) -> impl Fn() -> bool + Send + 'static {
        let queue = self.queue.downgrade();
        move || queue.upgrade().is_some()
    }

    /// The writer's turn: whoever holds it, no group is being written.
    pub(crate) fn turn(&self) -> Arc<Mutex<()>> {
        self.turn.clone()
    }

    /// Runs `work` in the next group and answers once the group has committed.
    pub(crate) async fn run<T: Send + 'static>(&self, work: Work<T>) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Queued> = Box::new(Job { work, reply });
        self.queue
            .send(job)
            .map_err(|_| failed("the database writer has stopped"))?;
        answer
            .await
            .map_err(|_| failed("the database writer has stopped"))?
    }
}

async fn commit_groups(
    writer: SqlitePool,
    mut waiting: mpsc::UnboundedReceiver<Box<dyn Queued>>,
    turn: Arc<Mutex<()>>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        let jobs = std::mem::take(&mut group);
        let _turn = turn.lock().await;
        if let Err(e) = commit_group(&writer, jobs).await {
            tracing::error!(error = %e, "a group of writes could not be committed");
        }
    }
}

/// Runs `jobs` in one transaction and answers each after its commit.
async fn commit_group(writer: &SqlitePool, jobs: Vec<Box<dyn Queued>>) -> Result<(), String> {
    let mut conn = match writer.acquire().await {
        Ok(c) => c,
        Err(e) => return Err(fail_all(jobs, &e.to_string())),
    };
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(e) => return Err(fail_all(jobs, &e.to_string())),
    };
    let mut answers = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        // Each write in its own savepoint: one that fails leaves the others.
        let mut one = match tx.begin().await {
            Ok(one) => one,
            Err(e) => return Err(abandon(answers, jobs.chain([job]).collect(), e)),
        };
        let answer = job.run(&mut one).await;
        let ended = if answer.succeeded() {
            one.commit().await
        } else {
            one.rollback().await
        };
        answers.push(answer);
        if let Err(e) = ended {
            return Err(abandon(answers, jobs.collect(), e));
        }
    }
    let committed = tx.commit().await.map_err(|e| e.to_string());
    for answer in answers {
        answer.send(committed.as_ref().map(|_| ()).map_err(String::as_str));
    }
    committed
}

/// Answers every job with `why`, returning it.
fn fail_all(jobs: Vec<Box<dyn Queued>>, why: &str) -> String {
    for job in jobs {
        job.fail(why);
    }
    why.to_string()
}

/// Answers the writes that ran and those that did not with `e` (the transaction is rolled
/// back as it is dropped).
fn abandon(answers: Vec<Box<dyn Answer>>, rest: Vec<Box<dyn Queued>>, e: sqlx::Error) -> String {
    let why = e.to_string();
    for answer in answers {
        answer.send(Err(&why));
    }
    fail_all(rest, &why)
}
