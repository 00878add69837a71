//! Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, the MultiRegionConfiguration of
//! DescribeKey, and the rules for what a replica may not do (SPEC.md §B).
//!
//! AWS page: <https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html>.
//! Related keys share one `mrk-` key ID; each region holds its own record. The primary's
//! changes of shared properties reach the replicas through the outbox (see `replication`).

use kms_model::ids::key_arn;
use kms_model::shapes::*;
use kms_model::{key_state, ErrorCode, KeyRecord, KmsError, Operation, Region};

use crate::authz::Ctx;
use crate::metadata::key_metadata;
use crate::replication::{self, Create, Entry};
use crate::resolve::{load_record, locate, Forms};
use crate::write::{store_error, update_key, update_key_with};
use crate::{policy, tags, Service};

/// A fresh multi-Region key ID: `mrk-` and 32 lowercase hex digits (SPEC 1.2).
pub(crate) fn new_mrk_id() -> String {
    format!("mrk-{}", uuid::Uuid::new_v4().simple())
}

/// The ARN of the related key in `region`.
fn arn_in(record: &KeyRecord, region: &str) -> String {
    match (
        Region::parse(region),
        kms_model::AccountId::parse(&record.account),
    ) {
        (Some(r), Some(a)) => key_arn(&r, &a, &record.key_id),
        _ => format!(
            "arn:aws:kms:{region}:{}:key/{}",
            record.account, record.key_id
        ),
    }
}

/// DescribeKey's MultiRegionConfiguration of a multi-Region key (SPEC B36).
pub(crate) fn configuration(record: &KeyRecord) -> Option<MultiRegionConfiguration> {
    let mr = record.multi_region.as_ref()?;
    let member = |region: &str| MultiRegionKey {
        arn: Some(arn_in(record, region)),
        region: Some(region.to_string()),
    };
    Some(MultiRegionConfiguration {
        multi_region_key_type: Some(if mr.is_primary(&record.region) {
            MultiRegionKeyType::Primary
        } else {
            MultiRegionKeyType::Replica
        }),
        primary_key: Some(member(&mr.primary_region)),
        replica_keys: Some(mr.replica_regions.iter().map(|r| member(r)).collect()),
    })
}

/// The error of an operation only the primary may run, called on a replica (SPEC B20, A43).
pub(crate) fn replica_refusal(record: &KeyRecord, op: Operation) -> Option<KmsError> {
    let mr = record
        .multi_region
        .as_ref()
        .filter(|_| record.is_mrk_replica())?;
    Some(KmsError::unsupported(format!(
        "{} is a multi-Region replica key: {} is allowed only on its primary key {}.",
        record.arn(),
        op.name(),
        arn_in(record, &mr.primary_region)
    )))
}

/// The primary key a ReplicateKey or UpdatePrimaryRegion names (SPEC B10, B27).
fn require_primary(record: &KeyRecord) -> Result<(), KmsError> {
    if record.is_mrk_primary() {
        return Ok(());
    }
    Err(KmsError::unsupported(format!(
        "{} is not a multi-region primary key.",
        record.arn()
    )))
}

/// The replica region must be a region of the primary's partition without a related key
/// (SPEC B9).
fn check_replica_region(record: &KeyRecord, region: &str) -> Result<Region, KmsError> {
    let target = Region::parse(region)
        .ok_or_else(|| KmsError::validation(format!("{region} is not a valid region name.")))?;
    let own = Region::parse(&record.region).ok_or_else(KmsError::internal)?;
    if target.partition() != own.partition() {
        return Err(KmsError::validation(format!(
            "The replica region {region} is not in the partition {} of the primary key.",
            own.partition().as_str()
        )));
    }
    let taken = record
        .multi_region
        .as_ref()
        .is_some_and(|m| m.regions().any(|r| r == region));
    if taken {
        return Err(KmsError::new(
            ErrorCode::AlreadyExistsException,
            format!(
                "A related multi-Region key already exists in {region}: {}",
                arn_in(record, region)
            ),
        ));
    }
    Ok(target)
}

