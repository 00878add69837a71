//! Property tests of the asymmetric and MAC entry points: no input makes them panic, arbitrary
//! or changed key material is refused or at worst still a key, and no arbitrary signature,
//! peer key or ciphertext is taken for a valid one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

mod common;

use kms_crypto::asymmetric::{
    check_private_key, ecdh, public_key_der, rsa_oaep_decrypt, rsa_oaep_encrypt, sign, verify,
    AsymmetricSpec, MessageType, OaepHash, SignError, SigningAlgorithm,
};
use kms_crypto::mac::{verify_mac, MacAlgorithm};
use kms_crypto::CryptoError;
use proptest::prelude::*;

use common::keys::key;

/// Any spec.
fn spec() -> impl Strategy<Value = AsymmetricSpec> {
    proptest::sample::select(AsymmetricSpec::ALL.to_vec())
}

/// Any signing algorithm.
fn algorithm() -> impl Strategy<Value = SigningAlgorithm> {
    proptest::sample::select(SigningAlgorithm::ALL.to_vec())
}

/// Any message type.
fn message_type() -> impl Strategy<Value = MessageType> {
    proptest::sample::select(MessageType::ALL.to_vec())
}

/// Any OAEP hash.
fn oaep_hash() -> impl Strategy<Value = OaepHash> {
    proptest::sample::select(OaepHash::ALL.to_vec())
}

/// Arbitrary bytes, sometimes DER-looking: a SEQUENCE header in front of random content.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..700),
        proptest::collection::vec(any::<u8>(), 0..120).prop_map(|content| {
            let mut der = vec![0x30, content.len() as u8];
            der.extend(content);
            der
        }),
    ]
}

/// The key of `spec` with one change: a byte flipped, a prefix kept, or a byte inserted.
fn changed_key(spec: AsymmetricSpec, kind: u8, at: usize, value: u8) -> Vec<u8> {
    let mut out = key(spec).to_vec();
    let index = at % out.len();
    match kind % 3 {
        0 => out[index] ^= value | 1,
        1 => out.truncate(index),
        _ => out.insert(index, value),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_key_bytes_are_refused_without_panic(
        spec in spec(), alg in algorithm(), kind in message_type(), key_bytes in bytes(),
        message in bytes(), signature in bytes(), hash in oaep_hash(),
    ) {
        prop_assert_eq!(check_private_key(spec, &key_bytes), Err(CryptoError::KeyMismatch));
        prop_assert!(public_key_der(spec, &key_bytes).is_err());
        prop_assert!(sign(spec, &key_bytes, alg, kind, &message).is_err());
        prop_assert!(verify(spec, &key_bytes, alg, kind, &message, &signature).is_err());
        prop_assert!(ecdh(spec, &key_bytes, &signature).is_err());
        prop_assert!(rsa_oaep_encrypt(spec, &key_bytes, hash, &message).is_err());
        prop_assert!(rsa_oaep_decrypt(spec, &key_bytes, hash, &signature).is_err());
    }

    #[test]
    fn changed_keys_do_not_panic(
        spec in spec(), change in any::<u8>(), at in any::<usize>(), value in any::<u8>(),
    ) {
        let changed = changed_key(spec, change, at, value);
        // A change may leave a valid key (a flipped bit in an unused field); then it is one.
        if check_private_key(spec, &changed).is_ok() {
            prop_assert!(public_key_der(spec, &changed).is_ok());
        } else {
            prop_assert!(public_key_der(spec, &changed).is_err());
        }
        let alg = spec.signing_algorithms()[0];
        let _ = verify(spec, &changed, alg, MessageType::Raw, b"m", &[0; 64]);
        let _ = ecdh(spec, &changed, &public_key_der(spec, key(spec)).unwrap());
    }

    #[test]
    fn arbitrary_signatures_do_not_verify(
        spec in spec(), alg in algorithm(), kind in message_type(), message in bytes(),
        signature in bytes(),
    ) {
        match verify(spec, key(spec), alg, kind, &message, &signature) {
            Ok(verified) => prop_assert!(!verified),
            Err(err) => prop_assert!(matches!(
                err,
                SignError::IncompatibleAlgorithm
                    | SignError::MessageTypeNotAllowed
                    | SignError::InvalidDigestLength
            )),
        }
    }

    #[test]
    fn arbitrary_peer_keys_and_ciphertexts_are_refused(
        spec in spec(), peer in bytes(), ciphertext in bytes(), hash in oaep_hash(),
    ) {
        let expected = if spec.is_nist_ecc() {
            CryptoError::Format
        } else {
            CryptoError::UnsupportedKeySpec
        };
        prop_assert_eq!(ecdh(spec, key(spec), &peer).unwrap_err(), expected);
        if spec.is_rsa() {
            prop_assert!(rsa_oaep_decrypt(spec, key(spec), hash, &ciphertext).is_err());
        }
    }

    #[test]
    fn arbitrary_macs_do_not_verify(
        alg in proptest::sample::select(MacAlgorithm::ALL.to_vec()),
        key_bytes in bytes(), message in bytes(), tag in bytes(),
    ) {
        prop_assert!(!verify_mac(alg, &key_bytes, &message, &tag));
    }
}

#[test]
fn a_changed_peer_key_is_refused_at_every_byte() {
    for spec in AsymmetricSpec::ALL.into_iter().filter(|s| s.is_nist_ecc()) {
        let peer = public_key_der(spec, key(spec)).unwrap();
        for index in 0..peer.len() {
            let mut changed = peer.clone();
            changed[index] ^= 0x01;
            // A few bits are not checked by DER readers (such as the unused-bits count of a
            // BIT STRING of whole bytes); every other change must be refused.
            if let Ok(secret) = ecdh(spec, key(spec), &changed) {
                let honest = ecdh(spec, key(spec), &peer).unwrap();
                assert_eq!(secret, honest, "{spec:?} byte {index}");
            }
        }
    }
}
