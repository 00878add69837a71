//! The symmetric cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext and GenerateRandom (SPEC.md D6-D13).
//!
//! This is the hot path. Each handler resolves its key through the cache (no database read
//! for a key in use), checks the key-state table on the cached facts, and uses the unsealed
//! material the cache keeps. Ciphertexts bind the key's identity and the canonical encryption
//! context (ARCHITECTURE.md "Ciphertext format").

use std::collections::BTreeMap;
use std::sync::Arc;

use kms_crypto::ciphertext::{self, KeyReference, Parsed};
use kms_model::key_state::{check_facts, KeyFacts};
use kms_model::shapes::*;
use kms_model::{Blob, ErrorCode, KmsError, Operation, SensitiveBlob};

use crate::authz::Ctx;
use crate::cache::{CachedKey, CachedMaterial};
use crate::resolve::{load_cached, locate, Forms, KeyLocation};
use crate::Service;

/// AWS's answer for a ciphertext whose key is not the caller's to use (SPEC D9a).
const UNKNOWN_CIPHERTEXT_KEY: &str = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/// AWS's answer when the KeyId of a request is not the key of the ciphertext (SPEC B24).
const INCORRECT_KEY: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";

/// The DryRunOperationException of every operation that has DryRun (SPEC D11).
pub(crate) fn dry_run_error() -> KmsError {
    KmsError::new(
        ErrorCode::DryRunOperationException,
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// The encryption key at `key_id` from the cache, usable for `op`: state and usage checked.
async fn usable_key(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    key_id: &str,
) -> Result<Arc<CachedKey>, KmsError> {
    usable_key_for(svc, caller, op, key_id, KeyUsageType::EncryptDecrypt).await
}

/// The key at `key_id` from the cache, usable for `op`: its state allows `op` and its usage
/// is `usage`.
pub(crate) async fn usable_key_for(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    key_id: &str,
    usage: KeyUsageType,
) -> Result<Arc<CachedKey>, KmsError> {
    let loc = locate(svc, caller, op, key_id, Forms::Any).await?;
    let key = load_cached(svc, caller, &loc).await?;
    check_usable_for(op, &key, usage)?;
    Ok(key)
}

/// ReEncrypt's destination key, authorized for kms:ReEncryptTo.
async fn destination_key(
    svc: &Service,
    caller: &Ctx<'_>,
    key_id: &str,
) -> Result<Arc<CachedKey>, KmsError> {
    let mut loc = locate(svc, caller, Operation::ReEncrypt, key_id, Forms::Any).await?;
    loc.action = "kms:ReEncryptTo".to_string();
    let key = load_cached(svc, caller, &loc).await?;
    check_usable(Operation::ReEncrypt, &key)?;
    Ok(key)
}

/// The key-state table and the key-usage rule (SPEC D7) for a cached encryption key.
fn check_usable(op: Operation, key: &CachedKey) -> Result<(), KmsError> {
    check_usable_for(op, key, KeyUsageType::EncryptDecrypt)
}

/// The key-state table and the key-usage rule for a cached key that `op` needs with `usage`.
pub(crate) fn check_usable_for(
    op: Operation,
    key: &CachedKey,
    usage: KeyUsageType,
) -> Result<(), KmsError> {
    // An Enabled key passes every cryptographic row of the table; only other states need the
    // table (and the ARN its messages name).
    if key.state != KeyState::Enabled {
        let arn = key.arn();
        let facts = KeyFacts {
            arn: &arn,
            state: key.state,
            origin: key.origin,
            key_spec: key.key_spec,
        };
        check_facts(op, &facts)?;
    }
    if key.key_usage != usage {
        return Err(crate::key_types::wrong_usage(
            &key.arn(),
            key.key_usage,
            op.name(),
        ));
    }
    Ok(())
}

/// A symmetric key encrypts only with SYMMETRIC_DEFAULT, the default algorithm.
fn check_algorithm(key: &CachedKey, alg: Option<EncryptionAlgorithmSpec>) -> Result<(), KmsError> {
    let alg = alg.unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
    if alg == EncryptionAlgorithmSpec::SymmetricDefault && key.key_spec == KeySpec::SymmetricDefault
    {
        return Ok(());
    }
    Err(crate::key_types::incompatible_algorithm(
        alg.as_str(),
        key.key_spec,
    ))
}

/// Each grant token of the request must name an existing grant (InvalidGrantTokenException).
pub(crate) fn check_grant_tokens(
    svc: &Service,
    tokens: &Option<Vec<String>>,
) -> Result<(), KmsError> {
    crate::grants::check_tokens(svc, tokens)
}

/// The key reference a ciphertext of `key` carries.
fn key_reference(key: &CachedKey) -> KeyReference {
    let region = (!key.key_id.starts_with("mrk-")).then(|| key.region.to_string());
    KeyReference {
        account: key.account.to_string(),
        region,
        key_id: key.key_id.to_string(),
    }
}

/// Imported material past its ValidTo is gone, even before the scheduler deletes it (SPEC A36).
pub(crate) fn check_live(
    svc: &Service,
    key: &CachedKey,
    material: &CachedMaterial,
) -> Result<(), KmsError> {
    match material.valid_to {
        Some(at) if at <= svc.clock.now() => Err(KmsError::invalid_state(format!(
            "{} is pending import.",
            key.arn()
        ))),
        _ => Ok(()),
    }
}

/// The key's CURRENT material, refused once past its ValidTo.
pub(crate) fn live_current<'k>(
    svc: &Service,
    key: &'k CachedKey,
) -> Result<&'k CachedMaterial, KmsError> {
    let material = key.current_material().ok_or_else(|| {
        tracing::error!(key_id = %key.key_id, "enabled key has no current material");
        KmsError::internal()
    })?;
    check_live(svc, key, material)?;
    Ok(material)
}

