//! Imported key material (bring your own key): GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial, and the expiry of imported material (SPEC.md §A).
//!
//! AWS pages: <https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html> and
//! the API pages of the three operations. The import token is opaque and sealed under the root
//! key (kms-crypto `import`): it carries the wrapping private key, is bound to one key ARN, and
//! needs no database row. Key material IDs are a hash of the key ID and the material, so a
//! reimport of the same material is recognised by its ID.

use std::sync::Arc;

use kms_crypto::import::{self as wrap, KeyPairPool, WrappingAlgorithm, WrappingKeyPair};
use kms_crypto::{Purpose, SecretBytes};
use kms_model::shapes::*;
use kms_model::{
    key_state, Blob, ErrorCode, ImportSettings, KeyRecord, KmsError, MaterialVersion, Operation,
    SensitiveBlob, Timestamp,
};

use crate::authz::Ctx;
use crate::keys::material_aad;
use crate::resolve::{load_record, locate, Forms};
use crate::write::{update_key, update_key_with};
use crate::Service;

/// How long a public key and import token stay valid (SPEC A10).
const PARAMETERS_VALID_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// How far ahead ValidTo may be (SPEC A23).
const MAX_VALID_TO_DAYS: i64 = 365;

/// How many ready wrapping key pairs the pool keeps per size.
const POOL_TARGET: usize = 2;

/// The one answer for every way EncryptedKeyMaterial can fail to unwrap: the same exception
/// and message whatever failed, so that a token is no decryption oracle.
const UNWRAP_FAILED: &str = "The EncryptedKeyMaterial could not be decrypted with the wrapping key and wrapping algorithm of the import token.";

/// The wrapping key pool, started when the first import-related call needs it (a server that
/// never imports spends no time generating RSA keys).
pub(crate) fn pool(svc: &Service) -> &Arc<KeyPairPool> {
    svc.wrapping_pool
        .get_or_init(|| KeyPairPool::new(POOL_TARGET))
}

/// The wrapping algorithm and key spec of a request, refusing what AWS no longer or here
/// does not support (SPEC A7).
fn wrapping_choice(
    alg: AlgorithmSpec,
    spec: kms_model::shapes::WrappingKeySpec,
) -> Result<(WrappingAlgorithm, wrap::WrappingKeySpec), KmsError> {
    let algorithm = match alg {
        AlgorithmSpec::RsaesOaepSha1 => WrappingAlgorithm::RsaesOaepSha1,
        AlgorithmSpec::RsaesOaepSha256 => WrappingAlgorithm::RsaesOaepSha256,
        AlgorithmSpec::RsaAesKeyWrapSha1 => WrappingAlgorithm::RsaAesKeyWrapSha1,
        AlgorithmSpec::RsaAesKeyWrapSha256 => WrappingAlgorithm::RsaAesKeyWrapSha256,
        AlgorithmSpec::RsaesPkcs1V15 => {
            return Err(KmsError::validation(
                "The wrapping algorithm RSAES_PKCS1_V1_5 is no longer supported. Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.",
            ))
        }
        AlgorithmSpec::Sm2pke => {
            return Err(KmsError::validation(
                "The wrapping algorithm SM2PKE is supported only in China Regions, which kmsd does not serve.",
            ))
        }
    };
    let spec = match spec {
        kms_model::shapes::WrappingKeySpec::Rsa2048 => wrap::WrappingKeySpec::Rsa2048,
        kms_model::shapes::WrappingKeySpec::Rsa3072 => wrap::WrappingKeySpec::Rsa3072,
        kms_model::shapes::WrappingKeySpec::Rsa4096 => wrap::WrappingKeySpec::Rsa4096,
        kms_model::shapes::WrappingKeySpec::Sm2 => {
            return Err(KmsError::validation(
                "The wrapping key spec SM2 is supported only in China Regions, which kmsd does not serve.",
            ))
        }
    };
    Ok((algorithm, spec))
}

/// A ready wrapping key pair, taken off the async runtime since it may need generating.
async fn take_pair(
    svc: &Service,
    spec: wrap::WrappingKeySpec,
) -> Result<WrappingKeyPair, KmsError> {
    let pool = Arc::clone(pool(svc));
    let taken = tokio::task::spawn_blocking(move || pool.take(spec)).await;
    match taken {
        Ok(Ok(pair)) => Ok(pair),
        _ => {
            tracing::error!("could not generate an RSA wrapping key pair");
            Err(KmsError::internal())
        }
    }
}

