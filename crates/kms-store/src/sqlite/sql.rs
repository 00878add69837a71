//! The SQL of every store operation, as blocking functions of a connection.
//!
//! Writes run on the writer thread inside a savepoint (see the writer module); reads run on a
//! pooled read connection. Records arrive here already encoded as JSON, with their indexed
//! columns beside them, so the writer thread spends its time on SQL only.

use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension};

use kms_model::{AliasRecord, KeyRecord, Timestamp};

use super::schema::{backend, undecodable, unencodable};
use crate::{OutboxEntry, Outboxed};
use crate::{Page, StoreError};

/// A key record encoded for its row.
pub(crate) struct KeyRow {
    /// The owning account.
    pub(crate) account: String,
    /// The region.
    pub(crate) region: String,
    /// The key ID.
    pub(crate) key_id: String,
    /// The version the row is written with (also inside `record`).
    pub(crate) version: i64,
    /// `KeyRecord::next_due()` in milliseconds, the scheduler's index.
    pub(crate) next_due: Option<i64>,
    /// The record as JSON.
    pub(crate) record: String,
}

impl KeyRow {
    /// Encodes `key` to be written with version `version`.
    pub(crate) fn encode(key: &KeyRecord, version: u64) -> Result<KeyRow, StoreError> {
        // The record inside the row carries the same version as the column.
        let record = if key.version == version {
            serde_json::to_string(key)
        } else {
            serde_json::to_string(&KeyRecord {
                version,
                ..key.clone()
            })
        };
        Ok(KeyRow {
            account: key.account.clone(),
            region: key.region.clone(),
            key_id: key.key_id.clone(),
            version: to_column(version)?,
            next_due: key.next_due().map(Timestamp::millis),
            record: record.map_err(|e| unencodable("key", &e))?,
        })
    }
}

/// An alias record encoded for its row.
pub(crate) struct AliasRow {
    /// The owning account.
    pub(crate) account: String,
    /// The region.
    pub(crate) region: String,
    /// The alias name, `alias/...`.
    pub(crate) name: String,
    /// The key the alias points at.
    pub(crate) target_key_id: String,
    /// The record as JSON.
    pub(crate) record: String,
}

impl AliasRow {
    /// Encodes `alias` for its row.
    pub(crate) fn encode(alias: &AliasRecord) -> Result<AliasRow, StoreError> {
        Ok(AliasRow {
            account: alias.account.clone(),
            region: alias.region.clone(),
            name: alias.name.clone(),
            target_key_id: alias.target_key_id.clone(),
            record: serde_json::to_string(alias).map_err(|e| unencodable("alias", &e))?,
        })
    }
}

/// A version as stored in its INTEGER column.
pub(crate) fn to_column(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::Backend("key version out of range".into()))
}

/// A row limit that fetches one row past `limit`, to learn whether the listing goes on.
fn limit_plus_one(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Splits the rows fetched with `limit_plus_one` into a page.
fn page<T>(mut items: Vec<T>, limit: usize) -> Page<T> {
    let truncated = items.len() > limit;
    items.truncate(limit);
    Page { items, truncated }
}

/// Inserts a key row; `AlreadyExists` if its identity is taken.
pub(crate) fn insert_key(conn: &Connection, row: &KeyRow) -> Result<(), StoreError> {
    let sql = "INSERT INTO keys (account, region, key_id, version, next_due, record)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
    let inserted = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.execute(params![
                row.account,
                row.region,
                row.key_id,
                row.version,
                row.next_due,
                row.record
            ])
        })
        .map_err(|e| backend("inserting a key", e))?;
    match inserted {
        0 => Err(StoreError::AlreadyExists),
        _ => Ok(()),
    }
}

/// Replaces a key row whose stored version is `expected`; returns the version written.
pub(crate) fn replace_key(
    conn: &Connection,
    row: &KeyRow,
    expected: i64,
) -> Result<u64, StoreError> {
    // Compare and swap in one statement.
    let sql = "UPDATE keys SET version = ?4, next_due = ?5, record = ?6
               WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND version = ?7";
    let updated = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.execute(params![
                row.account,
                row.region,
                row.key_id,
                row.version,
                row.next_due,
                row.record,
                expected
            ])
        })
        .map_err(|e| backend("updating a key", e))?;
    if updated == 1 {
        return u64::try_from(row.version).map_err(|_| StoreError::Backend("bad version".into()));
    }

    // Nothing matched: either the key is gone or its version moved on.
    let exists = conn
        .prepare_cached("SELECT 1 FROM keys WHERE account = ?1 AND region = ?2 AND key_id = ?3")
        .and_then(|mut stmt| stmt.exists(params![row.account, row.region, row.key_id]))
        .map_err(|e| backend("checking a key", e))?;
    Err(if exists {
        StoreError::Conflict
    } else {
        StoreError::NotFound
    })
}

