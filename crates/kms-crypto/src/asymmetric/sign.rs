//! Sign and Verify with an asymmetric key: which algorithm and message type a key spec allows,
//! and the signature itself (the `SigningAlgorithm` and `MessageType` members of the Sign API).
//!
//! RSA signs with RSASSA-PKCS1-v1_5 or RSASSA-PSS (RFC 8017 §8; PSS with MGF1 of the same hash
//! and a salt as long as the hash), ECDSA with a DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3),
//! Ed25519 and Ed25519ph per RFC 8032, ML-DSA per FIPS 204 with an empty context. A RAW message
//! is hashed by the algorithm; a DIGEST message is that hash already and must have its length.

use aws_lc_rs::digest::{self, Digest, SHA256, SHA384, SHA512};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, PqdsaKeyPair, RsaEncoding, RsaKeyPair, RsaParameters, UnparsedPublicKey,
    VerificationAlgorithm, ED25519, ML_DSA_44, ML_DSA_65, ML_DSA_87, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384,
    RSA_PKCS1_SHA512, RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512,
};

use super::keys::{load, KeyPair};
use super::{ed25519ph, external_mu, AsymmetricSpec, MessageType, SignError, SigningAlgorithm};
use crate::CryptoError;

/// Length of an ML-DSA message representative μ (FIPS 204 §6.2).
const MU_LEN: usize = 64;

/// How an algorithm signs, in aws-lc-rs's terms.
#[derive(Clone, Copy)]
enum Scheme {
    /// RSA with a padding, its verification parameters and its hash.
    Rsa {
        /// The padding and hash for signing.
        padding: &'static dyn RsaEncoding,
        /// The same for verifying (any modulus from 2048 bits).
        params: &'static RsaParameters,
        /// The hash of the message.
        hash: &'static digest::Algorithm,
    },
    /// ECDSA with the hash of the key's curve.
    Ecdsa {
        /// The hash of the message.
        hash: &'static digest::Algorithm,
    },
    /// PureEdDSA Ed25519.
    Ed25519,
    /// HashEdDSA Ed25519ph.
    Ed25519ph,
    /// ML-DSA.
    MlDsa,
}

/// The scheme of a signing algorithm.
fn scheme(alg: SigningAlgorithm) -> Scheme {
    use SigningAlgorithm as A;
    let rsa = |padding, params, hash| Scheme::Rsa {
        padding,
        params,
        hash,
    };
    match alg {
        A::RsassaPkcs1V15Sha256 => rsa(&RSA_PKCS1_SHA256, &RSA_PKCS1_2048_8192_SHA256, &SHA256),
        A::RsassaPkcs1V15Sha384 => rsa(&RSA_PKCS1_SHA384, &RSA_PKCS1_2048_8192_SHA384, &SHA384),
        A::RsassaPkcs1V15Sha512 => rsa(&RSA_PKCS1_SHA512, &RSA_PKCS1_2048_8192_SHA512, &SHA512),
        A::RsassaPssSha256 => rsa(&RSA_PSS_SHA256, &RSA_PSS_2048_8192_SHA256, &SHA256),
        A::RsassaPssSha384 => rsa(&RSA_PSS_SHA384, &RSA_PSS_2048_8192_SHA384, &SHA384),
        A::RsassaPssSha512 => rsa(&RSA_PSS_SHA512, &RSA_PSS_2048_8192_SHA512, &SHA512),
        A::EcdsaSha256 => Scheme::Ecdsa { hash: &SHA256 },
        A::EcdsaSha384 => Scheme::Ecdsa { hash: &SHA384 },
        A::EcdsaSha512 => Scheme::Ecdsa { hash: &SHA512 },
        A::Ed25519Sha512 => Scheme::Ed25519,
        A::Ed25519PhSha512 => Scheme::Ed25519ph,
        A::MlDsaShake256 => Scheme::MlDsa,
    }
}

/// The length a DIGEST message of `alg` must have (the output length of its hash; 64 for
/// `ED25519_PH_SHA_512`), or `None` when the algorithm does not take DIGEST messages
/// (`ED25519_SHA_512`, `ML_DSA_SHAKE_256`).
pub fn digest_len(alg: SigningAlgorithm) -> Option<usize> {
    match scheme(alg) {
        Scheme::Rsa { hash, .. } | Scheme::Ecdsa { hash } => Some(hash.output_len()),
        Scheme::Ed25519ph => Some(SHA512.output_len()),
        Scheme::Ed25519 | Scheme::MlDsa => None,
    }
}

