//! The one write path for key records: read, check the key-state table, change, and
//! compare-and-swap; for a multi-Region primary, the replication of its shared properties is
//! written in the same transaction.

use kms_model::{key_state, KeyRecord, KmsError, Operation, Timestamp};
use kms_store::{OutboxEntry, StoreError};

use crate::authz::Ctx;
use crate::replication;
use crate::resolve::{key_not_found, load_record, KeyLocation};
use crate::Service;

/// How often a write is retried when another write to the same key won the race (only
/// another node writing the same key can win it: this node's writes to one key queue).
const MAX_ATTEMPTS: usize = 16;

/// How many locks the writes of this node are spread over, by key.
const WRITE_LOCKS: usize = 256;

/// Writes of this node to one key queue behind each other instead of racing (and retrying):
/// a hot key under concurrent TagResource calls costs waits, never ConflictException.
pub(crate) struct WriteLocks {
    locks: Vec<tokio::sync::Mutex<()>>,
    hasher: std::hash::RandomState,
}

impl WriteLocks {
    /// One lock per shard of keys.
    pub fn new() -> WriteLocks {
        WriteLocks {
            locks: (0..WRITE_LOCKS)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// The lock of a key.
    pub async fn lock(
        &self,
        account: &str,
        region: &str,
        key_id: &str,
    ) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::BuildHasher;
        let index = (self.hasher.hash_one((account, region, key_id)) as usize) % WRITE_LOCKS;
        self.locks[index].lock().await
    }
}

/// A store failure as the client sees it: an internal error, with the detail logged.
pub(crate) fn store_error(err: StoreError) -> KmsError {
    tracing::warn!(error = %err, "store call failed");
    KmsError::internal()
}

/// What a change sends to other regions besides the snapshot of shared properties.
#[derive(Default)]
pub(crate) struct Outbound {
    /// Entries to append as they are.
    pub extra: Vec<OutboxEntry>,
    /// New replicas: the snapshot to their region creates them with these properties.
    pub creates: Vec<(String, replication::Create)>,
}

/// Writes `record` (read at `record.version`, shared properties `before` as they were read)
/// with the `outbound` entries. A primary whose shared properties changed bumps their version
/// and sends a snapshot to every replica in the same transaction. Replaces the cache entry.
pub(crate) async fn commit(
    svc: &Service,
    record: &mut KeyRecord,
    before: Option<replication::Shared>,
    outbound: Outbound,
) -> Result<(), StoreError> {
    // Step 1: what must reach the other regions.
    let mut extra = outbound.extra;
    if let Some(mut entries) = replication::broadcast_if_changed(record, before, &outbound.creates)
    {
        extra.append(&mut entries);
    }

    // Step 2: one transaction for the change and its outbox.
    let notify = !extra.is_empty();
    record.version = svc.store.update_key_with_outbox(record, extra).await?;
    svc.cache.put(record);
    if notify {
        svc.replication_wakeup.notify_one();
    }
    Ok(())
}

/// Loads the key at `loc`, checks that `op` may run in its state, applies `change`, and writes
/// the record back with a compare-and-swap on its version, retrying when a concurrent write
/// got there first. The cache entry of the key is replaced by the written record.
pub(crate) async fn update_key<T>(
    svc: &Service,
    caller: &Ctx<'_>,
    loc: &KeyLocation,
    op: Operation,
    mut change: impl FnMut(&mut KeyRecord, Timestamp) -> Result<T, KmsError>,
) -> Result<(T, KeyRecord), KmsError> {
    update_key_with(svc, caller, loc, op, |record, now, _| change(record, now)).await
}

/// [`update_key`] for a change that also sends entries to other regions.
pub(crate) async fn update_key_with<T>(
    svc: &Service,
    caller: &Ctx<'_>,
    loc: &KeyLocation,
    op: Operation,
    mut change: impl FnMut(&mut KeyRecord, Timestamp, &mut Outbound) -> Result<T, KmsError>,
) -> Result<(T, KeyRecord), KmsError> {
    let _queued = svc
        .write_locks
        .lock(&loc.account, &loc.region, &loc.key_id)
        .await;
    for _ in 0..MAX_ATTEMPTS {
        // Step 1: read the record and consult the key-state table.
        let mut record = load_record(svc, caller, loc).await?;
        key_state::check(op, &record)?;
        let before = replication::shared(&record);

        // Step 2: change it.
        let mut outbound = Outbound::default();
        let out = change(&mut record, svc.clock.now(), &mut outbound)?;

        // Step 3: write it if nobody else did in between; otherwise start again.
        match commit(svc, &mut record, before, outbound).await {
            Ok(()) => return Ok((out, record)),
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NotFound) => return Err(key_not_found(caller, loc)),
            Err(e) => return Err(store_error(e)),
        }
    }
    Err(gave_up(&loc.key_id))
}

/// Like [`update_key`], for the service's own changes (scheduler, replication): no caller, no
/// key-state check. `change` answers whether it changed anything and which outbox entries go
/// with it; a key that does not exist is `Ok(None)`.
pub(crate) async fn update_internal(
    svc: &Service,
    account: &str,
    region: &str,
    key_id: &str,
    mut change: impl FnMut(&mut KeyRecord, Timestamp) -> Option<Vec<OutboxEntry>>,
) -> Result<Option<KeyRecord>, KmsError> {
    let _queued = svc.write_locks.lock(account, region, key_id).await;
    for _ in 0..MAX_ATTEMPTS {
        let Some(mut record) = svc
            .store
            .get_key(account, region, key_id)
            .await
            .map_err(store_error)?
        else {
            return Ok(None);
        };
        let before = replication::shared(&record);
        let Some(extra) = change(&mut record, svc.clock.now()) else {
            return Ok(Some(record));
        };
        let outbound = Outbound {
            extra,
            creates: Vec::new(),
        };
        match commit(svc, &mut record, before, outbound).await {
            Ok(()) => return Ok(Some(record)),
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(store_error(e)),
        }
    }
    Err(gave_up(key_id))
}

fn gave_up(key_id: &str) -> KmsError {
    tracing::warn!(key_id, "gave up a key write after repeated conflicts");
    KmsError::new(
        kms_model::ErrorCode::ConflictException,
        "The key is being modified concurrently; retry the request.",
    )
}
