//! Connections to the SQLite file, the schema, its migrations, and the mapping of SQLite errors.
//!
//! The schema version is SQLite's `user_version` header field. `MIGRATIONS[i]` takes a file from
//! version `i` to `i + 1`; all pending migrations and the new version are applied in one
//! transaction, so a crash part-way leaves the file at its old version, never in between.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::StoreError;

/// The schema, one entry per version step. Append only: a released entry never changes.
const MIGRATIONS: &[&str] = &[
    // Version 1: keys and aliases, each record stored whole as JSON.
    "CREATE TABLE keys (
         account  TEXT NOT NULL,
         region   TEXT NOT NULL,
         key_id   TEXT NOT NULL,
         version  INTEGER NOT NULL,
         next_due INTEGER,
         record   TEXT NOT NULL,
         PRIMARY KEY (account, region, key_id)
     );
     CREATE INDEX keys_by_next_due ON keys (next_due) WHERE next_due IS NOT NULL;
     CREATE TABLE aliases (
         account       TEXT NOT NULL,
         region        TEXT NOT NULL,
         name          TEXT NOT NULL,
         target_key_id TEXT NOT NULL,
         record        TEXT NOT NULL,
         PRIMARY KEY (account, region, name)
     );
     CREATE INDEX aliases_by_target ON aliases (account, region, target_key_id, name);",
    // Version 2: the replication outbox, written in the transaction of the change it carries.
    "CREATE TABLE outbox (
         seq           INTEGER PRIMARY KEY AUTOINCREMENT,
         account       TEXT NOT NULL,
         key_id        TEXT NOT NULL,
         target_region TEXT NOT NULL,
         payload       TEXT NOT NULL
     );
     CREATE INDEX outbox_by_key ON outbox (account, key_id);",
    // Version 3: grants, in the namespace of their key; listed by key, name and retiring
    // principal.
    "CREATE TABLE grants (
         account            TEXT NOT NULL,
         region             TEXT NOT NULL,
         key_id             TEXT NOT NULL,
         grant_id           TEXT NOT NULL,
         name               TEXT,
         grantee_principal  TEXT NOT NULL,
         retiring_principal TEXT,
         record             TEXT NOT NULL,
         PRIMARY KEY (account, region, key_id, grant_id)
     );
     CREATE INDEX grants_by_name ON grants (account, region, key_id, name)
         WHERE name IS NOT NULL;
     CREATE INDEX grants_by_retiring ON grants (region, retiring_principal, account, key_id, grant_id)
         WHERE retiring_principal IS NOT NULL;",
    // Version 4: the outbox read per target region, so that entries for an unreachable
    // region never hold back those of another.
    "CREATE INDEX outbox_by_target ON outbox (target_region, seq);",
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a connection waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating if needed) the one connection that writes, in WAL mode with full sync, and
/// brings the schema up to date.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    // Open or create the file.
    let mut conn = Connection::open(path).map_err(|e| backend("opening the database", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| backend("setting the busy timeout", e))?;

    // WAL lets readers run beside the writer; FULL syncs the log at every commit, so an
    // acknowledged write survives a crash of the process or of the machine.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| backend("enabling WAL", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "journal mode is {mode}, WAL was refused"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| backend("setting synchronous=FULL", e))?;

    // Create or migrate the schema.
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a connection that only reads, to a file the writer has already set up.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    // Open without creating: the writer made the file and its schema.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| backend("opening a read connection", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| backend("setting the busy timeout", e))?;

    // Refuse writes on this connection, so that no write can bypass the group commit.
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| backend("setting query_only", e))?;
    Ok(conn)
}

/// Applies every migration the file has not had yet, in one transaction.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    // Lock the file so that two processes cannot migrate it at once.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Exclusive)
        .map_err(|e| backend("starting the migration", e))?;
    let current: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| backend("reading the schema version", e))?;

    // A file written by a newer build may hold what this build cannot read.
    if !(0..=SCHEMA_VERSION).contains(&current) {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is not supported (this build knows up to \
             {SCHEMA_VERSION})"
        )));
    }
    if current == SCHEMA_VERSION {
        return Ok(());
    }

    // Apply the missing steps and record the new version with them (`current` is in range,
    // checked above, so the cast is exact).
    for step in MIGRATIONS.iter().skip(current as usize) {
        tx.execute_batch(step)
            .map_err(|e| backend("applying a schema migration", e))?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|e| backend("writing the schema version", e))?;
    tx.commit()
        .map_err(|e| backend("committing the migration", e))?;
    tracing::info!(
        from = current,
        to = SCHEMA_VERSION,
        "migrated the SQLite schema"
    );
    Ok(())
}

/// A `Backend` error for a failed SQLite call, saying what was being done.
pub(crate) fn backend(context: &str, error: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("{context}: {}", detail(&error)))
}

/// A description of a rusqlite error that is safe to log.
///
/// Records hold sealed key material and policies, so the text never includes a bound value:
/// SQLite's own messages name tables and columns only, and conversion failures (the one kind
/// of rusqlite error that could quote a value) are reduced to their kind.
pub(crate) fn detail(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => match message {
            Some(message) => format!("{message} ({:?}, code {})", code.code, code.extended_code),
            None => format!("{:?}, code {}", code.code, code.extended_code),
        },
        rusqlite::Error::FromSqlConversionFailure(column, kind, _) => {
            format!("column {column} could not be read as {kind}")
        }
        rusqlite::Error::ToSqlConversionFailure(_) => "a value could not be bound".to_string(),
        other => other.to_string(),
    }
}

/// A `Backend` error for a stored record that does not decode. The serde message is left out
/// because it may quote part of the record; its category and position are enough to debug.
pub(crate) fn undecodable(what: &str, error: &serde_json::Error) -> StoreError {
    StoreError::Backend(format!(
        "a stored {what} record does not decode ({:?} error at line {}, column {})",
        error.classify(),
        error.line(),
        error.column()
    ))
}

/// A `Backend` error for a record that does not encode (it cannot happen with the model's
/// types, which serialize infallibly, but the error is reported rather than assumed away).
pub(crate) fn unencodable(what: &str, error: &serde_json::Error) -> StoreError {
    StoreError::Backend(format!(
        "a {what} record does not encode ({:?} error)",
        error.classify()
    ))
}
