//! RSA encryption keys in Encrypt, Decrypt and ReEncrypt: RSAES-OAEP with SHA-1 or SHA-256
//! under the key's public key, and decryption with its private key (SPEC D6, D9).
//!
//! An asymmetric ciphertext is the bare RSA-OAEP output, as AWS makes it, so that anyone
//! holding the public key from GetPublicKey can encrypt for the key outside kmsd. It names no
//! key, which is why Decrypt needs KeyId and EncryptionAlgorithm for it.

use std::collections::BTreeMap;
use std::sync::Arc;

use kms_crypto::asymmetric::{self, OaepHash};
use kms_model::shapes::*;
use kms_model::{KmsError, Operation, SensitiveBlob};

use crate::cache::CachedKey;
use crate::key_types;
use crate::Service;

/// The OAEP hash an encryption with `key` uses: `None` for a symmetric key (which takes only
/// SYMMETRIC_DEFAULT), the algorithm's hash for an RSA key (which takes only RSAES_OAEP_*).
pub(crate) fn oaep_hash(
    key: &CachedKey,
    alg: Option<EncryptionAlgorithmSpec>,
) -> Result<Option<OaepHash>, KmsError> {
    let alg = alg.unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
    let incompatible = || key_types::incompatible_algorithm(alg.as_str(), key.key_spec);
    match (key.key_spec, alg) {
        (KeySpec::SymmetricDefault, EncryptionAlgorithmSpec::SymmetricDefault) => Ok(None),
        (KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096, alg) => match alg {
            EncryptionAlgorithmSpec::RsaesOaepSha1 => Ok(Some(OaepHash::Sha1)),
            EncryptionAlgorithmSpec::RsaesOaepSha256 => Ok(Some(OaepHash::Sha256)),
            _ => Err(incompatible()),
        },
        _ => Err(incompatible()),
    }
}

/// Whether an algorithm is one of the RSAES-OAEP ones (its ciphertext is not kmsd's format).
pub(crate) fn is_rsa_algorithm(alg: &EncryptionAlgorithmSpec) -> bool {
    matches!(
        alg,
        EncryptionAlgorithmSpec::RsaesOaepSha1 | EncryptionAlgorithmSpec::RsaesOaepSha256
    )
}

/// An encryption context binds only symmetric ciphertexts (SPEC D8).
pub(crate) fn refuse_context(context: &Option<BTreeMap<String, String>>) -> Result<(), KmsError> {
    match context {
        Some(map) if !map.is_empty() => Err(KmsError::validation(
            "EncryptionContext is not supported with asymmetric KMS keys.",
        )),
        _ => Ok(()),
    }
}

/// Encrypts `plaintext` with the key's public key, within AWS's per-size limit (SPEC D6).
pub(crate) fn encrypt(
    svc: &Service,
    key: &CachedKey,
    hash: OaepHash,
    alg: EncryptionAlgorithmSpec,
    plaintext: &[u8],
) -> Result<Vec<u8>, KmsError> {
    // Step 1: the plaintext must fit one OAEP block of this modulus and hash.
    let (spec, private) = crate::crypto::private_key(svc, key)?;
    let limit = asymmetric::rsa_oaep_max_plaintext(spec, hash).ok_or_else(KmsError::internal)?;
    if plaintext.len() > limit {
        return Err(KmsError::validation(format!(
            "Algorithm {alg} and key spec {} cannot encrypt data larger than {limit} bytes.",
            key.key_spec
        )));
    }

    // Step 2: encrypt under the public half.
    asymmetric::rsa_oaep_encrypt(spec, private.expose(), hash, plaintext).map_err(|e| {
        tracing::error!(key_id = %key.key_id, error = %e, "RSA encryption failed");
        KmsError::internal()
    })
}

/// Decrypts an RSA-OAEP ciphertext with the key's private key; any failure is the one
/// InvalidCiphertextException.
pub(crate) fn decrypt(
    svc: &Service,
    key: &CachedKey,
    hash: OaepHash,
    ciphertext: &[u8],
) -> Result<SensitiveBlob, KmsError> {
    let (spec, private) = crate::crypto::private_key(svc, key)?;
    let plain = asymmetric::rsa_oaep_decrypt(spec, private.expose(), hash, ciphertext)
        .map_err(|_| KmsError::invalid_ciphertext())?;
    Ok(SensitiveBlob(plain.expose().to_vec()))
}

/// What Decrypt and ReEncrypt learn from opening an asymmetric ciphertext.
pub(crate) struct Opened {
    pub key: Arc<CachedKey>,
    pub plaintext: SensitiveBlob,
    pub algorithm: EncryptionAlgorithmSpec,
}

/// Opens an asymmetric ciphertext for Decrypt or ReEncrypt: KeyId and algorithm are required,
/// the key must be an RSA encryption key, and no encryption context applies (SPEC D9).
pub(crate) async fn open(
    svc: &Service,
    caller: &crate::authz::Ctx<'_>,
    op: Operation,
    key_id: Option<&str>,
    alg: EncryptionAlgorithmSpec,
    context: &Option<BTreeMap<String, String>>,
    ciphertext: &[u8],
) -> Result<Opened, KmsError> {
    // Step 1: an RSA ciphertext names no key, so the request must.
    let key_id = key_id.ok_or_else(|| {
        KmsError::validation("KeyId is required when decrypting with an asymmetric KMS key.")
    })?;
    let key = crate::crypto::usable_key_for(svc, caller, op, key_id, KeyUsageType::EncryptDecrypt)
        .await?;
    let hash = oaep_hash(&key, Some(alg))?.ok_or_else(KmsError::internal)?;
    refuse_context(context)?;

    // Step 2: decrypt with the private key.
    let plaintext = decrypt(svc, &key, hash, ciphertext)?;
    Ok(Opened {
        key,
        plaintext,
        algorithm: alg,
    })
}
