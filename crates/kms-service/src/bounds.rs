//! Transient states are bounded (ARCHITECTURE.md "Multi-Region keys and replication"): while a
//! target region cannot be reached, no key waits for it longer than the topology's transient
//! timeout.
//!
//! Three waits are bounded, each by the snapshot it waits for:
//! - a replica announced by ReplicateKey is Creating until the snapshot that creates it arrives;
//!   past the bound it leaves the set again;
//! - an old primary is Updating until the handover to the new primary's region arrives; past the
//!   bound it takes the primary role back in a new epoch, so the handover no longer applies;
//! - an AWS_KMS multi-Region primary keeps new material pending until every replica holds it
//!   (SPEC B20); past the bound the rotation is abandoned and the old material stays current.
//!
//! The bound counts from the first pass that could not deliver the entry (it failed, or waited
//! behind one that did). The count lives in memory, so it starts over when the process restarts.
//! Each rollback is an ordinary change at the source: a newer snapshot goes to every region of
//! the set, so a copy that took the dropped entry (its answer was lost, or it arrived late)
//! converges once that snapshot arrives, and the dropped entry, if it arrives after that, is
//! older by (epoch, version) and changes nothing.
//!
//! An entry for a region that is no longer in the key's set at the region that wrote it (for
//! example one queued behind a create entry that the bound gave up) is moot, whatever it
//! carries. Nothing waits for it, yet it would be retried for ever and keep the key in flight,
//! so that a rotation waiting for the rest of the set would never become current. It is dropped
//! when its turn comes, before any attempt to deliver it, and what waited only for it settles:
//! such a rotation becomes current, as every replica still in the set holds its material.
//! Dropping it loses nothing: a region added to the set again gets a create entry, written
//! later, with the whole shared state. A handover names its target as the new primary and is
//! never moot.

use kms_model::shapes::*;
use kms_model::{KeyRecord, KmsError};
use kms_store::Outboxed;

use crate::replication::{settle_after, Entry, Shared};
use crate::write::{store_error, update_internal};
use crate::{peers, rotation, Service};

/// What a snapshot that cannot be delivered keeps waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// The old primary, Updating until the handover arrives.
    Handover,
    /// A replica announced in the target region, Creating until it exists there.
    Create,
    /// New AWS_KMS material at the primary, pending until every replica holds it.
    Rotation,
}

/// What `entry`, for `target`, keeps waiting, if anything, and the region it was written by.
fn wait_of<'a>(entry: &'a Entry, target: &str) -> Option<(Wait, &'a str)> {
    let Entry::Snapshot {
        source_region,
        shared,
        create,
        ..
    } = entry
    else {
        return None;
    };
    if *source_region != shared.primary_region && shared.primary_region == target {
        return Some((Wait::Handover, source_region));
    }
    if create.is_some() {
        return Some((Wait::Create, source_region));
    }
    if *source_region == shared.primary_region && carries_pending_rotation(shared) {
        return Some((Wait::Rotation, source_region));
    }
    None
}

/// Whether a snapshot carries AWS_KMS material that waits for every replica before it becomes
/// current (imported material pending rotation waits for the caller instead, SPEC A43).
fn carries_pending_rotation(shared: &Shared) -> bool {
    shared.origin == OriginType::AwsKms
        && shared
            .materials
            .iter()
            .any(|m| m.state == KeyMaterialState::PendingRotation)
}

