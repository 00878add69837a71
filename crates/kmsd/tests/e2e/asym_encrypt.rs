//! RSA encryption keys through `aws-sdk-kms`: Encrypt and Decrypt with RSAES_OAEP_SHA_1 and
//! RSAES_OAEP_SHA_256 (RFC 8017 §7.1) at the plaintext limit of each modulus, ciphertexts that
//! openssl made with the key's GetPublicKey, ReEncrypt between RSA and symmetric keys, and the
//! error answers for missing key IDs, wrong algorithms and wrong usages (AWS "Key spec
//! reference: RSA key specs for encryption and decryption").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{create, incompatible, public_key, usage_error, Openssl};
use crate::common::{assert_code, assert_error, create_key, random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncryptionAlgorithmSpec, KeySpec, KeyUsageType};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";
const SHA_1: EncryptionAlgorithmSpec = EncryptionAlgorithmSpec::RsaesOaepSha1;
const SHA_256: EncryptionAlgorithmSpec = EncryptionAlgorithmSpec::RsaesOaepSha256;

/// A successful Encrypt of `plaintext` under `key` with `algorithm`; answers the ciphertext.
async fn encrypt(
    kms: &Client,
    key: &str,
    algorithm: &EncryptionAlgorithmSpec,
    plaintext: &[u8],
) -> Vec<u8> {
    kms.encrypt()
        .key_id(key)
        .encryption_algorithm(algorithm.clone())
        .plaintext(Blob::new(plaintext))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Encrypt {algorithm:?} of {} bytes: {e:?}", plaintext.len()))
        .ciphertext_blob()
        .expect("CiphertextBlob")
        .as_ref()
        .to_vec()
}

/// A successful Decrypt of `ciphertext` with `key` and `algorithm`; answers the plaintext.
async fn decrypt(
    kms: &Client,
    key: &str,
    algorithm: &EncryptionAlgorithmSpec,
    ciphertext: &[u8],
) -> Vec<u8> {
    kms.decrypt()
        .key_id(key)
        .encryption_algorithm(algorithm.clone())
        .ciphertext_blob(Blob::new(ciphertext))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Decrypt {algorithm:?}: {e:?}"))
        .plaintext()
        .expect("Plaintext")
        .as_ref()
        .to_vec()
}

