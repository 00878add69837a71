//! Property tests of the parsers and formats: no input makes them panic, every round trip
//! holds, and every change to a ciphertext or sealed blob is detected.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::collections::BTreeMap;

use kms_crypto::ciphertext::{self, KeyReference};
use kms_crypto::{
    canonical_context, material_id, CryptoError, Purpose, RootKey, Sealer, SecretBytes,
};
use proptest::prelude::*;

/// A single-Region or multi-Region reference with random but well-formed fields.
fn key_reference() -> impl Strategy<Value = KeyReference> {
    let account = "[0-9]{12}";
    let region = proptest::option::of("[a-z]{2}(-[a-z]{2,9}){1,2}-[0-9]{1,2}");
    (account, region, any::<[u8; 16]>()).prop_map(|(account, region, raw)| {
        let digits = hex::encode(raw);
        let key_id = match region {
            Some(_) => format!(
                "{}-{}-{}-{}-{}",
                &digits[..8],
                &digits[8..12],
                &digits[12..16],
                &digits[16..20],
                &digits[20..]
            ),
            None => format!("mrk-{digits}"),
        };
        KeyReference {
            account,
            region,
            key_id,
        }
    })
}

/// An encryption context with arbitrary Unicode strings.
fn context_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(".{0,12}", ".{0,12}", 0..6)
}

/// A context over a tiny alphabet, so that two maps often concatenate to the same text.
fn tight_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map("[ab]{0,3}", "[ab]{0,3}", 0..4)
}

/// A valid ciphertext, the material that made it and its context bytes.
fn sample_ciphertext() -> impl Strategy<Value = (Vec<u8>, SecretBytes, Vec<u8>)> {
    (
        key_reference(),
        any::<[u8; 32]>(),
        context_map(),
        proptest::collection::vec(any::<u8>(), 1..64),
    )
        .prop_map(|(key_ref, raw, ctx, plaintext)| {
            let material = SecretBytes::new(raw.to_vec());
            let id = material_id(&key_ref.key_id, &material);
            let ctx = canonical_context(&ctx);
            let blob = ciphertext::encrypt(&material, &key_ref, &id, &ctx, &plaintext).unwrap();
            (blob, material, ctx)
        })
}

/// One change to a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR a byte (index taken modulo the length) with a non-zero value.
    Flip(usize, u8),
    /// Keep only a prefix (length taken modulo the length).
    Truncate(usize),
    /// Insert a byte at an index (modulo the length plus one).
    Insert(usize, u8),
    /// Remove the byte at an index (modulo the length).
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

/// Applies `mutation` to a non-empty `bytes`.
fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    match *mutation {
        Mutation::Flip(i, x) => bytes[i % len] ^= x,
        Mutation::Truncate(n) => bytes.truncate(n % len),
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
        Mutation::Remove(i) => {
            bytes.remove(i % len);
        }
    }
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ciphertext::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_a_version_byte_and_noise(
        kind in 0u8..4,
        rest in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = vec![1, kind];
        bytes.extend_from_slice(&rest);
        if let Ok(parsed) = ciphertext::parse(&bytes) {
            let material = SecretBytes::new(vec![0; 32]);
            prop_assert!(ciphertext::decrypt(&material, &parsed, &[]).is_err());
        }
    }

    #[test]
    fn mutated_ciphertexts_never_decrypt(
        (blob, material, ctx) in sample_ciphertext(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut bad = blob.clone();
        for m in &mutations {
            if bad.is_empty() {
                break;
            }
            apply(&mut bad, m);
        }
        prop_assume!(bad != blob);
        let result = ciphertext::parse(&bad).and_then(|p| ciphertext::decrypt(&material, &p, &ctx));
        prop_assert!(matches!(result, Err(CryptoError::Format | CryptoError::Authentication)));
    }

    #[test]
    fn encrypt_decrypt_round_trips(
        key_ref in key_reference(),
        raw in any::<[u8; 32]>(),
        ctx in context_map(),
        plaintext in proptest::collection::vec(any::<u8>(), 1..4096),
    ) {
        let material = SecretBytes::new(raw.to_vec());
        let id = material_id(&key_ref.key_id, &material);
        let ctx = canonical_context(&ctx);
        let blob = ciphertext::encrypt(&material, &key_ref, &id, &ctx, &plaintext).unwrap();
        let parsed = ciphertext::parse(&blob).unwrap();
        prop_assert_eq!(&parsed.key_ref, &key_ref);
        prop_assert_eq!(parsed.material_id, id);
        let opened = ciphertext::decrypt(&material, &parsed, &ctx).unwrap();
        prop_assert_eq!(opened.expose(), plaintext.as_slice());
    }

    #[test]
    fn another_context_never_decrypts(
        (blob, material, ctx) in sample_ciphertext(),
        other in context_map(),
    ) {
        let other = canonical_context(&other);
        prop_assume!(other != ctx);
        let parsed = ciphertext::parse(&blob).unwrap();
        let err = ciphertext::decrypt(&material, &parsed, &other).unwrap_err();
        prop_assert_eq!(err, CryptoError::Authentication);
    }

    #[test]
    fn canonical_context_is_injective(a in tight_map(), b in tight_map()) {
        prop_assert_eq!(a == b, canonical_context(&a) == canonical_context(&b));
    }

    #[test]
    fn canonical_context_is_injective_on_unicode(a in context_map(), b in context_map()) {
        prop_assert_eq!(a == b, canonical_context(&a) == canonical_context(&b));
    }

    #[test]
    fn sealing_round_trips_and_detects_changes(
        aad in proptest::collection::vec(any::<u8>(), 0..64),
        plaintext in proptest::collection::vec(any::<u8>(), 0..512),
        m in mutation(),
    ) {
        let sealer = Sealer::new(RootKey::from_bytes(&[3u8; 32]).unwrap());
        let blob = sealer.seal(Purpose::KeyMaterial, &aad, &plaintext);
        let opened = sealer.open(Purpose::KeyMaterial, &aad, &blob).unwrap();
        prop_assert_eq!(opened.expose(), plaintext.as_slice());

        let mut bad = blob.clone();
        apply(&mut bad, &m);
        prop_assume!(bad != blob);
        prop_assert!(sealer.open(Purpose::KeyMaterial, &aad, &bad).is_err());
    }

    #[test]
    fn sealer_open_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        let sealer = Sealer::new(RootKey::from_bytes(&[3u8; 32]).unwrap());
        let _ = sealer.open(Purpose::ImportToken, b"", &bytes);
    }

    #[test]
    fn root_key_hex_never_panics(text in ".{0,80}") {
        let _ = RootKey::from_hex(&text);
    }

    #[test]
    fn material_id_hex_round_trips(id in any::<[u8; 32]>()) {
        let text = kms_crypto::material_id_hex(&id);
        prop_assert_eq!(kms_crypto::parse_material_id(&text), Some(id));
    }
}
