//! The key-state table of SPEC.md §C (C4-C6): for an operation and a key, whether the
//! operation may proceed, and if not, the exact exception and message AWS KMS gives.
//!
//! Every handler calls [`check`] once it has resolved its key; no handler tests a state itself.
//! The rows that depend on the key's origin or spec (footnotes 6-9) live here too, so that the
//! whole table is one function. Project choice for "[2] or [3]" (SPEC C5): [3].

use crate::error::{ErrorCode, KmsError};
use crate::generated::operations::Operation;
use crate::generated::shapes::{KeySpec, KeyState, OriginType};
use crate::key::KeyRecord;

/// What an operation does in one cell of the table.
enum Cell {
    /// The operation proceeds.
    Ok,
    /// `DisabledException` "<arn> is disabled." (footnote 1).
    Disabled,
    /// `KMSInvalidStateException` "<arn> is pending deletion." (footnote 3).
    PendingDeletion,
    /// `KMSInvalidStateException` "<arn> is not pending deletion." (footnote 4).
    NotPendingDeletion,
    /// `KMSInvalidStateException` "<arn> is pending import." (footnote 5).
    PendingImport,
    /// `KMSInvalidStateException` "<arn> is unavailable." (footnote 11).
    Unavailable,
    /// `KMSInvalidStateException` "<arn> is creating." (footnote 14).
    Creating,
    /// `KMSInvalidStateException` "<arn> is updating." (footnote 15).
    Updating,
    /// `KMSInvalidStateException` for an EXTERNAL key pending deletion (footnote 8).
    ImportedPendingDeletion,
}

/// The row groups of the table: operations that share every cell.
enum Row {
    /// Decrypt, Encrypt, GenerateDataKey*, ReEncrypt, Sign, Verify, MACs, CreateGrant, ...
    Cryptographic,
    /// Succeeds in every state (SPEC C7).
    Always,
    /// CreateAlias, UpdateAlias (destination), TagResource, UntagResource, UpdateKeyDescription.
    ManageUnlessPendingDeletion,
    /// EnableKey and DisableKey.
    EnableDisable,
    /// CancelKeyDeletion.
    CancelDeletion,
    /// ScheduleKeyDeletion.
    ScheduleDeletion,
    /// EnableKeyRotation and DisableKeyRotation.
    RotationSettings,
    /// GetKeyRotationStatus.
    RotationStatus,
    /// GetParametersForImport.
    GetParametersForImport,
    /// ImportKeyMaterial.
    ImportKeyMaterial,
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial,
    /// ReplicateKey.
    Replicate,
    /// UpdatePrimaryRegion.
    UpdatePrimary,
    /// RotateKeyOnDemand.
    RotateOnDemand,
    /// ListKeyRotations.
    ListRotations,
}

fn row(op: Operation) -> Row {
    use Operation::*;
    match op {
        CreateGrant
        | Decrypt
        | Encrypt
        | GenerateDataKey
        | GenerateDataKeyPair
        | GenerateDataKeyPairWithoutPlaintext
        | GenerateDataKeyWithoutPlaintext
        | GenerateMac
        | GetPublicKey
        | ReEncrypt
        | Sign
        | Verify
        | VerifyMac
        | DeriveSharedSecret => Row::Cryptographic,
        CreateAlias | UpdateAlias | TagResource | UntagResource | UpdateKeyDescription => {
            Row::ManageUnlessPendingDeletion
        }
        EnableKey | DisableKey => Row::EnableDisable,
        CancelKeyDeletion => Row::CancelDeletion,
        ScheduleKeyDeletion => Row::ScheduleDeletion,
        EnableKeyRotation | DisableKeyRotation => Row::RotationSettings,
        GetKeyRotationStatus => Row::RotationStatus,
        GetParametersForImport => Row::GetParametersForImport,
        ImportKeyMaterial => Row::ImportKeyMaterial,
        DeleteImportedKeyMaterial => Row::DeleteImportedKeyMaterial,
        ReplicateKey => Row::Replicate,
        UpdatePrimaryRegion => Row::UpdatePrimary,
        RotateKeyOnDemand => Row::RotateOnDemand,
        ListKeyRotations => Row::ListRotations,
        DescribeKey
        | GetKeyPolicy
        | PutKeyPolicy
        | ListAliases
        | ListGrants
        | ListKeyPolicies
        | ListResourceTags
        | RetireGrant
        | RevokeGrant
        | DeleteAlias
        | GetKeyLastUsage
        | CreateKey
        | ListKeys
        | ListRetirableGrants
        | GenerateRandom
        | ConnectCustomKeyStore
        | CreateCustomKeyStore
        | DeleteCustomKeyStore
        | DescribeCustomKeyStores
        | DisconnectCustomKeyStore
        | UpdateCustomKeyStore => Row::Always,
    }
}

