//! What time makes due: keys whose deletion date has passed are deleted with their aliases,
//! automatic rotations happen, and last-use records reach the store (ARCHITECTURE.md "Time").
//!
//! Idempotent and catching up: a server that was down applies everything that came due at its
//! next tick, and the cryptographic path checks the deletion date itself, so a late scheduler
//! never lets a deleted key be used.

use std::sync::Arc;
use std::time::Duration;

use kms_model::{KeyRecord, KmsError, LastUsage, Timestamp};
use kms_store::StoreError;

use crate::rotation::rotate_if_due;
use crate::write::{commit, store_error, Outbound};
use crate::{replication, Service};

/// How many due keys one pass takes from the store.
const BATCH: usize = 256;

/// How many last-use records one pass writes at most.
const FLUSH_BATCH: usize = 500;

/// How often the background task ticks.
const TICK: Duration = Duration::from_secs(1);

/// Ticks for ever: catch up at once, then every second.
pub(crate) async fn run_forever(svc: Arc<Service>) {
    loop {
        // Replication has its own worker; this task does what time makes due.
        let pass = async {
            run_due(&svc).await?;
            flush_last_usage(&svc).await
        };
        if let Err(e) = pass.await {
            tracing::warn!(error = %e, "scheduler tick failed");
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Applies every deletion and rotation that is due at the clock's current time.
pub(crate) async fn run_due(svc: &Service) -> Result<(), KmsError> {
    let now = svc.clock.now();
    loop {
        // Step 1: the next batch of due keys.
        let due = svc.store.keys_due(now, BATCH).await.map_err(store_error)?;
        let full = due.len() == BATCH;

        // Step 2: apply each; a key that changed meanwhile is simply re-read next pass.
        let mut progressed = false;
        for record in due {
            progressed |= apply(svc, record, now).await?;
        }
        if !full || !progressed {
            return Ok(());
        }
    }
}

/// Applies what is due for one key; answers whether anything changed.
async fn apply(svc: &Service, mut record: KeyRecord, now: Timestamp) -> Result<bool, KmsError> {
    // A deletion date that has passed: the key and its aliases go (SPEC D20, D25).
    if record.deletion_date.is_some_and(|d| d <= now) {
        return delete(svc, &record).await.map(|_| true);
    }
    // Imported material past its ValidTo, and an automatic rotation that is due.
    let before = replication::shared(&record);
    let expired = crate::import::expire_materials(&mut record, now);
    let rotated = rotate_if_due(svc, &mut record, now);
    if !expired && !rotated {
        return Ok(false);
    }

    // A rotation is a change of shared properties: a multi-Region primary sends it to its
    // replicas in the same write (SPEC B20). Expiry is each region's own (SPEC B17).
    let written = if rotated {
        commit(svc, &mut record, before, Outbound::default()).await
    } else {
        write_own(svc, &mut record).await
    };
    match written {
        Ok(()) => {
            tracing::info!(key_id = %record.key_id, expired, rotated, "applied due key changes");
            Ok(true)
        }
        Err(StoreError::Conflict | StoreError::NotFound) => Ok(false),
        Err(e) => Err(store_error(e)),
    }
}

/// Writes a change that no other region sees, and replaces the cache entry.
async fn write_own(svc: &Service, record: &mut KeyRecord) -> Result<(), StoreError> {
    record.version = svc.store.update_key(record).await?;
    svc.cache.put(record);
    Ok(())
}

/// Deletes a key whose waiting period is over, with its aliases.
async fn delete(svc: &Service, record: &KeyRecord) -> Result<(), KmsError> {
    let (account, region) = (record.account.as_str(), record.region.as_str());
    let aliases = svc
        .store
        .list_aliases(account, region, Some(&record.key_id), None, usize::MAX / 2)
        .await
        .map_err(store_error)?;
    // A replica's deletion reaches the rest of its set in the same transaction.
    let outbox = crate::multi_region::replica_deleted_entries(record);
    let notify = !outbox.is_empty();
    svc.store
        .delete_key_with_outbox(account, region, &record.key_id, outbox)
        .await
        .map_err(store_error)?;
    if notify {
        svc.replication_wakeup.notify_one();
    }
    for alias in aliases.items {
        svc.aliases.remove(account, region, &alias.name);
    }
    svc.cache.remove(account, region, &record.key_id);
    tracing::info!(key_id = %record.key_id, "deleted key at the end of its waiting period");
    Ok(())
}

/// Writes the last cryptographic use of every key used since the previous flush.
pub(crate) async fn flush_last_usage(svc: &Service) -> Result<(), KmsError> {
    // At most so many a pass: a burst of first uses (a million keys warming up) becomes a
    // bounded trickle of writes instead of a storm.
    for dirty in svc.cache.take_dirty(FLUSH_BATCH) {
        let (at, op) = dirty.take();
        for _ in 0..4 {
            let Some(mut record) = svc
                .store
                .get_key(&dirty.account, &dirty.region, &dirty.key_id)
                .await
                .map_err(store_error)?
            else {
                break;
            };
            if record
                .last_usage
                .as_ref()
                .is_some_and(|u| u.timestamp >= at)
            {
                break;
            }
            record.last_usage = Some(LastUsage {
                timestamp: at,
                operation: op.as_str().to_string(),
            });
            let before = record.version;
            match svc.store.update_key(&record).await {
                Ok(version) => {
                    record.version = version;
                    svc.cache.flushed(&record, before);
                    break;
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => break,
                Err(e) => return Err(store_error(e)),
            }
        }
    }
    Ok(())
}
