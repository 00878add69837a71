//! Key agreement keys: DeriveSharedSecret (ECDH on a NIST curve).
//!
//! AWS page: <https://docs.aws.amazon.com/kms/latest/APIReference/API_DeriveSharedSecret.html>.
//! The answer is the raw ECDH shared secret (the x-coordinate), the same value the peer
//! computes with its private key and the key's public key from GetPublicKey.

use kms_crypto::asymmetric;
use kms_model::shapes::*;
use kms_model::{KmsError, Operation, SensitiveBlob};

use crate::authz::Ctx;
use crate::crypto::{check_grant_tokens, dry_run_error, private_key, usable_key_for};
use crate::Service;

/// DeriveSharedSecret: ECDH of the key's private key and the peer's public key.
pub(crate) async fn derive_shared_secret(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DeriveSharedSecretRequest,
) -> Result<DeriveSharedSecretResponse, KmsError> {
    // Step 1: what kmsd does not serve.
    if req.recipient.is_some() {
        return Err(KmsError::unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by kmsd.",
        ));
    }

    // Step 2: a key agreement key in a usable state.
    let op = Operation::DeriveSharedSecret;
    let key = usable_key_for(svc, caller, op, &req.key_id, KeyUsageType::KeyAgreement).await?;
    check_grant_tokens(svc, &req.grant_tokens)?;

    // Step 3: the private key, and the peer's key on the same curve.
    let (spec, private) = private_key(svc, &key)?;
    let secret = asymmetric::ecdh(spec, private.expose(), &req.public_key.0).map_err(|_| {
        KmsError::validation(format!(
            "The public key must be a DER-encoded SubjectPublicKeyInfo of a key on the curve of key spec {}.",
            key.key_spec
        ))
    })?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::DeriveSharedSecret,
        svc.clock.now(),
    );
    Ok(DeriveSharedSecretResponse {
        key_id: Some(key.arn()),
        shared_secret: Some(SensitiveBlob(secret.expose().to_vec())),
        ciphertext_for_recipient: None,
        key_agreement_algorithm: Some(req.key_agreement_algorithm),
        key_origin: Some(key.origin),
    })
}
