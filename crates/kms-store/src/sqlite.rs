//! The embedded SQLite backend: one file in the data folder, durable on every acknowledged write.
//!
//! The file runs in WAL mode with `synchronous=FULL`. Writes go through a group commit (one
//! writer thread, many writes per transaction and per sync) so that concurrent callers reach
//! thousands of writes per second; reads use a small pool of their own connections and never
//! wait for the writer. Each record is stored whole as JSON beside the columns that index it.
//! Grants are also kept in memory (loaded at open, updated as their writes commit), so that
//! [`Store::grants_of_key`] reads no file.

mod grants;
mod readers;
mod schema;
mod sql;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use kms_model::{AliasRecord, KeyRecord, Timestamp};

use self::grants::{GrantMirror, GrantRow, KeyListing};
use self::readers::ReadPool;
use self::sql::{AliasRow, KeyRow};
use self::writer::Writer;
use crate::{GrantCursor, GrantRecord, OutboxEntry, Outboxed, Page, Store, StoreError};

pub use self::schema::SCHEMA_VERSION;

/// The most read connections a store keeps open.
const MAX_READERS: usize = 8;

/// A [`Store`] in one SQLite file.
pub struct SqliteStore {
    /// The group-commit writer, owner of the only connection that writes.
    writer: Writer,
    /// Connections for reads.
    readers: Arc<ReadPool>,
    /// Every grant, in memory.
    grants: Arc<GrantMirror>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and its schema if needed (the folder
    /// must exist). Fails if the file's schema is newer than this build.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        // The writer connection creates the file, sets WAL and migrates the schema; the
        // grants are loaded before any write can change them.
        let conn = schema::open_writer(path)?;
        let grants = Arc::new(GrantMirror::new(grants::select_all(&conn)?));

        // Readers open only once the file is set up.
        let cpus = std::thread::available_parallelism().map_or(4, |n| n.get());
        let readers = ReadPool::new(path.to_path_buf(), cpus.clamp(2, MAX_READERS))?;

        let writer = Writer::start(conn)?;
        tracing::info!(path = %path.display(), schema = SCHEMA_VERSION, "opened the SQLite store");
        Ok(SqliteStore {
            writer,
            readers,
            grants,
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        self.create_key_with_outbox(key, Vec::new()).await
    }

    async fn create_key_with_outbox(
        &self,
        key: &KeyRecord,
        outbox: Vec<OutboxEntry>,
    ) -> Result<(), StoreError> {
        let row = KeyRow::encode(key, key.version)?;
        self.writer
            .submit(move |conn| {
                sql::insert_key(conn, &row)?;
                sql::insert_outbox(conn, &outbox)
            })
            .await
    }

    async fn get_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let (account, region, key_id) = owned(account, region, key_id);
        self.readers
            .run(move |conn| sql::select_key(conn, &account, &region, &key_id))
            .await
    }

    async fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError> {
        self.update_key_with_outbox(key, Vec::new()).await
    }

    async fn update_key_with_outbox(
        &self,
        key: &KeyRecord,
        outbox: Vec<OutboxEntry>,
    ) -> Result<u64, StoreError> {
        // The row carries the next version; the statement matches on the expected one.
        let next = key
            .version
            .checked_add(1)
            .ok_or_else(|| StoreError::Backend("key version out of range".into()))?;
        let expected = sql::to_column(key.version)?;
        let row = KeyRow::encode(key, next)?;
        self.writer
            .submit(move |conn| {
                let version = sql::replace_key(conn, &row, expected)?;
                sql::insert_outbox(conn, &outbox)?;
                Ok(version)
            })
            .await
    }

    async fn outbox_pending(&self, limit: usize) -> Result<Vec<Outboxed>, StoreError> {
        self.readers
            .run(move |conn| sql::select_outbox(conn, limit))
            .await
    }

    async fn outbox_remove(&self, seq: i64) -> Result<(), StoreError> {
        self.writer
            .submit(move |conn| sql::remove_outbox(conn, seq))
            .await
    }

    async fn outbox_has_key(&self, account: &str, key_id: &str) -> Result<bool, StoreError> {
        let (account, key_id) = (account.to_owned(), key_id.to_owned());
        self.readers
            .run(move |conn| sql::outbox_has_key(conn, &account, &key_id))
            .await
    }

    async fn delete_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Result<bool, StoreError> {
        self.delete_key_with_outbox(account, region, key_id, Vec::new())
            .await
    }

    async fn delete_key_with_outbox(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        outbox: Vec<OutboxEntry>,
    ) -> Result<bool, StoreError> {
        let (account, region, key_id) = owned(account, region, key_id);
        let (mirror, forget) = (Arc::clone(&self.grants), owned(&account, &region, &key_id));
        self.writer
            .submit_then(
                move |conn| {
                    let existed = sql::remove_key(conn, &account, &region, &key_id)?;
                    if existed {
                        sql::insert_outbox(conn, &outbox)?;
                    }
                    Ok(existed)
                },
                move |_| mirror.remove_key(&forget.0, &forget.1, &forget.2),
            )
            .await
    }

    async fn list_keys(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>, StoreError> {
        let (account, region) = (account.to_owned(), region.to_owned());
        let after = after.map(str::to_owned);
        self.readers
            .run(move |conn| sql::select_key_ids(conn, &account, &region, after.as_deref(), limit))
            .await
    }

    async fn keys_due(&self, now: Timestamp, limit: usize) -> Result<Vec<KeyRecord>, StoreError> {
        self.readers
            .run(move |conn| sql::select_due(conn, now, limit))
            .await
    }

    async fn create_alias(&self, alias: &AliasRecord) -> Result<(), StoreError> {
        let row = AliasRow::encode(alias)?;
        self.writer
            .submit(move |conn| sql::insert_alias(conn, &row))
            .await
    }

    async fn get_alias(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Option<AliasRecord>, StoreError> {
        let (account, region, name) = owned(account, region, name);
        self.readers
            .run(move |conn| sql::select_alias(conn, &account, &region, &name))
            .await
    }

    async fn update_alias(&self, alias: &AliasRecord) -> Result<(), StoreError> {
        let row = AliasRow::encode(alias)?;
        self.writer
            .submit(move |conn| sql::replace_alias(conn, &row))
            .await
    }

    async fn delete_alias(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let (account, region, name) = owned(account, region, name);
        self.writer
            .submit(move |conn| sql::remove_alias(conn, &account, &region, &name))
            .await
    }

    async fn list_aliases(
        &self,
        account: &str,
        region: &str,
        key_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<AliasRecord>, StoreError> {
        let (account, region) = (account.to_owned(), region.to_owned());
        let (key_id, after) = (key_id.map(str::to_owned), after.map(str::to_owned));
        self.readers
            .run(move |conn| {
                let (key_id, after) = (key_id.as_deref(), after.as_deref());
                sql::select_aliases(conn, &account, &region, key_id, after, limit)
            })
            .await
    }

    async fn create_grant(&self, grant: &GrantRecord) -> Result<(), StoreError> {
        let row = GrantRow::encode(grant)?;
        let mirror = Arc::clone(&self.grants);
        let committed = row.grant.clone();
        self.writer
            .submit_then(
                move |conn| grants::insert_grant(conn, &row),
                move |()| mirror.insert(&committed),
            )
            .await
    }

    async fn get_grant(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        grant_id: &str,
    ) -> Result<Option<GrantRecord>, StoreError> {
        let (account, region, key_id) = owned(account, region, key_id);
        let grant_id = grant_id.to_owned();
        self.readers
            .run(move |conn| grants::select_grant(conn, &account, &region, &key_id, &grant_id))
            .await
    }

    async fn find_grants_by_name(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        name: &str,
    ) -> Result<Vec<GrantRecord>, StoreError> {
        let (account, region, key_id) = owned(account, region, key_id);
        let name = name.to_owned();
        self.readers
            .run(move |conn| grants::select_by_name(conn, &account, &region, &key_id, &name))
            .await
    }

    async fn list_grants(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        grant_id: Option<&str>,
        grantee: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<GrantRecord>, StoreError> {
        let (account, region, key_id) = owned(account, region, key_id);
        let (grant_id, grantee) = (grant_id.map(str::to_owned), grantee.map(str::to_owned));
        let after = after.map(str::to_owned);
        self.readers
            .run(move |conn| {
                let listing = KeyListing {
                    grant_id: grant_id.as_deref(),
                    grantee: grantee.as_deref(),
                    after: after.as_deref(),
                    limit,
                };
                grants::select_key_grants(conn, &account, &region, &key_id, &listing)
            })
            .await
    }

    async fn list_retirable_grants(
        &self,
        region: &str,
        retiring_principal: &str,
        after: Option<GrantCursor<'_>>,
        limit: usize,
    ) -> Result<Page<GrantRecord>, StoreError> {
        let (region, principal) = (region.to_owned(), retiring_principal.to_owned());
        let after = after.map(|(a, k, g)| owned(a, k, g));
        self.readers
            .run(move |conn| {
                let after = after
                    .as_ref()
                    .map(|(a, k, g)| (a.as_str(), k.as_str(), g.as_str()));
                grants::select_retirable(conn, &region, &principal, after, limit)
            })
            .await
    }

    async fn delete_grant(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        grant_id: &str,
    ) -> Result<bool, StoreError> {
        let (account, region, key_id) = owned(account, region, key_id);
        let grant_id = grant_id.to_owned();
        let mirror = Arc::clone(&self.grants);
        let forget = (owned(&account, &region, &key_id), grant_id.clone());
        self.writer
            .submit_then(
                move |conn| grants::remove_grant(conn, &account, &region, &key_id, &grant_id),
                move |_| {
                    let ((account, region, key_id), grant_id) = forget;
                    mirror.remove(&account, &region, &key_id, &grant_id);
                },
            )
            .await
    }

    fn grants_of_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Option<Arc<[GrantRecord]>> {
        self.grants.of_key(account, region, key_id)
    }
}

/// Owned copies of an identity, to move onto the writer or a blocking thread.
fn owned(account: &str, region: &str, name: &str) -> (String, String, String) {
    (account.to_owned(), region.to_owned(), name.to_owned())
}