/// After a pass could not deliver `p` (`why`, for the log): once a transient state has waited
/// for it past the bound, rolls the change back at its source and drops the entry.
pub(crate) async fn bound_transient(
    svc: &Service,
    p: &Outboxed,
    entry: &Entry,
    why: &str,
) -> Result<(), KmsError> {
    // Step 1: only the snapshots a transient state waits for, and only past the bound.
    let target = &p.entry.target_region;
    let Some((wait, source_region)) = wait_of(entry, target) else {
        return Ok(());
    };
    let limit = svc.peers.topology().transient_timeout();
    let failing = svc.peers.failing_for(p.seq, svc.clock.now());
    if failing < i64::try_from(limit.as_millis()).unwrap_or(i64::MAX) {
        return Ok(());
    }

    // Step 2: roll the change back at its source. The source may have moved on already (the
    // rotation was abandoned for an earlier entry, or the primary moved): a newer snapshot then
    // follows this entry, which is superseded.
    let (account, key_id) = (&p.entry.account, &p.entry.key_id);
    let mut rolled_back = false;
    update_internal(svc, account, source_region, key_id, |rec, now| {
        rolled_back = match wait {
            Wait::Handover => take_back_primary(rec, target),
            Wait::Create => abandon_replica(rec, target),
            Wait::Rotation => rotation::abandon_replicated(rec, now),
        };
        rolled_back.then(Vec::new)
    })
    .await?;

    // Step 3: drop the entry, saying which of the two it was.
    if rolled_back {
        tracing::warn!(key_id = %key_id, region = %target, seq = p.seq, wait = ?wait,
            reason = why, "a replication kept a key in a transient state too long; rolled it back");
    } else {
        tracing::info!(key_id = %key_id, region = %target, seq = p.seq, wait = ?wait,
            reason = why, "dropped an undelivered outbox entry as superseded; nothing was left \
            to roll back at its source");
    }
    peers::drop_entry(svc, p.seq).await?;

    // Step 4: what waited only for this entry may finish now (a rotation that waited for a
    // replica that was never created).
    settle_after(svc, account, key_id, target, entry).await
}

/// Before `p` is delivered: drops it if it is moot (see [`moot`]) and lets what waited for it
/// finish. Answers whether it was dropped.
pub(crate) async fn drop_if_moot(
    svc: &Service,
    p: &Outboxed,
    entry: &Entry,
) -> Result<bool, KmsError> {
    // Step 1: the key as the region that wrote the entry holds it now.
    let (account, key_id, target) = (&p.entry.account, &p.entry.key_id, &p.entry.target_region);
    let source = peers::source_region(entry);
    let record = svc
        .store
        .get_key(account, source, key_id)
        .await
        .map_err(store_error)?;
    if !moot(record.as_ref(), entry, target) {
        return Ok(false);
    }

    // Step 2: drop it; what waited only for it may finish (a pending rotation).
    tracing::info!(key_id = %key_id, region = %target, seq = p.seq,
        "dropped an outbox entry for a region no longer in the key's set");
    peers::drop_entry(svc, p.seq).await?;
    settle_after(svc, account, key_id, target, entry).await?;
    Ok(true)
}

/// Whether `entry` for `target` is moot given `source`, the key where the entry was written:
/// `target` is neither its primary nor one of its replicas any more. A handover is never moot,
/// nor an entry whose source key is gone (a deleted replica telling the rest of the set).
fn moot(source: Option<&KeyRecord>, entry: &Entry, target: &str) -> bool {
    if let Entry::Snapshot { shared, .. } = entry {
        if shared.primary_region == target {
            return false;
        }
    }
    let Some(mr) = source.and_then(|r| r.multi_region.as_ref()) else {
        return false;
    };
    !mr.regions().any(|r| r == target)
}

/// At the old primary: the handover to `target` did not arrive; this region is the primary
/// again, in a new epoch, with the state it had before. Answers whether anything changed.
fn take_back_primary(record: &mut KeyRecord, target: &str) -> bool {
    let own = record.region.clone();
    let Some(mr) = record.multi_region.as_mut() else {
        return false;
    };
    if mr.primary_region != target || record.state != KeyState::Updating {
        return false;
    }
    mr.replica_regions.retain(|r| *r != own);
    mr.replica_regions.push(target.to_string());
    mr.replica_regions.sort();
    mr.primary_region = own;
    mr.epoch += 1;
    record.state = mr.state_before_update.take().unwrap_or(KeyState::Enabled);
    true
}

