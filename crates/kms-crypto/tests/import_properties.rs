//! Property tests of the import parsers: no token and no `EncryptedKeyMaterial` makes them
//! panic, and nothing but a valid input opens or unwraps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

mod common;

use kms_crypto::import::{
    issue_token, open_token, OpenedToken, WrappingAlgorithm, WrappingKeySpec,
};
use kms_crypto::CryptoError;
use proptest::prelude::*;

use common::{pair, rsa_encrypt, sealer, ARN};

/// A token of `algorithm` for the RSA-2048 pair, opened.
fn opened(algorithm: WrappingAlgorithm) -> OpenedToken {
    let token = issue_token(sealer(), pair(WrappingKeySpec::Rsa2048), ARN, algorithm, 0);
    open_token(sealer(), &token, ARN).unwrap()
}

/// Any of the four algorithms.
fn algorithm() -> impl Strategy<Value = WrappingAlgorithm> {
    proptest::sample::select(WrappingAlgorithm::ALL.to_vec())
}

/// Arbitrary bytes, biased towards the lengths the unwrapping splits at (RSA-2048: 256).
fn encrypted_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1200),
        proptest::collection::vec(any::<u8>(), 256),
        proptest::collection::vec(any::<u8>(), 255..=300),
    ]
}

proptest! {
    #[test]
    fn arbitrary_tokens_never_open(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        prop_assert_eq!(open_token(sealer(), &bytes, ARN).unwrap_err(), CryptoError::Authentication);
        let mut versioned = vec![1u8];
        versioned.extend_from_slice(&bytes);
        prop_assert_eq!(
            open_token(sealer(), &versioned, ARN).unwrap_err(),
            CryptoError::Authentication
        );
    }

    #[test]
    fn altered_tokens_never_open(index in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let token = issue_token(
            sealer(),
            pair(WrappingKeySpec::Rsa2048),
            ARN,
            WrappingAlgorithm::RsaesOaepSha256,
            99,
        );
        let mut bad = token.clone();
        bad[index.index(token.len())] ^= flip;
        prop_assert_eq!(open_token(sealer(), &bad, ARN).unwrap_err(), CryptoError::Authentication);
    }

    #[test]
    fn arbitrary_material_never_unwraps(algorithm in algorithm(), bytes in encrypted_bytes()) {
        let err = opened(algorithm).unwrap_material(&bytes).unwrap_err();
        prop_assert_eq!(err, CryptoError::Authentication);
    }

    #[test]
    fn a_valid_aes_key_with_arbitrary_wrapping_never_unwraps(
        sha256 in any::<bool>(),
        key_len in proptest::sample::select(vec![16usize, 24, 32]),
        wrapped in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let algorithm = if sha256 {
            WrappingAlgorithm::RsaAesKeyWrapSha256
        } else {
            WrappingAlgorithm::RsaAesKeyWrapSha1
        };
        let key = vec![0x5a; key_len];
        let mut encrypted = rsa_encrypt(pair(WrappingKeySpec::Rsa2048).public_key_der(), algorithm, &key);
        encrypted.extend_from_slice(&wrapped);
        let err = opened(algorithm).unwrap_material(&encrypted).unwrap_err();
        prop_assert_eq!(err, CryptoError::Authentication);
    }
}