/// Creates an RSA ENCRYPT_DECRYPT key of `spec` (`bits` long) and checks, for SHA-1 and
/// SHA-256, that the largest plaintext OAEP allows round-trips and one byte more is refused.
async fn check_limits(kms: &Client, spec: KeySpec, bits: usize, limits: [usize; 2]) {
    let md = create(kms, spec.clone(), KeyUsageType::EncryptDecrypt).await;
    let key = md.key_id();

    for (algorithm, limit) in [SHA_1, SHA_256].into_iter().zip(limits) {
        // k - 2 hLen - 2 bytes fit; the ciphertext is one modulus long.
        let plaintext = random_bytes(limit);
        let ciphertext = encrypt(kms, key, &algorithm, &plaintext).await;
        assert_eq!(ciphertext.len(), bits / 8, "{spec:?} {algorithm:?}");
        assert_eq!(decrypt(kms, key, &algorithm, &ciphertext).await, plaintext);

        // One byte more.
        let result = kms
            .encrypt()
            .key_id(key)
            .encryption_algorithm(algorithm.clone())
            .plaintext(Blob::new(random_bytes(limit + 1)))
            .send()
            .await;
        let message = format!(
            "Algorithm {} and key spec {} cannot encrypt data larger than {limit} bytes.",
            algorithm.as_str(),
            spec.as_str()
        );
        assert_error(result, "ValidationException", &message);
    }

    // The public key is of the spec's size.
    if let Some(ossl) = Openssl::new(&format!("the {spec:?} public key")) {
        let text = ossl.describe_public(&public_key(kms, key).await);
        assert!(
            text.contains(&format!("Public-Key: ({bits} bit)")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn rsa_2048_plaintext_limits() {
    let server = Server::shared();
    check_limits(&server.client(REGION), KeySpec::Rsa2048, 2048, [214, 190]).await;
}

#[tokio::test]
async fn rsa_3072_plaintext_limits() {
    let server = Server::shared();
    check_limits(&server.client(REGION), KeySpec::Rsa3072, 3072, [342, 318]).await;
}

#[tokio::test]
async fn rsa_4096_plaintext_limits() {
    let server = Server::shared();
    check_limits(&server.client(REGION), KeySpec::Rsa4096, 4096, [470, 446]).await;
}

#[tokio::test]
async fn encrypt_and_decrypt_answer_the_key_and_algorithm() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let arn = md.arn().unwrap();

    // Encrypt names the key by ARN and the algorithm used; OAEP is randomized.
    let out = kms
        .encrypt()
        .key_id(md.key_id())
        .encryption_algorithm(SHA_256)
        .plaintext(Blob::new("oaep"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn));
    assert_eq!(out.encryption_algorithm(), Some(&SHA_256));
    let ciphertext = out.ciphertext_blob().unwrap().as_ref().to_vec();
    assert_ne!(
        encrypt(&kms, md.key_id(), &SHA_256, b"oaep").await,
        ciphertext
    );

    // Decrypt too, and names no key material: RSA keys have none to name.
    let out = kms
        .decrypt()
        .key_id(arn)
        .encryption_algorithm(SHA_256)
        .ciphertext_blob(Blob::new(ciphertext))
        .send()
        .await
        .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"oaep");
    assert_eq!(out.key_id(), Some(arn));
    assert_eq!(out.encryption_algorithm(), Some(&SHA_256));
    assert!(out.key_material_id().is_none(), "{out:?}");
}

#[tokio::test]
async fn ciphertexts_made_by_openssl_decrypt() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("RSA-OAEP ciphertexts") else {
        return;
    };
    let md = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let spki = public_key(&kms, md.key_id()).await;

    // Whoever holds the public key can encrypt for kmsd, with either hash.
    for (algorithm, md_name) in [(SHA_1, "sha1"), (SHA_256, "sha256")] {
        let plaintext = random_bytes(100);
        let ciphertext = ossl.oaep_encrypt(&spki, md_name, &plaintext);
        assert_eq!(
            decrypt(&kms, md.key_id(), &algorithm, &ciphertext).await,
            plaintext,
            "{algorithm:?}"
        );
    }
}

#[tokio::test]
async fn decrypt_of_an_rsa_ciphertext_needs_the_key_id() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let ciphertext = encrypt(&kms, md.key_id(), &SHA_256, b"whose?").await;

    // An RSA ciphertext does not say which key made it.
    let result = kms
        .decrypt()
        .encryption_algorithm(SHA_256)
        .ciphertext_blob(Blob::new(ciphertext.clone()))
        .send()
        .await;
    assert_error(
        result,
        "ValidationException",
        "KeyId is required when decrypting with an asymmetric KMS key.",
    );

    // Without the algorithm either, it is read as a symmetric ciphertext, which it is not.
    let result = kms
        .decrypt()
        .ciphertext_blob(Blob::new(ciphertext))
        .send()
        .await;
    assert_code(result, "InvalidCiphertextException");
}

#[tokio::test]
async fn a_ciphertext_of_another_algorithm_or_key_is_invalid() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let other = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let ciphertext = encrypt(&kms, md.key_id(), &SHA_256, b"sealed").await;
    let mut flipped = ciphertext.clone();
    flipped[100] ^= 1;

    // The other hash, another key and a flipped bit all fail the OAEP check.
    let cases = [
        (md.key_id(), SHA_1, ciphertext.clone()),
        (other.key_id(), SHA_256, ciphertext),
        (md.key_id(), SHA_256, flipped),
    ];
    for (key, algorithm, blob) in cases {
        let result = kms
            .decrypt()
            .key_id(key)
            .encryption_algorithm(algorithm)
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await;
        assert_code(result, "InvalidCiphertextException");
    }
}

#[tokio::test]
async fn the_algorithm_must_be_one_of_the_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let symmetric = create_key(&kms).await;

    // Encrypt's EncryptionAlgorithm defaults to SYMMETRIC_DEFAULT, which RSA does not offer.
    let result = kms
        .encrypt()
        .key_id(rsa.key_id())
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_error(
        result,
        "InvalidKeyUsageException",
        &incompatible("SYMMETRIC_DEFAULT", &KeySpec::Rsa2048),
    );

    // A symmetric key offers no OAEP.
    let result = kms
        .encrypt()
        .key_id(symmetric.key_id())
        .encryption_algorithm(SHA_256)
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_error(
        result,
        "InvalidKeyUsageException",
        &incompatible("RSAES_OAEP_SHA_256", &KeySpec::SymmetricDefault),
    );
}

