//! HMAC keys: GenerateMac and VerifyMac.
//!
//! AWS pages: <https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html> and
//! `API_VerifyMac`. An HMAC key has exactly one algorithm, the one its spec names; the MAC is
//! the plain HMAC of the message, so a caller can check it against any HMAC implementation.

use std::sync::Arc;

use kms_crypto::mac::{self, MacAlgorithm};
use kms_model::shapes::*;
use kms_model::{Blob, ErrorCode, KmsError, Operation};

use crate::authz::Ctx;
use crate::cache::CachedKey;
use crate::crypto::{check_grant_tokens, current_secret, dry_run_error, usable_key_for};
use crate::key_types::{self, Family};
use crate::Service;

/// The HMAC key at `key_id`, usable for `op` with the `requested` algorithm (the one its spec
/// names), its material live, the grant tokens valid; answers the key and its algorithm. A
/// DryRun stops here, after every check.
async fn mac_key(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    key_id: &str,
    requested: MacAlgorithmSpec,
    checks: (&Option<Vec<String>>, Option<bool>),
) -> Result<(Arc<CachedKey>, MacAlgorithm), KmsError> {
    // Step 1: the key, for HMAC use.
    let key = usable_key_for(svc, caller, op, key_id, KeyUsageType::GenerateVerifyMac).await?;

    // Step 2: the spec's one algorithm must be the one asked for, and the material live.
    let alg = match key_types::family(key.key_spec) {
        Some(Family::Hmac(alg)) if alg.as_str() == requested.as_str() => alg,
        _ => {
            return Err(key_types::incompatible_algorithm(
                requested.as_str(),
                key.key_spec,
            ))
        }
    };
    current_secret(svc, &key)?;

    // Step 3: the grant tokens, then DryRun.
    let (grant_tokens, dry_run) = checks;
    check_grant_tokens(svc, grant_tokens)?;
    if dry_run == Some(true) {
        return Err(dry_run_error());
    }
    Ok((key, alg))
}

/// GenerateMac: the HMAC of the message under the key.
pub(crate) async fn generate_mac(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GenerateMacRequest,
) -> Result<GenerateMacResponse, KmsError> {
    let checks = (&req.grant_tokens, req.dry_run);
    let (key, alg) = mac_key(
        svc,
        caller,
        Operation::GenerateMac,
        &req.key_id,
        req.mac_algorithm,
        checks,
    )
    .await?;
    let secret = current_secret(svc, &key)?;
    let tag = mac::mac(alg, secret.expose(), req.message.as_bytes());
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::GenerateMac,
        svc.clock.now(),
    );
    Ok(GenerateMacResponse {
        mac: Some(Blob(tag)),
        mac_algorithm: Some(req.mac_algorithm),
        key_id: Some(key.arn()),
    })
}

/// VerifyMac: whether the MAC is the key's for the message; a wrong one is
/// KMSInvalidMacException with an empty message, as AWS sends.
pub(crate) async fn verify_mac(
    svc: &Service,
    caller: &Ctx<'_>,
    req: VerifyMacRequest,
) -> Result<VerifyMacResponse, KmsError> {
    let checks = (&req.grant_tokens, req.dry_run);
    let (key, alg) = mac_key(
        svc,
        caller,
        Operation::VerifyMac,
        &req.key_id,
        req.mac_algorithm,
        checks,
    )
    .await?;
    let secret = current_secret(svc, &key)?;
    if !mac::verify_mac(alg, secret.expose(), req.message.as_bytes(), &req.mac.0) {
        return Err(KmsError::new(ErrorCode::KMSInvalidMacException, ""));
    }
    key.record_use(
        &svc.cache,
        KeyLastUsageTrackingOperation::VerifyMac,
        svc.clock.now(),
    );
    Ok(VerifyMacResponse {
        key_id: Some(key.arn()),
        mac_valid: Some(true),
        mac_algorithm: Some(req.mac_algorithm),
    })
}
