//! Multi-Region asymmetric and HMAC keys through `aws-sdk-kms`: a replica holds the primary's
//! key pair or HMAC key (SPEC B3, B12, B22), so public keys, signatures, RSA ciphertexts, ECDH
//! secrets and MAC tags cross Regions; an EXTERNAL replica waits until the same DER PKCS#8 is
//! imported into it, and refuses any other (AWS "Multi-Region keys: asymmetric and HMAC").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{
    assert_verifies, create, create_with, import_material, public_key, sign, signing_algorithms,
    Openssl,
};
use crate::common::import::{describe, pending_import};
use crate::common::mrk::{replicate, wait_state, Regions, EU, US};
use crate::common::{assert_code, assert_error, key_arn, random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec, KeyState, KeyUsageType,
    MacAlgorithmSpec, MessageType, OriginType, SigningAlgorithmSpec,
};
use aws_sdk_kms::Client;

const MESSAGE: &[u8] = b"signed in Virginia, checked in Dublin";

/// Creates an AWS_KMS multi-Region primary of `spec` and `usage` in us-east-1, replicates it
/// to eu-west-1 and waits until the replica is Enabled; answers the key ID.
async fn replicated(r: &Regions, spec: KeySpec, usage: KeyUsageType) -> String {
    let md = create_with(&r.us, spec, usage, OriginType::AwsKms, true).await;
    let key = md.key_id().to_string();
    assert!(key.starts_with("mrk-"), "{key}");
    replicate(&r.us, &key, EU).await;
    wait_state(&r.eu, &key, KeyState::Enabled).await;
    key
}

/// A successful DeriveSharedSecret in the client's Region.
async fn derive(kms: &Client, key: &str, peer: &[u8]) -> Vec<u8> {
    kms.derive_shared_secret()
        .key_id(key)
        .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(peer))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeriveSharedSecret {key}: {e:?}"))
        .shared_secret
        .expect("SharedSecret")
        .into_inner()
}

/// A successful GenerateMac with HMAC_SHA_256 in the client's Region.
async fn mac(kms: &Client, key: &str, message: &[u8]) -> Vec<u8> {
    kms.generate_mac()
        .key_id(key)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new(message))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GenerateMac {key}: {e:?}"))
        .mac
        .expect("Mac")
        .into_inner()
}