#[tokio::test]
async fn keys_of_other_usages_cannot_encrypt_or_decrypt() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let ecc = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    // "<arn> key usage is <usage> which is not valid for Encrypt." (and for Decrypt).
    for md in [rsa, ecc, hmac] {
        let (arn, usage) = (md.arn().unwrap(), md.key_usage().unwrap());
        let result = kms
            .encrypt()
            .key_id(md.key_id())
            .encryption_algorithm(SHA_256)
            .plaintext(Blob::new("x"))
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "Encrypt"),
        );
        let result = kms
            .decrypt()
            .key_id(md.key_id())
            .encryption_algorithm(SHA_256)
            .ciphertext_blob(Blob::new(random_bytes(256)))
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "Decrypt"),
        );
    }
}

#[tokio::test]
async fn re_encrypt_between_rsa_and_symmetric_keys() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let symmetric = create_key(&kms).await;
    let plaintext = random_bytes(64);
    let sealed = kms
        .encrypt()
        .key_id(symmetric.key_id())
        .plaintext(Blob::new(plaintext.clone()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();

    // Symmetric to RSA: the destination algorithm is named, the answer repeats both.
    let out = kms
        .re_encrypt()
        .ciphertext_blob(sealed)
        .destination_key_id(rsa.key_id())
        .destination_encryption_algorithm(SHA_256)
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id(), symmetric.arn());
    assert_eq!(out.key_id(), rsa.arn());
    assert_eq!(
        out.source_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(out.destination_encryption_algorithm(), Some(&SHA_256));
    assert!(out.destination_key_material_id().is_none(), "{out:?}");
    let under_rsa = out.ciphertext_blob().unwrap().as_ref().to_vec();
    assert_eq!(
        decrypt(&kms, rsa.key_id(), &SHA_256, &under_rsa).await,
        plaintext
    );

    // And back: an RSA source needs its key ID and algorithm.
    let out = kms
        .re_encrypt()
        .ciphertext_blob(Blob::new(under_rsa))
        .source_key_id(rsa.key_id())
        .source_encryption_algorithm(SHA_256)
        .destination_key_id(symmetric.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id(), rsa.arn());
    assert_eq!(out.source_encryption_algorithm(), Some(&SHA_256));
    assert!(out.source_key_material_id().is_none(), "{out:?}");
    let back = kms
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), plaintext.as_slice());
}

#[tokio::test]
async fn re_encrypt_from_one_rsa_key_to_another() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let first = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let second = create(&kms, KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt).await;
    let ciphertext = encrypt(&kms, first.key_id(), &SHA_1, b"moving house").await;

    // SHA-1 under RSA_2048 to SHA-256 under RSA_3072.
    let out = kms
        .re_encrypt()
        .ciphertext_blob(Blob::new(ciphertext))
        .source_key_id(first.key_id())
        .source_encryption_algorithm(SHA_1)
        .destination_key_id(second.key_id())
        .destination_encryption_algorithm(SHA_256)
        .send()
        .await
        .unwrap();
    let moved = out.ciphertext_blob().unwrap().as_ref().to_vec();
    assert_eq!(moved.len(), 384);
    assert_eq!(
        decrypt(&kms, second.key_id(), &SHA_256, &moved).await,
        b"moving house"
    );
}

#[tokio::test]
async fn data_keys_need_a_symmetric_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;

    // GenerateDataKey seals with SYMMETRIC_DEFAULT, which an RSA key cannot do.
    let result = kms
        .generate_data_key()
        .key_id(rsa.key_id())
        .number_of_bytes(32)
        .send()
        .await;
    assert_code(result, "InvalidKeyUsageException");
}

#[tokio::test]
async fn no_encryption_context_and_no_data_keys_with_rsa_keys() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;

    // An encryption context binds only symmetric ciphertexts (SPEC D8; kmsd's message).
    let with_context = kms
        .encrypt()
        .key_id(md.key_id())
        .encryption_algorithm(SHA_256)
        .encryption_context("purpose", "test")
        .plaintext(Blob::new(b"hello".to_vec()))
        .send()
        .await;
    assert_error(
        with_context,
        "ValidationException",
        "EncryptionContext is not supported with asymmetric KMS keys.",
    );

    // Data keys need a symmetric encryption key (SPEC D7).
    let data_key = kms
        .generate_data_key()
        .key_id(md.key_id())
        .number_of_bytes(32)
        .send()
        .await;
    let message = format!(
        "{} key spec is RSA_2048 which is not valid for GenerateDataKey.",
        md.arn().unwrap()
    );
    assert_error(data_key, "InvalidKeyUsageException", &message);
}
