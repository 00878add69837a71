//! Asymmetric signing keys and public keys: Sign, Verify and GetPublicKey.
//!
//! AWS pages: <https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html>, `API_Verify`,
//! `API_GetPublicKey`. Signatures are the standard encodings (DER ECDSA, PKCS #1 v1.5 or PSS
//! with a salt as long as the hash, Ed25519, ML-DSA), so that openssl verifies them with the
//! public key GetPublicKey returns.

use kms_crypto::asymmetric::{self, AsymmetricSpec, SignError, SigningAlgorithm};
use kms_model::shapes::*;
use kms_model::{Blob, ErrorCode, KmsError, Operation};

use crate::authz::Ctx;
use crate::cache::CachedKey;
use crate::crypto::{check_grant_tokens, dry_run_error, private_key, usable_key_for};
use crate::key_types;
use crate::Service;

/// The signing algorithm of a request, which the key's spec must offer.
fn algorithm(
    key: &CachedKey,
    spec: AsymmetricSpec,
    alg: SigningAlgorithmSpec,
) -> Result<SigningAlgorithm, KmsError> {
    SigningAlgorithm::parse(alg.as_str())
        .filter(|a| spec.signing_algorithms().contains(a))
        .ok_or_else(|| key_types::incompatible_algorithm(alg.as_str(), key.key_spec))
}

/// The message type the crypto layer uses (RAW by default).
fn message_type(t: Option<MessageType>) -> asymmetric::MessageType {
    match t {
        None | Some(MessageType::Raw) => asymmetric::MessageType::Raw,
        Some(MessageType::Digest) => asymmetric::MessageType::Digest,
        Some(MessageType::ExternalMu) => asymmetric::MessageType::ExternalMu,
    }
}

/// The answer for a signing failure that is the caller's (SPEC: Sign, Verify).
fn sign_error(
    e: SignError,
    key: &CachedKey,
    alg: SigningAlgorithmSpec,
    t: Option<MessageType>,
) -> KmsError {
    let t = t.unwrap_or(MessageType::Raw);
    match e {
        SignError::IncompatibleAlgorithm => {
            key_types::incompatible_algorithm(alg.as_str(), key.key_spec)
        }
        SignError::InvalidDigestLength => {
            KmsError::validation(format!("Digest is invalid length for algorithm {alg}."))
        }
        SignError::MessageTypeNotAllowed => KmsError::validation(format!(
            "MessageType {t} is not valid for signing algorithm {alg}."
        )),
        SignError::Unsupported => KmsError::unsupported(format!(
            "MessageType {t} with signing algorithm {alg} is not supported by kmsd."
        )),
        SignError::Crypto(err) => {
            tracing::error!(key_id = %key.key_id, error = %err, "signing primitive failed");
            KmsError::internal()
        }
    }
}

/// Sign: a signature of the message or digest with the key's private key.
pub(crate) async fn sign(
    svc: &Service,
    caller: &Ctx<'_>,
    req: SignRequest,
) -> Result<SignResponse, KmsError> {
    // Step 1: a signing key in a usable state, and an algorithm of its spec.
    let key = usable_key_for(
        svc,
        caller,
        Operation::Sign,
        &req.key_id,
        KeyUsageType::SignVerify,
    )
    .await?;
    let (spec, private) = private_key(svc, &key)?;
    let alg = algorithm(&key, spec, req.signing_algorithm)?;
    check_grant_tokens(svc, &req.grant_tokens)?;

    // Step 2: the message type decides what is hashed; check it before a dry run answers.
    let t = message_type(req.message_type);
    let signature = asymmetric::sign(spec, private.expose(), alg, t, req.message.as_bytes())
        .map_err(|e| sign_error(e, &key, req.signing_algorithm, req.message_type))?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::Sign,
        svc.clock.now(),
    );
    Ok(SignResponse {
        key_id: Some(key.arn()),
        signature: Some(Blob(signature)),
        signing_algorithm: Some(req.signing_algorithm),
    })
}

/// Verify: whether the signature is the key's for the message; a bad one is
/// KMSInvalidSignatureException with an empty message, as AWS sends.
pub(crate) async fn verify(
    svc: &Service,
    caller: &Ctx<'_>,
    req: VerifyRequest,
) -> Result<VerifyResponse, KmsError> {
    // Step 1: as for Sign.
    let key = usable_key_for(
        svc,
        caller,
        Operation::Verify,
        &req.key_id,
        KeyUsageType::SignVerify,
    )
    .await?;
    let (spec, private) = private_key(svc, &key)?;
    let alg = algorithm(&key, spec, req.signing_algorithm)?;
    check_grant_tokens(svc, &req.grant_tokens)?;

    // Step 2: verify with the public half.
    let t = message_type(req.message_type);
    let valid = asymmetric::verify(
        spec,
        private.expose(),
        alg,
        t,
        req.message.as_bytes(),
        &req.signature.0,
    )
    .map_err(|e| sign_error(e, &key, req.signing_algorithm, req.message_type))?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }
    if !valid {
        return Err(KmsError::new(ErrorCode::KMSInvalidSignatureException, ""));
    }
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::Verify,
        svc.clock.now(),
    );
    Ok(VerifyResponse {
        key_id: Some(key.arn()),
        signature_valid: Some(true),
        signing_algorithm: Some(req.signing_algorithm),
    })
}

/// GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric key, with its spec, usage and
/// algorithms (SPEC B21: the same from every related multi-Region key).
pub(crate) async fn get_public_key(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GetPublicKeyRequest,
) -> Result<GetPublicKeyResponse, KmsError> {
    // Step 1: an asymmetric key of any usage, in a state that allows it.
    let loc = crate::resolve::locate(
        svc,
        caller,
        Operation::GetPublicKey,
        &req.key_id,
        crate::resolve::Forms::Any,
    )
    .await?;
    let key = crate::resolve::load_cached(svc, caller, &loc).await?;
    crate::crypto::check_usable_for(Operation::GetPublicKey, &key, key.key_usage)?;
    if key_types::asymmetric_spec(key.key_spec).is_none() {
        return Err(KmsError::unsupported(format!(
            "{} key spec is {} which is not valid for GetPublicKey.",
            key.arn(),
            key.key_spec
        )));
    }
    check_grant_tokens(svc, &req.grant_tokens)?;

    // Step 2: the public half of the current private key.
    let (spec, private) = private_key(svc, &key)?;
    let public = asymmetric::public_key_der(spec, private.expose()).map_err(|e| {
        tracing::error!(key_id = %key.key_id, error = %e, "public key derivation failed");
        KmsError::internal()
    })?;
    Ok(GetPublicKeyResponse {
        key_id: Some(key.arn()),
        public_key: Some(Blob(public)),
        customer_master_key_spec: CustomerMasterKeySpec::parse(key.key_spec.as_str()),
        key_spec: Some(key.key_spec),
        key_usage: Some(key.key_usage),
        encryption_algorithms: key_types::encryption_algorithms(key.key_spec, key.key_usage),
        signing_algorithms: key_types::signing_algorithms(key.key_spec, key.key_usage),
        key_agreement_algorithms: key_types::key_agreement_algorithms(key.key_usage),
    })
}
