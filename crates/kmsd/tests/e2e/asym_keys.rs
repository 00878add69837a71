//! Asymmetric and HMAC keys as CreateKey, DescribeKey and GetPublicKey show them through
//! `aws-sdk-kms`: which KeyUsage fits which KeySpec (SPEC 1.7-1.8), the algorithm lists each
//! spec carries (SPEC 1.9, AWS "Key spec reference"), and the DER SubjectPublicKeyInfo that
//! GetPublicKey hands out (RFC 5280), parsed by openssl. Signing, encryption, MACs and key
//! agreement are in the other `asym_*` suites.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
#![allow(
    deprecated,
    reason = "CustomerMasterKeySpec is deprecated, and checked on purpose: it must twin KeySpec"
)]

use crate::common::asym::{
    create, public_key, rsa_encryption_algorithms, signing_algorithms, spki_has_oid, Openssl,
    AGREEMENT_SPECS,
};
use crate::common::{assert_code, assert_error, create_key, Server};
use aws_sdk_kms::types::{
    KeyAgreementAlgorithmSpec, KeyMetadata, KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec,
    OriginType,
};

const REGION: &str = "us-east-1";
const USAGE_REQUIRED: &str =
    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.";

/// The DER of the ML-DSA-44, -65 and -87 OIDs (2.16.840.1.101.3.4.3.17-19), each with the
/// length of the raw public key an SPKI of that parameter set carries (FIPS 204, table 2).
const ML_DSA: [(KeySpec, [u8; 11], usize); 3] = [
    (KeySpec::MlDsa44, ml_dsa_oid(0x11), 1312),
    (KeySpec::MlDsa65, ml_dsa_oid(0x12), 1952),
    (KeySpec::MlDsa87, ml_dsa_oid(0x13), 2592),
];

const fn ml_dsa_oid(last: u8) -> [u8; 11] {
    [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, last,
    ]
}

/// What openssl's `pkey -text` says of the public key of each spec it knows.
fn openssl_marker(spec: &KeySpec) -> &'static str {
    match spec {
        KeySpec::Rsa2048 => "Public-Key: (2048 bit)",
        KeySpec::EccNistP256 => "ASN1 OID: prime256v1",
        KeySpec::EccNistP384 => "ASN1 OID: secp384r1",
        KeySpec::EccNistP521 => "ASN1 OID: secp521r1",
        KeySpec::EccSecgP256K1 => "ASN1 OID: secp256k1",
        KeySpec::EccNistEdwards25519 => "ED25519 Public-Key",
        other => panic!("no openssl marker for {other:?}"),
    }
}

/// Asserts every member of `md` that depends on the spec and usage of a fresh AWS_KMS key.
fn assert_metadata(md: &KeyMetadata, spec: &KeySpec, usage: &KeyUsageType) {
    let what = format!("{spec:?} {usage:?}");
    assert_eq!(md.key_spec(), Some(spec), "{what}");
    assert_eq!(md.key_usage(), Some(usage), "{what}");
    assert_eq!(md.origin(), Some(&OriginType::AwsKms), "{what}");
    assert_eq!(md.key_state(), Some(&KeyState::Enabled), "{what}");

    // CustomerMasterKeySpec twins KeySpec, except for the specs it has no value for.
    let twin = md.customer_master_key_spec().map(|s| s.as_str());
    match spec {
        KeySpec::EccNistEdwards25519 | KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            assert_eq!(twin, None, "{what}")
        }
        _ => assert_eq!(twin, Some(spec.as_str()), "{what}"),
    }

    // Each list appears for its usage alone (absent, not empty, otherwise).
    let encrypts = *usage == KeyUsageType::EncryptDecrypt;
    let signs = *usage == KeyUsageType::SignVerify;
    let agrees = *usage == KeyUsageType::KeyAgreement;
    let macs = *usage == KeyUsageType::GenerateVerifyMac;
    assert_eq!(
        md.encryption_algorithms.clone(),
        encrypts.then(rsa_encryption_algorithms),
        "{what}"
    );
    assert_eq!(
        md.signing_algorithms.clone(),
        signs.then(|| signing_algorithms(spec)),
        "{what}"
    );
    assert_eq!(
        md.key_agreement_algorithms.clone(),
        agrees.then(|| vec![KeyAgreementAlgorithmSpec::Ecdh]),
        "{what}"
    );
    assert_eq!(md.mac_algorithms.is_some(), macs, "{what}");

    // SPEC 1.9: only symmetric keys name a current material.
    assert!(md.current_key_material_id().is_none(), "{what}: {md:?}");
}

