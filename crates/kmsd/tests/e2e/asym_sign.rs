//! Sign and Verify through `aws-sdk-kms`: every signing spec with every algorithm it offers,
//! as RAW messages and as DIGESTs, each signature checked by kmsd's Verify and by openssl with
//! the key's GetPublicKey (AWS "Signing algorithms", the Sign and Verify API pages); Ed25519's
//! fixed message types, ML-DSA with an external mu (FIPS 204 §6.2), and the error answers for
//! lengths, algorithms, usages and bad signatures. Signatures by openssl-made keys are checked
//! in `asym_import.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{
    assert_verifies, create, digest, incompatible, public_key, sign, signing_algorithms,
    usage_error, verify, Openssl, MESSAGE_TOO_LONG,
};
use crate::common::{assert_code, assert_error, create_key, random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";
const MESSAGE: &[u8] = b"The quick brown fox signs the lazy dog's contract, twice.";

/// Creates a SIGN_VERIFY key of `spec`, signs [`MESSAGE`] with every algorithm the spec offers
/// both RAW and as a DIGEST, and checks each signature with Verify (as RAW and as DIGEST, which
/// must agree) and with openssl under the key's public key.
async fn sign_with_every_algorithm(kms: &Client, spec: KeySpec) {
    let md = create(kms, spec.clone(), KeyUsageType::SignVerify).await;
    let (key, arn) = (md.key_id(), md.arn().unwrap());
    let spki = public_key(kms, key).await;
    let ossl = Openssl::new(&format!("{spec:?} signatures"));

    for algorithm in signing_algorithms(&spec) {
        let what = format!("{spec:?} {algorithm:?}");
        let hash = digest(&algorithm, MESSAGE);

        // RAW: kmsd hashes the message; the answer names the key by ARN and the algorithm.
        let out = kms
            .sign()
            .key_id(key)
            .signing_algorithm(algorithm.clone())
            .message(Blob::new(MESSAGE))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(out.key_id(), Some(arn), "{what}");
        assert_eq!(out.signing_algorithm(), Some(&algorithm), "{what}");
        let raw = out.signature().unwrap().as_ref().to_vec();

        // DIGEST: the caller hashed; the same scheme, so each verifies as the other.
        let digested = sign(kms, key, &algorithm, &MessageType::Digest, &hash).await;
        for signature in [&raw, &digested] {
            assert_verifies(kms, key, &algorithm, &MessageType::Raw, MESSAGE, signature).await;
            assert_verifies(kms, key, &algorithm, &MessageType::Digest, &hash, signature).await;
        }

        // openssl agrees, with nothing but the public key.
        if let Some(ossl) = &ossl {
            for signature in [&raw, &digested] {
                let ok = ossl.verifies(&spki, &algorithm, &MessageType::Raw, MESSAGE, signature);
                assert!(ok, "{what}: openssl rejects kmsd's signature");
            }
        }
    }
}

#[tokio::test]
async fn rsa_2048_signs_with_every_algorithm() {
    let server = Server::shared();
    sign_with_every_algorithm(&server.client(REGION), KeySpec::Rsa2048).await;
}

#[tokio::test]
async fn rsa_3072_signs_with_every_algorithm() {
    let server = Server::shared();
    sign_with_every_algorithm(&server.client(REGION), KeySpec::Rsa3072).await;
}

#[tokio::test]
async fn rsa_4096_signs_with_every_algorithm() {
    let server = Server::shared();
    sign_with_every_algorithm(&server.client(REGION), KeySpec::Rsa4096).await;
}

#[tokio::test]
async fn ecdsa_signs_on_every_curve() {
    let server = Server::shared();
    let kms = server.client(REGION);
    for spec in [
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256K1,
    ] {
        sign_with_every_algorithm(&kms, spec).await;
    }
}

#[tokio::test]
async fn ecdsa_signatures_are_der_and_randomized() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let algorithm = SigningAlgorithmSpec::EcdsaSha256;

    // The Sign page: an ECDSA signature is a DER SEQUENCE of r and s (RFC 3279 §2.2.3).
    let first = sign(&kms, md.key_id(), &algorithm, &MessageType::Raw, MESSAGE).await;
    assert_eq!(first[0], 0x30, "not a DER SEQUENCE");
    assert_eq!(usize::from(first[1]) + 2, first.len(), "DER length");

    // A fresh nonce each time, yet both verify.
    let second = sign(&kms, md.key_id(), &algorithm, &MessageType::Raw, MESSAGE).await;
    assert_ne!(first, second);
    assert_verifies(
        &kms,
        md.key_id(),
        &algorithm,
        &MessageType::Raw,
        MESSAGE,
        &second,
    )
    .await;
}

