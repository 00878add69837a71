//! Key agreement keys through `aws-sdk-kms`: DeriveSharedSecret with ECDH on the NIST curves
//! (NIST SP 800-56A, the raw x-coordinate), the same secret from both sides and from openssl,
//! and the error answers for peers of another curve and keys of another usage (AWS
//! "DeriveSharedSecret" API page, "Key spec reference: key agreement").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{create, public_key, usage_error, Openssl, AGREEMENT_SPECS};
use crate::common::{assert_code, assert_error, create_key, random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType, OriginType};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";

/// A successful DeriveSharedSecret of `key` with the DER SPKI `peer`; answers the secret.
async fn derive(kms: &Client, key: &str, peer: &[u8]) -> Vec<u8> {
    kms.derive_shared_secret()
        .key_id(key)
        .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(peer))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeriveSharedSecret {key}: {e:?}"))
        .shared_secret()
        .expect("SharedSecret")
        .as_ref()
        .to_vec()
}

/// The length of an ECDH secret on `spec`'s curve: the size of a field element.
fn secret_len(spec: &KeySpec) -> usize {
    match spec {
        KeySpec::EccNistP256 => 32,
        KeySpec::EccNistP384 => 48,
        KeySpec::EccNistP521 => 66,
        other => panic!("{other:?} does not agree"),
    }
}

#[tokio::test]
async fn two_keys_on_a_curve_derive_the_same_secret() {
    let server = Server::shared();
    let kms = server.client(REGION);

    for spec in AGREEMENT_SPECS {
        let alice = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let bob = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let alice_public = public_key(&kms, alice.key_id()).await;
        let bob_public = public_key(&kms, bob.key_id()).await;

        // Each side with the other's public key; the answer names key, algorithm and origin.
        let out = kms
            .derive_shared_secret()
            .key_id(alice.key_id())
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(bob_public))
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id(), alice.arn(), "{spec:?}");
        assert_eq!(
            out.key_agreement_algorithm(),
            Some(&KeyAgreementAlgorithmSpec::Ecdh)
        );
        assert_eq!(out.key_origin(), Some(&OriginType::AwsKms));
        assert!(out.ciphertext_for_recipient().is_none(), "{out:?}");
        let secret = out.shared_secret().unwrap().as_ref().to_vec();

        // ECDH is symmetric in its two parties.
        assert_eq!(secret.len(), secret_len(&spec), "{spec:?}");
        assert_eq!(derive(&kms, bob.key_id(), &alice_public).await, secret);
    }
}

#[tokio::test]
async fn the_secret_is_the_one_openssl_derives() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("ECDH secrets") else {
        return;
    };

    for spec in AGREEMENT_SPECS {
        // A kmsd key and an openssl key on the same curve.
        let md = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let ours = public_key(&kms, md.key_id()).await;
        let theirs = ossl.generate(&spec);
        let theirs_public = ossl.public_of(&theirs);

        // Both sides arrive at the same bytes.
        let secret = derive(&kms, md.key_id(), &theirs_public).await;
        assert_eq!(ossl.derive(&theirs, &ours), secret, "{spec:?}");
    }
}

#[tokio::test]
async fn a_peer_that_is_not_on_the_curve_is_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let p384 = create(&kms, KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let ed = create(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;

    // A P-384 point, an RSA key, an Ed25519 key and junk are no P-256 peer.
    let mut peers = vec![random_bytes(91)];
    for other in [p384, rsa, ed] {
        peers.push(public_key(&kms, other.key_id()).await);
    }
    for peer in peers {
        let result = kms
            .derive_shared_secret()
            .key_id(md.key_id())
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer))
            .send()
            .await;
        assert_code(result, "ValidationException");
    }
}

#[tokio::test]
async fn keys_of_other_usages_cannot_derive() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let peer = create(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let peer_public = public_key(&kms, peer.key_id()).await;
    let signing = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let symmetric = create_key(&kms).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    // "<arn> key usage is <usage> which is not valid for DeriveSharedSecret."
    for md in [signing, symmetric, hmac] {
        let (arn, usage) = (md.arn().unwrap(), md.key_usage().unwrap());
        let result = kms
            .derive_shared_secret()
            .key_id(md.key_id())
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer_public.clone()))
            .send()
            .await;
        assert_error(
            result,
            "InvalidKeyUsageException",
            &usage_error(arn, usage, "DeriveSharedSecret"),
        );
    }
}