/// GetParametersForImport: a fresh wrapping public key and an import token (SPEC A6-A12).
pub(crate) async fn get_parameters_for_import(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GetParametersForImportRequest,
) -> Result<GetParametersForImportResponse, KmsError> {
    // Step 1: the algorithm and wrapping key spec must be ones kmsd serves.
    let (algorithm, spec) = wrapping_choice(req.wrapping_algorithm, req.wrapping_key_spec)?;

    // Step 2: the key must be EXTERNAL and in a state that allows it.
    let loc = locate(
        svc,
        caller,
        Operation::GetParametersForImport,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::GetParametersForImport, &record)?;
    crate::key_types::check_wrapping(
        record.key_spec,
        req.wrapping_algorithm,
        req.wrapping_key_spec,
    )?;

    // Step 3: a new pair and a token bound to this key, valid 24 hours.
    let pair = take_pair(svc, spec).await?;
    let arn = record.arn();
    let valid_to = svc.clock.now().plus_millis(PARAMETERS_VALID_MILLIS);
    let token = wrap::issue_token(&svc.sealer, &pair, &arn, algorithm, valid_to.millis());
    Ok(GetParametersForImportResponse {
        key_id: Some(arn),
        import_token: Some(Blob(token)),
        public_key: Some(SensitiveBlob(pair.public_key_der().to_vec())),
        parameters_valid_to: Some(valid_to),
    })
}

/// The expiration settings of an import request (SPEC A23, A29).
fn import_settings(
    req: &ImportKeyMaterialRequest,
    now: Timestamp,
) -> Result<(ExpirationModelType, Option<Timestamp>), KmsError> {
    let model = req
        .expiration_model
        .unwrap_or(ExpirationModelType::KeyMaterialExpires);
    match (model, req.valid_to) {
        (ExpirationModelType::KeyMaterialExpires, None) => Err(KmsError::validation(
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
        )),
        (ExpirationModelType::KeyMaterialDoesNotExpire, Some(_)) => Err(KmsError::validation(
            "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
        )),
        (ExpirationModelType::KeyMaterialExpires, Some(at)) if at <= now => Err(
            KmsError::validation("The validTo date must be in the future."),
        ),
        (ExpirationModelType::KeyMaterialExpires, Some(at))
            if at > now.plus_days(MAX_VALID_TO_DAYS) =>
        {
            Err(KmsError::validation(
                "The validTo date must be at most 365 days after the time of the request.",
            ))
        }
        (model, at) => Ok((model, at)),
    }
}

/// Opens the token for this key and unwraps the material (SPEC A22, A26).
fn unwrap_with_token(
    svc: &Service,
    arn: &str,
    req: &ImportKeyMaterialRequest,
    now: Timestamp,
) -> Result<SecretBytes, KmsError> {
    // Step 1: the token must be ours and for this key, and not expired.
    let token = wrap::open_token(&svc.sealer, &req.import_token.0, arn).map_err(|_| {
        KmsError::new(
            ErrorCode::InvalidImportTokenException,
            "The import token is not valid for this KMS key.",
        )
    })?;
    if token.expires_at_millis <= now.millis() {
        return Err(KmsError::new(
            ErrorCode::ExpiredImportTokenException,
            "The import token has expired. Use GetParametersForImport to get a new one.",
        ));
    }

    // Step 2: one answer for every unwrapping failure.
    token
        .unwrap_material(&req.encrypted_key_material.0)
        .map_err(|_| KmsError::new(ErrorCode::InvalidCiphertextException, UNWRAP_FAILED))
}

/// ImportType, KeyMaterialId and KeyMaterialDescription are only for symmetric encryption
/// keys: an asymmetric or HMAC key is bound for ever to its first material (SPEC A27).
fn check_symmetric_only(
    record: &KeyRecord,
    req: &ImportKeyMaterialRequest,
) -> Result<(), KmsError> {
    if record.key_spec == KeySpec::SymmetricDefault {
        return Ok(());
    }
    let given = [
        ("ImportType", req.import_type.is_some()),
        ("KeyMaterialId", req.key_material_id.is_some()),
        (
            "KeyMaterialDescription",
            req.key_material_description.is_some(),
        ),
    ];
    match given.iter().find(|(_, present)| *present) {
        Some((member, _)) => Err(KmsError::validation(format!(
            "{member} is only usable with symmetric encryption keys; {} is a {} key.",
            record.arn(),
            record.key_spec
        ))),
        None => Ok(()),
    }
}

