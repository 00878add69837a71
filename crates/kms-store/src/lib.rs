//! The storage layer of kmsd: the [`Store`] trait the service writes through, and its backends.
//!
//! The service never sees SQL. A key is one record (see `kms_model::KeyRecord`) written whole,
//! with optimistic concurrency on its `version`; aliases and grants are records of their own
//! (grants are also kept in memory, see [`Store::grants_of_key`]). Every write
//! that returns `Ok` is durable: it survives `kill -9` of the process at any moment.
//!
//! Backends: [`sqlite::SqliteStore`] (the embedded default). The [`conformance`] suite runs
//! against every backend.

use std::sync::Arc;

use async_trait::async_trait;
use kms_model::shapes::{GrantConstraints, GrantOperation};
use kms_model::{AliasRecord, KeyRecord, Timestamp};
use serde::{Deserialize, Serialize};

pub mod conformance;
pub mod sqlite;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with this identity already exists (key ID, or alias name).
    #[error("record already exists")]
    AlreadyExists,
    /// The record to update or delete does not exist.
    #[error("record not found")]
    NotFound,
    /// The record was changed since it was read: its stored version is not the expected one.
    #[error("record was modified concurrently")]
    Conflict,
    /// The backend failed (I/O, corruption, a bug); the detail is for the log only.
    #[error("storage backend failure: {0}")]
    Backend(String),
}

/// One page of a listing, ordered by the listing's key.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Whether more items follow the last one of this page.
    pub truncated: bool,
}

/// A change to deliver to another region's copy of a multi-Region key: written in the same
/// transaction as the change it carries, removed once applied (ARCHITECTURE.md "Multi-Region
/// keys and replication"). The payload is the service's; the store keeps it opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The account of the key.
    pub account: String,
    /// The (shared) key ID of the multi-Region key.
    pub key_id: String,
    /// The region the entry must be applied in.
    pub target_region: String,
    /// The entry, serialized by the service.
    pub payload: String,
}

/// An outbox entry with its position in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outboxed {
    /// The entry's sequence number: entries are delivered in this order.
    pub seq: i64,
    /// The entry.
    pub entry: OutboxEntry,
}

/// A grant: permission for a grantee principal to use one key (AWS "Grants in AWS KMS",
/// <https://docs.aws.amazon.com/kms/latest/developerguide/grants.html>). It lives in the
/// namespace of its key: (account, region, key ID), then its grant ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// The account that owns the key.
    pub account: String,
    /// The region of the key (a grant never covers another region's related key).
    pub region: String,
    /// The key ID.
    pub key_id: String,
    /// The grant ID, unique within the key.
    pub grant_id: String,
    /// The friendly name given at creation, if any.
    pub name: Option<String>,
    /// When the grant was created.
    pub creation_date: Timestamp,
    /// The principal the grant gives its operations to.
    pub grantee_principal: String,
    /// The principal that may retire the grant, if any.
    pub retiring_principal: Option<String>,
    /// The ARN of the account root whose principal created the grant.
    pub issuing_account: String,
    /// The operations the grant allows.
    pub operations: Vec<GrantOperation>,
    /// The encryption context constraints, if any.
    pub constraints: Option<GrantConstraints>,
}

/// Where a listing of retirable grants resumes: the (account, key ID, grant ID) of the last
/// grant of the previous page.
pub type GrantCursor<'a> = (&'a str, &'a str, &'a str);

