//! Data key pairs through `aws-sdk-kms`: GenerateDataKeyPair and its WithoutPlaintext twin
//! for every KeyPairSpec, the private key a DER PKCS#8 (RFC 5208) that openssl reads and whose
//! public key is the PublicKey of the answer, sealed under a symmetric key with the request's
//! encryption context; and the specs and keys that are refused (AWS "GenerateDataKeyPair").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{create, usage_error, Openssl};
use crate::common::{assert_code, assert_error, create_key, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeyPairSpec, KeySpec, KeyUsageType};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";

/// What openssl's `pkey -text` says of a public key of each pair spec.
fn openssl_marker(spec: &DataKeyPairSpec) -> &'static str {
    match spec {
        DataKeyPairSpec::Rsa2048 => "Public-Key: (2048 bit)",
        DataKeyPairSpec::Rsa3072 => "Public-Key: (3072 bit)",
        DataKeyPairSpec::Rsa4096 => "Public-Key: (4096 bit)",
        DataKeyPairSpec::EccNistP256 => "ASN1 OID: prime256v1",
        DataKeyPairSpec::EccNistP384 => "ASN1 OID: secp384r1",
        DataKeyPairSpec::EccNistP521 => "ASN1 OID: secp521r1",
        DataKeyPairSpec::EccSecgP256K1 => "ASN1 OID: secp256k1",
        DataKeyPairSpec::EccNistEdwards25519 => "ED25519 Public-Key",
        other => panic!("no openssl marker for {other:?}"),
    }
}

/// Decrypts a sealed private key with the encryption context it was sealed with.
async fn unseal(kms: &Client, blob: &[u8]) -> Vec<u8> {
    kms.decrypt()
        .ciphertext_blob(Blob::new(blob))
        .encryption_context("purpose", "data-key-pair")
        .send()
        .await
        .expect("Decrypt of PrivateKeyCiphertextBlob")
        .plaintext()
        .expect("Plaintext")
        .as_ref()
        .to_vec()
}

/// Asserts that the DER PKCS#8 `private_key` is a key of `spec` whose public key is `spki`.
fn assert_pair(ossl: &Option<Openssl>, spec: &DataKeyPairSpec, private_key: &[u8], spki: &[u8]) {
    assert_eq!(private_key[0], 0x30, "{spec:?}: not a DER SEQUENCE");
    if let Some(ossl) = ossl {
        assert_eq!(
            ossl.public_of(private_key),
            spki,
            "{spec:?}: another public key"
        );
        let text = ossl.describe_public(spki);
        assert!(text.contains(openssl_marker(spec)), "{spec:?}:\n{text}");
    }
}

/// Generates a pair of `spec` under a fresh symmetric key, both with and without plaintext,
/// and checks the answers, the sealed private keys and (with openssl) the keys themselves.
async fn check_pair_spec(kms: &Client, spec: DataKeyPairSpec) {
    let md = create_key(kms).await;
    let ossl = Openssl::new(&format!("{spec:?} data key pairs"));

    // The answer names the key by ARN, the pair spec and the material that sealed it.
    let out = kms
        .generate_data_key_pair()
        .key_id(md.key_id())
        .key_pair_spec(spec.clone())
        .encryption_context("purpose", "data-key-pair")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GenerateDataKeyPair {spec:?}: {e:?}"));
    assert_eq!(out.key_id(), md.arn(), "{spec:?}");
    assert_eq!(out.key_pair_spec(), Some(&spec));
    assert_eq!(out.key_material_id(), md.current_key_material_id());
    let private_key = out.private_key_plaintext().unwrap().as_ref().to_vec();
    let spki = out.public_key().unwrap().as_ref().to_vec();
    assert_pair(&ossl, &spec, &private_key, &spki);

    // The sealed copy opens to the same private key, with the same context only.
    let sealed = out.private_key_ciphertext_blob().unwrap().as_ref().to_vec();
    assert_eq!(unseal(kms, &sealed).await, private_key, "{spec:?}");
    let result = kms
        .decrypt()
        .ciphertext_blob(Blob::new(sealed))
        .send()
        .await;
    assert_error(result, "InvalidCiphertextException", "");

    // Without plaintext: only the sealed private key, which opens to a key of the PublicKey.
    let out = kms
        .generate_data_key_pair_without_plaintext()
        .key_id(md.key_id())
        .key_pair_spec(spec.clone())
        .encryption_context("purpose", "data-key-pair")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GenerateDataKeyPairWithoutPlaintext {spec:?}: {e:?}"));
    assert_eq!(out.key_id(), md.arn());
    assert_eq!(out.key_pair_spec(), Some(&spec));
    let other_spki = out.public_key().unwrap().as_ref().to_vec();
    assert_ne!(other_spki, spki, "{spec:?}: a pair was handed out twice");
    let other_private = unseal(kms, out.private_key_ciphertext_blob().unwrap().as_ref()).await;
    assert_pair(&ossl, &spec, &other_private, &other_spki);
}

#[tokio::test]
async fn rsa_key_pairs() {
    let server = Server::shared();
    let kms = server.client(REGION);
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::Rsa3072,
        DataKeyPairSpec::Rsa4096,
    ] {
        check_pair_spec(&kms, spec).await;
    }
}

#[tokio::test]
async fn ecc_key_pairs() {
    let server = Server::shared();
    let kms = server.client(REGION);
    for spec in [
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256K1,
        DataKeyPairSpec::EccNistEdwards25519,
    ] {
        check_pair_spec(&kms, spec).await;
    }
}

#[tokio::test]
async fn sm2_pairs_are_not_served() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SM2 belongs to the China Regions.
    let result = kms
        .generate_data_key_pair()
        .key_id(md.key_id())
        .key_pair_spec(DataKeyPairSpec::Sm2)
        .send()
        .await;
    assert_code(result, "UnsupportedOperationException");
    let result = kms
        .generate_data_key_pair_without_plaintext()
        .key_id(md.key_id())
        .key_pair_spec(DataKeyPairSpec::Sm2)
        .send()
        .await;
    assert_code(result, "UnsupportedOperationException");
}

#[tokio::test]
async fn pairs_are_sealed_by_symmetric_keys_only() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let signing = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    // An RSA encryption key has the right usage but cannot seal with SYMMETRIC_DEFAULT.
    let result = kms
        .generate_data_key_pair()
        .key_id(rsa.key_id())
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await;
    assert_code(result, "InvalidKeyUsageException");

    // Keys of other usages name their usage, for both operations.
    for md in [signing, hmac] {
        let (arn, usage) = (md.arn().unwrap(), md.key_usage().unwrap());
        let result = kms
            .generate_data_key_pair()
            .key_id(md.key_id())
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "GenerateDataKeyPair"),
        );
        let result = kms
            .generate_data_key_pair_without_plaintext()
            .key_id(md.key_id())
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "GenerateDataKeyPairWithoutPlaintext"),
        );
    }
}
