//! A small pool of read connections, used from tokio's blocking threads.
//!
//! In WAL mode a reader sees the last committed state and never waits for the writer, so reads
//! go to connections of their own rather than queueing behind the group commit. A semaphore
//! bounds how many run at once; connections are opened on first need and kept for reuse.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::schema::open_reader;
use crate::StoreError;

/// Read connections of one database file.
pub(crate) struct ReadPool {
    /// The database file.
    path: PathBuf,
    /// Connections not in use.
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection the pool may have open.
    permits: Arc<Semaphore>,
}

impl ReadPool {
    /// A pool of at most `size` connections to `path`; one is opened now to check the file.
    pub(crate) fn new(path: PathBuf, size: usize) -> Result<Arc<ReadPool>, StoreError> {
        let first = open_reader(&path)?;
        Ok(Arc::new(ReadPool {
            path,
            idle: Mutex::new(vec![first]),
            permits: Arc::new(Semaphore::new(size.max(1))),
        }))
    }

    /// Runs `read` on a pooled connection on a blocking thread and returns its result.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        // Wait for a free connection slot; the semaphore is never closed.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("the read pool was closed".into()))?;

        // Read on a blocking thread, then give the connection back.
        let pool = Arc::clone(self);
        let task = tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let result = read(&conn);
            pool.put(conn);
            drop(permit);
            result
        });
        task.await
            .map_err(|_| StoreError::Backend("a read task panicked or was cancelled".into()))?
    }

    /// An idle connection, or a new one when none is idle.
    fn take(&self) -> Result<Connection, StoreError> {
        // A panic while the lock was held leaves the list itself intact, so poisoning is ignored.
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    /// Returns a connection to the idle list.
    fn put(&self, conn: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}