/// The unsealed bytes of the key's live CURRENT material (an HMAC key, a PKCS #8 private key).
pub(crate) fn current_secret<'k>(
    svc: &Service,
    key: &'k CachedKey,
) -> Result<&'k kms_crypto::SecretBytes, KmsError> {
    live_current(svc, key)?.secret(&svc.sealer, key)
}

/// The spec and unsealed private key of an asymmetric key whose material is live.
pub(crate) fn private_key<'k>(
    svc: &Service,
    key: &'k CachedKey,
) -> Result<
    (
        kms_crypto::asymmetric::AsymmetricSpec,
        &'k kms_crypto::SecretBytes,
    ),
    KmsError,
> {
    let spec = crate::key_types::asymmetric_spec(key.key_spec).ok_or_else(KmsError::internal)?;
    Ok((spec, current_secret(svc, key)?))
}

/// Encrypts `plaintext` under the key's current material; answers (ciphertext, material ID).
pub(crate) fn seal_under(
    svc: &Service,
    key: &CachedKey,
    context: &Option<BTreeMap<String, String>>,
    plaintext: &[u8],
) -> Result<(Vec<u8>, String), KmsError> {
    let material = live_current(svc, key)?;
    let secret = material.secret(&svc.sealer, key)?;
    let aad = kms_crypto::canonical_context(context.as_ref().unwrap_or(&BTreeMap::new()));
    let blob = ciphertext::encrypt(secret, &key_reference(key), &material.id, &aad, plaintext)
        .map_err(|e| {
            tracing::error!(key_id = %key.key_id, error = %e, "encryption failed");
            KmsError::internal()
        })?;
    Ok((blob, material.id_hex()))
}

