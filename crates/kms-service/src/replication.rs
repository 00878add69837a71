//! Replication of multi-Region keys: the outbox entries, their delivery, and their idempotent
//! application in the target region (ARCHITECTURE.md "Multi-Region keys and replication").
//!
//! The primary holds the shared properties (SPEC B16) with a version and an epoch. Every write
//! that changes them appends, in the same transaction, a snapshot entry for every other region
//! of the set; a worker delivers the entries in order and removes each once it is applied.
//! Applying is idempotent: a snapshot that is not newer, by (epoch, version), changes nothing,
//! and the primary is fenced: a copy accepts shared properties only from the primary of the
//! current epoch, or as a handover from the primary it knew (see `accepts`).
//!
//! An entry for a region this deployment hosts is applied here; one for a region a peer hosts
//! is sent to that peer (see `peers`) and removed only once the peer has applied it. Entries of
//! one target keep their order; a target that fails waits, with backoff, without holding up the
//! others. A transient state is bounded: an announced replica that cannot be created, a
//! handover of the primary that cannot be delivered, or a rotation that cannot reach every
//! replica, is rolled back after the topology's transient timeout, and an entry for a region
//! that has left the key's set is dropped (see `bounds`).
//!
//! Material of AWS_KMS keys travels sealed under the root key with an owner that does not name
//! the region, so the same blob opens in every region of this deployment; to a peer it travels
//! encrypted to the peer's public key instead.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use kms_model::shapes::*;
use kms_model::{
    Blob, ImportSettings, KeyRecord, KmsError, MaterialVersion, MultiRegion, RotationSettings,
    Timestamp,
};
use kms_store::{OutboxEntry, Outboxed};

use crate::peers::{self, Route};
use crate::write::{store_error, update_internal};
use crate::{bounds, Service};

/// How many entries one delivery pass takes.
const BATCH: usize = 256;

/// The shared properties of a multi-Region key (SPEC B16), as every copy holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Shared {
    pub primary_region: String,
    pub replica_regions: Vec<String>,
    pub epoch: u64,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsageType,
    pub origin: OriginType,
    pub rotation_enabled: bool,
    pub rotation_period_days: Option<i64>,
    pub next_rotation: Option<Timestamp>,
    pub materials: Vec<SharedMaterial>,
}

/// One material version as shared: its ID and state; the bytes only for AWS_KMS material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SharedMaterial {
    pub id: String,
    pub sealed: Option<Blob>,
    pub state: KeyMaterialState,
    pub rotation_date: Option<Timestamp>,
    pub rotation_type: Option<RotationType>,
}

/// What a new replica starts with besides the shared properties: its own independent ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Create {
    pub description: String,
    pub policy: String,
    pub tags: Vec<Tag>,
    pub creation_date: Timestamp,
}

/// One outbox entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Entry {
    /// The primary's shared properties at `version`; creates the replica when `create` is set.
    Snapshot {
        source_region: String,
        version: u64,
        shared: Shared,
        create: Option<Create>,
    },
    /// A replica has imported material that waits for every replica (to the primary).
    Imported { region: String, material_id: String },
    /// A replica was deleted (to the primary and the other replicas).
    ReplicaDeleted { region: String },
}

/// The shared properties of a multi-Region key; `None` for a single-Region key.
pub(crate) fn shared(record: &KeyRecord) -> Option<Shared> {
    let mr = record.multi_region.as_ref()?;
    let external = record.origin == OriginType::External;
    Some(Shared {
        primary_region: mr.primary_region.clone(),
        replica_regions: mr.replica_regions.clone(),
        epoch: mr.epoch,
        key_spec: record.key_spec,
        key_usage: record.key_usage,
        origin: record.origin,
        rotation_enabled: record.rotation.enabled,
        rotation_period_days: record.rotation.period_days,
        next_rotation: record.rotation.next_rotation,
        materials: record
            .materials
            .iter()
            .map(|m| SharedMaterial {
                id: m.id.clone(),
                sealed: (!external).then(|| m.sealed.clone()),
                state: m.state,
                rotation_date: m.rotation_date,
                rotation_type: m.rotation_type,
            })
            .collect(),
    })
}