/// Durable storage of keys and aliases, namespaced by (account, region).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Inserts a new key. `AlreadyExists` if (account, region, key_id) is taken.
    /// The stored version is `key.version` as given (normally 0).
    async fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError>;

    /// [`Store::create_key`] with outbox entries appended in the same transaction.
    async fn create_key_with_outbox(
        &self,
        key: &KeyRecord,
        outbox: Vec<OutboxEntry>,
    ) -> Result<(), StoreError>;

    /// [`Store::update_key`] with outbox entries appended in the same transaction.
    async fn update_key_with_outbox(
        &self,
        key: &KeyRecord,
        outbox: Vec<OutboxEntry>,
    ) -> Result<u64, StoreError>;

    /// [`Store::delete_key`] with outbox entries appended in the same transaction.
    async fn delete_key_with_outbox(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        outbox: Vec<OutboxEntry>,
    ) -> Result<bool, StoreError>;

    /// The oldest undelivered outbox entries of each target region, at most `limit` per
    /// region, in sequence order: a region whose entries cannot be delivered never hides the
    /// entries of another.
    async fn outbox_pending(&self, limit: usize) -> Result<Vec<Outboxed>, StoreError>;

    /// Removes an outbox entry once it has been applied.
    async fn outbox_remove(&self, seq: i64) -> Result<(), StoreError>;

    /// Whether undelivered outbox entries of this key remain.
    async fn outbox_has_key(&self, account: &str, key_id: &str) -> Result<bool, StoreError>;

    /// The key with this ID in this account and region, if any.
    async fn get_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KeyRecord>, StoreError>;

    /// Replaces a key read earlier. `key.version` must be the stored version (else `Conflict`;
    /// `NotFound` if the key is gone); the store writes it with version + 1 and returns that.
    async fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError>;

    /// Deletes a key and every alias that points at it, and its grants, in one transaction.
    /// Returns whether the key existed.
    async fn delete_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Result<bool, StoreError>;

    /// Key IDs of an account and region in ascending order, those after `after` (exclusive),
    /// at most `limit`. Cost does not grow with the number of keys before `after`.
    async fn list_keys(
        &self,
        account: &str,
        region: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<String>, StoreError>;

    /// Keys of every namespace whose `KeyRecord::next_due()` is at or before `now`, at most
    /// `limit`, earliest first: what the scheduler must act on.
    async fn keys_due(&self, now: Timestamp, limit: usize) -> Result<Vec<KeyRecord>, StoreError>;

    /// Inserts an alias. `AlreadyExists` if (account, region, name) is taken.
    async fn create_alias(&self, alias: &AliasRecord) -> Result<(), StoreError>;

    /// The alias with this name (`alias/...`) in this account and region, if any.
    async fn get_alias(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Option<AliasRecord>, StoreError>;

    /// Replaces an existing alias (same account, region and name). `NotFound` if absent.
    async fn update_alias(&self, alias: &AliasRecord) -> Result<(), StoreError>;

    /// Deletes an alias. Returns whether it existed.
    async fn delete_alias(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<bool, StoreError>;

    /// Aliases of an account and region in ascending name order, only those pointing at
    /// `key_id` when given, those after `after` (exclusive), at most `limit`.
    async fn list_aliases(
        &self,
        account: &str,
        region: &str,
        key_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<AliasRecord>, StoreError>;

    /// Inserts a grant. `AlreadyExists` if its grant ID is taken on its key.
    async fn create_grant(&self, grant: &GrantRecord) -> Result<(), StoreError>;

    /// The grant with this ID on this key, if any.
    async fn get_grant(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        grant_id: &str,
    ) -> Result<Option<GrantRecord>, StoreError>;

    /// The grants of a key that have this name (CreateGrant's idempotency), in grant ID order.
    async fn find_grants_by_name(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        name: &str,
    ) -> Result<Vec<GrantRecord>, StoreError>;

    /// Grants of a key in ascending grant ID order, only the one with `grant_id` and only
    /// those of `grantee` when given, those after `after` (exclusive), at most `limit`.
    #[allow(clippy::too_many_arguments, reason = "a key, two filters and a page")]
    async fn list_grants(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        grant_id: Option<&str>,
        grantee: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<GrantRecord>, StoreError>;

    /// Grants of every key of `region` (whatever its account) whose retiring principal is
    /// `retiring_principal`, ordered by (account, key ID, grant ID), those after `after`
    /// (exclusive), at most `limit`.
    async fn list_retirable_grants(
        &self,
        region: &str,
        retiring_principal: &str,
        after: Option<GrantCursor<'_>>,
        limit: usize,
    ) -> Result<Page<GrantRecord>, StoreError>;

    /// Deletes a grant. Returns whether it existed.
    async fn delete_grant(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
        grant_id: &str,
    ) -> Result<bool, StoreError>;

    /// Every grant of a key in grant ID order, `None` when it has none; answered from memory,
    /// with no I/O, so that authorization on the cryptographic path reads no database. It
    /// reflects every write acknowledged so far (a created or deleted grant, a deleted key).
    fn grants_of_key(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> Option<Arc<[GrantRecord]>>;
}