/// Encrypt (SPEC D6-D8).
pub(crate) async fn encrypt(
    svc: &Service,
    caller: &Ctx<'_>,
    req: EncryptRequest,
) -> Result<EncryptResponse, KmsError> {
    // Step 1: the key, usable for Encrypt, with an algorithm its spec offers.
    let key = usable_key(svc, caller, Operation::Encrypt, &req.key_id).await?;
    let hash = crate::rsa::oaep_hash(&key, req.encryption_algorithm)?;
    if hash.is_some() {
        crate::rsa::refuse_context(&req.encryption_context)?;
    }
    check_grant_tokens(svc, &req.grant_tokens)?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 2: encrypt: RSA-OAEP under an RSA key's public key, or under the current material,
    // bound to the key and the context.
    let (blob, algorithm) = match hash {
        Some(hash) => {
            let alg = req
                .encryption_algorithm
                .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
            let blob = crate::rsa::encrypt(svc, &key, hash, alg, req.plaintext.as_bytes())?;
            (blob, alg)
        }
        None => {
            let (blob, _) =
                seal_under(svc, &key, &req.encryption_context, req.plaintext.as_bytes())?;
            (blob, EncryptionAlgorithmSpec::SymmetricDefault)
        }
    };
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::Encrypt,
        svc.clock.now(),
    );
    Ok(EncryptResponse {
        ciphertext_blob: Some(Blob(blob)),
        key_id: Some(key.arn()),
        encryption_algorithm: Some(algorithm),
    })
}

/// The key that can decrypt `parsed`: the one `key_id` names, which must be the ciphertext's
/// own key (SPEC B24), or without a KeyId the key the ciphertext names (SPEC D9, D9a).
async fn decrypting_key(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    key_id: Option<&str>,
    parsed: &Parsed,
) -> Result<Arc<CachedKey>, KmsError> {
    let named = &parsed.key_ref;
    let key = match key_id {
        Some(key_id) => {
            let key = usable_key(svc, caller, op, key_id).await?;
            let same_region = named.region.as_deref().is_none_or(|r| r == &*key.region);
            if *named.key_id != *key.key_id || *named.account != *key.account || !same_region {
                return Err(KmsError::new(
                    ErrorCode::IncorrectKeyException,
                    INCORRECT_KEY,
                ));
            }
            key
        }
        None => {
            let denied = || KmsError::new(ErrorCode::AccessDeniedException, UNKNOWN_CIPHERTEXT_KEY);
            let in_region = named
                .region
                .as_deref()
                .is_none_or(|r| r == caller.region.as_str());
            if !in_region {
                return Err(denied());
            }
            // The key the ciphertext names, in this region, possibly of another account whose
            // key policy lets the caller decrypt; a missing or forbidden key looks the same.
            let action = match op {
                Operation::ReEncrypt => "kms:ReEncryptFrom".to_string(),
                _ => crate::authz::action(op),
            };
            let loc = KeyLocation {
                account: named.account.clone(),
                region: caller.region.as_str().to_string(),
                key_id: named.key_id.clone(),
                action,
            };
            let key = load_cached(svc, caller, &loc)
                .await
                .map_err(|e| match e.code {
                    ErrorCode::NotFoundException | ErrorCode::AccessDeniedException => denied(),
                    _ => e,
                })?;
            check_usable(op, &key)?;
            key
        }
    };
    Ok(key)
}

/// Opens `parsed` with the material version it names; any failure is InvalidCiphertext.
fn open_with(
    svc: &Service,
    key: &CachedKey,
    parsed: &Parsed,
    context: &Option<BTreeMap<String, String>>,
) -> Result<(SensitiveBlob, String), KmsError> {
    let material = key
        .material(&parsed.material_id)
        .ok_or_else(KmsError::invalid_ciphertext)?;
    check_live(svc, key, material)?;
    let secret = material.secret(&svc.sealer, key)?;
    let aad = kms_crypto::canonical_context(context.as_ref().unwrap_or(&BTreeMap::new()));
    let plain =
        ciphertext::decrypt(secret, parsed, &aad).map_err(|_| KmsError::invalid_ciphertext())?;
    Ok((SensitiveBlob(plain.expose().to_vec()), material.id_hex()))
}

