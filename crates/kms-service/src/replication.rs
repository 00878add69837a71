//! Replication of multi-Region keys: the outbox entries, their delivery, and their idempotent
//! application in the target region (ARCHITECTURE.md "Multi-Region keys and replication").
//!
//! The primary holds the shared properties (SPEC B16) with a version and an epoch. Every write
//! that changes them appends, in the same transaction, a snapshot entry for every other region
//! of the set; a worker delivers the entries in order and removes each once it is applied.
//! Applying is idempotent: a snapshot that is not newer, by (epoch, version), changes nothing.
//! Regions served by this process are applied through the same path as remote ones would be.
//!
//! Material of AWS_KMS keys travels sealed under the root key with an owner that does not name
//! the region, so the same blob opens in every region of this deployment.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use kms_model::shapes::*;
use kms_model::{
    Blob, ImportSettings, KeyRecord, KmsError, MaterialVersion, MultiRegion, RotationSettings,
    Timestamp,
};
use kms_store::OutboxEntry;

use crate::write::{store_error, update_internal};
use crate::Service;

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

/// Delivers every pending entry this deployment can apply; answers how many it applied.
pub(crate) async fn deliver(svc: &Service) -> Result<usize, KmsError> {
    let pending = svc.store.outbox_pending(BATCH).await.map_err(store_error)?;
    let mut applied = 0;
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

        // Step 2: apply it in its region; on failure stop, and retry from here next time.
        let (account, key_id, target) = (&p.entry.account, &p.entry.key_id, &p.entry.target_region);
        apply(svc, account, key_id, target, &entry).await?;
        svc.store.outbox_remove(p.seq).await.map_err(store_error)?;
        applied += 1;

        // Step 3: once nothing of this key is in flight, finish what waited for it.
        if !svc
            .store
            .outbox_has_key(account, key_id)
            .await
            .map_err(store_error)?
        {
            for region in settle_regions(&entry, target) {
                settle(svc, account, &region, key_id).await?;
            }
        }
    }
    Ok(applied)
}

/// Delivers for ever: at once when a write wakes it, and every second regardless.
pub(crate) async fn run_worker(svc: Arc<Service>) {
    loop {
        if let Err(e) = deliver(&svc).await {
            tracing::warn!(error = %e, "replication delivery failed; retrying");
        }
        tokio::select! {
            _ = svc.replication_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
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

/// Applies one entry in `target`.
async fn apply(
    svc: &Service,
    account: &str,
    key_id: &str,
    target: &str,
    entry: &Entry,
) -> Result<(), KmsError> {
    match entry {
        Entry::Snapshot {
            version,
            shared,
            create,
            ..
        } => {
            apply_snapshot(
                svc,
                account,
                key_id,
                target,
                *version,
                shared,
                create.as_ref(),
            )
            .await
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

/// Applies a snapshot: creates the replica it announces, or updates a copy if it is newer.
async fn apply_snapshot(
    svc: &Service,
    account: &str,
    key_id: &str,
    target: &str,
    version: u64,
    shared: &Shared,
    create: Option<&Create>,
) -> Result<(), KmsError> {
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
        let record = new_replica(account, target, key_id, version, shared, create);
        return match svc.store.create_key(&record).await {
            Ok(()) | Err(kms_store::StoreError::AlreadyExists) => {
                svc.cache.remove(account, target, key_id);
                Ok(())
            }
            Err(e) => Err(store_error(e)),
        };
    }
    update_internal(svc, account, target, key_id, |rec, _| {
        merge(rec, version, shared).then(Vec::new)
    })
    .await
    .map(drop)
}

/// The replica a snapshot creates: shared properties from the primary, its own defaults.
fn new_replica(
    account: &str,
    region: &str,
    key_id: &str,
    version: u64,
    shared: &Shared,
    create: &Create,
) -> KeyRecord {
    let external = shared.origin == OriginType::External;
    let mut record = KeyRecord {
        account: account.to_string(),
        region: region.to_string(),
        key_id: key_id.to_string(),
        creation_date: create.creation_date,
        description: create.description.clone(),
        key_spec: shared.key_spec,
        key_usage: shared.key_usage,
        origin: shared.origin,
        // AWS_KMS replicas receive every material version; EXTERNAL ones wait for an import.
        state: if external {
            KeyState::PendingImport
        } else {
            KeyState::Enabled
        },
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
    };
    merge(&mut record, version, shared);
    record
}

/// Brings a copy's shared properties to `shared` if it is newer; answers whether it was.
fn merge(record: &mut KeyRecord, version: u64, shared: &Shared) -> bool {
    // Step 1: only a newer snapshot (by epoch, then version) applies.
    let Some(mr) = record.multi_region.as_mut() else {
        return false;
    };
    if (shared.epoch, version) <= (mr.epoch, mr.shared_version) {
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
