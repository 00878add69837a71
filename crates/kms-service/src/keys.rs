//! The key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription, GetKeyLastUsage.
//!
//! AWS pages: <https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html> and the
//! pages of each operation; key states from SPEC.md §C.

use kms_crypto::Purpose;
use kms_model::ids::key_arn;
use kms_model::shapes::*;
use kms_model::{
    key_state, Blob, KeyRecord, KmsError, MaterialVersion, MultiRegion, Operation, Timestamp,
};

use crate::authz::Ctx;
use crate::metadata::key_metadata;
use crate::resolve::{load_cached, load_record, locate, Forms};
use crate::write::{store_error, update_key};
use crate::{pagination, policy, rotation, tags, Service};

/// The associated data that binds sealed material to its owner (the key ARN) and material ID.
/// Public so that tests can open a stored record with the root key they made.
pub fn material_aad(owner: &str, material_id: &str) -> Vec<u8> {
    format!("kmsd key material v1\0{owner}\0{material_id}").into_bytes()
}

/// Who sealed material belongs to: the key ARN of a single-Region key; the account and key ID
/// of a multi-Region key, the same in every region, so its material opens in any of them.
pub fn material_owner(record: &KeyRecord) -> String {
    if record.key_id.starts_with("mrk-") {
        format!("{}:{}", record.account, record.key_id)
    } else {
        record.arn()
    }
}

/// A fresh 256-bit material version for the key whose sealing owner is `owner`.
pub(crate) fn new_material(svc: &Service, owner: &str, key_id: &str) -> MaterialVersion {
    sealed_material(svc, owner, key_id, &kms_crypto::random_secret(32))
}

/// The CURRENT material version that holds `secret`, sealed for `owner`.
pub(crate) fn sealed_material(
    svc: &Service,
    owner: &str,
    key_id: &str,
    secret: &kms_crypto::SecretBytes,
) -> MaterialVersion {
    let id = kms_crypto::material_id_hex(&kms_crypto::material_id(key_id, secret));
    let sealed = svc.sealer.seal(
        Purpose::KeyMaterial,
        &material_aad(owner, &id),
        secret.expose(),
    );
    MaterialVersion {
        id,
        sealed: Blob(sealed),
        state: KeyMaterialState::Current,
        rotation_date: None,
        rotation_type: None,
        import: None,
    }
}

/// Fresh material of any spec, made off the async runtime (an RSA_4096 key takes a while).
async fn generated_material(
    svc: &Service,
    record: &KeyRecord,
) -> Result<MaterialVersion, KmsError> {
    let spec = record.key_spec;
    let secret = tokio::task::spawn_blocking(move || crate::key_types::new_secret(spec))
        .await
        .map_err(|_| KmsError::internal())??;
    let owner = material_owner(record);
    Ok(sealed_material(svc, &owner, &record.key_id, &secret))
}

/// The key spec, usage and origin a CreateKey request asks for, refusing what kmsd does not
/// serve.
fn requested_key_type(
    req: &CreateKeyRequest,
) -> Result<(KeySpec, KeyUsageType, OriginType), KmsError> {
    // Step 1: custom key stores and XKS keys are not served (SPEC A4, a project choice).
    if req.custom_key_store_id.is_some() || req.xks_key_id.is_some() {
        return Err(KmsError::unsupported(
            "Custom key stores are not supported by kmsd.",
        ));
    }
    let origin = req.origin.unwrap_or(OriginType::AwsKms);
    if matches!(
        origin,
        OriginType::AwsCloudhsm | OriginType::ExternalKeyStore
    ) {
        return Err(KmsError::unsupported(format!(
            "Origin {origin} is not supported by kmsd: it has no custom key stores."
        )));
    }

    // Step 2: the spec, from KeySpec or its deprecated twin; SM2 belongs to China regions.
    let spec = match (req.key_spec, req.customer_master_key_spec) {
        (Some(spec), _) => spec,
        (None, Some(cmk)) => KeySpec::parse(cmk.as_str()).unwrap_or(KeySpec::SymmetricDefault),
        (None, None) => KeySpec::SymmetricDefault,
    };
    if spec == KeySpec::Sm2 {
        return Err(crate::key_types::sm2_unsupported());
    }

    // Step 3: the usage, required for every key but a symmetric one (SPEC 1.8).
    let usage = crate::key_types::requested_usage(spec, req.key_usage)?;
    Ok((spec, usage, origin))
}

