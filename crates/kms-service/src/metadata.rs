//! KeyMetadata as DescribeKey, CreateKey and the other operations answer it (SPEC.md 1.9).

use kms_model::shapes::{
    EncryptionAlgorithmSpec, KeyManagerType, KeyMetadata, KeyState, KeyUsageType,
};
use kms_model::KeyRecord;

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
        encryption_algorithms: encryption_algorithms(record),
        multi_region: Some(false),
        pending_deletion_window_in_days: record.pending_window_days.filter(|_| pending_deletion),
        current_key_material_id: record.current_material().map(|m| m.id.clone()),
        ..Default::default()
    }
}

/// The encryption algorithms of an ENCRYPT_DECRYPT key (absent for other usages).
fn encryption_algorithms(record: &KeyRecord) -> Option<Vec<EncryptionAlgorithmSpec>> {
    (record.key_usage == KeyUsageType::EncryptDecrypt)
        .then(|| vec![EncryptionAlgorithmSpec::SymmetricDefault])
}