/// The cell of the table for a row and a state.
fn cell(row: Row, state: KeyState) -> Cell {
    use KeyState::*;
    let pending_deletion = matches!(state, PendingDeletion | PendingReplicaDeletion);
    match row {
        Row::Always => Cell::Ok,
        Row::Cryptographic => match state {
            Enabled | Updating => Cell::Ok,
            Disabled => Cell::Disabled,
            PendingImport => Cell::PendingImport,
            Unavailable => Cell::Unavailable,
            Creating => Cell::Creating,
            PendingDeletion | PendingReplicaDeletion => Cell::PendingDeletion,
        },
        Row::ManageUnlessPendingDeletion if pending_deletion => Cell::PendingDeletion,
        Row::ManageUnlessPendingDeletion => Cell::Ok,
        Row::EnableDisable => match state {
            Enabled | Disabled | Unavailable => Cell::Ok,
            PendingImport => Cell::PendingImport,
            Creating => Cell::Creating,
            Updating => Cell::Updating,
            PendingDeletion | PendingReplicaDeletion => Cell::PendingDeletion,
        },
        Row::CancelDeletion if pending_deletion => Cell::Ok,
        Row::CancelDeletion => Cell::NotPendingDeletion,
        Row::ScheduleDeletion => match state {
            Updating => Cell::Updating,
            PendingDeletion | PendingReplicaDeletion => Cell::PendingDeletion,
            _ => Cell::Ok,
        },
        Row::RotationSettings => match state {
            Enabled | Updating => Cell::Ok,
            Disabled => Cell::Disabled,
            Creating => Cell::Creating,
            Unavailable => Cell::Unavailable,
            PendingImport => Cell::PendingImport,
            PendingDeletion | PendingReplicaDeletion => Cell::PendingDeletion,
        },
        Row::RotationStatus => Cell::Ok,
        Row::GetParametersForImport => match state {
            Creating => Cell::Creating,
            Updating => Cell::Updating,
            PendingDeletion | PendingReplicaDeletion => Cell::ImportedPendingDeletion,
            _ => Cell::Ok,
        },
        Row::ImportKeyMaterial => match state {
            Creating => Cell::Creating,
            PendingDeletion | PendingReplicaDeletion => Cell::ImportedPendingDeletion,
            _ => Cell::Ok,
        },
        Row::DeleteImportedKeyMaterial => match state {
            Creating => Cell::Creating,
            Updating => Cell::Updating,
            _ => Cell::Ok,
        },
        Row::Replicate | Row::RotateOnDemand => match state {
            Enabled => Cell::Ok,
            Disabled => Cell::Disabled,
            PendingImport => Cell::PendingImport,
            Creating => Cell::Creating,
            Updating => Cell::Updating,
            Unavailable => Cell::Unavailable,
            PendingDeletion | PendingReplicaDeletion => Cell::PendingDeletion,
        },
        Row::UpdatePrimary => match state {
            Enabled | Updating => Cell::Ok,
            Disabled => Cell::Disabled,
            PendingImport => Cell::PendingImport,
            Creating => Cell::Creating,
            Unavailable => Cell::Unavailable,
            PendingDeletion | PendingReplicaDeletion => Cell::PendingDeletion,
        },
        Row::ListRotations => match state {
            Creating => Cell::Creating,
            _ => Cell::Ok,
        },
    }
}

/// What the table needs to know of a key: its ARN (for messages), state, origin and spec.
#[derive(Debug, Clone, Copy)]
pub struct KeyFacts<'a> {
    /// The key ARN.
    pub arn: &'a str,
    /// The key state.
    pub state: KeyState,
    /// The key's origin.
    pub origin: OriginType,
    /// The key's spec.
    pub key_spec: KeySpec,
}

/// The origin- and spec-dependent rules of footnotes 6, 7 and 9, checked before the state.
fn check_origin(op: Operation, key: &KeyFacts<'_>, arn: &str) -> Result<(), KmsError> {
    use Operation::*;
    let origin_error = || {
        KmsError::unsupported(format!(
            "{arn} origin is {} which is not valid for this operation.",
            key.origin
        ))
    };
    match op {
        // Footnote 9: only keys that can hold imported material.
        GetParametersForImport | ImportKeyMaterial | DeleteImportedKeyMaterial
            if key.origin != OriginType::External =>
        {
            Err(origin_error())
        }
        // Footnotes 6 and 7: automatic rotation exists only for AWS_KMS symmetric keys.
        EnableKeyRotation | DisableKeyRotation | GetKeyRotationStatus
            if key.origin != OriginType::AwsKms =>
        {
            Err(origin_error())
        }
        EnableKeyRotation | DisableKeyRotation | GetKeyRotationStatus
            if key.key_spec != KeySpec::SymmetricDefault =>
        {
            Err(KmsError::unsupported(format!(
                "{arn} key spec is {} which is not valid for this operation.",
                key.key_spec
            )))
        }
        _ => Ok(()),
    }
}

/// Whether `op` may run on `key` now; the AWS error when it may not.
pub fn check(op: Operation, key: &KeyRecord) -> Result<(), KmsError> {
    let arn = key.arn();
    let facts = KeyFacts {
        arn: &arn,
        state: key.state,
        origin: key.origin,
        key_spec: key.key_spec,
    };
    check_facts(op, &facts)
}

