//! GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh key pair whose private
//! key, as DER PKCS #8, is encrypted under a symmetric encryption key like an Encrypt of it.
//!
//! AWS page: <https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyPair.html>.
//! The encrypted private key is an ordinary symmetric ciphertext: Decrypt with the same
//! encryption context returns the PKCS #8 bytes.

use std::sync::Arc;

use kms_crypto::asymmetric::{self, AsymmetricSpec};
use kms_model::shapes::*;
use kms_model::{Blob, KmsError, Operation, SensitiveBlob};

use crate::authz::Ctx;
use crate::cache::CachedKey;
use crate::crypto::{check_grant_tokens, dry_run_error, require_symmetric, seal_under};
use crate::Service;

/// What both operations make: the pair and the encrypted private key.
struct Made {
    key: Arc<CachedKey>,
    private_plain: kms_crypto::SecretBytes,
    private_ciphertext: Vec<u8>,
    public: Vec<u8>,
    material_id: String,
}

/// The crypto layer's spec of a data key pair; SM2 belongs to China regions.
fn pair_spec(spec: DataKeyPairSpec) -> Result<AsymmetricSpec, KmsError> {
    if spec == DataKeyPairSpec::Sm2 {
        return Err(crate::key_types::sm2_unsupported());
    }
    AsymmetricSpec::parse(spec.as_str()).ok_or_else(KmsError::internal)
}

/// The shared body: key checks, a new pair made off the runtime, the private key sealed. Both
/// operations ask it in the shape of the one without plaintext.
async fn make_pair(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    req: &GenerateDataKeyPairWithoutPlaintextRequest,
) -> Result<Made, KmsError> {
    // Step 1: a symmetric encryption key in a usable state, and a spec kmsd can make.
    let usage = KeyUsageType::EncryptDecrypt;
    let key = crate::crypto::usable_key_for(svc, caller, op, &req.key_id, usage).await?;
    require_symmetric(&key, op)?;
    let spec = pair_spec(req.key_pair_spec)?;
    check_grant_tokens(svc, &req.grant_tokens)?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 2: the pair (RSA generation is slow, so it runs on the blocking pool).
    let private_plain = tokio::task::spawn_blocking(move || asymmetric::generate_private_key(spec))
        .await
        .map_err(|_| KmsError::internal())?
        .map_err(|_| KmsError::internal())?;
    let public = asymmetric::public_key_der(spec, private_plain.expose())
        .map_err(|_| KmsError::internal())?;

    // Step 3: the private key encrypted like an Encrypt of it.
    let (private_ciphertext, material_id) =
        seal_under(svc, &key, &req.encryption_context, private_plain.expose())?;
    Ok(Made {
        key,
        private_plain,
        private_ciphertext,
        public,
        material_id,
    })
}

/// GenerateDataKeyPair: the pair, with the private key in the clear and encrypted.
pub(crate) async fn generate_data_key_pair(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GenerateDataKeyPairRequest,
) -> Result<GenerateDataKeyPairResponse, KmsError> {
    if req.recipient.is_some() {
        return Err(KmsError::unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by kmsd.",
        ));
    }
    let op = Operation::GenerateDataKeyPair;
    let shape = GenerateDataKeyPairWithoutPlaintextRequest {
        encryption_context: req.encryption_context,
        key_id: req.key_id,
        key_pair_spec: req.key_pair_spec,
        grant_tokens: req.grant_tokens,
        dry_run: req.dry_run,
    };
    let made = make_pair(svc, caller, op, &shape).await?;
    let tracked = KeyLastUsageTrackingOperation::GenerateDataKeyPair;
    made.key.record_use(&svc.cache, tracked, svc.clock.now());
    Ok(GenerateDataKeyPairResponse {
        private_key_ciphertext_blob: Some(Blob(made.private_ciphertext)),
        private_key_plaintext: Some(SensitiveBlob(made.private_plain.expose().to_vec())),
        public_key: Some(Blob(made.public)),
        key_id: Some(made.key.arn()),
        key_pair_spec: Some(shape.key_pair_spec),
        ciphertext_for_recipient: None,
        key_material_id: Some(made.material_id),
    })
}

/// GenerateDataKeyPairWithoutPlaintext: the pair, with the private key only encrypted.
pub(crate) async fn generate_data_key_pair_without_plaintext(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GenerateDataKeyPairWithoutPlaintextRequest,
) -> Result<GenerateDataKeyPairWithoutPlaintextResponse, KmsError> {
    let op = Operation::GenerateDataKeyPairWithoutPlaintext;
    let made = make_pair(svc, caller, op, &req).await?;
    let tracked = KeyLastUsageTrackingOperation::GenerateDataKeyPairWithoutPlaintext;
    made.key.record_use(&svc.cache, tracked, svc.clock.now());
    Ok(GenerateDataKeyPairWithoutPlaintextResponse {
        private_key_ciphertext_blob: Some(Blob(made.private_ciphertext)),
        public_key: Some(Blob(made.public)),
        key_id: Some(made.key.arn()),
        key_pair_spec: Some(req.key_pair_spec),
        key_material_id: Some(made.material_id),
    })
}
