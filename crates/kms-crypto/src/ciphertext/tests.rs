//! Unit tests of the ciphertext format.

use std::collections::BTreeMap;

use super::*;
use crate::{canonical_context, material_id};

const UUID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const MRK: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

fn single(region: &str, key_id: &str) -> KeyReference {
    KeyReference {
        account: "111122223333".into(),
        region: Some(region.into()),
        key_id: key_id.into(),
    }
}

fn multi(key_id: &str) -> KeyReference {
    KeyReference {
        account: "111122223333".into(),
        region: None,
        key_id: key_id.into(),
    }
}

fn material(fill: u8) -> SecretBytes {
    SecretBytes::new(vec![fill; 32])
}

fn context(pairs: &[(&str, &str)]) -> Vec<u8> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    canonical_context(&map)
}

/// Encrypts `plaintext` for `key_ref` with material 1 and its material ID.
fn sample(key_ref: &KeyReference, ctx: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let id = material_id(&key_ref.key_id, &material(1));
    encrypt(&material(1), key_ref, &id, ctx, plaintext).unwrap()
}

fn open(blob: &[u8], ctx: &[u8]) -> Result<SecretBytes, CryptoError> {
    decrypt(&material(1), &parse(blob)?, ctx)
}

#[test]
fn round_trips_both_kinds_with_and_without_context() {
    for key_ref in [single("eu-west-3", UUID), multi(MRK)] {
        for ctx in [
            context(&[]),
            context(&[("purpose", "test"), ("a", "b")]),
            Vec::new(),
        ] {
            let blob = sample(&key_ref, &ctx, b"hello");
            assert_eq!(open(&blob, &ctx).unwrap().expose(), b"hello");
        }
    }
}

#[test]
fn empty_plaintext_round_trips() {
    let blob = sample(&multi(MRK), &[], b"");
    assert!(open(&blob, &[]).unwrap().is_empty());
}

#[test]
fn parse_reads_back_the_claims() {
    let key_ref = single("us-west-2", UUID);
    let id = material_id(UUID, &material(1));
    let blob = encrypt(&material(1), &key_ref, &id, &[], b"x").unwrap();
    let parsed = parse(&blob).unwrap();
    assert_eq!(parsed.key_ref, key_ref);
    assert_eq!(parsed.material_id, id);
}

#[test]
fn layout_matches_the_format() {
    let key_ref = multi(MRK);
    let id = [9u8; 32];
    let blob = encrypt(&material(1), &key_ref, &id, &[], b"abc").unwrap();
    let ref_len = 1 + 12 + 16;
    assert_eq!(blob[0], VERSION);
    assert_eq!(blob[1], 2);
    assert_eq!(&blob[1 + ref_len..1 + ref_len + 32], &id);
    assert_eq!(blob.len(), 1 + ref_len + 32 + 32 + 3 + 16);
    assert_ne!(&blob[1 + ref_len + 64..1 + ref_len + 67], b"abc");
}

#[test]
fn salts_are_fresh() {
    let a = sample(&multi(MRK), &[], b"same");
    let b = sample(&multi(MRK), &[], b"same");
    assert_ne!(a, b);
}

#[test]
fn wrong_material_fails() {
    let blob = sample(&multi(MRK), &[], b"secret");
    let err = decrypt(&material(2), &parse(&blob).unwrap(), &[]).unwrap_err();
    assert_eq!(err, CryptoError::Authentication);
}

#[test]
fn empty_material_is_refused() {
    let empty = SecretBytes::new(Vec::new());
    let err = encrypt(&empty, &multi(MRK), &[0; 32], &[], b"x").unwrap_err();
    assert_eq!(err, CryptoError::Format);
    let blob = sample(&multi(MRK), &[], b"x");
    assert_eq!(
        decrypt(&empty, &parse(&blob).unwrap(), &[]).unwrap_err(),
        CryptoError::Format
    );
}

#[test]
fn unencodable_references_are_refused() {
    let bad = [
        KeyReference {
            account: "1234".into(),
            ..multi(MRK)
        },
        single("us-east-1", MRK),
        multi(UUID),
        single("us-east-1", "not-a-key"),
    ];
    for key_ref in bad {
        let err = encrypt(&material(1), &key_ref, &[0; 32], &[], b"x").unwrap_err();
        assert_eq!(err, CryptoError::Format, "{key_ref:?}");
    }
}