/// Checks a request against the table of algorithms and message types, before any key is
/// parsed.
fn check_request(
    spec: AsymmetricSpec,
    alg: SigningAlgorithm,
    msg_type: MessageType,
    message: &[u8],
) -> Result<(), SignError> {
    // The key spec must offer the algorithm.
    if !spec.signing_algorithms().contains(&alg) {
        return Err(SignError::IncompatibleAlgorithm);
    }

    // Each message type has its algorithms and, unless RAW, its exact length.
    let needed_len = match msg_type {
        MessageType::Raw if alg == SigningAlgorithm::Ed25519PhSha512 => {
            return Err(SignError::MessageTypeNotAllowed)
        }
        MessageType::Raw => return Ok(()),
        MessageType::Digest => digest_len(alg).ok_or(SignError::MessageTypeNotAllowed)?,
        MessageType::ExternalMu if alg == SigningAlgorithm::MlDsaShake256 => MU_LEN,
        MessageType::ExternalMu => return Err(SignError::MessageTypeNotAllowed),
    };
    if message.len() != needed_len {
        return Err(SignError::InvalidDigestLength);
    }
    Ok(())
}

/// Signs `message` of type `msg_type` with the private key `pkcs8` of `spec` under `alg`.
///
/// ECDSA signatures are DER; RSA signatures are as long as the modulus; Ed25519 signatures are
/// 64 bytes; ML-DSA signatures are the FIPS 204 encoding. The request is checked before the key
/// is parsed: see [`SignError`] for what each refusal means.
pub fn sign(
    spec: AsymmetricSpec,
    pkcs8: &[u8],
    alg: SigningAlgorithm,
    msg_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, SignError> {
    // Refuse what the algorithm table forbids, then parse the key as the spec's.
    check_request(spec, alg, msg_type, message)?;
    let pair = load(spec, pkcs8)?;

    // Sign with the key's family, the message as its type says.
    let digested = msg_type == MessageType::Digest;
    match (&pair, scheme(alg)) {
        (KeyPair::Rsa(pair), Scheme::Rsa { padding, hash, .. }) => {
            Ok(sign_rsa(pair, padding, hash, digested, message)?)
        }
        (KeyPair::Ecdsa(pair), Scheme::Ecdsa { hash }) => {
            Ok(sign_ecdsa(pair, hash, digested, message)?)
        }
        (KeyPair::Ed25519(pair), Scheme::Ed25519) => {
            let signature = pair.try_sign(message).map_err(|_| CryptoError::Backend)?;
            Ok(signature.as_ref().to_vec())
        }
        (KeyPair::Ed25519(pair), Scheme::Ed25519ph) => Ok(ed25519ph::sign(pair, message)?),
        (KeyPair::MlDsa(pair), Scheme::MlDsa) if msg_type == MessageType::ExternalMu => {
            external_mu::sign(spec, pair, message)
        }
        (KeyPair::MlDsa(pair), Scheme::MlDsa) => Ok(sign_ml_dsa(pair, message)?),
        _ => Err(SignError::IncompatibleAlgorithm),
    }
}

/// Verifies that `signature` is a signature of `message` of type `msg_type` by the key pair
/// `pkcs8` of `spec` under `alg`.
///
/// `Ok(false)` for any signature that does not verify, malformed ones included; the request is
/// refused with the same [`SignError`]s as [`sign`].
pub fn verify(
    spec: AsymmetricSpec,
    pkcs8: &[u8],
    alg: SigningAlgorithm,
    msg_type: MessageType,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, SignError> {
    // Refuse what the algorithm table forbids, then parse the key as the spec's.
    check_request(spec, alg, msg_type, message)?;
    let pair = load(spec, pkcs8)?;
    let public = pair.public_bytes();

    // Ed25519ph and external μ are not aws-lc-rs's; they verify with the public key alone.
    match (scheme(alg), msg_type) {
        (Scheme::Ed25519ph, _) => return Ok(ed25519ph::verify(public, message, signature)),
        (Scheme::MlDsa, MessageType::ExternalMu) => {
            return Ok(external_mu::verify(spec, public, message, signature))
        }
        _ => {}
    }

    // Everything else is aws-lc-rs with the public key in its raw form.
    let algorithm = verification_algorithm(spec, alg).ok_or(SignError::IncompatibleAlgorithm)?;
    let key = UnparsedPublicKey::new(algorithm, public);
    let verified = match (scheme(alg), msg_type) {
        (Scheme::Rsa { hash, .. } | Scheme::Ecdsa { hash }, MessageType::Digest) => {
            let digest = import_digest(hash, message)?;
            key.verify_digest(&digest, signature).is_ok()
        }
        _ => key.verify(message, signature).is_ok(),
    };
    Ok(verified)
}

/// The aws-lc-rs verification algorithm of `alg` with a key of `spec`.
fn verification_algorithm(
    spec: AsymmetricSpec,
    alg: SigningAlgorithm,
) -> Option<&'static dyn VerificationAlgorithm> {
    match scheme(alg) {
        Scheme::Rsa { params, .. } => Some(params),
        Scheme::Ecdsa { .. } => {
            let signing = super::keys::ecdsa_algorithm(spec)?;
            Some(&**signing)
        }
        Scheme::Ed25519 => Some(&ED25519),
        Scheme::MlDsa => match spec {
            AsymmetricSpec::MlDsa44 => Some(&ML_DSA_44),
            AsymmetricSpec::MlDsa65 => Some(&ML_DSA_65),
            AsymmetricSpec::MlDsa87 => Some(&ML_DSA_87),
            _ => None,
        },
        Scheme::Ed25519ph => None,
    }
}

/// A DIGEST message as an aws-lc-rs digest of `hash`; its length was checked already.
fn import_digest(hash: &'static digest::Algorithm, message: &[u8]) -> Result<Digest, CryptoError> {
    Digest::import_less_safe(message, hash).map_err(|_| CryptoError::Format)
}

/// RSASSA-PKCS1-v1_5 or RSASSA-PSS of a message, or of its digest when `digested`.
fn sign_rsa(
    pair: &RsaKeyPair,
    padding: &'static dyn RsaEncoding,
    hash: &'static digest::Algorithm,
    digested: bool,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut signature = vec![0u8; pair.public_modulus_len()];
    let signed = if digested {
        let digest = import_digest(hash, message)?;
        pair.sign_digest(padding, &digest, &mut signature)
    } else {
        pair.sign(padding, &SystemRandom::new(), message, &mut signature)
    };
    signed.map_err(|_| CryptoError::Backend)?;
    Ok(signature)
}

/// ECDSA of a message, or of its digest when `digested`, DER-encoded.
fn sign_ecdsa(
    pair: &EcdsaKeyPair,
    hash: &'static digest::Algorithm,
    digested: bool,
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let signature = if digested {
        pair.sign_digest(&import_digest(hash, message)?)
    } else {
        pair.sign(&SystemRandom::new(), message)
    };
    Ok(signature
        .map_err(|_| CryptoError::Backend)?
        .as_ref()
        .to_vec())
}

/// Pure ML-DSA of a message with an empty context (aws-lc's hedged signing).
fn sign_ml_dsa(pair: &PqdsaKeyPair, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut signature = vec![0u8; pair.algorithm().signature_len()];
    let len = pair
        .sign(message, &mut signature)
        .map_err(|_| CryptoError::Backend)?;
    signature.truncate(len);
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_lengths_follow_the_hash() {
        use SigningAlgorithm as A;
        let lens: Vec<Option<usize>> = SigningAlgorithm::ALL.map(digest_len).to_vec();
        assert_eq!(
            lens,
            [
                Some(32),
                Some(48),
                Some(64),
                Some(32),
                Some(48),
                Some(64),
                Some(32),
                Some(48),
                Some(64),
                None,
                None,
                Some(64)
            ]
        );
        assert_eq!(digest_len(A::Ed25519PhSha512), Some(64));
    }

    #[test]
    fn requests_are_checked_before_the_key() {
        use AsymmetricSpec as S;
        use MessageType as M;
        use SigningAlgorithm as A;
        let check = |spec, alg, kind, len: usize| check_request(spec, alg, kind, &vec![0; len]);
        assert_eq!(check(S::Rsa2048, A::RsassaPssSha256, M::Raw, 5), Ok(()));
        assert_eq!(
            check(S::EccNistP256, A::EcdsaSha384, M::Raw, 5),
            Err(SignError::IncompatibleAlgorithm)
        );
        assert_eq!(
            check(S::EccNistP256, A::EcdsaSha256, M::Digest, 31),
            Err(SignError::InvalidDigestLength)
        );
        assert_eq!(
            check(S::EccNistEdwards25519, A::Ed25519Sha512, M::Digest, 64),
            Err(SignError::MessageTypeNotAllowed)
        );
        assert_eq!(
            check(S::EccNistEdwards25519, A::Ed25519PhSha512, M::Raw, 64),
            Err(SignError::MessageTypeNotAllowed)
        );
        assert_eq!(
            check(S::MlDsa65, A::MlDsaShake256, M::Digest, 64),
            Err(SignError::MessageTypeNotAllowed)
        );
        assert_eq!(
            check(S::MlDsa65, A::MlDsaShake256, M::ExternalMu, 63),
            Err(SignError::InvalidDigestLength)
        );
        assert_eq!(
            check(S::Rsa2048, A::RsassaPssSha256, M::ExternalMu, 64),
            Err(SignError::MessageTypeNotAllowed)
        );
    }
}
