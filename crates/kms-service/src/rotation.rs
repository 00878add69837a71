//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations, and the automatic rotation the scheduler applies.
//!
//! A rotation adds a material version and makes it CURRENT; earlier versions become
//! NON_CURRENT and keep decrypting what they encrypted (the ciphertext names its version).

use kms_model::shapes::*;
use kms_model::{key_state, ErrorCode, KeyRecord, KmsError, Operation, Timestamp};

use crate::authz::Ctx;
use crate::keys::new_material;
use crate::multi_region::replica_refusal;
use crate::resolve::{load_record, locate, Forms};
use crate::write::update_key;
use crate::{pagination, Service};

/// The default automatic rotation period, in days.
const DEFAULT_PERIOD_DAYS: i64 = 365;

/// How many on-demand rotations a key may have (SPEC A43).
const ON_DEMAND_LIMIT: u32 = 25;

/// How close to a due automatic rotation an on-demand one conflicts, in milliseconds.
const CONFLICT_WINDOW_MILLIS: i64 = 20 * 60 * 1000;

/// How long after an automatic rotation was abandoned (a replica could not be reached) it is
/// tried again, in milliseconds. Not at once: each attempt that cannot reach the replica leaves
/// one more entry queued for it.
const AUTOMATIC_RETRY_MILLIS: i64 = 60 * 60 * 1000;

/// Adds a new CURRENT material version to `record`; the old one becomes NON_CURRENT.
pub(crate) fn rotate(svc: &Service, record: &mut KeyRecord, now: Timestamp, kind: RotationType) {
    // Step 1: the new version.
    let owner = crate::keys::material_owner(record);
    let mut material = new_material(svc, &owner, &record.key_id);
    material.rotation_date = Some(now);
    material.rotation_type = Some(kind);

    // Step 2: a multi-Region primary encrypts under new material only once every replica
    // has it: it waits as pending until the replication worker has delivered it (SPEC B20),
    // or until the wait is given up (`abandon_replicated`).
    let replicas = record
        .multi_region
        .as_ref()
        .is_some_and(|m| !m.replica_regions.is_empty());
    if replicas {
        material.state = KeyMaterialState::PendingRotation;
    } else {
        for m in record
            .materials
            .iter_mut()
            .filter(|m| m.state == KeyMaterialState::Current)
        {
            m.state = KeyMaterialState::NonCurrent;
        }
    }
    record.materials.push(material);

    // Step 3: the next automatic rotation.
    if kind == RotationType::Automatic {
        let period = record.rotation.period_days.unwrap_or(DEFAULT_PERIOD_DAYS);
        record.rotation.next_rotation = Some(now.plus_days(period));
    }
}

/// At a multi-Region primary whose replicas all hold its new AWS_KMS material: that material
/// becomes CURRENT. Answers whether it did.
pub(crate) fn promote_replicated(record: &mut KeyRecord) -> bool {
    let Some(next) = record
        .materials
        .iter()
        .position(|m| m.state == KeyMaterialState::PendingRotation)
    else {
        return false;
    };
    for m in record
        .materials
        .iter_mut()
        .filter(|m| m.state == KeyMaterialState::Current)
    {
        m.state = KeyMaterialState::NonCurrent;
    }
    record.materials[next].state = KeyMaterialState::Current;
    true
}

/// At a multi-Region primary whose new AWS_KMS material could not reach every replica within
/// the bound: every rotation still pending is abandoned, and the key is as it was before. The
/// pending material goes, the CURRENT material stays, an on-demand rotation no longer counts
/// towards the quota, and an automatic one is due again later. Answers whether it changed.
pub(crate) fn abandon_replicated(record: &mut KeyRecord, now: Timestamp) -> bool {
    // Step 1: only the primary's own material waits for its replicas (imported material pending
    // rotation waits for the caller, SPEC A43).
    if record.origin != OriginType::AwsKms || !record.is_mrk_primary() {
        return false;
    }
    let (pending, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut record.materials)
        .into_iter()
        .partition(|m| m.state == KeyMaterialState::PendingRotation);
    record.materials = kept;

    // Step 2: undo what each rotation counted or scheduled.
    let retry = now.plus_millis(AUTOMATIC_RETRY_MILLIS);
    for m in &pending {
        match m.rotation_type {
            Some(RotationType::OnDemand) => {
                record.rotation.on_demand_count = record.rotation.on_demand_count.saturating_sub(1);
            }
            Some(RotationType::Automatic) if record.rotation.enabled => {
                let next = record
                    .rotation
                    .next_rotation
                    .map_or(retry, |at| at.min(retry));
                record.rotation.next_rotation = Some(next);
            }
            _ => {}
        }
    }
    !pending.is_empty()
}