/// The outbox entry of `entry` for `target`.
pub(crate) fn entry_for(record: &KeyRecord, target: &str, entry: &Entry) -> OutboxEntry {
    OutboxEntry {
        account: record.account.clone(),
        key_id: record.key_id.clone(),
        target_region: target.to_string(),
        // An enum of plain data always serializes.
        payload: serde_json::to_string(entry).unwrap_or_default(),
    }
}

/// A snapshot of `record`'s shared properties for every other region of its set, when it is
/// (or was, before this change) the primary and they changed; bumps the shared version.
pub(crate) fn broadcast_if_changed(
    record: &mut KeyRecord,
    before: Option<Shared>,
    creates: &[(String, Create)],
) -> Option<Vec<OutboxEntry>> {
    let was_primary = before
        .as_ref()
        .is_some_and(|b| b.primary_region == record.region);
    if !(was_primary || record.is_mrk_primary()) {
        return None;
    }
    let now = shared(record)?;
    if before.as_ref() == Some(&now) {
        return None;
    }
    let mr = record.multi_region.as_mut()?;
    mr.shared_version += 1;
    let version = mr.shared_version;
    let targets: Vec<String> = mr
        .regions()
        .filter(|r| *r != record.region)
        .map(str::to_string)
        .collect();
    let entries = targets.iter().map(|target| {
        let create = creates
            .iter()
            .find(|(r, _)| r == target)
            .map(|(_, c)| c.clone());
        let entry = Entry::Snapshot {
            source_region: record.region.clone(),
            version,
            shared: now.clone(),
            create,
        };
        entry_for(record, target, &entry)
    });
    Some(entries.collect())
}

/// Delivers every pending entry: applied here when this deployment hosts its target region,
/// sent to the peer that hosts it otherwise. Answers how many were delivered.
///
/// Entries of one target region are delivered in order (the store hands out the oldest BATCH of
/// each region, so one region's backlog never hides another's); when one fails (an unreachable peer, a
/// store error) the later entries of that target wait for the next pass, while the other
/// targets go on. An entry that keeps a key Creating, Updating or with a rotation pending is
/// given up, and the change rolled back, once it has failed, or waited behind a failed entry,
/// for longer than the topology's transient timeout; one for a region no longer in the key's
/// set is dropped without an attempt (see `bounds`).
pub(crate) async fn deliver(svc: &Service) -> Result<usize, KmsError> {
    let pending = svc.store.outbox_pending(BATCH).await.map_err(store_error)?;
    let mut blocked: HashSet<String> = HashSet::new();
    let mut delivered = 0;
    for p in pending {
        // Step 1: decode; an entry no build of kmsd could read is dropped, loudly.
        let entry: Entry = match serde_json::from_str(&p.entry.payload) {
            Ok(entry) => entry,
            Err(e) => {
                tracing::error!(seq = p.seq, error = %e, "dropping an unreadable outbox entry");
                svc.store.outbox_remove(p.seq).await.map_err(store_error)?;
                continue;
            }
        };

        // Step 2: an entry for a region that has left the key's set is dropped, not delivered.
        if bounds::drop_if_moot(svc, &p, &entry).await? {
            continue;
        }

        // Step 3: keep the order of each target: nothing passes a blocked entry of its target.
        // An entry waiting behind one cannot be delivered either, so its wait is bounded too.
        let target = p.entry.target_region.clone();
        if blocked.contains(&target) {
            bounds::bound_transient(svc, &p, &entry, "waiting behind an undelivered entry").await?;
            continue;
        }

        // Step 4: deliver it; on failure block its target, and bound what it keeps waiting.
        if let Err(why) = deliver_one(svc, &p, &entry).await {
            blocked.insert(target);
            bounds::bound_transient(svc, &p, &entry, &why).await?;
            continue;
        }
        svc.peers.settled(p.seq);
        svc.store.outbox_remove(p.seq).await.map_err(store_error)?;
        delivered += 1;

        // Step 5: once nothing of this key is in flight, finish what waited for it.
        settle_after(
            svc,
            &p.entry.account,
            &p.entry.key_id,
            &p.entry.target_region,
            &entry,
        )
        .await?;
    }
    Ok(delivered)
}