/// CreateKey: a new key of any spec kmsd serves, with fresh material (SPEC 1.7-1.9).
pub(crate) async fn create_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: CreateKeyRequest,
) -> Result<CreateKeyResponse, KmsError> {
    // Step 1: what kind of key, and whether kmsd serves it.
    let (key_spec, key_usage, origin) = requested_key_type(&req)?;

    // Step 2: the policy (given and well-formed, or the default) and the tags.
    let given_policy = req.policy.is_some();
    let bypass = req.bypass_policy_lockout_safety_check;
    let policy = match req.policy {
        Some(doc) => policy::validated(doc)?,
        None => policy::default_policy(caller),
    };
    let tags = tags::merged(Vec::new(), req.tags.unwrap_or_default())?;

    // Step 3: identity; a multi-Region key is its own primary (SPEC B1).
    let multi_region = req.multi_region == Some(true);
    let key_id = if multi_region {
        crate::multi_region::new_mrk_id()
    } else {
        uuid::Uuid::new_v4().to_string()
    };
    let mut record = KeyRecord {
        account: caller.account.as_str().to_string(),
        region: caller.region.as_str().to_string(),
        key_id,
        creation_date: svc.clock.now(),
        description: req.description.unwrap_or_default(),
        key_spec,
        key_usage,
        origin,
        state: KeyState::PendingImport,
        deletion_date: None,
        pending_window_days: None,
        policy,
        tags,
        rotation: Default::default(),
        materials: Vec::new(),
        multi_region: multi_region.then(|| MultiRegion {
            primary_region: caller.region.as_str().to_string(),
            replica_regions: Vec::new(),
            shared_version: 1,
            epoch: 1,
            imported_by: Default::default(),
            state_before_update: None,
        }),
        last_usage: None,
        version: 0,
    };

    // A policy the caller gives must not lock it out of the key (the lockout safety check).
    if given_policy {
        let arn = record.arn();
        policy::check_lockout(svc, caller, &arn, &record.account, &record.policy, bypass)?;
    }

    // Step 4: material: an EXTERNAL key waits for its import (SPEC A1), and the wrapping key
    // pool starts filling for it; any other key gets fresh material and is Enabled.
    if origin == OriginType::External {
        crate::import::pool(svc);
    } else {
        let material = generated_material(svc, &record).await?;
        record.materials.push(material);
        record.state = KeyState::Enabled;
    }

    // Step 5: persist, then answer.
    svc.store.create_key(&record).await.map_err(store_error)?;
    svc.cache.put(&record);
    Ok(CreateKeyResponse {
        key_metadata: Some(key_metadata(&record)),
    })
}

/// DescribeKey: the key's metadata, by any identifier form (SPEC D1).
pub(crate) async fn describe_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DescribeKeyRequest,
) -> Result<DescribeKeyResponse, KmsError> {
    let loc = locate(svc, caller, Operation::DescribeKey, &req.key_id, Forms::Any).await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::DescribeKey, &record)?;
    Ok(DescribeKeyResponse {
        key_metadata: Some(key_metadata(&record)),
    })
}

/// ListKeys: the keys of the caller's account and region, in pages (SPEC D33).
pub(crate) async fn list_keys(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListKeysRequest,
) -> Result<ListKeysResponse, KmsError> {
    // Step 1: where the page starts and how long it is.
    let after = pagination::after(req.marker.as_deref())?;
    let limit = pagination::limit(req.limit, 100, 1000);

    // Step 2: one indexed range read.
    let page = svc
        .store
        .list_keys(
            caller.account.as_str(),
            caller.region.as_str(),
            after.as_deref(),
            limit,
        )
        .await
        .map_err(store_error)?;

    // Step 3: entries, and a marker when more follow.
    let next_marker = page
        .truncated
        .then(|| page.items.last().map(|k| pagination::next_marker(k)))
        .flatten();
    let keys = page
        .items
        .into_iter()
        .map(|key_id| KeyListEntry {
            key_arn: Some(key_arn(&caller.region, &caller.account, &key_id)),
            key_id: Some(key_id),
        })
        .collect();
    Ok(ListKeysResponse {
        keys: Some(keys),
        next_marker,
        truncated: Some(page.truncated),
    })
}

/// EnableKey: Disabled becomes Enabled; an overdue automatic rotation happens now.
pub(crate) async fn enable_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: EnableKeyRequest,
) -> Result<(), KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::EnableKey,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(svc, caller, &loc, Operation::EnableKey, |record, now| {
        // An imported key whose material is missing (a cancelled deletion of a key pending
        // import leaves it Disabled) waits for its import instead.
        record.state = if has_all_material(record) {
            KeyState::Enabled
        } else {
            KeyState::PendingImport
        };
        rotation::rotate_if_due(svc, record, now);
        Ok(())
    })
    .await?;
    Ok(())
}

/// Whether every permanent material version of the key is present.
pub(crate) fn has_all_material(record: &KeyRecord) -> bool {
    record.current_material().is_some()
        && record
            .materials
            .iter()
            .filter(|m| m.is_permanent())
            .all(|m| m.is_present())
}