/// At the primary: the replica announced in `target` was never created; it leaves the set, and
/// imported material that waited only for it may rotate in. Answers whether anything changed.
fn abandon_replica(record: &mut KeyRecord, target: &str) -> bool {
    let Some(mr) = record.multi_region.as_mut() else {
        return false;
    };
    let before = mr.replica_regions.len();
    mr.replica_regions.retain(|r| r != target);
    if mr.replica_regions.len() == before {
        return false;
    }
    let ready: Vec<String> = mr
        .imported_by
        .iter()
        .filter(|(_, by)| mr.replica_regions.iter().all(|r| by.contains(r)))
        .map(|(id, _)| id.clone())
        .collect();
    for id in &ready {
        mr.imported_by.remove(id);
    }
    for m in record.materials.iter_mut() {
        let waits_for_none = m.state == KeyMaterialState::PendingMultiRegionImportAndRotation
            && (ready.contains(&m.id) || mr.replica_regions.is_empty());
        if waits_for_none {
            m.state = KeyMaterialState::PendingRotation;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use kms_model::MultiRegion;

    use super::*;

    /// The key as us-east-1 holds it: primary `primary`, replicas `replicas`.
    fn key(primary: &str, replicas: &[&str]) -> KeyRecord {
        let mut record = kms_store::conformance::key_record(
            "111122223333",
            "us-east-1",
            "mrk-00000000000000000000000000000000",
        );
        record.multi_region = Some(MultiRegion {
            primary_region: primary.into(),
            replica_regions: replicas.iter().map(|r| r.to_string()).collect(),
            shared_version: 3,
            epoch: 1,
            imported_by: Default::default(),
            state_before_update: None,
        });
        record
    }

    /// A snapshot written by us-east-1 naming `primary` as the primary.
    fn snapshot(primary: &str) -> Entry {
        Entry::Snapshot {
            source_region: "us-east-1".into(),
            version: 3,
            shared: Shared {
                primary_region: primary.into(),
                replica_regions: vec!["eu-west-1".into()],
                epoch: 1,
                key_spec: KeySpec::SymmetricDefault,
                key_usage: KeyUsageType::EncryptDecrypt,
                origin: OriginType::AwsKms,
                rotation_enabled: true,
                rotation_period_days: Some(90),
                next_rotation: None,
                materials: Vec::new(),
            },
            create: None,
        }
    }

    #[test]
    fn an_entry_for_a_region_out_of_the_set_is_moot_whatever_it_carries() {
        let left = key("us-east-1", &["us-west-2"]);
        assert!(moot(Some(&left), &snapshot("us-east-1"), "eu-west-1"));
        let imported = Entry::Imported {
            region: "us-east-1".into(),
            material_id: "m".into(),
        };
        assert!(moot(Some(&left), &imported, "eu-west-1"));
    }

    #[test]
    fn an_entry_for_the_primary_or_a_replica_added_again_is_wanted() {
        let again = key("us-east-1", &["eu-west-1", "us-west-2"]);
        assert!(!moot(Some(&again), &snapshot("us-east-1"), "eu-west-1"));
        let replica = key("eu-west-1", &["us-east-1"]);
        let imported = Entry::Imported {
            region: "us-east-1".into(),
            material_id: "m".into(),
        };
        assert!(!moot(Some(&replica), &imported, "eu-west-1"));
    }

    #[test]
    fn a_handover_is_never_moot() {
        // Whatever the source holds now (it may have taken the primary role back), a snapshot
        // naming its target as the primary is not dropped by this rule.
        let taken_back = key("us-east-1", &["us-west-2"]);
        assert!(!moot(
            Some(&taken_back),
            &snapshot("eu-west-1"),
            "eu-west-1"
        ));
        assert!(!moot(None, &snapshot("eu-west-1"), "eu-west-1"));
    }

    #[test]
    fn an_entry_whose_source_key_is_gone_is_kept() {
        let deleted = Entry::ReplicaDeleted {
            region: "us-east-1".into(),
        };
        assert!(!moot(None, &deleted, "eu-west-1"));
        assert!(!moot(None, &snapshot("us-east-1"), "eu-west-1"));
    }
}