/// Deletes a key row, the aliases that point at it and its grants; returns whether the key
/// existed.
pub(crate) fn remove_key(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
) -> Result<bool, StoreError> {
    // Aliases and grants first, then the key; the caller's savepoint makes it atomic.
    super::grants::remove_key_grants(conn, account, region, key_id)?;
    conn.prepare_cached(
        "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND target_key_id = ?3",
    )
    .and_then(|mut stmt| stmt.execute(params![account, region, key_id]))
    .map_err(|e| backend("deleting the aliases of a key", e))?;
    let deleted = conn
        .prepare_cached("DELETE FROM keys WHERE account = ?1 AND region = ?2 AND key_id = ?3")
        .and_then(|mut stmt| stmt.execute(params![account, region, key_id]))
        .map_err(|e| backend("deleting a key", e))?;
    Ok(deleted > 0)
}

/// The key with this identity, with `version` set from its column.
pub(crate) fn select_key(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
) -> Result<Option<KeyRecord>, StoreError> {
    let sql = "SELECT version, record FROM keys WHERE account = ?1 AND region = ?2 AND key_id = ?3";
    let row = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_row(params![account, region, key_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .optional()
        })
        .map_err(|e| backend("reading a key", e))?;
    row.map(|(version, record)| decode_key(version, &record))
        .transpose()
}

/// Decodes a key row, taking the version from its column.
fn decode_key(version: i64, record: &str) -> Result<KeyRecord, StoreError> {
    let mut key: KeyRecord = serde_json::from_str(record).map_err(|e| undecodable("key", &e))?;
    key.version = u64::try_from(version)
        .map_err(|_| StoreError::Backend("a stored key version is negative".into()))?;
    Ok(key)
}

/// Key IDs of a namespace after `after`, in order, one page of at most `limit`.
pub(crate) fn select_key_ids(
    conn: &Connection,
    account: &str,
    region: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<String>, StoreError> {
    // The primary key orders the namespace by key ID, so each page is one index range scan.
    let fetch = limit_plus_one(limit);
    let mut sql = String::from("SELECT key_id FROM keys WHERE account = ? AND region = ?");
    let mut args: Vec<&dyn ToSql> = vec![&account, &region];
    if let Some(after) = &after {
        sql.push_str(" AND key_id > ?");
        args.push(after);
    }
    sql.push_str(" ORDER BY key_id LIMIT ?");
    args.push(&fetch);

    let ids = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(args.as_slice(), |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| backend("listing keys", e))?;
    Ok(page(ids, limit))
}

/// Keys of every namespace due at or before `now`, earliest first, at most `limit`.
pub(crate) fn select_due(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<KeyRecord>, StoreError> {
    // The partial index on next_due holds only keys that are due at some point.
    let sql = "SELECT version, record FROM keys
               WHERE next_due IS NOT NULL AND next_due <= ?1 ORDER BY next_due LIMIT ?2";
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_map(params![now.millis(), fetch], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| backend("listing due keys", e))?;
    rows.iter()
        .map(|(version, record)| decode_key(*version, record))
        .collect()
}

/// Inserts an alias row; `AlreadyExists` if the name is taken in its namespace.
pub(crate) fn insert_alias(conn: &Connection, row: &AliasRow) -> Result<(), StoreError> {
    let sql = "INSERT INTO aliases (account, region, name, target_key_id, record)
               VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";
    let inserted = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.execute(params![
                row.account,
                row.region,
                row.name,
                row.target_key_id,
                row.record
            ])
        })
        .map_err(|e| backend("inserting an alias", e))?;
    match inserted {
        0 => Err(StoreError::AlreadyExists),
        _ => Ok(()),
    }
}