/// The import being asked for, decided against the key's materials (SPEC A27-A33).
enum Target {
    /// The material the key already has at this index (EXISTING_KEY_MATERIAL).
    Existing(usize),
    /// New material: the first (CURRENT at once) or one pending rotation.
    New,
}

fn import_target(
    record: &KeyRecord,
    req: &ImportKeyMaterialRequest,
    id: &str,
) -> Result<Target, KmsError> {
    // Step 1: the default type depends on whether the key ever had material.
    let kind = req.import_type.unwrap_or(if record.materials.is_empty() {
        ImportType::NewKeyMaterial
    } else {
        ImportType::ExistingKeyMaterial
    });
    let incorrect = |msg: &str| KmsError::new(ErrorCode::IncorrectKeyMaterialException, msg);
    if kind == ImportType::NewKeyMaterial && record.is_mrk_replica() {
        // New material enters a multi-Region key only through its primary (SPEC A43).
        return Err(
            crate::multi_region::replica_refusal(record, Operation::ImportKeyMaterial)
                .unwrap_or_else(KmsError::internal),
        );
    }

    // Step 2: existing material must be material of the key, and the ID given must be its own.
    let position = record.materials.iter().position(|m| m.id == id);
    match kind {
        ImportType::ExistingKeyMaterial => {
            if req
                .key_material_id
                .as_deref()
                .is_some_and(|given| given != id)
            {
                return Err(incorrect(
                    "The KeyMaterialId does not match the key material in the request.",
                ));
            }
            position.map(Target::Existing).ok_or_else(|| {
                incorrect("The key material does not match key material previously imported into this KMS key.")
            })
        }
        ImportType::NewKeyMaterial => {
            if position.is_some() {
                return Err(incorrect(
                    "The key material is already associated with this KMS key.",
                ));
            }
            if let Some(pending) = record.materials.iter().find(|m| is_pending(m.state)) {
                return Err(KmsError::invalid_state(format!(
                    "New key material (id: {id}) cannot be imported into KMS key {}, because another key material (id: {}) is pending rotation.",
                    record.arn(),
                    pending.id
                )));
            }
            Ok(Target::New)
        }
    }
}

/// Whether a material state is one of the two pending-rotation states.
pub(crate) fn is_pending(state: KeyMaterialState) -> bool {
    matches!(
        state,
        KeyMaterialState::PendingRotation | KeyMaterialState::PendingMultiRegionImportAndRotation
    )
}

/// ImportKeyMaterial (SPEC A21-A35).
pub(crate) async fn import_key_material(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ImportKeyMaterialRequest,
) -> Result<ImportKeyMaterialResponse, KmsError> {
    // Step 1: the key, its state, and the request's own consistency.
    let loc = locate(
        svc,
        caller,
        Operation::ImportKeyMaterial,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::ImportKeyMaterial, &record)?;
    let now = svc.clock.now();
    let (model, valid_to) = import_settings(&req, now)?;
    check_symmetric_only(&record, &req)?;
    if req.import_type == Some(ImportType::NewKeyMaterial) && req.key_material_id.is_some() {
        return Err(KmsError::validation(
            "KeyMaterialId must not be specified when ImportType is NEW_KEY_MATERIAL.",
        ));
    }

    // Step 2: unwrap the material (outside the write, which may be retried) and check it.
    let arn = record.arn();
    let material = unwrap_with_token(svc, &arn, &req, now)?;
    crate::key_types::check_imported(record.key_spec, &material)?;
    let id = kms_crypto::material_id_hex(&kms_crypto::material_id(&record.key_id, &material));
    let sealed = svc.sealer.seal(
        Purpose::KeyMaterial,
        &material_aad(&crate::keys::material_owner(&record), &id),
        material.expose(),
    );

    // Step 3: apply it to the key as it is at write time.
    let (_, written) = update_key_with(
        svc,
        caller,
        &loc,
        Operation::ImportKeyMaterial,
        |record, _, outbound| {
            let settings = |previous: Option<&ImportSettings>| ImportSettings {
                state: ImportState::Imported,
                expiration_model: Some(model),
                valid_to,
                description: req
                    .key_material_description
                    .clone()
                    .or_else(|| previous.and_then(|p| p.description.clone())),
            };
            match import_target(record, &req, &id)? {
                Target::Existing(i) => {
                    let m = &mut record.materials[i];
                    m.sealed = Blob(sealed.clone());
                    m.import = Some(settings(m.import.as_ref()));
                    // A replica that now holds material waiting for every replica tells the
                    // primary (SPEC A43).
                    if m.state == KeyMaterialState::PendingMultiRegionImportAndRotation {
                        outbound
                            .extra
                            .extend(crate::multi_region::imported_entry(record, &id));
                    }
                }
                Target::New => {
                    let first = record.materials.is_empty();
                    let replicas = record
                        .multi_region
                        .as_ref()
                        .is_some_and(|m| !m.replica_regions.is_empty());
                    record.materials.push(MaterialVersion {
                        id: id.clone(),
                        sealed: Blob(sealed.clone()),
                        state: if first {
                            KeyMaterialState::Current
                        } else if replicas {
                            KeyMaterialState::PendingMultiRegionImportAndRotation
                        } else {
                            KeyMaterialState::PendingRotation
                        },
                        rotation_date: None,
                        rotation_type: None,
                        import: Some(settings(None)),
                    });
                }
            }
            // A key pending import becomes Enabled once all its permanent material is present.
            if record.state == KeyState::PendingImport && crate::keys::has_all_material(record) {
                record.state = KeyState::Enabled;
            }
            Ok(())
        },
    )
    .await?;
    // Only symmetric encryption keys name their material (SPEC 1.9, A27).
    let symmetric = written.key_spec == KeySpec::SymmetricDefault;
    Ok(ImportKeyMaterialResponse {
        key_id: Some(written.arn()),
        key_material_id: symmetric.then_some(id),
    })
}

