//! Helpers shared by the asymmetric suites: one private key per spec, and the messages of each
//! message type computed the way a client computes them.

use std::sync::OnceLock;

use aws_lc_rs::digest::{digest, SHA256, SHA384, SHA512};
use kms_crypto::asymmetric::{
    generate_private_key, public_key_der, AsymmetricSpec, MessageType, SigningAlgorithm,
};
use kms_crypto::SecretBytes;
use shake::{ExtendableOutput, Shake256, Update, XofReader};

/// The message every signing test signs.
pub const MESSAGE: &[u8] = b"kmsd signs this message";

/// One private key per spec, generated once per test binary (RSA-4096 takes a while).
pub fn key(spec: AsymmetricSpec) -> &'static [u8] {
    static KEYS: [OnceLock<SecretBytes>; 11] = [const { OnceLock::new() }; 11];
    let index = AsymmetricSpec::ALL.iter().position(|s| *s == spec).unwrap();
    KEYS[index]
        .get_or_init(|| generate_private_key(spec).unwrap())
        .expose()
}

/// The hash that `alg` applies to a RAW message (SHA-512 for both Ed25519 algorithms).
pub fn hash(alg: SigningAlgorithm, data: &[u8]) -> Vec<u8> {
    let name = alg.as_str();
    let algorithm = if name.ends_with("256") {
        &SHA256
    } else if name.ends_with("384") {
        &SHA384
    } else {
        &SHA512
    };
    digest(algorithm, data).as_ref().to_vec()
}

/// The raw ML-DSA public key: the end of its SubjectPublicKeyInfo.
pub fn ml_dsa_raw_public(spec: AsymmetricSpec, spki: &[u8]) -> Vec<u8> {
    let len = match spec {
        AsymmetricSpec::MlDsa44 => 1312,
        AsymmetricSpec::MlDsa65 => 1952,
        _ => 2592,
    };
    spki[spki.len() - len..].to_vec()
}

/// FIPS 204 μ of `message` for pure ML-DSA with an empty context, computed from the public
/// key: SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64).
pub fn mu(raw_public: &[u8], message: &[u8]) -> Vec<u8> {
    let mut tr = [0u8; 64];
    let mut hasher = Shake256::default();
    hasher.update(raw_public);
    hasher.finalize_xof().read(&mut tr);
    let mut out = vec![0u8; 64];
    let mut hasher = Shake256::default();
    hasher.update(&tr);
    hasher.update(&[0, 0]);
    hasher.update(message);
    hasher.finalize_xof().read(&mut out);
    out
}

/// `MESSAGE` as a message of type `kind` for `alg` with the key of `spec`: itself, its
/// digest, or its μ.
pub fn message_as(spec: AsymmetricSpec, alg: SigningAlgorithm, kind: MessageType) -> Vec<u8> {
    match kind {
        MessageType::Raw => MESSAGE.to_vec(),
        MessageType::Digest => hash(alg, MESSAGE),
        MessageType::ExternalMu => {
            let spki = public_key_der(spec, key(spec)).unwrap();
            mu(&ml_dsa_raw_public(spec, &spki), MESSAGE)
        }
    }
}

/// Whether AWS allows `kind` with `alg`.
pub fn allowed(alg: SigningAlgorithm, kind: MessageType) -> bool {
    match kind {
        MessageType::Raw => alg != SigningAlgorithm::Ed25519PhSha512,
        MessageType::Digest => !matches!(
            alg,
            SigningAlgorithm::Ed25519Sha512 | SigningAlgorithm::MlDsaShake256
        ),
        MessageType::ExternalMu => alg == SigningAlgorithm::MlDsaShake256,
    }
}