/// Makes the imported material pending rotation CURRENT (SPEC A43-A44).
fn promote_pending(record: &mut KeyRecord, now: Timestamp) -> Result<(), KmsError> {
    let Some(next) = record
        .materials
        .iter()
        .position(|m| m.state == KeyMaterialState::PendingRotation)
    else {
        return Err(KmsError::invalid_state(format!(
            "No available key material pending rotation for the key: {}.",
            record.arn()
        )));
    };
    for m in record
        .materials
        .iter_mut()
        .filter(|m| m.state == KeyMaterialState::Current)
    {
        m.state = KeyMaterialState::NonCurrent;
    }
    let m = &mut record.materials[next];
    m.state = KeyMaterialState::Current;
    m.rotation_date = Some(now);
    m.rotation_type = Some(RotationType::OnDemand);
    Ok(())
}

/// Applies an automatic rotation that is due, if the key is Enabled and rotation is on.
/// Answers whether it rotated.
pub(crate) fn rotate_if_due(svc: &Service, record: &mut KeyRecord, now: Timestamp) -> bool {
    let due = record.rotation.enabled
        && record.state == KeyState::Enabled
        && record.rotation.next_rotation.is_some_and(|at| at <= now);
    if due {
        rotate(svc, record, now, RotationType::Automatic);
    }
    due
}