#[tokio::test]
async fn key_usage_is_required_for_every_spec_but_symmetric() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // SPEC 1.8: leaving KeyUsage out is only fine for SYMMETRIC_DEFAULT.
    for spec in [
        KeySpec::Rsa2048,
        KeySpec::EccNistP256,
        KeySpec::EccNistEdwards25519,
        KeySpec::MlDsa44,
        KeySpec::Hmac256,
    ] {
        let result = kms.create_key().key_spec(spec).send().await;
        assert_error(result, "ValidationException", USAGE_REQUIRED);
    }
}

#[tokio::test]
async fn usages_that_do_not_fit_the_spec_are_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    use KeySpec as S;
    use KeyUsageType as U;
    let pairs = [
        (S::Rsa2048, U::KeyAgreement),
        (S::Rsa4096, U::GenerateVerifyMac),
        (S::EccNistP256, U::EncryptDecrypt),
        (S::EccNistP521, U::GenerateVerifyMac),
        (S::EccSecgP256K1, U::KeyAgreement),
        (S::EccNistEdwards25519, U::KeyAgreement),
        (S::MlDsa65, U::EncryptDecrypt),
        (S::Hmac256, U::SignVerify),
        (S::Hmac512, U::EncryptDecrypt),
    ];

    // SPEC 1.8: "KeyUsage <usage> is not compatible with KeySpec <spec>", no final period.
    for (spec, usage) in pairs {
        let message = format!(
            "KeyUsage {} is not compatible with KeySpec {}",
            usage.as_str(),
            spec.as_str()
        );
        let result = kms
            .create_key()
            .key_spec(spec)
            .key_usage(usage)
            .send()
            .await;
        assert_error(result, "ValidationException", &message);
    }
}

#[tokio::test]
async fn sm2_is_not_served() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // SM2 exists only in the China Regions, which kmsd does not imitate.
    for usage in [KeyUsageType::SignVerify, KeyUsageType::EncryptDecrypt] {
        let result = kms
            .create_key()
            .key_spec(KeySpec::Sm2)
            .key_usage(usage)
            .send()
            .await;
        assert_code(result, "UnsupportedOperationException");
    }
}

#[tokio::test]
async fn every_spec_and_usage_lists_its_algorithms() {
    let server = Server::shared();
    let kms = server.client(REGION);
    use KeySpec as S;
    use KeyUsageType as U;
    // RSA_3072 and RSA_4096 list what RSA_2048 lists; they are created in `asym_encrypt`.
    let pairs = [
        (S::Rsa2048, U::EncryptDecrypt),
        (S::Rsa2048, U::SignVerify),
        (S::EccNistP256, U::SignVerify),
        (S::EccNistP256, U::KeyAgreement),
        (S::EccNistP384, U::SignVerify),
        (S::EccNistP384, U::KeyAgreement),
        (S::EccNistP521, U::SignVerify),
        (S::EccNistP521, U::KeyAgreement),
        (S::EccSecgP256K1, U::SignVerify),
        (S::EccNistEdwards25519, U::SignVerify),
        (S::MlDsa44, U::SignVerify),
        (S::MlDsa65, U::SignVerify),
        (S::MlDsa87, U::SignVerify),
    ];

    for (spec, usage) in pairs {
        // CreateKey's metadata and DescribeKey's agree, and both carry the spec's lists.
        let created = create(&kms, spec.clone(), usage.clone()).await;
        assert_metadata(&created, &spec, &usage);
        let described = kms
            .describe_key()
            .key_id(created.key_id())
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(described, created, "{spec:?} {usage:?}");
    }
}

#[tokio::test]
async fn hmac_keys_list_their_mac_algorithm() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let specs = [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512),
    ];

    // SPEC 1.9: MacAlgorithms holds the one algorithm of the spec.
    for (spec, algorithm) in specs {
        let md = create(&kms, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        assert_metadata(&md, &spec, &KeyUsageType::GenerateVerifyMac);
        assert_eq!(md.mac_algorithms(), [algorithm], "{spec:?}");
    }
}

