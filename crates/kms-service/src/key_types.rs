//! What each key spec is: the usages it allows (SPEC 1.7-1.8), the algorithms DescribeKey lists
//! for it (SPEC 1.9), how fresh material is made, and what imported material must look like
//! (SPEC A17-A20).
//!
//! One place answers these questions so that CreateKey, DescribeKey, ImportKeyMaterial and the
//! cryptographic handlers cannot disagree about a spec.

use kms_crypto::asymmetric::{self, AsymmetricSpec};
use kms_crypto::mac::MacAlgorithm;
use kms_crypto::SecretBytes;
use kms_model::shapes::*;
use kms_model::{ErrorCode, KmsError};

/// The three families of key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// SYMMETRIC_DEFAULT: 32 random bytes, used through kmsd's ciphertext format.
    Symmetric,
    /// HMAC_*: a raw HMAC key of the spec's algorithm.
    Hmac(MacAlgorithm),
    /// RSA, ECC, Ed25519 and ML-DSA: a private key, stored as DER PKCS#8.
    Asymmetric(AsymmetricSpec),
}

/// The family of a spec; SM2 has none here, since kmsd serves no China region.
pub(crate) fn family(spec: KeySpec) -> Option<Family> {
    match spec {
        KeySpec::SymmetricDefault => Some(Family::Symmetric),
        KeySpec::Hmac224 => Some(Family::Hmac(MacAlgorithm::HmacSha224)),
        KeySpec::Hmac256 => Some(Family::Hmac(MacAlgorithm::HmacSha256)),
        KeySpec::Hmac384 => Some(Family::Hmac(MacAlgorithm::HmacSha384)),
        KeySpec::Hmac512 => Some(Family::Hmac(MacAlgorithm::HmacSha512)),
        KeySpec::Sm2 => None,
        other => AsymmetricSpec::parse(other.as_str()).map(Family::Asymmetric),
    }
}

/// The asymmetric spec of a key, if it has one.
pub(crate) fn asymmetric_spec(spec: KeySpec) -> Option<AsymmetricSpec> {
    match family(spec) {
        Some(Family::Asymmetric(a)) => Some(a),
        _ => None,
    }
}

/// The usages a key of this spec may have (SPEC 1.8).
pub(crate) fn allowed_usages(spec: KeySpec) -> &'static [KeyUsageType] {
    use KeyUsageType::*;
    match spec {
        KeySpec::SymmetricDefault => &[EncryptDecrypt],
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[EncryptDecrypt, SignVerify],
        KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => {
            &[SignVerify, KeyAgreement]
        }
        KeySpec::EccSecgP256k1
        | KeySpec::EccNistEdwards25519
        | KeySpec::MlDsa44
        | KeySpec::MlDsa65
        | KeySpec::MlDsa87 => &[SignVerify],
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
            &[GenerateVerifyMac]
        }
        KeySpec::Sm2 => &[EncryptDecrypt, SignVerify, KeyAgreement],
    }
}