/// ReplicateKey: a replica of a primary in another region (SPEC B5-B15).
pub(crate) async fn replicate_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ReplicateKeyRequest,
) -> Result<ReplicateKeyResponse, KmsError> {
    // Step 1: the replica's own properties: given, or the defaults (never the primary's).
    let policy = match req.policy.clone() {
        Some(doc) => policy::validated(doc)?,
        None => policy::default_policy(caller),
    };
    let tags = tags::merged(Vec::new(), req.tags.clone().unwrap_or_default())?;
    let create = Create {
        description: req.description.clone().unwrap_or_default(),
        policy: policy.clone(),
        tags: tags.clone(),
        creation_date: svc.clock.now(),
    };

    // Step 2: the primary: a usable primary key, and a free region of its partition.
    let loc = locate(
        svc,
        caller,
        Operation::ReplicateKey,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    require_primary(&record)?;
    key_state::check(Operation::ReplicateKey, &record)?;
    check_replica_region(&record, &req.replica_region)?;

    // SPEC B42: kms:CreateKey (and kms:TagResource for tags) in the replica's region.
    let replica_ctx =
        caller.in_region(&Region::parse(&req.replica_region).ok_or_else(KmsError::internal)?);
    crate::authz::authorize(
        &svc.identities,
        &replica_ctx,
        "kms:CreateKey",
        "*",
        None,
        false,
    )?;
    if req.tags.as_ref().is_some_and(|t| !t.is_empty()) {
        crate::authz::authorize(
            &svc.identities,
            &replica_ctx,
            "kms:TagResource",
            "*",
            None,
            false,
        )?;
    }

    // Step 3: add the replica to the set; the snapshot that creates it goes in the same write.
    let region = req.replica_region.clone();
    let (_, written) = update_key_with(
        svc,
        caller,
        &loc,
        Operation::ReplicateKey,
        |record, _, outbound| {
            check_replica_region(record, &region)?;
            let mr = record
                .multi_region
                .as_mut()
                .ok_or_else(KmsError::internal)?;
            mr.replica_regions.push(region.clone());
            mr.replica_regions.sort();
            // Imported material waiting for every replica now waits for this one too.
            if record.origin == OriginType::External {
                for m in record.materials.iter_mut() {
                    if m.state == KeyMaterialState::PendingRotation {
                        m.state = KeyMaterialState::PendingMultiRegionImportAndRotation;
                    }
                }
            }
            outbound.creates.push((region.clone(), create.clone()));
            Ok(())
        },
    )
    .await?;

    // A replica in a region this deployment hosts exists at once, Creating, until the worker
    // applies the snapshot that completes it (which may already have happened).
    if svc.peers.topology().hosts(&region) {
        if let Some(replica) = replication::creating_replica(&written, &region, &create) {
            match svc.store.create_key(&replica).await {
                Ok(()) | Err(kms_store::StoreError::AlreadyExists) => {}
                Err(e) => return Err(store_error(e)),
            }
        }
    }

    // Step 4: the answer describes the replica as it starts: Creating (SPEC B7).
    let mut replica = written.clone();
    replica.region = region.clone();
    replica.state = KeyState::Creating;
    replica.description = req.description.unwrap_or_default();
    replica.materials.clear();
    replica.creation_date = svc.clock.now();
    Ok(ReplicateKeyResponse {
        replica_key_metadata: Some(key_metadata(&replica)),
        replica_policy: Some(policy),
        replica_tags: Some(tags),
    })
}

/// UpdatePrimaryRegion: the replica in `PrimaryRegion` becomes the primary (SPEC B25-B30).
pub(crate) async fn update_primary_region(
    svc: &Service,
    caller: &Ctx<'_>,
    req: UpdatePrimaryRegionRequest,
) -> Result<(), KmsError> {
    // Step 1: the current primary, usable, and a replica in the named region.
    let loc = locate(
        svc,
        caller,
        Operation::UpdatePrimaryRegion,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    require_primary(&record)?;
    key_state::check(Operation::UpdatePrimaryRegion, &record)?;
    let target = req.primary_region.clone();
    let has_replica = record
        .multi_region
        .as_ref()
        .is_some_and(|m| m.replica_regions.contains(&target));
    if !has_replica {
        return Err(KmsError::not_found(format!(
            "The multi-Region key {} has no replica in {target}.",
            record.arn()
        )));
    }

    // Step 2: the replica must be usable too (it lives in this deployment's store).
    let replica = svc
        .store
        .get_key(&record.account, &target, &record.key_id)
        .await
        .map_err(store_error)?;
    if let Some(replica) = replica {
        // SPEC B30: kms:UpdatePrimaryRegion on the replica too, effective in its region.
        let replica_ctx = caller.in_region(&Region::parse(&target).ok_or_else(KmsError::internal)?);
        crate::resolve::authorize_record(svc, &replica_ctx, "kms:UpdatePrimaryRegion", &replica)
            .await?;
        key_state::check(Operation::UpdatePrimaryRegion, &replica)?;
    }

    // Step 3: hand over: new epoch, new primary; this key is Updating until it is delivered.
    update_key(
        svc,
        caller,
        &loc,
        Operation::UpdatePrimaryRegion,
        |record, _| {
            require_primary(record)?;
            let own = record.region.clone();
            let previous = record.state;
            let mr = record
                .multi_region
                .as_mut()
                .ok_or_else(KmsError::internal)?;
            mr.replica_regions.retain(|r| r != &target);
            mr.replica_regions.push(own);
            mr.replica_regions.sort();
            mr.primary_region = target.clone();
            mr.epoch += 1;
            mr.state_before_update = Some(previous);
            record.state = KeyState::Updating;
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// The outbox entries that tell the rest of the set a replica is gone.
pub(crate) fn replica_deleted_entries(record: &KeyRecord) -> Vec<kms_store::OutboxEntry> {
    let Some(mr) = record
        .multi_region
        .as_ref()
        .filter(|_| record.is_mrk_replica())
    else {
        return Vec::new();
    };
    let entry = Entry::ReplicaDeleted {
        region: record.region.clone(),
    };
    mr.regions()
        .filter(|r| *r != record.region)
        .map(|r| replication::entry_for(record, r, &entry))
        .collect()
}

/// The outbox entry that tells the primary this replica has imported `material_id`.
pub(crate) fn imported_entry(
    record: &KeyRecord,
    material_id: &str,
) -> Option<kms_store::OutboxEntry> {
    let mr = record
        .multi_region
        .as_ref()
        .filter(|_| record.is_mrk_replica())?;
    let entry = Entry::Imported {
        region: record.region.clone(),
        material_id: material_id.to_string(),
    };
    Some(replication::entry_for(record, &mr.primary_region, &entry))
}
