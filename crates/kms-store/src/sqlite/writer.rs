//! Group commit: one thread owns the write connection and commits many writes per sync.
//!
//! With `synchronous=FULL` every commit waits for the disk, so committing each write on its own
//! caps throughput at the disk's sync rate. Instead, callers queue their writes; the writer
//! thread takes everything queued, applies each write inside its own savepoint of one shared
//! transaction (a write that fails, such as a duplicate alias, is rolled back alone), commits
//! once, and only then answers each caller. A caller is told `Ok` only after the commit that
//! holds its write has reached the disk.

use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::schema::detail;
use crate::StoreError;

/// The most writes one transaction holds; it bounds how long the first caller of a batch waits.
const MAX_BATCH: usize = 1024;

/// One queued write: applied inside the batch's transaction, answered once the batch's fate is
/// known.
trait Job: Send {
    /// Runs the write on the writer's connection; returns whether it succeeded.
    fn apply(&mut self, conn: &Connection) -> bool;

    /// Tells the caller the outcome; `commit` is `Err` with the reason when the batch failed.
    fn answer(self: Box<Self>, commit: Result<(), &str>);
}

/// What runs on the writer thread once a write has committed, in commit order.
type AfterCommit<T> = Box<dyn FnOnce(&T) + Send>;

/// A write whose outcome is a `T`, with the channel its caller awaits.
struct TypedJob<T, F> {
    /// The write itself, taken when it runs.
    work: Option<F>,
    /// What the write returned, once it ran.
    result: Option<Result<T, StoreError>>,
    /// Run with the write's outcome once it has committed, before the caller is answered.
    after_commit: Option<AfterCommit<T>>,
    /// Where the caller waits for the answer.
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, conn: &Connection) -> bool {
        let result = match self.work.take() {
            Some(work) => work(conn),
            None => Err(StoreError::Backend("a write was applied twice".into())),
        };
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn answer(self: Box<Self>, commit: Result<(), &str>) {
        // A failed commit undoes every write of the batch, including refusals that were
        // decided against writes that are now gone, so each caller learns only of the failure.
        let answer = match (commit, self.result) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::Backend("a write was never applied".into())),
            (Err(why), _) => Err(StoreError::Backend(format!(
                "the write was not committed: {why}"
            ))),
        };

        // A committed write updates what is kept in memory beside the file, in commit order.
        if let (Ok(value), Some(after)) = (&answer, self.after_commit) {
            after(value);
        }

        // The caller may have stopped waiting; its write stands or falls all the same.
        let _ = self.reply.send(answer);
    }
}

/// The handle to the writer thread: queues writes and awaits their commit.
pub(crate) struct Writer {
    /// The queue into the writer thread; `None` only while the handle is being dropped.
    queue: Option<mpsc::Sender<Box<dyn Job>>>,
    /// The writer thread, joined on drop so that the connection is closed cleanly.
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread, which takes ownership of the write connection.
    pub(crate) fn start(conn: Connection) -> Result<Writer, StoreError> {
        let (queue, jobs) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("kms-store-writer".into())
            .spawn(move || run(conn, jobs))
            .map_err(|e| StoreError::Backend(format!("starting the writer thread: {e}")))?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Queues `work` for the next batch and waits until the batch has been committed.
    pub(crate) async fn submit<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue_job(work, None).await
    }

    /// [`Writer::submit`], running `after_commit` on the writer thread with the write's
    /// outcome once it has committed (in commit order, before the caller is answered).
    pub(crate) async fn submit_then<T, F>(
        &self,
        work: F,
        after_commit: impl FnOnce(&T) + Send + 'static,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue_job(work, Some(Box::new(after_commit))).await
    }

    async fn queue_job<T, F>(
        &self,
        work: F,
        after_commit: Option<AfterCommit<T>>,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        // Queue the write with the channel its answer comes back on.
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            after_commit,
            reply,
        });
        let queue = self.queue.as_ref().ok_or_else(stopped)?;
        queue.send(job).map_err(|_| stopped())?;

        // Wait for the commit; a dropped channel means the thread died without answering.
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has committed what was already queued.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the SQLite writer thread panicked");
            }
        }
    }
}

/// The error of a write that reached no running writer thread.
fn stopped() -> StoreError {
    StoreError::Backend("the SQLite writer thread has stopped".into())
}

/// The writer thread: takes every queued write, commits them together, answers, repeats.
fn run(conn: Connection, jobs: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);

    // Block for the first write, then take whatever else is already waiting.
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }

        // Apply and commit the batch, then answer every caller with its own outcome.
        let commit = apply_batch(&conn, &mut batch);
        if let Err(why) = &commit {
            tracing::warn!(writes = batch.len(), error = %why, "an SQLite write batch failed");
        }
        let commit = commit.as_ref().map(|_| ()).map_err(String::as_str);
        for job in batch.drain(..) {
            job.answer(commit);
        }
    }
}

/// Runs every write of `batch` in one transaction and commits it.
fn apply_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    // Take the write lock up front so that the commit cannot fail on a busy lock.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| describe("beginning", e))?;

    // Apply each write in its own savepoint; stop if SQLite abandoned the transaction.
    let applied = batch
        .iter_mut()
        .try_for_each(|job| apply_one(conn, job.as_mut()));

    // Commit what was applied, or undo all of it.
    let outcome = applied.and_then(|()| {
        conn.execute_batch("COMMIT")
            .map_err(|e| describe("committing", e))
    });
    if outcome.is_err() && !conn.is_autocommit() {
        // The transaction is still open: roll it back so that the next batch starts clean.
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::error!(error = %describe("rolling back", e), "SQLite rollback failed");
        }
    }
    outcome
}

/// Runs one write inside a savepoint: kept if it succeeds, rolled back alone if it fails.
fn apply_one(conn: &Connection, job: &mut dyn Job) -> Result<(), String> {
    conn.execute_batch("SAVEPOINT write")
        .map_err(|e| describe("opening a savepoint", e))?;
    let succeeded = job.apply(conn);

    // Some failures (a full disk, for one) make SQLite roll back the whole transaction;
    // the writes after it would then commit on their own, so the batch stops here.
    if conn.is_autocommit() {
        return Err("SQLite rolled back the transaction".into());
    }
    let end = if succeeded {
        "RELEASE write"
    } else {
        "ROLLBACK TO write; RELEASE write"
    };
    conn.execute_batch(end)
        .map_err(|e| describe("closing a savepoint", e))
}

/// The log-safe description of a failed transaction statement.
fn describe(step: &str, error: rusqlite::Error) -> String {
    format!("{step}: {}", detail(&error))
}