/// Decrypt (SPEC D8, D9, D9a, B24).
pub(crate) async fn decrypt(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DecryptRequest,
) -> Result<DecryptResponse, KmsError> {
    // Step 1: what the request may not ask of kmsd.
    if req.recipient.is_some() {
        return Err(KmsError::unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by kmsd.",
        ));
    }
    check_grant_tokens(svc, &req.grant_tokens)?;
    let ignore_ciphertext = req
        .dry_run_modifiers
        .as_ref()
        .is_some_and(|m| m.contains(&DryRunModifierType::IgnoreCiphertext));
    if req.dry_run == Some(true) && ignore_ciphertext {
        return dry_run_without_ciphertext(svc, caller, req.key_id.as_deref()).await;
    }

    // Step 2: an RSA ciphertext opens with the private key of the key the request names.
    let blob = req
        .ciphertext_blob
        .as_ref()
        .ok_or_else(|| missing_member("ciphertextBlob"))?;
    if let Some(alg) = req
        .encryption_algorithm
        .filter(crate::rsa::is_rsa_algorithm)
    {
        let opened = crate::rsa::open(
            svc,
            caller,
            Operation::Decrypt,
            req.key_id.as_deref(),
            alg,
            &req.encryption_context,
            &blob.0,
        )
        .await?;
        if req.dry_run == Some(true) {
            return Err(dry_run_error());
        }
        let now = svc.clock.now();
        opened
            .key
            .record_use(&svc.cache, KeyLastUsageTrackingOperation::Decrypt, now);
        return Ok(DecryptResponse {
            key_id: Some(opened.key.arn()),
            plaintext: Some(opened.plaintext),
            encryption_algorithm: Some(opened.algorithm),
            ..Default::default()
        });
    }

    // Step 3: a symmetric ciphertext must be ours, and the key it names the caller's.
    let parsed = ciphertext::parse(&blob.0).map_err(|_| KmsError::invalid_ciphertext())?;
    let key = decrypting_key(
        svc,
        caller,
        Operation::Decrypt,
        req.key_id.as_deref(),
        &parsed,
    )
    .await?;
    check_algorithm(&key, req.encryption_algorithm)?;

    // Step 4: open it under the material version it names and the caller's context.
    let (plaintext, material_id) = open_with(svc, &key, &parsed, &req.encryption_context)?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::Decrypt,
        svc.clock.now(),
    );
    Ok(DecryptResponse {
        key_id: Some(key.arn()),
        plaintext: Some(plaintext),
        encryption_algorithm: Some(EncryptionAlgorithmSpec::SymmetricDefault),
        key_material_id: Some(material_id),
        ..Default::default()
    })
}

/// DryRun with IGNORE_CIPHERTEXT: only the key named by KeyId is checked.
async fn dry_run_without_ciphertext<T>(
    svc: &Service,
    caller: &Ctx<'_>,
    key_id: Option<&str>,
) -> Result<T, KmsError> {
    let key_id = key_id.ok_or_else(|| missing_member("keyId"))?;
    usable_key(svc, caller, Operation::Decrypt, key_id).await?;
    Err(dry_run_error())
}

/// The ValidationException of a member that this request form requires.
fn missing_member(path: &str) -> KmsError {
    KmsError::validation(format!(
        "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
    ))
}

