//! Imported asymmetric and HMAC material through `aws-sdk-kms`: EXTERNAL keys of every
//! asymmetric family wait in PendingImport, take the DER PKCS#8 of a key that `openssl genpkey`
//! made (SPEC A19), and then sign, decrypt and agree exactly like the original key, as openssl
//! checks with the original's public key; the wrapping algorithms that fit each spec, the
//! binding to the first material (A27), and material that does not fit (A20). Material is
//! wrapped by the openssl command line (`common::import::wrap`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::asym::{
    assert_verifies, create_external, digest, import_material, public_key, reference_mac, sign,
    signing_algorithms, Openssl,
};
use crate::common::import::{describe, import_forever, import_request_with, pending_import};
use crate::common::{assert_code, assert_error, random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    AlgorithmSpec, EncryptionAlgorithmSpec, ExpirationModelType, ImportType,
    KeyAgreementAlgorithmSpec, KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec, MessageType,
    OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";
const MESSAGE: &[u8] = b"signed by a key that was born outside";

/// The message type and message kmsd signs for `algorithm`: the SHA-512 digest for
/// Ed25519ph, which takes only DIGEST; the message itself otherwise.
fn input(algorithm: &SigningAlgorithmSpec) -> (MessageType, Vec<u8>) {
    match algorithm {
        SigningAlgorithmSpec::Ed25519PhSha512 => (MessageType::Digest, digest(algorithm, MESSAGE)),
        _ => (MessageType::Raw, MESSAGE.to_vec()),
    }
}

/// Imports a fresh openssl key of `spec` into a new EXTERNAL SIGN_VERIFY key, and checks that
/// GetPublicKey is the original's public key and that signatures cross both ways: kmsd's
/// verify under the original public key in openssl, openssl's verify in kmsd.
async fn import_and_sign(kms: &Client, ossl: &Openssl, spec: KeySpec) {
    let original = ossl.generate(&spec);
    let original_public = ossl.public_of(&original);
    let md = create_external(kms, spec.clone(), KeyUsageType::SignVerify).await;
    let key = md.key_id();

    // SPEC A21, A24: the answer names no material; the key is Enabled and never expires.
    let out = import_material(kms, key, &original).await.unwrap();
    assert_eq!(out.key_id(), md.arn(), "{spec:?}");
    assert!(out.key_material_id().is_none(), "{spec:?}: {out:?}");
    let after = describe(kms, key).await;
    assert_eq!(after.key_state(), Some(&KeyState::Enabled), "{spec:?}");
    assert_eq!(
        after.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialDoesNotExpire)
    );
    assert!(after.current_key_material_id().is_none(), "{after:?}");

    // SPEC A19: kmsd derived the original's public key.
    assert_eq!(public_key(kms, key).await, original_public, "{spec:?}");

    for algorithm in signing_algorithms(&spec) {
        if algorithm == SigningAlgorithmSpec::Ed25519PhSha512 && !ossl.has_ed25519ph() {
            eprintln!("note: this openssl has no Ed25519ph (3.2+); its check is skipped");
            continue;
        }
        let (message_type, message) = input(&algorithm);

        // kmsd's signature verifies under the original public key in openssl.
        let ours = sign(kms, key, &algorithm, &message_type, &message).await;
        let ok = ossl.verifies(&original_public, &algorithm, &message_type, &message, &ours);
        assert!(
            ok,
            "{spec:?} {algorithm:?}: openssl rejects kmsd's signature"
        );

        // openssl's signature with the original private key verifies in kmsd.
        let theirs = ossl.sign(&original, &algorithm, &message);
        assert_verifies(kms, key, &algorithm, &message_type, &message, &theirs).await;
    }
}

#[tokio::test]
async fn an_external_asymmetric_key_waits_for_its_material() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let arn = md.arn().unwrap();

    // SPEC A1: no material yet; the spec's algorithms are known already.
    assert_eq!(md.origin(), Some(&OriginType::External));
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    assert!(!md.enabled());
    assert_eq!(md.signing_algorithms(), [SigningAlgorithmSpec::EcdsaSha256]);
    assert!(md.current_key_material_id().is_none(), "{md:?}");

    // SPEC A5: every cryptographic operation says so.
    let result = kms
        .sign()
        .key_id(md.key_id())
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .message(Blob::new(MESSAGE))
        .send()
        .await;
    assert_error(result, "KMSInvalidStateException", &pending_import(arn));
    let result = kms.get_public_key().key_id(md.key_id()).send().await;
    assert_code(result, "KMSInvalidStateException");
}

#[tokio::test]
async fn pending_rsa_and_hmac_keys_refuse_their_operations() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let rsa = create_external(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let hmac = create_external(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    // SPEC A5 for Encrypt with an RSA key and for GenerateMac.
    let result = kms
        .encrypt()
        .key_id(rsa.key_id())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .plaintext(Blob::new("x"))
        .send()
        .await;
    let message = pending_import(rsa.arn().unwrap());
    assert_error(result, "KMSInvalidStateException", &message);
    let result = kms
        .generate_mac()
        .key_id(hmac.key_id())
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new("x"))
        .send()
        .await;
    let message = pending_import(hmac.arn().unwrap());
    assert_error(result, "KMSInvalidStateException", &message);
}