/// Replaces an existing alias row; `NotFound` if there is none.
pub(crate) fn replace_alias(conn: &Connection, row: &AliasRow) -> Result<(), StoreError> {
    let sql = "UPDATE aliases SET target_key_id = ?4, record = ?5
               WHERE account = ?1 AND region = ?2 AND name = ?3";
    let updated = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.execute(params![
                row.account,
                row.region,
                row.name,
                row.target_key_id,
                row.record
            ])
        })
        .map_err(|e| backend("updating an alias", e))?;
    match updated {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Deletes an alias row; returns whether it existed.
pub(crate) fn remove_alias(
    conn: &Connection,
    account: &str,
    region: &str,
    name: &str,
) -> Result<bool, StoreError> {
    let deleted = conn
        .prepare_cached("DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3")
        .and_then(|mut stmt| stmt.execute(params![account, region, name]))
        .map_err(|e| backend("deleting an alias", e))?;
    Ok(deleted > 0)
}

/// The alias with this name in this namespace.
pub(crate) fn select_alias(
    conn: &Connection,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Option<AliasRecord>, StoreError> {
    let sql = "SELECT record FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3";
    let record = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_row(params![account, region, name], |r| r.get::<_, String>(0))
                .optional()
        })
        .map_err(|e| backend("reading an alias", e))?;
    record.map(|record| decode_alias(&record)).transpose()
}

/// Decodes an alias row.
fn decode_alias(record: &str) -> Result<AliasRecord, StoreError> {
    serde_json::from_str(record).map_err(|e| undecodable("alias", &e))
}

/// Aliases of a namespace in name order, optionally only those of one key, one page.
pub(crate) fn select_aliases(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<AliasRecord>, StoreError> {
    // Both filters are index prefixes: the primary key, or (account, region, target, name).
    let fetch = limit_plus_one(limit);
    let mut sql = String::from("SELECT record FROM aliases WHERE account = ? AND region = ?");
    let mut args: Vec<&dyn ToSql> = vec![&account, &region];
    if let Some(key_id) = &key_id {
        sql.push_str(" AND target_key_id = ?");
        args.push(key_id);
    }
    if let Some(after) = &after {
        sql.push_str(" AND name > ?");
        args.push(after);
    }
    sql.push_str(" ORDER BY name LIMIT ?");
    args.push(&fetch);

    let records = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(args.as_slice(), |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| backend("listing aliases", e))?;
    let records = page(records, limit);
    let items = records
        .items
        .iter()
        .map(|r| decode_alias(r))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        truncated: records.truncated,
    })
}

/// Appends entries to the replication outbox.
pub(crate) fn insert_outbox(conn: &Connection, entries: &[OutboxEntry]) -> Result<(), StoreError> {
    let sql =
        "INSERT INTO outbox (account, key_id, target_region, payload) VALUES (?1, ?2, ?3, ?4)";
    for e in entries {
        conn.prepare_cached(sql)
            .and_then(|mut stmt| {
                stmt.execute(params![e.account, e.key_id, e.target_region, e.payload])
            })
            .map_err(|err| backend("appending to the outbox", err))?;
    }
    Ok(())
}

/// The oldest outbox entries of each target region, at most `limit` per region, in sequence
/// order.
pub(crate) fn select_outbox(conn: &Connection, limit: usize) -> Result<Vec<Outboxed>, StoreError> {
    let sql = "SELECT seq, account, key_id, target_region, payload FROM (
                   SELECT seq, account, key_id, target_region, payload,
                          ROW_NUMBER() OVER (PARTITION BY target_region ORDER BY seq) AS nth
                   FROM outbox
               ) WHERE nth <= ?1 ORDER BY seq";
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_map(params![fetch], |r| {
                Ok(Outboxed {
                    seq: r.get(0)?,
                    entry: OutboxEntry {
                        account: r.get(1)?,
                        key_id: r.get(2)?,
                        target_region: r.get(3)?,
                        payload: r.get(4)?,
                    },
                })
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| backend("reading the outbox", e))
}

/// Removes a delivered outbox entry.
pub(crate) fn remove_outbox(conn: &Connection, seq: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM outbox WHERE seq = ?1")
        .and_then(|mut stmt| stmt.execute(params![seq]))
        .map_err(|e| backend("removing an outbox entry", e))?;
    Ok(())
}

/// Whether undelivered entries of a key remain.
pub(crate) fn outbox_has_key(
    conn: &Connection,
    account: &str,
    key_id: &str,
) -> Result<bool, StoreError> {
    conn.prepare_cached("SELECT 1 FROM outbox WHERE account = ?1 AND key_id = ?2")
        .and_then(|mut stmt| stmt.exists(params![account, key_id]))
        .map_err(|e| backend("reading the outbox", e))
}