/// ReEncrypt: decrypt under the source key, encrypt under the destination (SPEC D10).
pub(crate) async fn re_encrypt(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ReEncryptRequest,
) -> Result<ReEncryptResponse, KmsError> {
    // Step 1: both keys: the source from the ciphertext (or SourceKeyId), the destination.
    check_grant_tokens(svc, &req.grant_tokens)?;
    let ignore_ciphertext = req
        .dry_run_modifiers
        .as_ref()
        .is_some_and(|m| m.contains(&DryRunModifierType::IgnoreCiphertext));
    if req.dry_run == Some(true) && ignore_ciphertext {
        destination_key(svc, caller, &req.destination_key_id).await?;
        return dry_run_without_ciphertext(svc, caller, req.source_key_id.as_deref()).await;
    }
    let blob = req
        .ciphertext_blob
        .as_ref()
        .ok_or_else(|| missing_member("ciphertextBlob"))?;
    let source = open_source(svc, caller, &req, &blob.0).await?;
    let dest = destination_key(svc, caller, &req.destination_key_id).await?;
    let dest_hash = crate::rsa::oaep_hash(&dest, req.destination_encryption_algorithm)?;
    if dest_hash.is_some() {
        crate::rsa::refuse_context(&req.destination_encryption_context)?;
    }
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 2: seal under the destination, by RSA-OAEP or under its current material.
    let plaintext = source.plaintext.as_bytes();
    let (out, dest_material, dest_alg) = match dest_hash {
        Some(hash) => {
            let alg = req
                .destination_encryption_algorithm
                .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
            (
                crate::rsa::encrypt(svc, &dest, hash, alg, plaintext)?,
                None,
                alg,
            )
        }
        None => {
            let (out, id) = seal_under(svc, &dest, &req.destination_encryption_context, plaintext)?;
            (out, Some(id), EncryptionAlgorithmSpec::SymmetricDefault)
        }
    };
    let now = svc.clock.now();
    source
        .key
        .record_use(&svc.cache, KeyLastUsageTrackingOperation::ReEncrypt, now);
    dest.record_use(&svc.cache, KeyLastUsageTrackingOperation::ReEncrypt, now);
    Ok(ReEncryptResponse {
        ciphertext_blob: Some(Blob(out)),
        source_key_id: Some(source.key.arn()),
        key_id: Some(dest.arn()),
        source_encryption_algorithm: Some(source.algorithm),
        destination_encryption_algorithm: Some(dest_alg),
        source_key_material_id: source.material_id,
        destination_key_material_id: dest_material,
    })
}

/// What ReEncrypt's source gave: its key, the plaintext, the algorithm and, for a symmetric
/// ciphertext, the material version that opened it.
struct Source {
    key: Arc<CachedKey>,
    plaintext: SensitiveBlob,
    algorithm: EncryptionAlgorithmSpec,
    material_id: Option<String>,
}

/// Opens ReEncrypt's ciphertext: with the named RSA key's private key for an RSAES algorithm,
/// else as a symmetric ciphertext of the key it names (SPEC D10).
async fn open_source(
    svc: &Service,
    caller: &Ctx<'_>,
    req: &ReEncryptRequest,
    blob: &[u8],
) -> Result<Source, KmsError> {
    let alg = req.source_encryption_algorithm;
    if let Some(alg) = alg.filter(crate::rsa::is_rsa_algorithm) {
        let opened = crate::rsa::open(
            svc,
            caller,
            Operation::ReEncrypt,
            req.source_key_id.as_deref(),
            alg,
            &req.source_encryption_context,
            blob,
        )
        .await?;
        return Ok(Source {
            key: opened.key,
            plaintext: opened.plaintext,
            algorithm: alg,
            material_id: None,
        });
    }
    let parsed = ciphertext::parse(blob).map_err(|_| KmsError::invalid_ciphertext())?;
    let key = decrypting_key(
        svc,
        caller,
        Operation::ReEncrypt,
        req.source_key_id.as_deref(),
        &parsed,
    )
    .await?;
    check_algorithm(&key, alg)?;
    let (plaintext, material_id) = open_with(svc, &key, &parsed, &req.source_encryption_context)?;
    Ok(Source {
        key,
        plaintext,
        algorithm: EncryptionAlgorithmSpec::SymmetricDefault,
        material_id: Some(material_id),
    })
}

/// Data keys are encrypted only under symmetric encryption keys (SPEC D7).
pub(crate) fn require_symmetric(key: &CachedKey, op: Operation) -> Result<(), KmsError> {
    if key.key_spec == KeySpec::SymmetricDefault {
        return Ok(());
    }
    Err(KmsError::new(
        ErrorCode::InvalidKeyUsageException,
        format!(
            "{} key spec is {} which is not valid for {}.",
            key.arn(),
            key.key_spec,
            op.name()
        ),
    ))
}