#[tokio::test]
async fn a_signing_replica_holds_the_primary_key_pair() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let ossl = Openssl::new("multi-Region signatures");

    for spec in [
        KeySpec::EccNistP256,
        KeySpec::EccNistEdwards25519,
        KeySpec::MlDsa65,
    ] {
        let key = replicated(&r, spec.clone(), KeyUsageType::SignVerify).await;
        let algorithm = signing_algorithms(&spec)[0].clone();

        // SPEC B12: the replica has the primary's spec, usage, algorithms and public key.
        let (us, eu) = (describe(&r.us, &key).await, describe(&r.eu, &key).await);
        assert_eq!(eu.key_spec(), Some(&spec));
        assert_eq!(eu.key_usage(), Some(&KeyUsageType::SignVerify));
        assert_eq!(eu.signing_algorithms(), us.signing_algorithms(), "{spec:?}");
        let public = public_key(&r.us, &key).await;
        assert_eq!(public_key(&r.eu, &key).await, public, "{spec:?}");

        // SPEC B22: a signature of either Region verifies in the other.
        let raw = MessageType::Raw;
        let from_us = sign(&r.us, &key, &algorithm, &raw, MESSAGE).await;
        assert_verifies(&r.eu, &key, &algorithm, &raw, MESSAGE, &from_us).await;
        let from_eu = sign(&r.eu, &key, &algorithm, &raw, MESSAGE).await;
        assert_verifies(&r.us, &key, &algorithm, &raw, MESSAGE, &from_eu).await;

        // openssl checks the replica's signature with the primary's public key.
        match &ossl {
            Some(ossl) if spec != KeySpec::MlDsa65 || ossl.has_ml_dsa() => {
                assert!(ossl.verifies(&public, &algorithm, &raw, MESSAGE, &from_eu));
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn an_rsa_ciphertext_of_one_region_decrypts_in_the_other() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = replicated(&r, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let algorithm = EncryptionAlgorithmSpec::RsaesOaepSha256;

    // Encrypt in Dublin, decrypt in Virginia, naming the key in each Region.
    let ciphertext =
        r.eu.encrypt()
            .key_id(&key)
            .encryption_algorithm(algorithm.clone())
            .plaintext(Blob::new("crossing"))
            .send()
            .await
            .unwrap()
            .ciphertext_blob
            .unwrap();
    let out =
        r.us.decrypt()
            .key_id(&key)
            .encryption_algorithm(algorithm)
            .ciphertext_blob(ciphertext)
            .send()
            .await
            .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"crossing");
    assert_eq!(out.key_id(), Some(key_arn(US, &key).as_str()));
}

#[tokio::test]
async fn a_key_agreement_replica_derives_the_primary_secret() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = replicated(&r, KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    let peer = create(&r.us, KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    let peer_public = public_key(&r.us, peer.key_id()).await;

    // Both Regions hold the same private key, so the same secret with one peer.
    let secret = derive(&r.us, &key, &peer_public).await;
    assert_eq!(derive(&r.eu, &key, &peer_public).await, secret);
    assert_eq!(public_key(&r.eu, &key).await, public_key(&r.us, &key).await);
}

#[tokio::test]
async fn an_hmac_replica_computes_the_primary_tags() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = replicated(&r, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let message = random_bytes(300);

    // SPEC B22: the same key, so the same tag, and VerifyMac crosses too.
    let tag = mac(&r.us, &key, &message).await;
    assert_eq!(mac(&r.eu, &key, &message).await, tag);
    let out =
        r.eu.verify_mac()
            .key_id(&key)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(message))
            .mac(Blob::new(tag))
            .send()
            .await
            .unwrap();
    assert!(out.mac_valid());
    assert_eq!(out.key_id(), Some(key_arn(EU, &key).as_str()));
}

#[tokio::test]
async fn an_external_asymmetric_replica_needs_the_same_pkcs8() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let Some(ossl) = Openssl::new("multi-Region asymmetric import") else {
        return;
    };
    let original = ossl.generate(&KeySpec::EccNistP256);
    let original_public = ossl.public_of(&original);
    let md = create_with(
        &r.us,
        KeySpec::EccNistP256,
        KeyUsageType::SignVerify,
        OriginType::External,
        true,
    )
    .await;
    let key = md.key_id().to_string();
    import_material(&r.us, &key, &original).await.unwrap();

    // SPEC B12: the replica receives no material and waits for it.
    replicate(&r.us, &key, EU).await;
    wait_state(&r.eu, &key, KeyState::PendingImport).await;
    let algorithm = SigningAlgorithmSpec::EcdsaSha256;
    let result =
        r.eu.sign()
            .key_id(&key)
            .signing_algorithm(algorithm.clone())
            .message(Blob::new(MESSAGE))
            .send()
            .await;
    assert_error(
        result,
        "KMSInvalidStateException",
        &pending_import(&key_arn(EU, &key)),
    );

    // Another P-256 key is not the primary's material.
    let other = ossl.generate(&KeySpec::EccNistP256);
    assert_code(
        import_material(&r.eu, &key, &other).await,
        "IncorrectKeyMaterialException",
    );

    // The same PKCS#8 is; then the replica signs as the original key.
    import_material(&r.eu, &key, &original).await.unwrap();
    assert_eq!(
        describe(&r.eu, &key).await.key_state(),
        Some(&KeyState::Enabled)
    );
    assert_eq!(public_key(&r.eu, &key).await, original_public);
    let raw = MessageType::Raw;
    let signature = sign(&r.eu, &key, &algorithm, &raw, MESSAGE).await;
    assert!(ossl.verifies(&original_public, &algorithm, &raw, MESSAGE, &signature));
    assert_verifies(&r.us, &key, &algorithm, &raw, MESSAGE, &signature).await;
}