#[tokio::test]
async fn get_public_key_answers_a_stable_spki_and_the_key_metadata() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ossl = Openssl::new("GetPublicKey SPKIs");
    use KeySpec as S;
    use KeyUsageType as U;
    let pairs = [
        (S::Rsa2048, U::EncryptDecrypt),
        (S::Rsa2048, U::SignVerify),
        (S::EccNistP256, U::SignVerify),
        (S::EccNistP384, U::KeyAgreement),
        (S::EccNistP521, U::SignVerify),
        (S::EccSecgP256K1, U::SignVerify),
        (S::EccNistEdwards25519, U::SignVerify),
    ];

    for (spec, usage) in pairs {
        let md = create(&kms, spec.clone(), usage.clone()).await;
        let out = kms
            .get_public_key()
            .key_id(md.key_id())
            .send()
            .await
            .unwrap();

        // The response repeats what DescribeKey says of the key.
        assert_eq!(out.key_id(), md.arn(), "{spec:?}");
        assert_eq!(out.key_spec(), Some(&spec));
        assert_eq!(out.key_usage(), Some(&usage));
        assert_eq!(out.customer_master_key_spec, md.customer_master_key_spec);
        assert_eq!(
            out.encryption_algorithms, md.encryption_algorithms,
            "{spec:?}"
        );
        assert_eq!(out.signing_algorithms, md.signing_algorithms, "{spec:?}");
        assert_eq!(
            out.key_agreement_algorithms, md.key_agreement_algorithms,
            "{spec:?}"
        );

        // The same bytes every time.
        let spki = out.public_key().unwrap().as_ref().to_vec();
        assert_eq!(public_key(&kms, md.key_id()).await, spki, "{spec:?}");

        // openssl reads a canonical DER SPKI of the right algorithm and size.
        if let Some(ossl) = &ossl {
            assert_eq!(ossl.reencode_public(&spki), spki, "{spec:?}");
            let text = ossl.describe_public(&spki);
            assert!(text.contains(openssl_marker(&spec)), "{spec:?}:\n{text}");
        }
    }
}

#[tokio::test]
async fn ml_dsa_public_keys_carry_their_parameter_set() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let ossl = Openssl::with_ml_dsa("ML-DSA SPKIs");

    for (spec, oid, raw_len) in ML_DSA {
        let md = create(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let out = kms
            .get_public_key()
            .key_id(md.key_id())
            .send()
            .await
            .unwrap();
        assert_eq!(out.signing_algorithms, md.signing_algorithms, "{spec:?}");
        assert!(out.customer_master_key_spec.is_none(), "{spec:?}");

        // FIPS 204 / RFC 9881: the parameter set's OID and a BIT STRING of the raw key;
        // 22 bytes of DER surround a key of this size.
        let spki = out.public_key().unwrap().as_ref().to_vec();
        assert!(spki_has_oid(&spki, &oid), "{spec:?}: no ML-DSA OID");
        assert_eq!(spki.len(), raw_len + 22, "{spec:?}");
        assert_eq!(public_key(&kms, md.key_id()).await, spki, "{spec:?}");

        // An openssl that knows ML-DSA parses it too.
        if let Some(ossl) = &ossl {
            assert_eq!(ossl.reencode_public(&spki), spki, "{spec:?}");
        }
    }
}

#[tokio::test]
async fn symmetric_and_hmac_keys_have_no_public_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let symmetric = create_key(&kms).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    // GetPublicKey is for asymmetric keys only (the message is kmsd's: compatibility.md).
    for (md, spec) in [(symmetric, "SYMMETRIC_DEFAULT"), (hmac, "HMAC_256")] {
        let result = kms.get_public_key().key_id(md.key_id()).send().await;
        let message = format!(
            "{} key spec is {spec} which is not valid for GetPublicKey.",
            md.arn().unwrap()
        );
        assert_error(result, "UnsupportedOperationException", &message);
    }
}

#[tokio::test]
async fn a_disabled_key_gives_no_public_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;

    // The key-state table's [1] for GetPublicKey (SPEC C6 notes AWS may differ; kmsd follows
    // the table), and the key answers again once enabled.
    kms.disable_key().key_id(md.key_id()).send().await.unwrap();
    let result = kms.get_public_key().key_id(md.key_id()).send().await;
    let message = format!("{} is disabled.", md.arn().unwrap());
    assert_error(result, "DisabledException", &message);
    kms.enable_key().key_id(md.key_id()).send().await.unwrap();
    kms.get_public_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn key_agreement_keys_list_ecdh_on_every_curve() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // KEY_AGREEMENT keys list ECDH in both DescribeKey and GetPublicKey.
    for spec in AGREEMENT_SPECS {
        let md = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        assert_eq!(
            md.key_agreement_algorithms(),
            [KeyAgreementAlgorithmSpec::Ecdh]
        );
        let out = kms
            .get_public_key()
            .key_id(md.key_id())
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.key_agreement_algorithms(),
            [KeyAgreementAlgorithmSpec::Ecdh]
        );
        assert!(out.signing_algorithms.is_none(), "{spec:?}");
    }
}
