//! Grants in SQLite: their rows, their SQL, and the copy of every grant kept in memory.
//!
//! Authorization asks for the grants of a key on every use of the key, so a read of the file
//! there would put a database read on the cryptographic path. The store therefore loads every
//! grant when it opens and keeps the copy current from the writer thread, in commit order,
//! before a write is acknowledged: the copy never lags an acknowledged write.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock};

use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension};

use super::schema::{backend, undecodable, unencodable};
use crate::{GrantCursor, GrantRecord, Page, StoreError};

/// How many locks the in-memory copy is split over.
const SHARDS: usize = 64;

/// A grant record encoded for its row.
pub(crate) struct GrantRow {
    /// The record, to answer the copy in memory once the row has committed.
    pub(crate) grant: GrantRecord,
    /// The record as JSON.
    pub(crate) record: String,
}

impl GrantRow {
    /// Encodes `grant` for its row.
    pub(crate) fn encode(grant: &GrantRecord) -> Result<GrantRow, StoreError> {
        Ok(GrantRow {
            grant: grant.clone(),
            record: serde_json::to_string(grant).map_err(|e| unencodable("grant", &e))?,
        })
    }
}

/// Inserts a grant row; `AlreadyExists` if its grant ID is taken on its key.
pub(crate) fn insert_grant(conn: &Connection, row: &GrantRow) -> Result<(), StoreError> {
    let g = &row.grant;
    let sql = "INSERT INTO grants (account, region, key_id, grant_id, name, grantee_principal,
                                   retiring_principal, record)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING";
    let inserted = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.execute(params![
                g.account,
                g.region,
                g.key_id,
                g.grant_id,
                g.name,
                g.grantee_principal,
                g.retiring_principal,
                row.record
            ])
        })
        .map_err(|e| backend("inserting a grant", e))?;
    match inserted {
        0 => Err(StoreError::AlreadyExists),
        _ => Ok(()),
    }
}

/// Deletes a grant row; returns whether it existed.
pub(crate) fn remove_grant(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
    grant_id: &str,
) -> Result<bool, StoreError> {
    let sql = "DELETE FROM grants
               WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND grant_id = ?4";
    let deleted = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params![account, region, key_id, grant_id]))
        .map_err(|e| backend("deleting a grant", e))?;
    Ok(deleted > 0)
}

/// Deletes every grant of a key (the key is being deleted).
pub(crate) fn remove_key_grants(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3")
        .and_then(|mut stmt| stmt.execute(params![account, region, key_id]))
        .map_err(|e| backend("deleting the grants of a key", e))?;
    Ok(())
}

/// Decodes a grant row.
fn decode(record: &str) -> Result<GrantRecord, StoreError> {
    serde_json::from_str(record).map_err(|e| undecodable("grant", &e))
}

/// Runs a query of `record` columns and decodes every row.
fn query_records(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    what: &str,
) -> Result<Vec<GrantRecord>, StoreError> {
    let records = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_map(args, |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| backend(what, e))?;
    records.iter().map(|r| decode(r)).collect()
}

/// The grant with this ID on this key.
pub(crate) fn select_grant(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
    grant_id: &str,
) -> Result<Option<GrantRecord>, StoreError> {
    let sql = "SELECT record FROM grants
               WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND grant_id = ?4";
    let record = conn
        .prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_row(params![account, region, key_id, grant_id], |r| {
                r.get::<_, String>(0)
            })
            .optional()
        })
        .map_err(|e| backend("reading a grant", e))?;
    record.map(|r| decode(&r)).transpose()
}

/// The grants of a key with this name, in grant ID order.
pub(crate) fn select_by_name(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
    name: &str,
) -> Result<Vec<GrantRecord>, StoreError> {
    let sql = "SELECT record FROM grants
               WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND name = ?4
               ORDER BY grant_id";
    let args: [&dyn ToSql; 4] = [&account, &region, &key_id, &name];
    query_records(conn, sql, &args, "finding grants by name")
}

/// The filters and page of a listing of one key's grants.
pub(crate) struct KeyListing<'a> {
    /// Only the grant with this ID.
    pub(crate) grant_id: Option<&'a str>,
    /// Only the grants of this grantee.
    pub(crate) grantee: Option<&'a str>,
    /// The grant ID after which the page starts.
    pub(crate) after: Option<&'a str>,
    /// The most grants the page holds.
    pub(crate) limit: usize,
}

/// One page of a key's grants, in grant ID order.
pub(crate) fn select_key_grants(
    conn: &Connection,
    account: &str,
    region: &str,
    key_id: &str,
    listing: &KeyListing<'_>,
) -> Result<Page<GrantRecord>, StoreError> {
    // The primary key orders a key's grants by grant ID: each page is one range scan.
    let fetch = limit_plus_one(listing.limit);
    let mut sql =
        String::from("SELECT record FROM grants WHERE account = ? AND region = ? AND key_id = ?");
    let mut args: Vec<&dyn ToSql> = vec![&account, &region, &key_id];
    if let Some(grant_id) = &listing.grant_id {
        sql.push_str(" AND grant_id = ?");
        args.push(grant_id);
    }
    if let Some(grantee) = &listing.grantee {
        sql.push_str(" AND grantee_principal = ?");
        args.push(grantee);
    }
    if let Some(after) = &listing.after {
        sql.push_str(" AND grant_id > ?");
        args.push(after);
    }
    sql.push_str(" ORDER BY grant_id LIMIT ?");
    args.push(&fetch);
    let items = query_records(conn, &sql, &args, "listing grants")?;
    Ok(page(items, listing.limit))
}