/// Delivers one entry to its target region; answers why it could not (for the log only).
async fn deliver_one(svc: &Service, p: &Outboxed, entry: &Entry) -> Result<(), String> {
    let (account, key_id, target) = (&p.entry.account, &p.entry.key_id, &p.entry.target_region);
    let now = svc.clock.now();
    match svc.peers.topology().route(target) {
        Route::Local => apply(svc, account, key_id, target, entry)
            .await
            .map_err(|e| format!("applying in {target} failed: {}", e.code.name())),
        Route::Peer(peer) if svc.peers.backing_off(&peer.name, now) => {
            Err(format!("waiting to retry peer {}", peer.name))
        }
        Route::Peer(peer) => match peers::send(svc, peer, &p.entry, entry).await {
            Ok(()) => {
                svc.peers.reached(&peer.name);
                Ok(())
            }
            Err(e) => {
                svc.peers.failed(&peer.name, now);
                tracing::warn!(
                    peer = %peer.name, region = %target, key_id = %key_id, error = %e,
                    "replication to a peer failed; retrying"
                );
                Err(format!("peer {}: {e}", peer.name))
            }
        },
        Route::Nowhere => Err(format!("no deployment serves region {target}")),
    }
}

/// After a delivery of `entry` for `key_id` in `target`: once nothing of the key is in flight
/// from this deployment, finishes what waited for it in the regions hosted here.
pub(crate) async fn settle_after(
    svc: &Service,
    account: &str,
    key_id: &str,
    target: &str,
    entry: &Entry,
) -> Result<(), KmsError> {
    let in_flight = svc
        .store
        .outbox_has_key(account, key_id)
        .await
        .map_err(store_error)?;
    if in_flight {
        return Ok(());
    }
    let topology = svc.peers.topology();
    for region in settle_regions(entry, target) {
        if topology.hosts(&region) {
            settle(svc, account, &region, key_id).await?;
        }
    }
    Ok(())
}