/// [`check`] for a key known by its facts alone (the cryptographic path's cache entry).
pub fn check_facts(op: Operation, key: &KeyFacts<'_>) -> Result<(), KmsError> {
    let arn = key.arn;
    if matches!(row(op), Row::Cryptographic | Row::Always) && key.state == KeyState::Enabled {
        return Ok(());
    }
    check_origin(op, key, arn)?;
    let deletion = if key.state == KeyState::PendingReplicaDeletion {
        "pending replica deletion"
    } else {
        "pending deletion"
    };
    let invalid = |what: &str| Err(KmsError::invalid_state(format!("{arn} is {what}.")));
    match cell(row(op), key.state) {
        Cell::Ok => Ok(()),
        Cell::Disabled => Err(KmsError::new(
            ErrorCode::DisabledException,
            format!("{arn} is disabled."),
        )),
        Cell::PendingDeletion | Cell::ImportedPendingDeletion => invalid(deletion),
        Cell::NotPendingDeletion => invalid(&format!("not {deletion}")),
        Cell::PendingImport => invalid("pending import"),
        Cell::Unavailable => invalid("unavailable"),
        Cell::Creating => invalid("creating"),
        Cell::Updating => invalid("updating"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::*;
    use crate::generated::shapes::KeyUsageType;
    use crate::wire::Timestamp;

    fn key(state: KeyState, origin: OriginType) -> KeyRecord {
        KeyRecord {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            creation_date: Timestamp(0),
            description: String::new(),
            key_spec: KeySpec::SymmetricDefault,
            key_usage: KeyUsageType::EncryptDecrypt,
            origin,
            state,
            deletion_date: None,
            pending_window_days: None,
            policy: String::new(),
            tags: vec![],
            rotation: Default::default(),
            materials: vec![],
            multi_region: None,
            last_usage: None,
            version: 0,
        }
    }

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn err(op: Operation, state: KeyState, origin: OriginType) -> (ErrorCode, String) {
        let e = check(op, &key(state, origin)).unwrap_err();
        (e.code, e.message)
    }

    #[test]
    fn cryptographic_row() {
        use KeyState::*;
        let aws = OriginType::AwsKms;
        assert!(check(Operation::Encrypt, &key(Enabled, aws)).is_ok());
        assert!(check(Operation::Decrypt, &key(Updating, aws)).is_ok());
        assert_eq!(
            err(Operation::Encrypt, Disabled, aws),
            (ErrorCode::DisabledException, format!("{ARN} is disabled."))
        );
        assert_eq!(
            err(Operation::Decrypt, PendingDeletion, aws),
            (
                ErrorCode::KMSInvalidStateException,
                format!("{ARN} is pending deletion.")
            )
        );
        assert_eq!(
            err(
                Operation::GenerateDataKey,
                PendingImport,
                OriginType::External
            )
            .1,
            format!("{ARN} is pending import.")
        );
        assert_eq!(
            err(Operation::ReEncrypt, Creating, aws).1,
            format!("{ARN} is creating.")
        );
    }

    #[test]
    fn management_rows() {
        use KeyState::*;
        let aws = OriginType::AwsKms;
        assert_eq!(
            err(Operation::CancelKeyDeletion, Enabled, aws).1,
            format!("{ARN} is not pending deletion.")
        );
        assert!(check(Operation::CancelKeyDeletion, &key(PendingDeletion, aws)).is_ok());
        assert!(check(Operation::DescribeKey, &key(PendingDeletion, aws)).is_ok());
        assert!(check(Operation::EnableKey, &key(Disabled, aws)).is_ok());
        assert_eq!(
            err(Operation::TagResource, PendingDeletion, aws).0,
            ErrorCode::KMSInvalidStateException
        );
        assert_eq!(
            err(Operation::ScheduleKeyDeletion, PendingDeletion, aws).1,
            format!("{ARN} is pending deletion.")
        );
        assert_eq!(
            err(Operation::DisableKey, PendingReplicaDeletion, aws).1,
            format!("{ARN} is pending replica deletion.")
        );
        assert!(check(Operation::DeleteAlias, &key(PendingDeletion, aws)).is_ok());
    }

    #[test]
    fn origin_rules() {
        use KeyState::*;
        assert_eq!(
            err(
                Operation::GetParametersForImport,
                Enabled,
                OriginType::AwsKms
            ),
            (
                ErrorCode::UnsupportedOperationException,
                format!("{ARN} origin is AWS_KMS which is not valid for this operation.")
            )
        );
        assert_eq!(
            err(
                Operation::EnableKeyRotation,
                PendingImport,
                OriginType::External
            )
            .1,
            format!("{ARN} origin is EXTERNAL which is not valid for this operation.")
        );
        assert_eq!(
            err(Operation::EnableKeyRotation, Disabled, OriginType::AwsKms).0,
            ErrorCode::DisabledException
        );
    }
}