#[tokio::test]
async fn ed25519_signs_raw_messages() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    let algorithm = SigningAlgorithmSpec::Ed25519Sha512;

    // RFC 8032: 64 bytes, and deterministic.
    let signature = sign(&kms, key, &algorithm, &MessageType::Raw, MESSAGE).await;
    assert_eq!(signature.len(), 64);
    assert_eq!(
        sign(&kms, key, &algorithm, &MessageType::Raw, MESSAGE).await,
        signature
    );
    assert_verifies(
        &kms,
        key,
        &algorithm,
        &MessageType::Raw,
        MESSAGE,
        &signature,
    )
    .await;

    // openssl verifies PureEdDSA over the message itself (`-rawin`).
    if let Some(ossl) = Openssl::new("Ed25519 signatures") {
        let spki = public_key(&kms, key).await;
        let ok = ossl.verifies(&spki, &algorithm, &MessageType::Raw, MESSAGE, &signature);
        assert!(ok, "openssl rejects kmsd's Ed25519 signature");
    }
}

#[tokio::test]
async fn ed25519ph_signs_sha512_digests() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    let algorithm = SigningAlgorithmSpec::Ed25519PhSha512;
    let hash = digest(&algorithm, MESSAGE);
    assert_eq!(hash.len(), 64);

    // ED25519_PH_SHA_512 takes the 64-byte SHA-512 digest as a DIGEST.
    let signature = sign(&kms, key, &algorithm, &MessageType::Digest, &hash).await;
    assert_eq!(signature.len(), 64);
    assert_verifies(
        &kms,
        key,
        &algorithm,
        &MessageType::Digest,
        &hash,
        &signature,
    )
    .await;
    let mut other = hash.clone();
    other[0] ^= 1;
    let result = verify(
        &kms,
        key,
        &algorithm,
        &MessageType::Digest,
        &other,
        &signature,
    )
    .await;
    assert_error(result, "KMSInvalidSignatureException", "");

    // A digest of another length.
    let result = kms
        .sign()
        .key_id(key)
        .signing_algorithm(algorithm.clone())
        .message_type(MessageType::Digest)
        .message(Blob::new(&hash[..32]))
        .send()
        .await;
    assert_error(
        result,
        "ValidationException",
        "Digest is invalid length for algorithm ED25519_PH_SHA_512.",
    );

    // HashEdDSA is not PureEdDSA: openssl's plain Ed25519 refuses it over the same bytes, and
    // its Ed25519ph (3.2 and later) accepts it over them.
    let Some(ossl) = Openssl::new("Ed25519ph signatures") else {
        return;
    };
    let spki = public_key(&kms, key).await;
    let pure = SigningAlgorithmSpec::Ed25519Sha512;
    assert!(!ossl.verifies(&spki, &pure, &MessageType::Raw, &hash, &signature));
    if ossl.has_ed25519ph() {
        let ok = ossl.verifies(&spki, &algorithm, &MessageType::Digest, &hash, &signature);
        assert!(ok, "openssl's Ed25519ph rejects kmsd's signature");
    } else {
        eprintln!("note: this openssl has no Ed25519ph (3.2+); its check is skipped");
    }
}

#[tokio::test]
async fn ed25519_algorithms_have_one_message_type_each() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    let hash = digest(&SigningAlgorithmSpec::Ed25519PhSha512, MESSAGE);
    let pure = SigningAlgorithmSpec::Ed25519Sha512;
    let prehash = SigningAlgorithmSpec::Ed25519PhSha512;

    // ED25519_SHA_512 needs RAW, for Sign and Verify alike.
    let message = "MessageType DIGEST is not valid for signing algorithm ED25519_SHA_512.";
    let result = kms
        .sign()
        .key_id(key)
        .signing_algorithm(pure.clone())
        .message_type(MessageType::Digest)
        .message(Blob::new(hash.clone()))
        .send()
        .await;
    assert_error(result, "ValidationException", message);
    let signature = sign(&kms, key, &pure, &MessageType::Raw, &hash).await;
    let result = verify(&kms, key, &pure, &MessageType::Digest, &hash, &signature).await;
    assert_error(result, "ValidationException", message);

    // ED25519_PH_SHA_512 needs DIGEST.
    let result = kms
        .sign()
        .key_id(key)
        .signing_algorithm(prehash.clone())
        .message_type(MessageType::Raw)
        .message(Blob::new(MESSAGE))
        .send()
        .await;
    assert_code(result, "ValidationException");
    let result = verify(&kms, key, &prehash, &MessageType::Raw, MESSAGE, &signature).await;
    assert_code(result, "ValidationException");
}