#[tokio::test]
async fn an_rsa_private_key_needs_a_key_wrap_algorithm() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;

    // An RSA PKCS#8 is larger than any OAEP block: RSAES_OAEP_* is refused for every size.
    for algorithm in [AlgorithmSpec::RsaesOaepSha1, AlgorithmSpec::RsaesOaepSha256] {
        for spec in [WrappingKeySpec::Rsa2048, WrappingKeySpec::Rsa4096] {
            let result = kms
                .get_parameters_for_import()
                .key_id(md.key_id())
                .wrapping_algorithm(algorithm.clone())
                .wrapping_key_spec(spec)
                .send()
                .await;
            assert_code(result, "ValidationException");
        }
    }

    // RSA_AES_KEY_WRAP_* fits.
    kms.get_parameters_for_import()
        .key_id(md.key_id())
        .wrapping_algorithm(AlgorithmSpec::RsaAesKeyWrapSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_p521_key_needs_room_for_its_pkcs8() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms, KeySpec::EccNistP521, KeyUsageType::SignVerify).await;

    // A P-521 PKCS#8 (over 190 bytes) does not fit RSAES_OAEP_SHA_256 under RSA_2048.
    let result = kms
        .get_parameters_for_import()
        .key_id(md.key_id())
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await;
    assert_code(result, "ValidationException");

    // Under RSA_3072 it does, and the import succeeds.
    let Some(ossl) = Openssl::new("P-521 import") else {
        return;
    };
    let original = ossl.generate(&KeySpec::EccNistP521);
    import_request_with(
        &kms,
        md.key_id(),
        &original,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa3072,
    )
    .await
    .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
    .send()
    .await
    .unwrap();
    assert_eq!(
        public_key(&kms, md.key_id()).await,
        ossl.public_of(&original)
    );
}

#[tokio::test]
async fn an_imported_rsa_key_signs_like_the_original() {
    let server = Server::shared();
    let Some(ossl) = Openssl::new("imported RSA keys") else {
        return;
    };
    import_and_sign(&server.client(REGION), &ossl, KeySpec::Rsa2048).await;
}

#[tokio::test]
async fn imported_ecc_keys_sign_like_the_original() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("imported ECC keys") else {
        return;
    };
    for spec in [
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256K1,
    ] {
        import_and_sign(&kms, &ossl, spec).await;
    }
}

#[tokio::test]
async fn an_imported_ed25519_key_signs_like_the_original() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("imported Ed25519 keys") else {
        return;
    };
    import_and_sign(&kms, &ossl, KeySpec::EccNistEdwards25519).await;

    // Ed25519 is deterministic: kmsd and openssl make the very same signature.
    let original = ossl.generate(&KeySpec::EccNistEdwards25519);
    let md = create_external(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    import_material(&kms, md.key_id(), &original).await.unwrap();
    let algorithm = SigningAlgorithmSpec::Ed25519Sha512;
    let ours = sign(&kms, md.key_id(), &algorithm, &MessageType::Raw, MESSAGE).await;
    assert_eq!(ours, ossl.sign(&original, &algorithm, MESSAGE));
}

#[tokio::test]
async fn an_imported_rsa_key_decrypts_like_the_original() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("imported RSA encryption keys") else {
        return;
    };
    let original = ossl.generate(&KeySpec::Rsa2048);
    let md = create_external(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    import_material(&kms, md.key_id(), &original).await.unwrap();
    let algorithm = EncryptionAlgorithmSpec::RsaesOaepSha256;

    // kmsd's ciphertext opens with the original private key in openssl.
    let ciphertext = kms
        .encrypt()
        .key_id(md.key_id())
        .encryption_algorithm(algorithm.clone())
        .plaintext(Blob::new("for the original"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let opened = ossl.oaep_decrypt(&original, "sha256", ciphertext.as_ref());
    assert_eq!(opened, b"for the original");

    // openssl's ciphertext under the original public key opens in kmsd.
    let sealed = ossl.oaep_encrypt(&ossl.public_of(&original), "sha256", b"for kmsd");
    let out = kms
        .decrypt()
        .key_id(md.key_id())
        .encryption_algorithm(algorithm)
        .ciphertext_blob(Blob::new(sealed))
        .send()
        .await
        .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"for kmsd");
}

#[tokio::test]
async fn an_imported_key_agreement_key_derives_like_the_original() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("imported key agreement keys") else {
        return;
    };
    let original = ossl.generate(&KeySpec::EccNistP384);
    let md = create_external(&kms, KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    import_material(&kms, md.key_id(), &original).await.unwrap();
    let peer = ossl.public_of(&ossl.generate(&KeySpec::EccNistP384));

    // The secret with a peer is the one the original private key gives in openssl.
    let secret = kms
        .derive_shared_secret()
        .key_id(md.key_id())
        .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(peer.clone()))
        .send()
        .await
        .unwrap()
        .shared_secret
        .unwrap();
    assert_eq!(secret.as_ref(), ossl.derive(&original, &peer));
}

