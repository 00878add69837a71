//! The one write path for key records: read, check the key-state table, change, compare-and-swap.

use kms_model::{key_state, Caller, KeyRecord, KmsError, Operation, Timestamp};
use kms_store::StoreError;

use crate::resolve::{key_not_found, load_record, KeyLocation};
use crate::Service;

/// How often a write is retried when another write to the same key won the race.
const MAX_ATTEMPTS: usize = 16;

/// A store failure as the client sees it: an internal error, with the detail logged.
pub(crate) fn store_error(err: StoreError) -> KmsError {
    tracing::warn!(error = %err, "store call failed");
    KmsError::internal()
}

/// Loads the key at `loc`, checks that `op` may run in its state, applies `change`, and writes
/// the record back with a compare-and-swap on its version, retrying when a concurrent write
/// got there first. The cache entry of the key is replaced by the written record.
pub(crate) async fn update_key<T>(
    svc: &Service,
    caller: &Caller,
    loc: &KeyLocation,
    op: Operation,
    mut change: impl FnMut(&mut KeyRecord, Timestamp) -> Result<T, KmsError>,
) -> Result<(T, KeyRecord), KmsError> {
    for _ in 0..MAX_ATTEMPTS {
        // Step 1: read the record and consult the key-state table.
        let mut record = load_record(svc, caller, loc).await?;
        key_state::check(op, &record)?;

        // Step 2: change it.
        let out = change(&mut record, svc.clock.now())?;

        // Step 3: write it if nobody else did in between; otherwise start again.
        match svc.store.update_key(&record).await {
            Ok(version) => {
                record.version = version;
                svc.cache.put(&record);
                return Ok((out, record));
            }
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NotFound) => return Err(key_not_found(caller, loc)),
            Err(e) => return Err(store_error(e)),
        }
    }
    tracing::warn!(key_id = %loc.key_id, "gave up a key write after repeated conflicts");
    Err(KmsError::new(
        kms_model::ErrorCode::ConflictException,
        "The key is being modified concurrently; retry the request.",
    ))
}