#[tokio::test]
async fn ml_dsa_signs_raw_messages() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ossl = Openssl::with_ml_dsa("ML-DSA signatures");
    let algorithm = SigningAlgorithmSpec::MlDsaShake256;
    // FIPS 204 table 2: the signature sizes of the three parameter sets.
    let specs = [
        (KeySpec::MlDsa44, 2420),
        (KeySpec::MlDsa65, 3309),
        (KeySpec::MlDsa87, 4627),
    ];

    for (spec, size) in specs {
        let md = create(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let key = md.key_id();

        // RAW: a signature of the parameter set's size that Verify accepts.
        let signature = sign(&kms, key, &algorithm, &MessageType::Raw, MESSAGE).await;
        assert_eq!(signature.len(), size, "{spec:?}");
        assert_verifies(
            &kms,
            key,
            &algorithm,
            &MessageType::Raw,
            MESSAGE,
            &signature,
        )
        .await;

        // ML-DSA hashes inside; there is no DIGEST form.
        let result = kms
            .sign()
            .key_id(key)
            .signing_algorithm(algorithm.clone())
            .message_type(MessageType::Digest)
            .message(Blob::new(random_bytes(64)))
            .send()
            .await;
        assert_code(result, "ValidationException");

        // An openssl with ML-DSA verifies it with the empty context.
        if let Some(ossl) = &ossl {
            let spki = public_key(&kms, key).await;
            let ok = ossl.verifies(&spki, &algorithm, &MessageType::Raw, MESSAGE, &signature);
            assert!(ok, "{spec:?}: openssl rejects kmsd's signature");
        }
    }
}

#[tokio::test]
async fn ml_dsa_signs_an_external_mu() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::MlDsa44, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    let algorithm = SigningAlgorithmSpec::MlDsaShake256;
    let mu_type = MessageType::ExternalMu;

    // FIPS 204 §6.2 with an empty context: mu = SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64),
    // pk being the 1312 raw bytes at the end of the SPKI. Without openssl, any 64 bytes.
    let spki = public_key(&kms, key).await;
    let ossl = Openssl::new("ML-DSA external mu");
    let mu = match &ossl {
        Some(ossl) => {
            let mut input = ossl.shake256_64(&spki[spki.len() - 1312..]);
            input.extend([0, 0]);
            input.extend(MESSAGE);
            ossl.shake256_64(&input)
        }
        None => random_bytes(64),
    };

    // kmsd may not do EXTERNAL_MU; if it does, the signature is over M itself.
    let result = kms
        .sign()
        .key_id(key)
        .signing_algorithm(algorithm.clone())
        .message_type(mu_type.clone())
        .message(Blob::new(mu.clone()))
        .send()
        .await;
    let signature = match result {
        Ok(out) => out.signature().unwrap().as_ref().to_vec(),
        Err(e) => {
            let err = assert_code::<(), _>(Err(e), "UnsupportedOperationException");
            eprintln!("note: kmsd answers EXTERNAL_MU with {err:?}");
            return;
        }
    };
    assert_verifies(&kms, key, &algorithm, &mu_type, &mu, &signature).await;
    if ossl.is_some() {
        assert_verifies(
            &kms,
            key,
            &algorithm,
            &MessageType::Raw,
            MESSAGE,
            &signature,
        )
        .await;
        let raw = sign(&kms, key, &algorithm, &MessageType::Raw, MESSAGE).await;
        assert_verifies(&kms, key, &algorithm, &mu_type, &mu, &raw).await;
    }

    // Another mu does not verify; a mu is exactly 64 bytes.
    let mut other = mu.clone();
    other[63] ^= 1;
    let result = verify(&kms, key, &algorithm, &mu_type, &other, &signature).await;
    assert_error(result, "KMSInvalidSignatureException", "");
    let result = kms
        .sign()
        .key_id(key)
        .signing_algorithm(algorithm)
        .message_type(mu_type)
        .message(Blob::new(&mu[..32]))
        .send()
        .await;
    assert_code(result, "ValidationException");
}

