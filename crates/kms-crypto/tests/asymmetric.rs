//! The asymmetric contract without outside tools: every spec with every algorithm and message
//! type, the refusals, the key checks, RSA-OAEP and ECDH round trips, and ML-DSA keys in each of
//! their PKCS #8 forms.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

mod common;

use kms_crypto::asymmetric::{
    check_private_key, digest_len, ecdh, generate_private_key, public_key_der, rsa_oaep_decrypt,
    rsa_oaep_encrypt, rsa_oaep_max_plaintext, sign, verify, AsymmetricSpec, MessageType, OaepHash,
    SignError, SigningAlgorithm,
};
use kms_crypto::{random_bytes, CryptoError};

use common::keys::{allowed, hash, key, message_as, ml_dsa_raw_public, mu, MESSAGE};

/// A copy of `bytes` with one bit of byte `index` flipped.
fn flipped(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

// ---- the algorithm table ----

#[test]
fn every_allowed_combination_round_trips_and_detects_changes() {
    for spec in AsymmetricSpec::ALL {
        for &alg in spec.signing_algorithms() {
            for kind in MessageType::ALL.into_iter().filter(|k| allowed(alg, *k)) {
                let case = format!("{spec:?} {alg:?} {kind:?}");
                let message = message_as(spec, alg, kind);
                let signature = sign(spec, key(spec), alg, kind, &message).unwrap();
                let check = |m: &[u8], s: &[u8]| verify(spec, key(spec), alg, kind, m, s).unwrap();
                assert!(check(&message, &signature), "{case}");
                assert!(!check(&message, &flipped(&signature, 7)), "{case}");
                let last = signature.len() - 1;
                assert!(!check(&message, &flipped(&signature, last)), "{case}");
                assert!(!check(&flipped(&message, 0), &signature), "{case}");
                assert!(!check(&message, &signature[..last]), "{case}");
                assert!(!check(&message, &[]), "{case}");
            }
        }
    }
}

#[test]
fn algorithms_of_another_spec_are_incompatible() {
    for spec in AsymmetricSpec::ALL {
        for alg in SigningAlgorithm::ALL {
            if spec.signing_algorithms().contains(&alg) {
                continue;
            }
            for kind in MessageType::ALL {
                let message = message_as(AsymmetricSpec::MlDsa44, alg, kind);
                let err = sign(spec, key(spec), alg, kind, &message).unwrap_err();
                assert_eq!(err, SignError::IncompatibleAlgorithm, "{spec:?} {alg:?}");
                let err = verify(spec, key(spec), alg, kind, &message, &[0; 64]).unwrap_err();
                assert_eq!(err, SignError::IncompatibleAlgorithm, "{spec:?} {alg:?}");
            }
        }
    }
}

#[test]
fn disallowed_message_types_are_refused() {
    for spec in AsymmetricSpec::ALL {
        for &alg in spec.signing_algorithms() {
            for kind in MessageType::ALL.into_iter().filter(|k| !allowed(alg, *k)) {
                // A message of every plausible length, so the length is not what is refused.
                for len in [32, 48, 64] {
                    let message = vec![7u8; len];
                    let case = format!("{spec:?} {alg:?} {kind:?} {len}");
                    let err = sign(spec, key(spec), alg, kind, &message).unwrap_err();
                    assert_eq!(err, SignError::MessageTypeNotAllowed, "{case}");
                    let err = verify(spec, key(spec), alg, kind, &message, &[1; 64]).unwrap_err();
                    assert_eq!(err, SignError::MessageTypeNotAllowed, "{case}");
                }
            }
        }
    }
}

#[test]
fn digests_and_mu_of_the_wrong_length_are_refused() {
    for spec in AsymmetricSpec::ALL {
        for &alg in spec.signing_algorithms() {
            let cases = [
                (MessageType::Digest, digest_len(alg)),
                (
                    MessageType::ExternalMu,
                    allowed(alg, MessageType::ExternalMu).then_some(64),
                ),
            ];
            for (kind, len) in cases {
                let Some(len) = len else { continue };
                for wrong in [0, 1, len - 1, len + 1, 2 * len] {
                    let message = vec![3u8; wrong];
                    let err = sign(spec, key(spec), alg, kind, &message).unwrap_err();
                    assert_eq!(
                        err,
                        SignError::InvalidDigestLength,
                        "{spec:?} {alg:?} {wrong}"
                    );
                    let err = verify(spec, key(spec), alg, kind, &message, &[0; 8]).unwrap_err();
                    assert_eq!(
                        err,
                        SignError::InvalidDigestLength,
                        "{spec:?} {alg:?} {wrong}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_raw_signature_is_the_signature_of_its_digest() {
    // RSA and ECDSA: DIGEST means the algorithm's hash step was done by the caller.
    for spec in AsymmetricSpec::ALL {
        for &alg in spec.signing_algorithms() {
            let rsa_or_ecdsa =
                alg.as_str().starts_with("RSASSA") || alg.as_str().starts_with("ECDSA");
            if !rsa_or_ecdsa {
                continue;
            }
            let digest = hash(alg, MESSAGE);
            let raw = sign(spec, key(spec), alg, MessageType::Raw, MESSAGE).unwrap();
            let digested = sign(spec, key(spec), alg, MessageType::Digest, &digest).unwrap();
            let check =
                |kind, m: &[u8], s: &[u8]| verify(spec, key(spec), alg, kind, m, s).unwrap();
            assert!(
                check(MessageType::Digest, &digest, &raw),
                "{spec:?} {alg:?}"
            );
            assert!(
                check(MessageType::Raw, MESSAGE, &digested),
                "{spec:?} {alg:?}"
            );
        }
    }
}

#[test]
fn an_external_mu_signature_is_a_raw_ml_dsa_signature() {
    // μ computed from the public key with SHAKE256 here, independently of both libraries.
    let alg = SigningAlgorithm::MlDsaShake256;
    for spec in [
        AsymmetricSpec::MlDsa44,
        AsymmetricSpec::MlDsa65,
        AsymmetricSpec::MlDsa87,
    ] {
        let spki = public_key_der(spec, key(spec)).unwrap();
        let mu = mu(&ml_dsa_raw_public(spec, &spki), MESSAGE);
        let by_mu = sign(spec, key(spec), alg, MessageType::ExternalMu, &mu).unwrap();
        let raw = sign(spec, key(spec), alg, MessageType::Raw, MESSAGE).unwrap();
        let check = |kind, m: &[u8], s: &[u8]| verify(spec, key(spec), alg, kind, m, s).unwrap();
        assert!(check(MessageType::Raw, MESSAGE, &by_mu), "{spec:?}");
        assert!(check(MessageType::ExternalMu, &mu, &raw), "{spec:?}");
        assert!(
            !check(MessageType::Raw, b"another message", &by_mu),
            "{spec:?}"
        );
    }
}

#[test]
fn signatures_have_their_documented_shape() {
    for spec in AsymmetricSpec::ALL {
        for &alg in spec.signing_algorithms() {
            let kind = if allowed(alg, MessageType::Raw) {
                MessageType::Raw
            } else {
                MessageType::Digest
            };
            let message = message_as(spec, alg, kind);
            let signature = sign(spec, key(spec), alg, kind, &message).unwrap();
            let len = signature.len();
            match spec {
                AsymmetricSpec::Rsa2048 => assert_eq!(len, 256),
                AsymmetricSpec::Rsa3072 => assert_eq!(len, 384),
                AsymmetricSpec::Rsa4096 => assert_eq!(len, 512),
                AsymmetricSpec::EccNistEdwards25519 => assert_eq!(len, 64),
                AsymmetricSpec::MlDsa44 => assert_eq!(len, 2420),
                AsymmetricSpec::MlDsa65 => assert_eq!(len, 3309),
                AsymmetricSpec::MlDsa87 => assert_eq!(len, 4627),
                // ECDSA: a DER SEQUENCE of two INTEGERs.
                _ => {
                    assert_eq!(signature[0], 0x30, "{spec:?}");
                    assert!(len <= 139, "{spec:?} {len}");
                }
            }
        }
    }
}

#[test]
fn the_table_of_algorithms_is_the_aws_one() {
    let names = |spec: AsymmetricSpec| -> Vec<&str> {
        spec.signing_algorithms()
            .iter()
            .map(|a| a.as_str())
            .collect()
    };
    assert_eq!(
        names(AsymmetricSpec::Rsa3072),
        [
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512"
        ]
    );
    assert_eq!(names(AsymmetricSpec::EccNistP256), ["ECDSA_SHA_256"]);
    assert_eq!(names(AsymmetricSpec::EccSecgP256k1), ["ECDSA_SHA_256"]);
    assert_eq!(names(AsymmetricSpec::EccNistP384), ["ECDSA_SHA_384"]);
    assert_eq!(names(AsymmetricSpec::EccNistP521), ["ECDSA_SHA_512"]);
    assert_eq!(
        names(AsymmetricSpec::EccNistEdwards25519),
        ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    );
    assert_eq!(names(AsymmetricSpec::MlDsa87), ["ML_DSA_SHAKE_256"]);
    let specs: Vec<&str> = AsymmetricSpec::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        specs,
        [
            "RSA_2048",
            "RSA_3072",
            "RSA_4096",
            "ECC_NIST_P256",
            "ECC_NIST_P384",
            "ECC_NIST_P521",
            "ECC_SECG_P256K1",
            "ECC_NIST_EDWARDS25519",
            "ML_DSA_44",
            "ML_DSA_65",
            "ML_DSA_87"
        ]
    );
}

// ---- keys ----

#[test]
fn every_key_checks_as_its_own_spec_only() {
    for spec in AsymmetricSpec::ALL {
        check_private_key(spec, key(spec)).unwrap();
        for other in AsymmetricSpec::ALL.into_iter().filter(|o| *o != spec) {
            let err = check_private_key(other, key(spec)).unwrap_err();
            assert_eq!(err, CryptoError::KeyMismatch, "{spec:?} as {other:?}");
            let err = public_key_der(other, key(spec)).unwrap_err();
            assert_eq!(err, CryptoError::KeyMismatch, "{spec:?} as {other:?}");
        }
    }
}

#[test]
fn changed_or_extended_keys_are_refused() {
    for spec in AsymmetricSpec::ALL {
        let good = key(spec);
        let mut longer = good.to_vec();
        longer.push(0);
        let truncated = &good[..good.len() - 1];
        for bad in [&longer[..], truncated, &[], &[0x30, 0x00], b"not a key"] {
            let err = check_private_key(spec, bad).unwrap_err();
            assert_eq!(err, CryptoError::KeyMismatch, "{spec:?}");
        }
        // Changing the last byte of the algorithm OID makes it another algorithm.
        let oid = good.iter().position(|b| *b == 0x06).unwrap();
        let oid_end = oid + 1 + usize::from(good[oid + 1]);
        let err = check_private_key(spec, &flipped(good, oid_end)).unwrap_err();
        assert_eq!(err, CryptoError::KeyMismatch, "{spec:?}");
    }
}

#[test]
fn fresh_keys_differ_and_publish_a_spki() {
    for spec in [
        AsymmetricSpec::EccNistP384,
        AsymmetricSpec::EccNistEdwards25519,
        AsymmetricSpec::MlDsa44,
    ] {
        let a = generate_private_key(spec).unwrap();
        let b = generate_private_key(spec).unwrap();
        assert_ne!(a, b);
        let spki_a = public_key_der(spec, a.expose()).unwrap();
        assert_ne!(spki_a, public_key_der(spec, b.expose()).unwrap());
        assert_eq!(spki_a[0], 0x30);
        // Ed25519 and ML-DSA keys end with their seed, none of which is in the public key.
        if spec != AsymmetricSpec::EccNistP384 {
            let seed = &a.expose()[a.len() - 32..];
            assert!(!spki_a.windows(8).any(|w| seed.windows(8).any(|s| s == w)));
        }
    }
}

/// DER of one element with `tag` around `content` (definite length).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// A PKCS #8 `PrivateKeyInfo` of ML-DSA `spec` around the private key CHOICE `private`.
fn ml_dsa_pkcs8(spec: AsymmetricSpec, private: &[u8]) -> Vec<u8> {
    let last_arc = match spec {
        AsymmetricSpec::MlDsa44 => 0x11,
        AsymmetricSpec::MlDsa65 => 0x12,
        _ => 0x13,
    };
    let oid = der(
        0x06,
        &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, last_arc],
    );
    let body = [der(0x02, &[0]), der(0x30, &oid), der(0x04, private)].concat();
    der(0x30, &body)
}

#[test]
fn ml_dsa_keys_are_read_in_every_form() {
    use aws_lc_rs::encoding::AsRawBytes;
    use aws_lc_rs::signature::{PqdsaKeyPair, ML_DSA_65_SIGNING};
    let spec = AsymmetricSpec::MlDsa65;
    let alg = SigningAlgorithm::MlDsaShake256;

    // The seed form, as aws-lc writes it, ends with the 32-byte seed.
    let seed_form = key(spec);
    assert_eq!(
        seed_form,
        ml_dsa_pkcs8(spec, &der(0x80, &seed_form[seed_form.len() - 32..]))
    );
    let seed = &seed_form[seed_form.len() - 32..];
    let pair = PqdsaKeyPair::from_pkcs8(&ML_DSA_65_SIGNING, seed_form).unwrap();
    let expanded = pair.private_key().as_raw_bytes().unwrap();

    // The expanded form alone, and both forms together (OpenSSL 3.5's default).
    let expanded_form = ml_dsa_pkcs8(spec, &der(0x04, expanded.as_ref()));
    let both = [der(0x04, seed), der(0x04, expanded.as_ref())].concat();
    let both_form = ml_dsa_pkcs8(spec, &der(0x30, &both));
    let spki = public_key_der(spec, seed_form).unwrap();
    let mu = mu(&ml_dsa_raw_public(spec, &spki), MESSAGE);
    for (form, pkcs8) in [("expanded", &expanded_form), ("both", &both_form)] {
        check_private_key(spec, pkcs8).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(public_key_der(spec, pkcs8).unwrap(), spki, "{form}");
        let raw = sign(spec, pkcs8, alg, MessageType::Raw, MESSAGE).unwrap();
        assert!(verify(spec, seed_form, alg, MessageType::Raw, MESSAGE, &raw).unwrap());
        assert!(verify(spec, pkcs8, alg, MessageType::ExternalMu, &mu, &raw).unwrap());
    }

    // External μ needs the seed: with both forms it signs, with the expanded key alone it
    // says so.
    let by_mu = sign(spec, &both_form, alg, MessageType::ExternalMu, &mu).unwrap();
    assert!(verify(spec, seed_form, alg, MessageType::Raw, MESSAGE, &by_mu).unwrap());
    let err = sign(spec, &expanded_form, alg, MessageType::ExternalMu, &mu).unwrap_err();
    assert_eq!(err, SignError::Unsupported);

    // Both forms that disagree are refused.
    let mut other_seed = seed.to_vec();
    other_seed[0] ^= 1;
    let mixed = [der(0x04, &other_seed), der(0x04, expanded.as_ref())].concat();
    let mixed_form = ml_dsa_pkcs8(spec, &der(0x30, &mixed));
    assert_eq!(
        check_private_key(spec, &mixed_form).unwrap_err(),
        CryptoError::KeyMismatch
    );
}

// ---- RSA-OAEP ----

#[test]
fn oaep_round_trips_up_to_the_limit_for_every_size() {
    for spec in AsymmetricSpec::ALL.into_iter().filter(|s| s.is_rsa()) {
        for hash in OaepHash::ALL {
            let max = rsa_oaep_max_plaintext(spec, hash).unwrap();
            for len in [0, 1, 32, max] {
                let plaintext = random_bytes(len);
                let ciphertext = rsa_oaep_encrypt(spec, key(spec), hash, &plaintext).unwrap();
                assert_eq!(ciphertext.len(), spec.rsa_bits().unwrap() / 8);
                let opened = rsa_oaep_decrypt(spec, key(spec), hash, &ciphertext).unwrap();
                assert_eq!(opened.expose(), plaintext, "{spec:?} {hash:?} {len}");
            }
            let err = rsa_oaep_encrypt(spec, key(spec), hash, &random_bytes(max + 1)).unwrap_err();
            assert_eq!(err, CryptoError::Format, "{spec:?} {hash:?}");
        }
    }
}

#[test]
fn oaep_failures_are_uniform() {
    let spec = AsymmetricSpec::Rsa2048;
    let ciphertext = rsa_oaep_encrypt(spec, key(spec), OaepHash::Sha256, b"secret").unwrap();
    let decrypt = |spec, hash, c: &[u8]| rsa_oaep_decrypt(spec, key(spec), hash, c).unwrap_err();
    assert_eq!(
        decrypt(spec, OaepHash::Sha1, &ciphertext),
        CryptoError::Authentication
    );
    for index in [0, 100, 255] {
        let changed = flipped(&ciphertext, index);
        assert_eq!(
            decrypt(spec, OaepHash::Sha256, &changed),
            CryptoError::Authentication
        );
    }
    assert_eq!(
        decrypt(spec, OaepHash::Sha256, &ciphertext[1..]),
        CryptoError::Format
    );
    assert_eq!(decrypt(spec, OaepHash::Sha256, &[]), CryptoError::Format);
    let other = AsymmetricSpec::Rsa3072;
    let err = rsa_oaep_decrypt(other, key(spec), OaepHash::Sha256, &ciphertext).unwrap_err();
    assert_eq!(err, CryptoError::KeyMismatch);
    let ecc = AsymmetricSpec::EccNistP256;
    let err = rsa_oaep_encrypt(ecc, key(ecc), OaepHash::Sha256, b"x").unwrap_err();
    assert_eq!(err, CryptoError::UnsupportedKeySpec);
}

#[test]
fn oaep_ciphertext_from_the_public_key_alone_decrypts() {
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1};
    let spec = AsymmetricSpec::Rsa3072;
    let spki = public_key_der(spec, key(spec)).unwrap();
    let public =
        OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&spki).unwrap()).unwrap();
    let mut ciphertext = vec![0u8; public.ciphertext_size()];
    public
        .encrypt(&OAEP_SHA1_MGF1SHA1, b"from a client", &mut ciphertext, None)
        .unwrap();
    let opened = rsa_oaep_decrypt(spec, key(spec), OaepHash::Sha1, &ciphertext).unwrap();
    assert_eq!(opened.expose(), b"from a client");
}

// ---- ECDH ----

#[test]
fn ecdh_agrees_both_ways_on_every_nist_curve() {
    for spec in AsymmetricSpec::ALL.into_iter().filter(|s| s.is_nist_ecc()) {
        let other = generate_private_key(spec).unwrap();
        let other_public = public_key_der(spec, other.expose()).unwrap();
        let ours = ecdh(spec, key(spec), &other_public).unwrap();
        let theirs = ecdh(
            spec,
            other.expose(),
            &public_key_der(spec, key(spec)).unwrap(),
        )
        .unwrap();
        assert_eq!(ours, theirs, "{spec:?}");
        let field_bytes = match spec {
            AsymmetricSpec::EccNistP256 => 32,
            AsymmetricSpec::EccNistP384 => 48,
            _ => 66,
        };
        assert_eq!(ours.len(), field_bytes);
    }
}

#[test]
fn ecdh_refuses_bad_peers_and_specs() {
    let spec = AsymmetricSpec::EccNistP256;
    let p384 = public_key_der(
        AsymmetricSpec::EccNistP384,
        key(AsymmetricSpec::EccNistP384),
    )
    .unwrap();
    let peer = public_key_der(spec, key(spec)).unwrap();
    let mut longer = peer.clone();
    longer.push(0);
    // The bare point at the end of the SPKI is what aws-lc would also read; AWS wants the SPKI.
    let bare_point = &peer[peer.len() - 65..];
    for (what, bad) in [
        ("other curve", &p384[..]),
        ("bare point", bare_point),
        ("trailing byte", &longer),
        ("changed point", &flipped(&peer, peer.len() - 1)),
        ("empty", &[]),
    ] {
        assert_eq!(
            ecdh(spec, key(spec), bad).unwrap_err(),
            CryptoError::Format,
            "{what}"
        );
    }
    for other in [
        AsymmetricSpec::EccSecgP256k1,
        AsymmetricSpec::Rsa2048,
        AsymmetricSpec::EccNistEdwards25519,
    ] {
        assert_eq!(
            ecdh(other, key(other), &peer).unwrap_err(),
            CryptoError::UnsupportedKeySpec
        );
    }
    let err = ecdh(AsymmetricSpec::EccNistP384, key(spec), &p384).unwrap_err();
    assert_eq!(err, CryptoError::KeyMismatch);
}

// ---- the public surface ----

#[test]
fn errors_display_without_detail() {
    assert_eq!(
        CryptoError::KeyMismatch.to_string(),
        "key material does not match the key spec"
    );
    assert_eq!(
        CryptoError::UnsupportedKeySpec.to_string(),
        "operation not offered by the key spec"
    );
    assert_eq!(
        SignError::Crypto(CryptoError::KeyMismatch).to_string(),
        "key material does not match the key spec"
    );
    assert_eq!(
        SignError::from(CryptoError::Backend),
        SignError::Crypto(CryptoError::Backend)
    );
    for err in [
        SignError::IncompatibleAlgorithm,
        SignError::MessageTypeNotAllowed,
        SignError::InvalidDigestLength,
        SignError::Unsupported,
    ] {
        assert!(err.to_string().len() < 60, "{err}");
    }
    let key = generate_private_key(AsymmetricSpec::EccNistP256).unwrap();
    assert_eq!(format!("{key:?}"), "[redacted]");
}