/// The usage a CreateKey request asks for, checked against the spec (SPEC 1.8).
pub(crate) fn requested_usage(
    spec: KeySpec,
    usage: Option<KeyUsageType>,
) -> Result<KeyUsageType, KmsError> {
    // Step 1: only a symmetric encryption key may leave KeyUsage out.
    let usage = match usage {
        Some(usage) => usage,
        None if spec == KeySpec::SymmetricDefault => KeyUsageType::EncryptDecrypt,
        None => {
            return Err(KmsError::validation(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
            ))
        }
    };

    // Step 2: the pair must fit.
    if !allowed_usages(spec).contains(&usage) {
        return Err(KmsError::validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    Ok(usage)
}

/// The encryption algorithms DescribeKey lists: only for ENCRYPT_DECRYPT keys.
pub(crate) fn encryption_algorithms(
    spec: KeySpec,
    usage: KeyUsageType,
) -> Option<Vec<EncryptionAlgorithmSpec>> {
    if usage != KeyUsageType::EncryptDecrypt {
        return None;
    }
    Some(match spec {
        KeySpec::SymmetricDefault => vec![EncryptionAlgorithmSpec::SymmetricDefault],
        _ => vec![
            EncryptionAlgorithmSpec::RsaesOaepSha1,
            EncryptionAlgorithmSpec::RsaesOaepSha256,
        ],
    })
}

/// The signing algorithms DescribeKey lists: only for SIGN_VERIFY keys, in AWS's order.
pub(crate) fn signing_algorithms(
    spec: KeySpec,
    usage: KeyUsageType,
) -> Option<Vec<SigningAlgorithmSpec>> {
    if usage != KeyUsageType::SignVerify {
        return None;
    }
    let spec = asymmetric_spec(spec)?;
    Some(
        spec.signing_algorithms()
            .iter()
            .filter_map(|a| SigningAlgorithmSpec::parse(a.as_str()))
            .collect(),
    )
}

/// The MAC algorithm of an HMAC key (DescribeKey lists it as the only one).
pub(crate) fn mac_algorithms(spec: KeySpec) -> Option<Vec<MacAlgorithmSpec>> {
    match family(spec)? {
        Family::Hmac(alg) => MacAlgorithmSpec::parse(alg.as_str()).map(|a| vec![a]),
        _ => None,
    }
}

/// The key agreement algorithms DescribeKey lists: only for KEY_AGREEMENT keys.
pub(crate) fn key_agreement_algorithms(
    usage: KeyUsageType,
) -> Option<Vec<KeyAgreementAlgorithmSpec>> {
    (usage == KeyUsageType::KeyAgreement).then(|| vec![KeyAgreementAlgorithmSpec::Ecdh])
}

/// Fresh material for a key of this spec: 32 random bytes, an HMAC key as long as its digest,
/// or a new private key. RSA keys take long to make, so callers run this off the async runtime.
pub(crate) fn new_secret(spec: KeySpec) -> Result<SecretBytes, KmsError> {
    match family(spec) {
        Some(Family::Symmetric) => Ok(kms_crypto::random_secret(32)),
        Some(Family::Hmac(alg)) => Ok(kms_crypto::random_secret(alg.mac_len())),
        Some(Family::Asymmetric(a)) => asymmetric::generate_private_key(a).map_err(|e| {
            tracing::error!(spec = %spec, error = %e, "key pair generation failed");
            KmsError::internal()
        }),
        None => Err(sm2_unsupported()),
    }
}

/// The UnsupportedOperationException of SM2 keys.
pub(crate) fn sm2_unsupported() -> KmsError {
    KmsError::unsupported(
        "KeySpec SM2 is supported only in China Regions, which kmsd does not serve.",
    )
}

/// Imported material must fit the key spec (SPEC A17-A20).
pub(crate) fn check_imported(spec: KeySpec, material: &SecretBytes) -> Result<(), KmsError> {
    let incorrect = |msg: String| KmsError::new(ErrorCode::IncorrectKeyMaterialException, msg);
    match family(spec) {
        Some(Family::Symmetric) if material.len() != 32 => Err(incorrect(
            "The key material must be 256 bits (32 bytes) long for a SYMMETRIC_DEFAULT key."
                .to_string(),
        )),
        Some(Family::Symmetric) => Ok(()),
        Some(Family::Hmac(alg)) => {
            let (min, max) =
                kms_crypto::mac::hmac_key_lengths(alg.bits()).ok_or_else(KmsError::internal)?;
            if (min..=max).contains(&material.len()) {
                Ok(())
            } else {
                Err(incorrect(format!(
                    "The key material for a {spec} key must be {min} to {max} bytes long."
                )))
            }
        }
        Some(Family::Asymmetric(a)) => {
            asymmetric::check_private_key(a, material.expose()).map_err(|_| {
                incorrect(format!(
                    "The key material is not a DER-encoded PKCS #8 private key of key spec {spec}."
                ))
            })
        }
        None => Err(sm2_unsupported()),
    }
}

/// Whether a wrapping algorithm can carry this spec's material (SPEC A8): an RSA private key
/// is too large for RSAES-OAEP, and so is an ECC_NIST_P521 key for OAEP under RSA_2048.
pub(crate) fn check_wrapping(
    spec: KeySpec,
    algorithm: AlgorithmSpec,
    wrapping_spec: WrappingKeySpec,
) -> Result<(), KmsError> {
    let oaep = matches!(
        algorithm,
        AlgorithmSpec::RsaesOaepSha1 | AlgorithmSpec::RsaesOaepSha256
    );
    let too_large = match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => oaep,
        KeySpec::EccNistP521 => oaep && wrapping_spec == WrappingKeySpec::Rsa2048,
        _ => false,
    };
    if too_large {
        return Err(KmsError::validation(format!(
            "The wrapping algorithm {algorithm} with wrapping key spec {wrapping_spec} cannot wrap key material of key spec {spec}. Use RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1."
        )));
    }
    Ok(())
}

/// The InvalidKeyUsageException of a key whose usage does not fit the operation (SPEC D7).
pub(crate) fn wrong_usage(arn: &str, usage: KeyUsageType, op: &str) -> KmsError {
    KmsError::new(
        ErrorCode::InvalidKeyUsageException,
        format!("{arn} key usage is {usage} which is not valid for {op}."),
    )
}

/// The InvalidKeyUsageException of an algorithm the key's spec does not offer.
pub(crate) fn incompatible_algorithm(algorithm: &str, spec: KeySpec) -> KmsError {
    KmsError::new(
        ErrorCode::InvalidKeyUsageException,
        format!("Algorithm {algorithm} is incompatible with key spec {spec}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_but_sm2_has_a_family_and_usages() {
        for spec in KeySpec::ALL {
            assert_eq!(family(*spec).is_none(), *spec == KeySpec::Sm2, "{spec}");
            assert!(!allowed_usages(*spec).is_empty());
        }
    }

    #[test]
    fn usage_is_required_except_for_symmetric_keys() {
        assert_eq!(
            requested_usage(KeySpec::SymmetricDefault, None).unwrap(),
            KeyUsageType::EncryptDecrypt
        );
        let err = requested_usage(KeySpec::Rsa2048, None).unwrap_err();
        assert!(err.message.starts_with("You must specify a KeyUsage"));
        let err = requested_usage(KeySpec::Rsa2048, Some(KeyUsageType::KeyAgreement)).unwrap_err();
        assert_eq!(
            err.message,
            "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"
        );
    }

    #[test]
    fn algorithm_lists_follow_the_usage() {
        let sign = signing_algorithms(KeySpec::EccNistP384, KeyUsageType::SignVerify).unwrap();
        assert_eq!(sign, vec![SigningAlgorithmSpec::EcdsaSha384]);
        assert!(signing_algorithms(KeySpec::EccNistP384, KeyUsageType::KeyAgreement).is_none());
        assert_eq!(
            mac_algorithms(KeySpec::Hmac384).unwrap(),
            vec![MacAlgorithmSpec::HmacSha384]
        );
        assert_eq!(
            encryption_algorithms(KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn rsa_material_needs_key_wrap() {
        assert!(check_wrapping(
            KeySpec::Rsa2048,
            AlgorithmSpec::RsaesOaepSha256,
            WrappingKeySpec::Rsa4096
        )
        .is_err());
        assert!(check_wrapping(
            KeySpec::EccNistP521,
            AlgorithmSpec::RsaesOaepSha1,
            WrappingKeySpec::Rsa2048
        )
        .is_err());
        assert!(check_wrapping(
            KeySpec::EccNistP521,
            AlgorithmSpec::RsaesOaepSha1,
            WrappingKeySpec::Rsa3072
        )
        .is_ok());
    }
}