/// Delivers for ever: at once when a write wakes it, and at least twice a second, so that a
/// peer coming back is retried soon after its backoff ends.
pub(crate) async fn run_worker(svc: Arc<Service>) {
    loop {
        if let Err(e) = deliver(&svc).await {
            tracing::warn!(error = %e, "replication delivery failed; retrying");
        }
        tokio::select! {
            _ = svc.replication_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// The regions whose keys may wait on deliveries of this entry.
fn settle_regions(entry: &Entry, target: &str) -> Vec<String> {
    match entry {
        Entry::Snapshot {
            source_region,
            shared,
            ..
        } => {
            let mut regions = vec![source_region.clone(), shared.primary_region.clone()];
            regions.extend(shared.replica_regions.iter().cloned());
            regions.sort();
            regions.dedup();
            regions
        }
        Entry::Imported { .. } | Entry::ReplicaDeleted { .. } => vec![target.to_string()],
    }
}

/// Applies one entry in `target`, idempotently.
pub(crate) async fn apply(
    svc: &Service,
    account: &str,
    key_id: &str,
    target: &str,
    entry: &Entry,
) -> Result<(), KmsError> {
    match entry {
        Entry::Snapshot {
            source_region,
            version,
            shared,
            create,
        } => {
            let snapshot = Snapshot {
                source: source_region,
                version: *version,
                shared,
            };
            apply_snapshot(svc, account, key_id, target, &snapshot, create.as_ref()).await
        }
        Entry::Imported {
            region,
            material_id,
        } => update_internal(svc, account, target, key_id, |rec, _| {
            note_import(rec, region, material_id).then(Vec::new)
        })
        .await
        .map(drop),
        Entry::ReplicaDeleted { region } => {
            update_internal(svc, account, target, key_id, |rec, now| {
                forget_replica(rec, region, now).then(Vec::new)
            })
            .await
            .map(drop)
        }
    }
}

/// A snapshot as it is applied: who sent it, its version, the shared properties.
struct Snapshot<'a> {
    source: &'a str,
    version: u64,
    shared: &'a Shared,
}

/// Applies a snapshot: creates the replica it announces, or updates a copy if it is newer.
async fn apply_snapshot(
    svc: &Service,
    account: &str,
    key_id: &str,
    target: &str,
    snapshot: &Snapshot<'_>,
    create: Option<&Create>,
) -> Result<(), KmsError> {
    let shared = snapshot.shared;
    let existing = svc
        .store
        .get_key(account, target, key_id)
        .await
        .map_err(store_error)?;
    if existing.is_none() {
        // A snapshot for a region without a copy creates one only when it says so.
        let Some(create) = create.filter(|_| shared.replica_regions.iter().any(|r| r == target))
        else {
            return Ok(());
        };
        let record = new_replica(account, target, key_id, snapshot, create);
        match svc.store.create_key(&record).await {
            Ok(()) => {
                svc.cache.remove(account, target, key_id);
                return Ok(());
            }
            // ReplicateKey wrote the Creating replica meanwhile: complete it below.
            Err(kms_store::StoreError::AlreadyExists) => {}
            Err(e) => return Err(store_error(e)),
        }
    }
    update_internal(svc, account, target, key_id, |rec, _| {
        merge(rec, snapshot).then(Vec::new)
    })
    .await
    .map(drop)
}

/// The replica a snapshot creates: shared properties from the primary, its own defaults.
fn new_replica(
    account: &str,
    region: &str,
    key_id: &str,
    snapshot: &Snapshot<'_>,
    create: &Create,
) -> KeyRecord {
    let mut record = replica_shell(account, region, key_id, snapshot.shared, create);
    merge(&mut record, snapshot);
    record
}

/// The replica ReplicateKey writes at once in a region this deployment hosts: Creating, with
/// its own properties and no material, until the snapshot that completes it is applied
/// (SPEC B7-B8: a replica being created can already be managed).
pub(crate) fn creating_replica(
    primary: &KeyRecord,
    region: &str,
    create: &Create,
) -> Option<KeyRecord> {
    let shared = shared(primary)?;
    Some(replica_shell(
        &primary.account,
        region,
        &primary.key_id,
        &shared,
        create,
    ))
}

/// A replica record with its own properties and the set's membership, at version 0 so that
/// any snapshot of the primary applies to it; Creating until one does.
fn replica_shell(
    account: &str,
    region: &str,
    key_id: &str,
    shared: &Shared,
    create: &Create,
) -> KeyRecord {
    KeyRecord {
        account: account.to_string(),
        region: region.to_string(),
        key_id: key_id.to_string(),
        creation_date: create.creation_date,
        description: create.description.clone(),
        key_spec: shared.key_spec,
        key_usage: shared.key_usage,
        origin: shared.origin,
        state: KeyState::Creating,
        deletion_date: None,
        pending_window_days: None,
        policy: create.policy.clone(),
        tags: create.tags.clone(),
        rotation: RotationSettings::default(),
        materials: Vec::new(),
        multi_region: Some(MultiRegion {
            primary_region: shared.primary_region.clone(),
            replica_regions: shared.replica_regions.clone(),
            shared_version: 0,
            epoch: 0,
            imported_by: Default::default(),
            state_before_update: None,
        }),
        last_usage: None,
        version: 0,
    }
}

/// Whether a copy whose multi-Region state is `mr` accepts `snapshot` (the primary's fence):
/// never an older epoch, nor an older or the same version within one epoch; within the copy's
/// epoch only from the primary it knows; a newer epoch only from the primary it names or, as a
/// handover, from the primary the copy knew until then.
fn accepts(mr: &MultiRegion, snapshot: &Snapshot<'_>) -> bool {
    let shared = snapshot.shared;
    if (shared.epoch, snapshot.version) <= (mr.epoch, mr.shared_version) {
        return false;
    }
    if shared.epoch == mr.epoch {
        return snapshot.source == shared.primary_region
            && shared.primary_region == mr.primary_region;
    }
    snapshot.source == shared.primary_region || snapshot.source == mr.primary_region
}

/// Brings a copy's shared properties to the snapshot's if the copy accepts it (see
/// [`accepts`]); answers whether it did.
fn merge(record: &mut KeyRecord, snapshot: &Snapshot<'_>) -> bool {
    // Step 1: only a newer snapshot from the current epoch's primary applies.
    let (version, shared) = (snapshot.version, snapshot.shared);
    let Some(mr) = record.multi_region.as_mut() else {
        return false;
    };
    if !accepts(mr, snapshot) {
        return false;
    }
    mr.primary_region = shared.primary_region.clone();
    mr.replica_regions = shared.replica_regions.clone();
    mr.epoch = shared.epoch;
    mr.shared_version = version;

    // Step 2: rotation settings.
    record.rotation.enabled = shared.rotation_enabled;
    record.rotation.period_days = shared.rotation_period_days;
    record.rotation.next_rotation = shared.next_rotation;

    // Step 3: material versions: states from the primary; bytes from it for AWS_KMS keys;
    // for EXTERNAL keys this copy's own imports (presence, expiry) stay as they are.
    let mut materials = Vec::with_capacity(shared.materials.len());
    for s in &shared.materials {
        let mut m = record
            .materials
            .iter()
            .find(|m| m.id == s.id)
            .cloned()
            .unwrap_or_else(|| MaterialVersion {
                id: s.id.clone(),
                sealed: Blob(Vec::new()),
                state: s.state,
                rotation_date: None,
                rotation_type: None,
                import: (shared.origin == OriginType::External).then_some(ImportSettings {
                    state: ImportState::PendingImport,
                    expiration_model: None,
                    valid_to: None,
                    description: None,
                }),
            });
        if let Some(sealed) = &s.sealed {
            m.sealed = sealed.clone();
        }
        m.state = s.state;
        m.rotation_date = s.rotation_date;
        m.rotation_type = s.rotation_type;
        materials.push(m);
    }
    record.materials = materials;

    // Step 4: a replica being created is complete: AWS_KMS replicas now hold every material
    // version; EXTERNAL ones wait for their own import.
    if record.state == KeyState::Creating {
        record.state = match shared.origin {
            OriginType::External => KeyState::PendingImport,
            _ => KeyState::Enabled,
        };
    }
    true
}

/// At the primary: `region` has imported `material_id`; when every replica has, the material
/// may be rotated in (PENDING_ROTATION). Answers whether anything changed.
fn note_import(record: &mut KeyRecord, region: &str, material_id: &str) -> bool {
    let Some(mr) = record.multi_region.as_mut() else {
        return false;
    };
    let regions = mr.imported_by.entry(material_id.to_string()).or_default();
    if !regions.iter().any(|r| r == region) {
        regions.push(region.to_string());
    }
    let all = mr.replica_regions.iter().all(|r| regions.contains(r));
    if all {
        mr.imported_by.remove(material_id);
        for m in record.materials.iter_mut().filter(|m| m.id == material_id) {
            if m.state == KeyMaterialState::PendingMultiRegionImportAndRotation {
                m.state = KeyMaterialState::PendingRotation;
            }
        }
    }
    true
}

/// A replica is gone: drop it from the set; a primary waiting for its last replica starts its
/// own waiting period (SPEC B32). Answers whether anything changed.
fn forget_replica(record: &mut KeyRecord, region: &str, now: Timestamp) -> bool {
    let Some(mr) = record.multi_region.as_mut() else {
        return false;
    };
    let before = mr.replica_regions.len();
    mr.replica_regions.retain(|r| r != region);
    if mr.replica_regions.len() == before {
        return false;
    }
    let last_gone = mr.replica_regions.is_empty();
    if record.state == KeyState::PendingReplicaDeletion
        && last_gone
        && mr.is_primary(&record.region)
    {
        record.state = KeyState::PendingDeletion;
        let days = record.pending_window_days.unwrap_or(30);
        record.deletion_date = Some(now.plus_days(days));
    }
    true
}

/// Finishes what waited for the deliveries of a key in `region`: an AWS_KMS rotation waiting
/// for every replica to hold the new material becomes current, and an Updating key returns to
/// its previous state.
async fn settle(svc: &Service, account: &str, region: &str, key_id: &str) -> Result<(), KmsError> {
    update_internal(svc, account, region, key_id, |rec, _| {
        let mut changed = false;
        if rec.origin == OriginType::AwsKms && rec.is_mrk_primary() {
            changed |= crate::rotation::promote_replicated(rec);
        }
        if rec.state == KeyState::Updating {
            let previous = rec
                .multi_region
                .as_mut()
                .and_then(|m| m.state_before_update.take());
            rec.state = previous.unwrap_or(KeyState::Enabled);
            changed = true;
        }
        changed.then(Vec::new)
    })
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(primary: &str, epoch: u64, version: u64) -> MultiRegion {
        MultiRegion {
            primary_region: primary.into(),
            replica_regions: vec!["eu-west-1".into()],
            shared_version: version,
            epoch,
            imported_by: Default::default(),
            state_before_update: None,
        }
    }

    fn shared(primary: &str, epoch: u64) -> Shared {
        Shared {
            primary_region: primary.into(),
            replica_regions: vec![],
            epoch,
            key_spec: KeySpec::SymmetricDefault,
            key_usage: KeyUsageType::EncryptDecrypt,
            origin: OriginType::AwsKms,
            rotation_enabled: false,
            rotation_period_days: None,
            next_rotation: None,
            materials: vec![],
        }
    }

    fn accepted(mr: &MultiRegion, source: &str, version: u64, shared: &Shared) -> bool {
        accepts(
            mr,
            &Snapshot {
                source,
                version,
                shared,
            },
        )
    }

    #[test]
    fn within_an_epoch_only_newer_versions_from_the_primary_apply() {
        let mr = copy("us-east-1", 2, 5);
        let s = shared("us-east-1", 2);
        assert!(accepted(&mr, "us-east-1", 6, &s));
        assert!(!accepted(&mr, "us-east-1", 5, &s), "a replay");
        assert!(!accepted(&mr, "us-east-1", 4, &s), "an older version");
        assert!(!accepted(&mr, "ap-south-1", 6, &s), "not the primary");
        let other = shared("ap-south-1", 2);
        assert!(
            !accepted(&mr, "ap-south-1", 9, &other),
            "a second primary in the same epoch"
        );
    }

    #[test]
    fn an_older_epoch_never_applies_whatever_its_version() {
        let mr = copy("eu-west-1", 3, 1);
        let stale = shared("us-east-1", 2);
        assert!(!accepted(&mr, "us-east-1", 100, &stale));
        let stale_handover = shared("eu-west-1", 2);
        assert!(!accepted(&mr, "us-east-1", 100, &stale_handover));
    }

    #[test]
    fn a_newer_epoch_comes_from_its_primary_or_as_a_handover_from_the_old_one() {
        let mr = copy("us-east-1", 2, 5);
        let handover = shared("eu-west-1", 3);
        assert!(accepted(&mr, "us-east-1", 6, &handover), "handover");
        assert!(accepted(&mr, "eu-west-1", 1, &handover), "the new primary");
        assert!(
            !accepted(&mr, "ap-south-1", 7, &handover),
            "a third region cannot hand over"
        );
        let rollback = shared("us-east-1", 4);
        assert!(accepted(&mr, "us-east-1", 7, &rollback));
    }
}