/// One page of the grants of a region that a principal may retire.
pub(crate) fn select_retirable(
    conn: &Connection,
    region: &str,
    retiring_principal: &str,
    after: Option<GrantCursor<'_>>,
    limit: usize,
) -> Result<Page<GrantRecord>, StoreError> {
    // The partial index holds (region, principal, account, key, grant) in order.
    let fetch = limit_plus_one(limit);
    let mut sql =
        String::from("SELECT record FROM grants WHERE region = ? AND retiring_principal = ?");
    let mut args: Vec<&dyn ToSql> = vec![&region, &retiring_principal];
    if let Some((account, key_id, grant_id)) = &after {
        sql.push_str(" AND (account, key_id, grant_id) > (?, ?, ?)");
        args.extend([account as &dyn ToSql, key_id, grant_id]);
    }
    sql.push_str(" ORDER BY account, key_id, grant_id LIMIT ?");
    args.push(&fetch);
    let items = query_records(conn, &sql, &args, "listing retirable grants")?;
    Ok(page(items, limit))
}

/// Every grant of the file, to fill the copy in memory when the store opens.
pub(crate) fn select_all(conn: &Connection) -> Result<Vec<GrantRecord>, StoreError> {
    let sql = "SELECT record FROM grants ORDER BY account, region, key_id, grant_id";
    query_records(conn, sql, &[], "loading the grants")
}

/// A row limit that fetches one row past `limit`, to learn whether the listing goes on.
fn limit_plus_one(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Splits the rows fetched with `limit_plus_one` into a page.
fn page(mut items: Vec<GrantRecord>, limit: usize) -> Page<GrantRecord> {
    let truncated = items.len() > limit;
    items.truncate(limit);
    Page { items, truncated }
}

/// The grants of one key, as the copy in memory holds them.
struct KeyGrants {
    account: String,
    region: String,
    /// In grant ID order; never empty (a key without grants has no entry).
    grants: Arc<[GrantRecord]>,
}

/// Every grant of the store in memory, by key, sharded by key ID.
pub(crate) struct GrantMirror {
    shards: Vec<RwLock<HashMap<String, Vec<KeyGrants>>>>,
    hasher: RandomState,
}

impl GrantMirror {
    /// A copy holding `grants`.
    pub(crate) fn new(grants: Vec<GrantRecord>) -> GrantMirror {
        let mirror = GrantMirror {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
        };
        for grant in grants {
            mirror.insert(&grant);
        }
        mirror
    }

    fn shard(&self, key_id: &str) -> &RwLock<HashMap<String, Vec<KeyGrants>>> {
        let index = (self.hasher.hash_one(key_id) as usize) % SHARDS;
        &self.shards[index]
    }

    /// The grants of a key, `None` when it has none.
    pub(crate) fn of_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Option<Arc<[GrantRecord]>> {
        // A panic while a lock was held leaves the map itself whole, so poisoning is ignored.
        let map = self
            .shard(key_id)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(key_id)?
            .iter()
            .find(|k| k.account == account && k.region == region)
            .map(|k| Arc::clone(&k.grants))
    }

    /// Replaces the grants of a key with what `change` makes of them.
    fn update(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        change: impl FnOnce(&mut Vec<GrantRecord>),
    ) {
        let mut map = self
            .shard(key_id)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let entries = map.entry(key_id.to_string()).or_default();
        let position = entries
            .iter()
            .position(|k| k.account == account && k.region == region);
        let mut grants = position
            .map(|i| entries[i].grants.to_vec())
            .unwrap_or_default();
        change(&mut grants);
        match (position, grants.is_empty()) {
            (Some(i), true) => {
                entries.swap_remove(i);
            }
            (Some(i), false) => entries[i].grants = grants.into(),
            (None, true) => {}
            (None, false) => entries.push(KeyGrants {
                account: account.to_string(),
                region: region.to_string(),
                grants: grants.into(),
            }),
        }
        if entries.is_empty() {
            map.remove(key_id);
        }
    }

    /// Adds a committed grant.
    pub(crate) fn insert(&self, grant: &GrantRecord) {
        self.update(&grant.account, &grant.region, &grant.key_id, |grants| {
            let at = grants.partition_point(|g| g.grant_id < grant.grant_id);
            if grants.get(at).is_none_or(|g| g.grant_id != grant.grant_id) {
                grants.insert(at, grant.clone());
            }
        });
    }

    /// Forgets a deleted grant.
    pub(crate) fn remove(&self, account: &str, region: &str, key_id: &str, grant_id: &str) {
        self.update(account, region, key_id, |grants| {
            grants.retain(|g| g.grant_id != grant_id)
        });
    }

    /// Forgets every grant of a deleted key.
    pub(crate) fn remove_key(&self, account: &str, region: &str, key_id: &str) {
        self.update(account, region, key_id, Vec::clear);
    }
}