/// Forgets the bytes of one material version, keeping its ID (deletion and expiry alike).
/// Material pending rotation is removed altogether (SPEC A34). Answers whether the key's
/// permanent material changed.
pub(crate) fn forget_material(record: &mut KeyRecord, index: usize) -> bool {
    // Pending material leaves the key, except at a replica, where the primary decides.
    let pending = is_pending(record.materials[index].state);
    if pending && !record.is_mrk_replica() {
        record.materials.remove(index);
        return false;
    }
    let m = &mut record.materials[index];
    m.sealed = Blob(Vec::new());
    if let Some(import) = m.import.as_mut() {
        import.state = ImportState::PendingImport;
        import.expiration_model = None;
        import.valid_to = None;
    }
    // The key waits for its material again, unless it is on its way out (SPEC A40, C3).
    if pending {
        return false;
    }
    if record.state != KeyState::PendingDeletion {
        record.state = KeyState::PendingImport;
    }
    true
}

/// DeleteImportedKeyMaterial (SPEC A40-A41).
pub(crate) async fn delete_imported_key_material(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DeleteImportedKeyMaterialRequest,
) -> Result<DeleteImportedKeyMaterialResponse, KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::DeleteImportedKeyMaterial,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let (deleted, record) = update_key(
        svc,
        caller,
        &loc,
        Operation::DeleteImportedKeyMaterial,
        |record, _| {
            // Step 1: which material: the one named, or the current one.
            let index = match req.key_material_id.as_deref() {
                Some(id) => Some(
                    record
                        .materials
                        .iter()
                        .position(|m| m.id == id)
                        .ok_or_else(|| {
                            KmsError::not_found(format!(
                                "Key material {id} is not associated with {}.",
                                record.arn()
                            ))
                        })?,
                ),
                None => record
                    .materials
                    .iter()
                    .position(|m| m.state == KeyMaterialState::Current),
            };

            // Step 2: forget it; a key without material succeeds and changes nothing.
            Ok(index.map(|i| {
                let id = record.materials[i].id.clone();
                forget_material(record, i);
                id
            }))
        },
    )
    .await?;
    Ok(DeleteImportedKeyMaterialResponse {
        key_id: Some(record.arn()),
        key_material_id: deleted,
    })
}

/// Expires every imported material of `record` whose ValidTo is at or before `now`
/// (SPEC A36-A37). Answers whether anything expired.
pub(crate) fn expire_materials(record: &mut KeyRecord, now: Timestamp) -> bool {
    let mut changed = false;
    while let Some(i) = record
        .materials
        .iter()
        .position(|m| m.expires_at().is_some_and(|t| t <= now))
    {
        forget_material(record, i);
        changed = true;
    }
    changed
}