#[tokio::test]
async fn external_mu_is_for_ml_dsa_only() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ecc = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let cases = [
        (ecc.key_id(), SigningAlgorithmSpec::EcdsaSha256),
        (rsa.key_id(), SigningAlgorithmSpec::RsassaPssSha256),
    ];

    // EXTERNAL_MU names an ML-DSA input; other algorithms refuse it.
    for (key, algorithm) in cases {
        let result = kms
            .sign()
            .key_id(key)
            .signing_algorithm(algorithm)
            .message_type(MessageType::ExternalMu)
            .message(Blob::new(random_bytes(64)))
            .send()
            .await;
        assert_code(result, "ValidationException");
    }
}

#[tokio::test]
async fn digests_of_the_wrong_length_are_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ecc = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let cases = [
        (ecc.key_id(), SigningAlgorithmSpec::EcdsaSha256, 31),
        (ecc.key_id(), SigningAlgorithmSpec::EcdsaSha256, 33),
        (rsa.key_id(), SigningAlgorithmSpec::RsassaPssSha384, 32),
        (rsa.key_id(), SigningAlgorithmSpec::RsassaPkcs1V15Sha512, 48),
    ];

    // A DIGEST must be exactly as long as the algorithm's hash, for Sign and Verify.
    for (key, algorithm, len) in cases {
        let message = format!(
            "Digest is invalid length for algorithm {}.",
            algorithm.as_str()
        );
        let bytes = random_bytes(len);
        let result = kms
            .sign()
            .key_id(key)
            .signing_algorithm(algorithm.clone())
            .message_type(MessageType::Digest)
            .message(Blob::new(bytes.clone()))
            .send()
            .await;
        assert_error(result, "ValidationException", &message);
        let result = verify(
            &kms,
            key,
            &algorithm,
            &MessageType::Digest,
            &bytes,
            &[0; 64],
        )
        .await;
        assert_error(result, "ValidationException", &message);
    }
}

#[tokio::test]
async fn algorithms_the_spec_does_not_offer_are_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    use KeySpec as S;
    use SigningAlgorithmSpec as A;
    let cases = [
        (S::EccNistP256, A::EcdsaSha384),
        (S::EccNistP384, A::EcdsaSha256),
        (S::EccSecgP256K1, A::EcdsaSha512),
        (S::EccNistP256, A::RsassaPssSha256),
        (S::Rsa2048, A::EcdsaSha256),
        (S::EccNistEdwards25519, A::EcdsaSha512),
        (S::MlDsa44, A::Ed25519Sha512),
        (S::EccNistP521, A::MlDsaShake256),
    ];

    // "Algorithm <alg> is incompatible with key spec <spec>.", for Sign and Verify.
    for (spec, algorithm) in cases {
        let md = create(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let message = incompatible(algorithm.as_str(), &spec);
        let result = kms
            .sign()
            .key_id(md.key_id())
            .signing_algorithm(algorithm.clone())
            .message(Blob::new(MESSAGE))
            .send()
            .await;
        assert_error(result, "InvalidKeyUsageException", &message);
        let result = verify(
            &kms,
            md.key_id(),
            &algorithm,
            &MessageType::Raw,
            MESSAGE,
            &[1; 64],
        );
        assert_error(result.await, "InvalidKeyUsageException", &message);
    }
}

#[tokio::test]
async fn messages_longer_than_4096_bytes_are_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ecc = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let ed = create(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let cases = [
        (ecc.key_id(), SigningAlgorithmSpec::EcdsaSha256),
        (ed.key_id(), SigningAlgorithmSpec::Ed25519Sha512),
    ];

    for (key, algorithm) in cases {
        // 4096 bytes is the largest RAW message (the model's length bound).
        let longest = random_bytes(4096);
        let signature = sign(&kms, key, &algorithm, &MessageType::Raw, &longest).await;
        assert_verifies(
            &kms,
            key,
            &algorithm,
            &MessageType::Raw,
            &longest,
            &signature,
        )
        .await;

        // One byte more fails model validation, for Sign and Verify.
        let too_long = random_bytes(4097);
        let result = kms
            .sign()
            .key_id(key)
            .signing_algorithm(algorithm.clone())
            .message(Blob::new(too_long.clone()))
            .send()
            .await;
        assert_error(result, "ValidationException", MESSAGE_TOO_LONG);
        let result = verify(
            &kms,
            key,
            &algorithm,
            &MessageType::Raw,
            &too_long,
            &signature,
        )
        .await;
        assert_error(result, "ValidationException", MESSAGE_TOO_LONG);
    }
}