#[tokio::test]
async fn the_first_material_binds_the_key_for_good() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("asymmetric reimport") else {
        return;
    };
    let first = ossl.generate(&KeySpec::EccNistP256);
    let second = ossl.generate(&KeySpec::EccNistP256);
    let md = create_external(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    import_material(&kms, key, &first).await.unwrap();

    // SPEC A27: the identical material again is fine; other material of the spec is not.
    import_material(&kms, key, &first).await.unwrap();
    assert_code(
        import_material(&kms, key, &second).await,
        "IncorrectKeyMaterialException",
    );
    assert_eq!(public_key(&kms, key).await, ossl.public_of(&first));

    // Deleting the material does not unbind the key.
    kms.delete_imported_key_material()
        .key_id(key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        describe(&kms, key).await.key_state(),
        Some(&KeyState::PendingImport)
    );
    assert_code(
        import_material(&kms, key, &second).await,
        "IncorrectKeyMaterialException",
    );
    import_material(&kms, key, &first).await.unwrap();
    assert_eq!(
        describe(&kms, key).await.key_state(),
        Some(&KeyState::Enabled)
    );
}

#[tokio::test]
async fn import_type_and_key_material_id_are_for_symmetric_keys() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("asymmetric ImportType") else {
        return;
    };
    let material = ossl.generate(&KeySpec::EccNistP256);
    let md = create_external(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let key = md.key_id();
    import_material(&kms, key, &material).await.unwrap();

    // SPEC A27: ImportType and KeyMaterialId are only usable with symmetric keys.
    let wrap = AlgorithmSpec::RsaAesKeyWrapSha256;
    for import_type in [ImportType::NewKeyMaterial, ImportType::ExistingKeyMaterial] {
        let result =
            import_request_with(&kms, key, &material, wrap.clone(), WrappingKeySpec::Rsa2048)
                .await
                .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
                .import_type(import_type)
                .send()
                .await;
        assert_code(result, "ValidationException");
    }
    let result = import_request_with(&kms, key, &material, wrap, WrappingKeySpec::Rsa2048)
        .await
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .key_material_id("a".repeat(64))
        .send()
        .await;
    assert_code(result, "ValidationException");
}

#[tokio::test]
async fn material_that_does_not_fit_the_spec_is_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let Some(ossl) = Openssl::new("mismatched asymmetric material") else {
        return;
    };
    use KeySpec as S;
    let p256 = ossl.generate(&S::EccNistP256);
    let cases = [
        (S::EccNistP256, ossl.generate(&S::EccNistP384)),
        (S::EccNistP256, ossl.generate(&S::EccSecgP256K1)),
        (S::EccNistP256, ossl.generate(&S::Rsa2048)),
        (S::EccNistP384, p256.clone()),
        (S::Rsa2048, ossl.generate(&S::Rsa3072)),
        (S::Rsa2048, p256),
        (S::EccNistEdwards25519, random_bytes(32)),
    ];

    // SPEC A20: another curve, another family, another modulus or no PKCS#8 at all.
    for (spec, material) in cases {
        let md = create_external(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let result = import_material(&kms, md.key_id(), &material).await;
        assert_code(result, "IncorrectKeyMaterialException");
        assert_eq!(
            describe(&kms, md.key_id()).await.key_state(),
            Some(&KeyState::PendingImport),
            "{spec:?}"
        );
    }
}

#[tokio::test]
async fn hmac_material_is_bound_and_checked_for_length() {
    let server = Server::shared();
    let kms = server.client(REGION);
    if Openssl::new("HMAC import (openssl wraps it)").is_none() {
        return;
    }
    let md = create_external(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let key = md.key_id();

    // SPEC A18, A20: 8 bytes are no HMAC_256 key.
    let result = import_material(&kms, key, &random_bytes(8)).await;
    assert_code(result, "IncorrectKeyMaterialException");

    // 32 bytes are; the tags are the reference HMAC-SHA-256 under them.
    let material = random_bytes(32);
    let out = import_forever(&kms, key, &material).await;
    assert!(out.key_material_id().is_none(), "{out:?}");
    let mac = kms
        .generate_mac()
        .key_id(key)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new(MESSAGE))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    assert_eq!(
        mac.as_ref(),
        reference_mac(&KeySpec::Hmac256, &material, MESSAGE)
    );

    // SPEC A27: the same bytes again, yes; other bytes, no.
    import_forever(&kms, key, &material).await;
    let result = import_material(&kms, key, &random_bytes(32)).await;
    assert_code(result, "IncorrectKeyMaterialException");
}