/// DisableKey: Enabled becomes Disabled.
pub(crate) async fn disable_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DisableKeyRequest,
) -> Result<(), KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::DisableKey,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(svc, caller, &loc, Operation::DisableKey, |record, _| {
        record.state = KeyState::Disabled;
        Ok(())
    })
    .await?;
    Ok(())
}

/// ScheduleKeyDeletion: PendingDeletion for 7-30 days, default 30 (SPEC D24).
pub(crate) async fn schedule_key_deletion(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, KmsError> {
    // Step 1: the waiting period must be 7 to 30 days, whatever the shape allows.
    let days = req.pending_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(KmsError::validation(format!(
            "PendingWindowInDays should be between 7 and 30, but it is {days}"
        )));
    }

    // Step 2: move the key to PendingDeletion with its deletion date.
    let loc = locate(
        svc,
        caller,
        Operation::ScheduleKeyDeletion,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let (_, record) = update_key(
        svc,
        caller,
        &loc,
        Operation::ScheduleKeyDeletion,
        |record, now| {
            // A primary that still has replicas waits for them first, without a date (B31).
            let has_replicas = record.is_mrk_primary()
                && record
                    .multi_region
                    .as_ref()
                    .is_some_and(|m| !m.replica_regions.is_empty());
            if has_replicas {
                record.state = KeyState::PendingReplicaDeletion;
                record.deletion_date = None;
            } else {
                record.state = KeyState::PendingDeletion;
                record.deletion_date = Some(now.plus_days(days));
            }
            record.pending_window_days = Some(days);
            Ok(())
        },
    )
    .await?;
    Ok(ScheduleKeyDeletionResponse {
        key_id: Some(record.arn()),
        deletion_date: record.deletion_date,
        key_state: Some(record.state),
        pending_window_in_days: Some(days),
    })
}

/// CancelKeyDeletion: a key pending deletion becomes Disabled (SPEC C3).
pub(crate) async fn cancel_key_deletion(
    svc: &Service,
    caller: &Ctx<'_>,
    req: CancelKeyDeletionRequest,
) -> Result<CancelKeyDeletionResponse, KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::CancelKeyDeletion,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let (_, record) = update_key(
        svc,
        caller,
        &loc,
        Operation::CancelKeyDeletion,
        |record, _| {
            record.state = KeyState::Disabled;
            record.deletion_date = None;
            record.pending_window_days = None;
            Ok(())
        },
    )
    .await?;
    Ok(CancelKeyDeletionResponse {
        key_id: Some(record.arn()),
    })
}

/// UpdateKeyDescription: replaces the description.
pub(crate) async fn update_key_description(
    svc: &Service,
    caller: &Ctx<'_>,
    req: UpdateKeyDescriptionRequest,
) -> Result<(), KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::UpdateKeyDescription,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(
        svc,
        caller,
        &loc,
        Operation::UpdateKeyDescription,
        |record, _| {
            record.description = req.description.clone();
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// GetKeyLastUsage: the last successful cryptographic use, tracked since the key's creation.
pub(crate) async fn get_key_last_usage(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GetKeyLastUsageRequest,
) -> Result<GetKeyLastUsageResponse, KmsError> {
    // Step 1: the stored record, and the cache's newer use if it has one not yet flushed.
    let loc = locate(
        svc,
        caller,
        Operation::GetKeyLastUsage,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    let cached = load_cached(svc, caller, &loc).await?;
    let (at, op) = cached_usage(&cached);
    let stored = record.last_usage.as_ref();
    let last = match stored {
        Some(s) if s.timestamp >= at => {
            KeyLastUsageTrackingOperation::parse(&s.operation).map(|op| (s.timestamp, op))
        }
        _ if at.millis() > 0 => Some((at, op)),
        _ => None,
    };

    // Step 2: the answer; tracking starts when the key is created.
    Ok(GetKeyLastUsageResponse {
        key_id: Some(record.arn()),
        key_last_usage: last.map(|(timestamp, operation)| KeyLastUsageData {
            operation: Some(operation),
            timestamp: Some(timestamp),
            ..Default::default()
        }),
        tracking_start_date: Some(record.creation_date),
        key_creation_date: Some(record.creation_date),
    })
}

fn cached_usage(key: &crate::cache::CachedKey) -> (Timestamp, KeyLastUsageTrackingOperation) {
    use std::sync::atomic::Ordering;
    let at = Timestamp(key.usage.at.load(Ordering::Relaxed));
    let op = KeyLastUsageTrackingOperation::ALL
        .get(key.usage.op.load(Ordering::Relaxed) as usize)
        .copied()
        .unwrap_or(KeyLastUsageTrackingOperation::Encrypt);
    (at, op)
}
