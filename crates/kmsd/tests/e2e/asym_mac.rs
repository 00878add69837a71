//! HMAC keys through `aws-sdk-kms`: GenerateMac and VerifyMac for HMAC_224 to HMAC_512
//! (RFC 2104 with SHA-2), tags equal to a reference HMAC computed in the test over imported
//! material, and the error answers for wrong tags, algorithms, usages and lengths (AWS "HMAC
//! keys in AWS KMS", the GenerateMac and VerifyMac API pages).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{
    create, create_external, incompatible, mac_algorithm, reference_mac, usage_error, Openssl,
    MESSAGE_TOO_LONG,
};
use crate::common::import::import_forever;
use crate::common::{assert_error, create_key, random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";
const SPECS: [KeySpec; 4] = [
    KeySpec::Hmac224,
    KeySpec::Hmac256,
    KeySpec::Hmac384,
    KeySpec::Hmac512,
];

/// A successful GenerateMac; answers the tag.
async fn generate_mac(
    kms: &Client,
    key: &str,
    algorithm: &MacAlgorithmSpec,
    message: &[u8],
) -> Vec<u8> {
    kms.generate_mac()
        .key_id(key)
        .mac_algorithm(algorithm.clone())
        .message(Blob::new(message))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GenerateMac {algorithm:?}: {e:?}"))
        .mac()
        .expect("Mac")
        .as_ref()
        .to_vec()
}

#[tokio::test]
async fn every_spec_generates_and_verifies_macs() {
    let server = Server::shared();
    let kms = server.client(REGION);

    for spec in SPECS {
        let md = create(&kms, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        let (algorithm, len) = mac_algorithm(&spec);

        // The answer names the key by ARN and the algorithm; the tag has the hash's length.
        let out = kms
            .generate_mac()
            .key_id(md.key_id())
            .mac_algorithm(algorithm.clone())
            .message(Blob::new("tag me"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id(), md.arn(), "{spec:?}");
        assert_eq!(out.mac_algorithm(), Some(&algorithm));
        let mac = out.mac().unwrap().as_ref().to_vec();
        assert_eq!(mac.len(), len, "{spec:?}");

        // HMAC is deterministic, and VerifyMac accepts its own tag.
        assert_eq!(
            generate_mac(&kms, md.key_id(), &algorithm, b"tag me").await,
            mac
        );
        let out = kms
            .verify_mac()
            .key_id(md.key_id())
            .mac_algorithm(algorithm.clone())
            .message(Blob::new("tag me"))
            .mac(Blob::new(mac))
            .send()
            .await
            .unwrap();
        assert!(out.mac_valid(), "{spec:?}");
        assert_eq!(out.key_id(), md.arn());
        assert_eq!(out.mac_algorithm(), Some(&algorithm));
    }
}

#[tokio::test]
async fn imported_material_macs_like_a_reference() {
    let server = Server::shared();
    let kms = server.client(REGION);
    if Openssl::new("HMAC material import (openssl wraps it)").is_none() {
        return;
    }

    for spec in SPECS {
        // SPEC A18: material of the hash's length, wrapped by openssl.
        let (algorithm, len) = mac_algorithm(&spec);
        let material = random_bytes(len);
        let md = create_external(&kms, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        import_forever(&kms, md.key_id(), &material).await;

        // RFC 2104: the same tag as the reference, for the shortest and longest message.
        for message in [random_bytes(1), random_bytes(4096)] {
            let mac = generate_mac(&kms, md.key_id(), &algorithm, &message).await;
            assert_eq!(mac, reference_mac(&spec, &material, &message), "{spec:?}");
        }
    }
}

#[tokio::test]
async fn a_mac_that_does_not_match_is_invalid() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let other = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let algorithm = MacAlgorithmSpec::HmacSha256;
    let mac = generate_mac(&kms, md.key_id(), &algorithm, b"genuine").await;
    let mut flipped = mac.clone();
    flipped[0] ^= 1;
    let foreign = generate_mac(&kms, other.key_id(), &algorithm, b"genuine").await;

    // A flipped bit, a cut tag, another message and another key's tag all answer
    // KMSInvalidMacException with an empty message.
    let cases: [(&[u8], &[u8]); 4] = [
        (b"genuine", &flipped),
        (b"genuine", &mac[..16]),
        (b"forged", &mac),
        (b"genuine", &foreign),
    ];
    for (message, tag) in cases {
        let result = kms
            .verify_mac()
            .key_id(md.key_id())
            .mac_algorithm(algorithm.clone())
            .message(Blob::new(message))
            .mac(Blob::new(tag))
            .send()
            .await;
        assert_error(result, "KMSInvalidMacException", "");
    }
}

#[tokio::test]
async fn the_algorithm_must_be_the_one_of_the_spec() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let cases = [
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha256),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha512),
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha256),
    ];

    // "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_384.", for both operations.
    for (spec, algorithm) in cases {
        let md = create(&kms, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        let message = incompatible(algorithm.as_str(), &spec);
        let result = kms
            .generate_mac()
            .key_id(md.key_id())
            .mac_algorithm(algorithm.clone())
            .message(Blob::new("x"))
            .send()
            .await;
        assert_error(result, "InvalidKeyUsageException", &message);
        let result = kms
            .verify_mac()
            .key_id(md.key_id())
            .mac_algorithm(algorithm)
            .message(Blob::new("x"))
            .mac(Blob::new(random_bytes(32)))
            .send()
            .await;
        assert_error(result, "InvalidKeyUsageException", &message);
    }
}

#[tokio::test]
async fn keys_of_other_usages_cannot_mac() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let symmetric = create_key(&kms).await;
    let signing = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let agreement = create(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;

    // "<arn> key usage is <usage> which is not valid for GenerateMac." (and VerifyMac).
    for md in [symmetric, signing, agreement] {
        let (arn, usage) = (md.arn().unwrap(), md.key_usage().unwrap());
        let result = kms
            .generate_mac()
            .key_id(md.key_id())
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new("x"))
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "GenerateMac"),
        );
        let result = kms
            .verify_mac()
            .key_id(md.key_id())
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new("x"))
            .mac(Blob::new(random_bytes(32)))
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "VerifyMac"),
        );
    }
}

#[tokio::test]
async fn an_hmac_key_cannot_encrypt() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Hmac512, KeyUsageType::GenerateVerifyMac).await;

    // GENERATE_VERIFY_MAC is the only thing an HMAC key does.
    let result = kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("x"))
        .send()
        .await;
    let usage = KeyUsageType::GenerateVerifyMac;
    assert_error(
        result,
        "InvalidKeyUsageException",
        &usage_error(md.arn().unwrap(), &usage, "Encrypt"),
    );
}

#[tokio::test]
async fn messages_longer_than_4096_bytes_are_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let algorithm = MacAlgorithmSpec::HmacSha256;
    let too_long = random_bytes(4097);

    // The model bounds Message to 4096 bytes for both operations.
    let result = kms
        .generate_mac()
        .key_id(md.key_id())
        .mac_algorithm(algorithm.clone())
        .message(Blob::new(too_long.clone()))
        .send()
        .await;
    assert_error(result, "ValidationException", MESSAGE_TOO_LONG);
    let result = kms
        .verify_mac()
        .key_id(md.key_id())
        .mac_algorithm(algorithm)
        .message(Blob::new(too_long))
        .mac(Blob::new(random_bytes(32)))
        .send()
        .await;
    assert_error(result, "ValidationException", MESSAGE_TOO_LONG);
}