/// The data key length of a GenerateDataKey request: exactly one of KeySpec and
/// NumberOfBytes (SPEC D12).
fn data_key_length(spec: Option<DataKeySpec>, bytes: Option<i64>) -> Result<usize, KmsError> {
    match (spec, bytes) {
        (Some(DataKeySpec::Aes128), None) => Ok(16),
        (Some(DataKeySpec::Aes256), None) => Ok(32),
        (None, Some(n)) => Ok(n as usize),
        (None, None) => Err(KmsError::validation(
            "Please specify either number of bytes or key spec.",
        )),
        (Some(_), Some(_)) => Err(KmsError::validation(
            "Please specify either number of bytes or key spec, but not both.",
        )),
    }
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext: a random data key and its ciphertext.
async fn generate_data_key_common(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    req: GenerateDataKeyRequest,
) -> Result<(Vec<u8>, SensitiveBlob, Arc<CachedKey>, String), KmsError> {
    // Step 1: the key and the length asked for.
    if req.recipient.is_some() {
        return Err(KmsError::unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by kmsd.",
        ));
    }
    let key = usable_key(svc, caller, op, &req.key_id).await?;
    require_symmetric(&key, op)?;
    let length = data_key_length(req.key_spec, req.number_of_bytes)?;
    check_grant_tokens(svc, &req.grant_tokens)?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 2: random bytes, encrypted like an Encrypt of them.
    let data_key = SensitiveBlob(kms_crypto::random_bytes(length));
    let (blob, material_id) = seal_under(svc, &key, &req.encryption_context, data_key.as_bytes())?;
    let tracked = match op {
        Operation::GenerateDataKeyWithoutPlaintext => {
            KeyLastUsageTrackingOperation::GenerateDataKeyWithoutPlaintext
        }
        _ => KeyLastUsageTrackingOperation::GenerateDataKey,
    };
    key.record_use(&svc.cache, tracked, svc.clock.now());
    Ok((blob, data_key, key, material_id))
}

/// GenerateDataKey (SPEC D12).
pub(crate) async fn generate_data_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyResponse, KmsError> {
    let (blob, plaintext, key, material_id) =
        generate_data_key_common(svc, caller, Operation::GenerateDataKey, req).await?;
    Ok(GenerateDataKeyResponse {
        ciphertext_blob: Some(Blob(blob)),
        plaintext: Some(plaintext),
        key_id: Some(key.arn()),
        key_material_id: Some(material_id),
        ..Default::default()
    })
}

/// GenerateDataKeyWithoutPlaintext (SPEC D12).
pub(crate) async fn generate_data_key_without_plaintext(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GenerateDataKeyWithoutPlaintextRequest,
) -> Result<GenerateDataKeyWithoutPlaintextResponse, KmsError> {
    let req = GenerateDataKeyRequest {
        key_id: req.key_id,
        encryption_context: req.encryption_context,
        number_of_bytes: req.number_of_bytes,
        key_spec: req.key_spec,
        grant_tokens: req.grant_tokens,
        recipient: None,
        dry_run: req.dry_run,
    };
    let (blob, _, key, material_id) =
        generate_data_key_common(svc, caller, Operation::GenerateDataKeyWithoutPlaintext, req)
            .await?;
    Ok(GenerateDataKeyWithoutPlaintextResponse {
        ciphertext_blob: Some(Blob(blob)),
        key_id: Some(key.arn()),
        key_material_id: Some(material_id),
    })
}

/// GenerateRandom: 1 to 1024 random bytes (SPEC D13).
pub(crate) async fn generate_random(
    _svc: &Service,
    _caller: &Ctx<'_>,
    req: GenerateRandomRequest,
) -> Result<GenerateRandomResponse, KmsError> {
    if req.recipient.is_some() {
        return Err(KmsError::unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by kmsd.",
        ));
    }
    if let Some(id) = req.custom_key_store_id {
        return Err(KmsError::new(
            ErrorCode::CustomKeyStoreNotFoundException,
            format!("Custom key store '{id}' does not exist: kmsd has no custom key stores."),
        ));
    }
    let n = req
        .number_of_bytes
        .ok_or_else(|| KmsError::validation("NumberOfBytes is required."))?;
    Ok(GenerateRandomResponse {
        plaintext: Some(SensitiveBlob(kms_crypto::random_bytes(n as usize))),
        ciphertext_for_recipient: None,
    })
}
