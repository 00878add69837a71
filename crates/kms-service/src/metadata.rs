//! KeyMetadata as DescribeKey, CreateKey and the other operations answer it (SPEC.md 1.9).

use kms_model::shapes::{ExpirationModelType, KeyManagerType, KeyMetadata, KeySpec, KeyState};
use kms_model::{KeyRecord, Timestamp};

use crate::key_types;

/// The KeyMetadata of a key; members without a value are left out of the JSON.
pub(crate) fn key_metadata(record: &KeyRecord) -> KeyMetadata {
    let pending_deletion = matches!(
        record.state,
        KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
    );
    KeyMetadata {
        aws_account_id: Some(record.account.clone()),
        key_id: record.key_id.clone(),
        arn: Some(record.arn()),
        creation_date: Some(record.creation_date),
        enabled: Some(record.enabled()),
        description: Some(record.description.clone()),
        key_usage: Some(record.key_usage),
        key_state: Some(record.state),
        deletion_date: record.deletion_date,
        origin: Some(record.origin),
        key_manager: Some(KeyManagerType::Customer),
        customer_master_key_spec: kms_model::shapes::CustomerMasterKeySpec::parse(
            record.key_spec.as_str(),
        ),
        key_spec: Some(record.key_spec),
        encryption_algorithms: key_types::encryption_algorithms(record.key_spec, record.key_usage),
        signing_algorithms: key_types::signing_algorithms(record.key_spec, record.key_usage),
        mac_algorithms: key_types::mac_algorithms(record.key_spec),
        key_agreement_algorithms: key_types::key_agreement_algorithms(record.key_usage),
        multi_region: Some(record.multi_region.is_some()),
        multi_region_configuration: crate::multi_region::configuration(record),
        pending_deletion_window_in_days: record.pending_window_days.filter(|_| pending_deletion),
        // Only symmetric encryption keys name their material (SPEC 1.9).
        current_key_material_id: record
            .current_material()
            .filter(|_| record.key_spec == KeySpec::SymmetricDefault)
            .map(|m| m.id.clone()),
        expiration_model: expiration_model(record),
        valid_to: valid_to(record),
        ..Default::default()
    }
}

/// The expiration model of an EXTERNAL key's current material, while it is imported.
fn expiration_model(record: &KeyRecord) -> Option<ExpirationModelType> {
    record.current_material()?.import.as_ref()?.expiration_model
}

/// The earliest expiry among the key's permanent materials (SPEC A39).
fn valid_to(record: &KeyRecord) -> Option<Timestamp> {
    record
        .materials
        .iter()
        .filter(|m| m.is_permanent())
        .filter_map(|m| m.expires_at())
        .min()
}