#[tokio::test]
async fn a_signature_that_does_not_match_is_invalid() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ecc = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let other = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let ecdsa = SigningAlgorithmSpec::EcdsaSha256;
    let raw = MessageType::Raw;
    let signature = sign(&kms, ecc.key_id(), &ecdsa, &raw, MESSAGE).await;

    // A flipped bit, another message, another key's signature and junk all answer
    // KMSInvalidSignatureException with an empty message.
    let mut flipped = signature.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let foreign = sign(&kms, other.key_id(), &ecdsa, &raw, MESSAGE).await;
    let cases: [(&[u8], &[u8]); 4] = [
        (MESSAGE, &flipped),
        (b"another message", &signature),
        (MESSAGE, &foreign),
        (MESSAGE, &[0x30, 0x03, 0x02, 0x01, 0x00]),
    ];
    for (message, signature) in cases {
        let result = verify(&kms, ecc.key_id(), &ecdsa, &raw, message, signature).await;
        assert_error(result, "KMSInvalidSignatureException", "");
    }
}

#[tokio::test]
async fn a_signature_of_another_rsa_padding_is_invalid() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    let pkcs1 = SigningAlgorithmSpec::RsassaPkcs1V15Sha256;
    let pss = SigningAlgorithmSpec::RsassaPssSha256;
    let signature = sign(&kms, key, &pkcs1, &MessageType::Raw, MESSAGE).await;

    // PKCS #1 v1.5 and PSS of the same hash are different schemes; so are two hashes.
    let result = verify(&kms, key, &pss, &MessageType::Raw, MESSAGE, &signature).await;
    assert_error(result, "KMSInvalidSignatureException", "");
    let sha384 = SigningAlgorithmSpec::RsassaPkcs1V15Sha384;
    let result = verify(&kms, key, &sha384, &MessageType::Raw, MESSAGE, &signature).await;
    assert_error(result, "KMSInvalidSignatureException", "");

    // A signature hashed twice (a digest signed as RAW) does not verify as a DIGEST.
    let hash = digest(&pkcs1, MESSAGE);
    let twice = sign(&kms, key, &pkcs1, &MessageType::Raw, &hash).await;
    let result = verify(&kms, key, &pkcs1, &MessageType::Digest, &hash, &twice).await;
    assert_error(result, "KMSInvalidSignatureException", "");
}

#[tokio::test]
async fn keys_of_other_usages_cannot_sign_or_verify() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let symmetric = create_key(&kms).await;
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let ecdh = create(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let cases = [
        (symmetric, SigningAlgorithmSpec::EcdsaSha256),
        (rsa, SigningAlgorithmSpec::RsassaPssSha256),
        (hmac, SigningAlgorithmSpec::EcdsaSha256),
        (ecdh, SigningAlgorithmSpec::EcdsaSha256),
    ];

    // "<arn> key usage is <usage> which is not valid for Sign." (and for Verify).
    for (md, algorithm) in cases {
        let (arn, usage) = (md.arn().unwrap(), md.key_usage().unwrap());
        let result = kms
            .sign()
            .key_id(md.key_id())
            .signing_algorithm(algorithm.clone())
            .message(Blob::new(MESSAGE))
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "Sign"),
        );
        let result = verify(
            &kms,
            md.key_id(),
            &algorithm,
            &MessageType::Raw,
            MESSAGE,
            &[1; 64],
        );
        assert_error(
            result.await,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "Verify"),
        );
    }
}

#[tokio::test]
async fn verify_answers_the_key_arn() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistP384, KeyUsageType::SignVerify).await;
    let algorithm = SigningAlgorithmSpec::EcdsaSha384;
    let signature = sign(&kms, md.key_id(), &algorithm, &MessageType::Raw, MESSAGE).await;

    // Verify by key ID names the key by ARN, and says SignatureValid.
    let out = verify(
        &kms,
        md.key_id(),
        &algorithm,
        &MessageType::Raw,
        MESSAGE,
        &signature,
    )
    .await
    .unwrap();
    assert_eq!(out.key_id(), md.arn());
    assert!(out.signature_valid());
    assert_eq!(out.signing_algorithm(), Some(&algorithm));
}
