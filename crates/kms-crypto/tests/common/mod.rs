//! Helpers shared by the suites: for import, one wrapping key pair per size and the client's
//! side of the wrapping done with aws-lc-rs; for the asymmetric keys, the [`keys`] module.

#![allow(dead_code, reason = "each suite uses a different subset")]

pub mod keys;

use std::sync::OnceLock;

use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded, AES_128, AES_256};
use aws_lc_rs::rsa::{
    OaepAlgorithm, OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1,
    OAEP_SHA256_MGF1SHA256,
};
use kms_crypto::import::{WrappingAlgorithm, WrappingKeyPair, WrappingKeySpec};
use kms_crypto::{RootKey, Sealer};

/// The ARN every test token is issued for.
pub const ARN: &str = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// A sealer over a fixed root key.
pub fn sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(|| Sealer::new(RootKey::from_bytes(&[0x42; 32]).unwrap()))
}

/// One key pair per size, generated once per test binary.
pub fn pair(spec: WrappingKeySpec) -> &'static WrappingKeyPair {
    static PAIRS: [OnceLock<WrappingKeyPair>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = WrappingKeySpec::ALL
        .iter()
        .position(|s| *s == spec)
        .unwrap();
    PAIRS[index].get_or_init(|| WrappingKeyPair::generate(spec).unwrap())
}

/// The OAEP parameters a client uses for `algorithm`.
pub fn oaep(algorithm: WrappingAlgorithm) -> &'static OaepAlgorithm {
    match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => {
            &OAEP_SHA1_MGF1SHA1
        }
        _ => &OAEP_SHA256_MGF1SHA256,
    }
}

/// RSA-OAEP encryption under a public key in DER SubjectPublicKeyInfo, as a client does it.
pub fn rsa_encrypt(public_der: &[u8], algorithm: WrappingAlgorithm, plain: &[u8]) -> Vec<u8> {
    let public = PublicEncryptingKey::from_der(public_der).unwrap();
    let public = OaepPublicEncryptingKey::new(public).unwrap();
    let mut out = vec![0u8; public.ciphertext_size()];
    let len = public
        .encrypt(oaep(algorithm), plain, &mut out, None)
        .unwrap()
        .len();
    out.truncate(len);
    out
}

/// RFC 5649 key wrap with padding under a 16- or 32-byte key.
pub fn kwp_wrap(key: &[u8], plain: &[u8]) -> Vec<u8> {
    let cipher = if key.len() == 16 { &AES_128 } else { &AES_256 };
    let mut out = vec![0u8; plain.len() + 15];
    let kek = AesKek::new(cipher, key).unwrap();
    kek.wrap_with_padding(plain, &mut out).unwrap().to_vec()
}

/// `EncryptedKeyMaterial` for `material` under `public_der` with `algorithm`, done the way the
/// AWS guide describes (a 32-byte AES key for `RSA_AES_KEY_WRAP_*`).
pub fn client_wrap(public_der: &[u8], algorithm: WrappingAlgorithm, material: &[u8]) -> Vec<u8> {
    if !algorithm.uses_key_wrap() {
        return rsa_encrypt(public_der, algorithm, material);
    }
    let aes_key = kms_crypto::random_bytes(32);
    let mut out = rsa_encrypt(public_der, algorithm, &aes_key);
    out.extend(kwp_wrap(&aes_key, material));
    out
}