/// EnableKeyRotation: automatic rotation every RotationPeriodInDays (90-2560, default 365).
pub(crate) async fn enable_key_rotation(
    svc: &Service,
    caller: &Ctx<'_>,
    req: EnableKeyRotationRequest,
) -> Result<(), KmsError> {
    let period = req.rotation_period_in_days.unwrap_or(DEFAULT_PERIOD_DAYS);
    let loc = locate(
        svc,
        caller,
        Operation::EnableKeyRotation,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(
        svc,
        caller,
        &loc,
        Operation::EnableKeyRotation,
        |record, now| {
            if let Some(refusal) = replica_refusal(record, Operation::EnableKeyRotation) {
                return Err(refusal);
            }
            // Enabling starts the period now; changing the period of an enabled key keeps the
            // date the current period started from (and rotates at once if that is long past).
            let start = match (
                record.rotation.enabled,
                record.rotation.next_rotation,
                record.rotation.period_days,
            ) {
                (true, Some(next), Some(old)) => next.plus_days(-old),
                _ => now,
            };
            record.rotation.enabled = true;
            record.rotation.period_days = Some(period);
            record.rotation.next_rotation = Some(start.plus_days(period));
            rotate_if_due(svc, record, now);
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// DisableKeyRotation: no more automatic rotations.
pub(crate) async fn disable_key_rotation(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DisableKeyRotationRequest,
) -> Result<(), KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::DisableKeyRotation,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(
        svc,
        caller,
        &loc,
        Operation::DisableKeyRotation,
        |record, _| {
            if let Some(refusal) = replica_refusal(record, Operation::DisableKeyRotation) {
                return Err(refusal);
            }
            record.rotation.enabled = false;
            record.rotation.next_rotation = None;
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// GetKeyRotationStatus: whether rotation is on, its period and the next date.
pub(crate) async fn get_key_rotation_status(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GetKeyRotationStatusRequest,
) -> Result<GetKeyRotationStatusResponse, KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::GetKeyRotationStatus,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::GetKeyRotationStatus, &record)?;
    // A key pending deletion reports rotation off, and gets it back if the deletion is
    // cancelled (the setting itself is kept).
    let pending_deletion = matches!(
        record.state,
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
    );
    let enabled = record.rotation.enabled && !pending_deletion;
    Ok(GetKeyRotationStatusResponse {
        key_rotation_enabled: Some(enabled),
        key_id: Some(record.arn()),
        rotation_period_in_days: record.rotation.period_days.filter(|_| enabled),
        next_rotation_date: record.rotation.next_rotation.filter(|_| enabled),
        on_demand_rotation_start_date: record.rotation.on_demand_start,
    })
}

/// RotateKeyOnDemand: a new material version now (SPEC A43-A44). kmsd completes the rotation
/// within the call, except at a multi-Region primary with replicas: there the new material
/// becomes current once every replica holds it, or is abandoned past the bound (see `bounds`).
pub(crate) async fn rotate_key_on_demand(
    svc: &Service,
    caller: &Ctx<'_>,
    req: RotateKeyOnDemandRequest,
) -> Result<RotateKeyOnDemandResponse, KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::RotateKeyOnDemand,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let (_, record) = update_key(svc, caller, &loc, Operation::RotateKeyOnDemand, |record, now| {
        // Step 1: only symmetric keys rotate (AWS answers an empty message otherwise), and a
        // multi-Region key only through its primary.
        if record.key_spec != KeySpec::SymmetricDefault {
            return Err(KmsError::unsupported(""));
        }
        if let Some(refusal) = replica_refusal(record, Operation::RotateKeyOnDemand) {
            return Err(refusal);
        }
        // Step 2: imported keys need material waiting; then the quota, and no clash with a
        // due automatic rotation.
        let waiting = record.materials.iter().find(|m| {
            m.state == KeyMaterialState::PendingMultiRegionImportAndRotation
        });
        if let (OriginType::External, Some(m)) = (record.origin, waiting) {
            return Err(KmsError::invalid_state(format!(
                "Key material (id: {}) of {} must be imported into every replica of the multi-Region key before it can be rotated.",
                m.id,
                record.arn()
            )));
        }
        let pending = record.materials.iter().any(|m| m.state == KeyMaterialState::PendingRotation);
        if record.origin == OriginType::External && !pending {
            return Err(KmsError::invalid_state(format!(
                "No available key material pending rotation for the key: {}.",
                record.arn()
            )));
        }
        if record.rotation.on_demand_count >= ON_DEMAND_LIMIT {
            return Err(KmsError::new(ErrorCode::LimitExceededException, format!(
                "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
                record.arn()
            )));
        }
        let soon = now.plus_millis(CONFLICT_WINDOW_MILLIS);
        if record.rotation.enabled && record.rotation.next_rotation.is_some_and(|at| at <= soon) {
            return Err(KmsError::new(ErrorCode::ConflictException, format!(
                "An automatic rotation of {} is due within 20 minutes; retry after it.",
                record.arn()
            )));
        }
        // Step 3: rotate: new material, or for imported keys the material pending rotation.
        if record.origin == OriginType::External {
            promote_pending(record, now)?;
        } else {
            rotate(svc, record, now, RotationType::OnDemand);
        }
        record.rotation.on_demand_count += 1;
        Ok(())
    })
    .await?;
    Ok(RotateKeyOnDemandResponse {
        key_id: Some(record.arn()),
    })
}

/// ListKeyRotations: completed rotations, or every material version (SPEC A45).
pub(crate) async fn list_key_rotations(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListKeyRotationsRequest,
) -> Result<ListKeyRotationsResponse, KmsError> {
    // Step 1: the key, which must be one that rotates.
    let loc = locate(
        svc,
        caller,
        Operation::ListKeyRotations,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::ListKeyRotations, &record)?;
    if record.key_spec != KeySpec::SymmetricDefault {
        return Err(KmsError::unsupported(format!(
            "{} key spec is {} which does not support rotation.",
            record.arn(),
            record.key_spec
        )));
    }

    // Step 2: which versions, then one page of them.
    let all = req.include_key_material == Some(IncludeKeyMaterial::AllKeyMaterial);
    let arn = record.arn();
    let entries: Vec<RotationsListEntry> = record
        .materials
        .iter()
        .filter(|m| all || (m.rotation_date.is_some() && m.is_permanent()))
        .map(|m| RotationsListEntry {
            key_id: Some(arn.clone()),
            key_material_id: Some(m.id.clone()),
            key_material_state: Some(m.state),
            rotation_date: m.rotation_date,
            rotation_type: m.rotation_type,
            import_state: m.import.as_ref().map(|i| i.state),
            expiration_model: m.import.as_ref().and_then(|i| i.expiration_model),
            valid_to: m.expires_at(),
            key_material_description: m.import.as_ref().and_then(|i| i.description.clone()),
        })
        .collect();
    let limit = pagination::limit(req.limit, 100, 1000);
    let (page, next_marker) = pagination::page_of(&entries, req.marker.as_deref(), limit)?;
    Ok(ListKeyRotationsResponse {
        rotations: Some(page),
        truncated: Some(next_marker.is_some()),
        next_marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_model::{Blob, MaterialVersion, MultiRegion, RotationSettings};

    fn material(id: &str, state: KeyMaterialState, kind: Option<RotationType>) -> MaterialVersion {
        MaterialVersion {
            id: id.into(),
            sealed: Blob(Vec::new()),
            state,
            rotation_date: kind.map(|_| Timestamp::from_secs(1_000)),
            rotation_type: kind,
            import: None,
        }
    }

    /// A multi-Region primary in us-east-1 with a replica, one material CURRENT and one
    /// pending rotation of `kind`.
    fn primary(kind: RotationType) -> KeyRecord {
        let mut record = kms_store::conformance::key_record(
            "111122223333",
            "us-east-1",
            "mrk-00000000000000000000000000000000",
        );
        record.rotation = RotationSettings {
            enabled: true,
            period_days: Some(90),
            next_rotation: Some(Timestamp::from_secs(1_000).plus_days(90)),
            on_demand_start: None,
            on_demand_count: 3,
        };
        record.materials = vec![
            material("a", KeyMaterialState::Current, None),
            material("b", KeyMaterialState::PendingRotation, Some(kind)),
        ];
        record.multi_region = Some(MultiRegion {
            primary_region: "us-east-1".into(),
            replica_regions: vec!["eu-west-1".into()],
            shared_version: 4,
            epoch: 0,
            imported_by: Default::default(),
            state_before_update: None,
        });
        record
    }

    #[test]
    fn an_abandoned_on_demand_rotation_leaves_the_old_material_and_the_quota() {
        let mut record = primary(RotationType::OnDemand);
        let next = record.rotation.next_rotation;
        assert!(abandon_replicated(&mut record, Timestamp::from_secs(1_030)));
        assert_eq!(record.materials.len(), 1);
        assert_eq!(record.materials[0].state, KeyMaterialState::Current);
        assert_eq!(record.rotation.on_demand_count, 2);
        assert_eq!(record.rotation.next_rotation, next);
        assert!(!abandon_replicated(
            &mut record,
            Timestamp::from_secs(1_031)
        ));
    }

    #[test]
    fn an_abandoned_automatic_rotation_is_due_again_an_hour_later() {
        let mut record = primary(RotationType::Automatic);
        let now = Timestamp::from_secs(1_030);
        assert!(abandon_replicated(&mut record, now));
        assert_eq!(record.rotation.on_demand_count, 3);
        assert_eq!(
            record.rotation.next_rotation,
            Some(now.plus_millis(AUTOMATIC_RETRY_MILLIS))
        );
    }

    #[test]
    fn imported_material_and_replicas_are_never_abandoned_here() {
        let mut external = primary(RotationType::OnDemand);
        external.origin = OriginType::External;
        assert!(!abandon_replicated(
            &mut external,
            Timestamp::from_secs(1_030)
        ));
        assert_eq!(external.materials.len(), 2);
        let mut replica = primary(RotationType::OnDemand);
        replica.region = "eu-west-1".into();
        assert!(!abandon_replicated(
            &mut replica,
            Timestamp::from_secs(1_030)
        ));
        assert_eq!(replica.materials.len(), 2);
    }
}