#[test]
fn rewriting_the_reference_breaks_authentication() {
    // Encrypt for key A, then put key B's reference (same encoded length) in the header.
    let a = single("us-east-1", UUID);
    let b = single("us-east-2", "ffffffff-12ab-34cd-56ef-1234567890ab");
    let blob = sample(&a, &[], b"secret");
    let mut header_b = Vec::new();
    b.encode(&mut header_b).unwrap();
    let mut forged = blob.clone();
    forged[1..1 + header_b.len()].copy_from_slice(&header_b);

    let parsed = parse(&forged).unwrap();
    assert_eq!(parsed.key_ref, b);
    let err = decrypt(&material(1), &parsed, &[]).unwrap_err();
    assert_eq!(err, CryptoError::Authentication);
}

#[test]
fn single_and_multi_region_references_do_not_mix() {
    // The same material and the same 16 key ID bytes, once as single-Region, once as mrk-.
    let hex_id = "1234abcd12ab34cd56ef1234567890ab";
    let as_multi = multi(&format!("mrk-{hex_id}"));
    let as_single = single("us-east-1", UUID);
    let blob = sample(&as_multi, &[], b"secret");

    // Rebuild the blob with the single-Region reference in front of the same remainder.
    let mut single_ref = Vec::new();
    as_single.encode(&mut single_ref).unwrap();
    let mut multi_ref = Vec::new();
    as_multi.encode(&mut multi_ref).unwrap();
    assert_eq!(
        single_ref[single_ref.len() - 16..],
        multi_ref[multi_ref.len() - 16..]
    );
    let mut forged = vec![VERSION];
    forged.extend_from_slice(&single_ref);
    forged.extend_from_slice(&blob[1 + multi_ref.len()..]);

    let parsed = parse(&forged).unwrap();
    assert_eq!(parsed.key_ref, as_single);
    let err = decrypt(&material(1), &parsed, &[]).unwrap_err();
    assert_eq!(err, CryptoError::Authentication);

    // And the two encryptions of one message never produce the same header.
    let other = sample(&as_single, &[], b"secret");
    assert_ne!(
        parse(&other).unwrap().key_ref,
        parse(&blob).unwrap().key_ref
    );
}

#[test]
fn multi_region_ciphertexts_carry_no_region() {
    let blob = sample(&multi(MRK), &[], b"secret");
    assert!(!blob.windows(9).any(|w| w == b"us-east-1"));
    assert_eq!(parse(&blob).unwrap().key_ref.region, None);
}

#[test]
fn context_must_match_exactly() {
    let ctx = context(&[("a", "1"), ("b", "2")]);
    let blob = sample(&single("us-east-1", UUID), &ctx, b"secret");
    assert!(open(&blob, &ctx).is_ok());

    let wrong = [
        context(&[]),
        Vec::new(),
        context(&[("a", "1")]),
        context(&[("a", "1"), ("b", "2"), ("c", "3")]),
        context(&[("a", "1"), ("b", "3")]),
        context(&[("A", "1"), ("b", "2")]),
    ];
    for other in wrong {
        assert_eq!(
            open(&blob, &other).unwrap_err(),
            CryptoError::Authentication
        );
    }
}

#[test]
fn every_flipped_bit_fails() {
    let blob = sample(
        &single("us-east-1", UUID),
        &context(&[("k", "v")]),
        b"secret",
    );
    let ctx = context(&[("k", "v")]);
    for index in 0..blob.len() {
        for bit in 0..8 {
            let mut bad = blob.clone();
            bad[index] ^= 1 << bit;
            let err = open(&bad, &ctx).unwrap_err();
            assert!(
                matches!(err, CryptoError::Format | CryptoError::Authentication),
                "byte {index} bit {bit}: {err:?}"
            );
        }
    }
}

#[test]
fn truncations_fail_without_panicking() {
    let blob = sample(&single("us-east-1", UUID), &[], b"secret");
    for len in 0..blob.len() {
        assert!(open(&blob[..len], &[]).is_err());
    }
    let mut longer = blob.clone();
    longer.push(0);
    assert_eq!(open(&longer, &[]).unwrap_err(), CryptoError::Authentication);
}

#[test]
fn short_or_foreign_input_is_malformed() {
    assert_eq!(parse(&[]).unwrap_err(), CryptoError::Format);
    assert_eq!(parse(&[1]).unwrap_err(), CryptoError::Format);
    let mut blob = sample(&multi(MRK), &[], b"x");
    blob[0] = 2;
    assert_eq!(parse(&blob).unwrap_err(), CryptoError::Format);
}

#[test]
fn debug_of_parsed_shows_no_ciphertext() {
    let blob = sample(&multi(MRK), &[], b"secret");
    let parsed = parse(&blob).unwrap();
    let shown = format!("{parsed:?}");
    assert!(shown.contains(MRK));
    let body = hex::encode(&blob[blob.len() - 16..]);
    assert!(!shown.contains(&body));
}
