//! ImportKeyMaterial's error paths through `aws-sdk-kms` (SPEC A20-A29, A42): tokens bound to
//! their key, one answer for every unwrapping failure, material of the wrong length, the
//! expiry settings, KeyMaterialId, and the automatic-rotation operations on EXTERNAL keys.
//! Reimports are in `import_reimport.rs`; an expired token needs a clock and is tested
//! in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use std::collections::BTreeSet;

use crate::common::import::{
    create_external, describe, import_forever, import_request, import_request_with, import_until,
    parameters, public_key_of, token_of, wrap, wrap_for,
};
use crate::common::{assert_code, assert_error, create_key, now_secs, random_bytes, Server};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportType, KeyState, WrappingKeySpec,
};

const REGION: &str = "us-east-1";

/// SPEC A23, the message AWS sends.
const VALID_TO_REQUIRED: &str =
    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES";

#[tokio::test]
async fn a_token_is_bound_to_its_key_and_cannot_be_forged() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let mine = create_external(&kms).await;
    let other = create_external(&kms).await;
    let material = random_bytes(32);
    let alg = AlgorithmSpec::RsaesOaepSha256;

    let send = |token: Vec<u8>, wrapped: Vec<u8>| {
        kms.import_key_material()
            .key_id(mine.key_id())
            .import_token(Blob::new(token))
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
    };

    // SPEC A26: the other key's token, with material wrapped under the other key's public key.
    let (token, wrapped) = wrap_for(
        &kms,
        other.key_id(),
        alg.clone(),
        WrappingKeySpec::Rsa2048,
        &material,
    )
    .await;
    assert_code(send(token, wrapped).await, "InvalidImportTokenException");

    // SPEC A22: a token that is not one of ours, and a real one altered or cut short.
    let (token, wrapped) = wrap_for(
        &kms,
        mine.key_id(),
        alg,
        WrappingKeySpec::Rsa2048,
        &material,
    )
    .await;
    assert_code(
        send(random_bytes(token.len()), wrapped.clone()).await,
        "InvalidImportTokenException",
    );
    for at in [0, token.len() / 2, token.len() - 1] {
        let mut altered = token.clone();
        altered[at] ^= 0x01;
        assert_code(
            send(altered, wrapped.clone()).await,
            "InvalidImportTokenException",
        );
    }
    assert_code(
        send(token[..token.len() / 2].to_vec(), wrapped.clone()).await,
        "InvalidImportTokenException",
    );

    // None of this touched the key; the untouched token still works.
    assert_eq!(
        describe(&kms, mine.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );
    send(token, wrapped).await.expect("the genuine token");
}

#[tokio::test]
async fn undecryptable_material_gets_one_answer() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);

    // One token for plain OAEP-SHA-256, and one for RSA-AES key wrap (SPEC A13, A15).
    let oaep = parameters(
        &kms,
        md.key_id(),
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )
    .await;
    let oaep_key = public_key_of(&oaep);
    let kw = parameters(
        &kms,
        md.key_id(),
        AlgorithmSpec::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa3072,
    )
    .await;
    let kw_key = public_key_of(&kw);
    let other = parameters(
        &kms,
        md.key_id(),
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )
    .await;

    let good_oaep = wrap(&oaep_key, &AlgorithmSpec::RsaesOaepSha256, &material);
    let good_kw = wrap(&kw_key, &AlgorithmSpec::RsaAesKeyWrapSha256, &material);
    let flip = |bytes: &[u8], at: usize| {
        let mut out = bytes.to_vec();
        out[at] ^= 0x80;
        out
    };
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "another public key",
            token_of(&oaep),
            wrap(
                &public_key_of(&other),
                &AlgorithmSpec::RsaesOaepSha256,
                &material,
            ),
        ),
        (
            "OAEP-SHA-1 for an OAEP-SHA-256 token",
            token_of(&oaep),
            wrap(&oaep_key, &AlgorithmSpec::RsaesOaepSha1, &material),
        ),
        (
            "key wrap for an OAEP token",
            token_of(&oaep),
            wrap(&oaep_key, &AlgorithmSpec::RsaAesKeyWrapSha256, &material),
        ),
        (
            "OAEP ciphertext with a bit flipped",
            token_of(&oaep),
            flip(&good_oaep, 100),
        ),
        (
            "OAEP ciphertext cut short",
            token_of(&oaep),
            good_oaep[..128].to_vec(),
        ),
        (
            "key wrap, RSA part altered",
            token_of(&kw),
            flip(&good_kw, 10),
        ),
        (
            "key wrap, KWP part altered",
            token_of(&kw),
            flip(&good_kw, 384 + 8),
        ),
        (
            "key wrap, KWP part missing",
            token_of(&kw),
            good_kw[..384].to_vec(),
        ),
        (
            "key wrap, KWP part cut",
            token_of(&kw),
            good_kw[..good_kw.len() - 8].to_vec(),
        ),
        (
            "key wrap with SHA-1 for a SHA-256 token",
            token_of(&kw),
            wrap(&kw_key, &AlgorithmSpec::RsaAesKeyWrapSha1, &material),
        ),
        (
            "plain OAEP for a key-wrap token",
            token_of(&kw),
            wrap(&kw_key, &AlgorithmSpec::RsaesOaepSha256, &material),
        ),
    ];

    // SPEC A22: InvalidCiphertextException for all of them, with one and the same message,
    // so that the answer tells nothing about which step failed (no decryption oracle).
    let mut messages = BTreeSet::new();
    for (what, token, wrapped) in cases {
        let got = kms
            .import_key_material()
            .key_id(md.key_id())
            .import_token(Blob::new(token))
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await;
        let err = common::kms_error(got);
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "InvalidCiphertextException"),
            "{what}: {err:?}"
        );
        messages.insert(err.message);
    }
    assert_eq!(
        messages.len(),
        1,
        "one message for every failure: {messages:?}"
    );
    assert!(!messages.first().unwrap().is_empty());

    // The key is still waiting, and the good wraps still import.
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );
    kms.import_key_material()
        .key_id(md.key_id())
        .import_token(Blob::new(token_of(&kw)))
        .encrypted_key_material(Blob::new(good_kw))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .expect("the unaltered key-wrap ciphertext");
}

#[tokio::test]
async fn material_of_the_wrong_length() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;

    // SPEC A17, A20: symmetric material is exactly 32 bytes, whatever the wrapping.
    for (len, algorithm) in [
        (16, AlgorithmSpec::RsaesOaepSha256),
        (31, AlgorithmSpec::RsaesOaepSha1),
        (33, AlgorithmSpec::RsaesOaepSha256),
        (64, AlgorithmSpec::RsaesOaepSha256),
        (16, AlgorithmSpec::RsaAesKeyWrapSha256),
        (33, AlgorithmSpec::RsaAesKeyWrapSha1),
    ] {
        let got = import_request_with(
            &kms,
            md.key_id(),
            &random_bytes(len),
            algorithm.clone(),
            WrappingKeySpec::Rsa2048,
        )
        .await
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await;
        let err = common::kms_error(got);
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "IncorrectKeyMaterialException"),
            "{len} bytes with {algorithm:?}: {err:?}"
        );
    }
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );
}

#[tokio::test]
async fn expires_is_the_default_and_needs_valid_to() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);

    // SPEC A23: neither field sent, so KEY_MATERIAL_EXPIRES by default, without a ValidTo.
    let neither = import_request(&kms, md.key_id(), &material)
        .await
        .send()
        .await;
    assert_error(neither, "ValidationException", VALID_TO_REQUIRED);
    // The same with the model given explicitly.
    let explicit = import_request(&kms, md.key_id(), &material)
        .await
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .send()
        .await;
    assert_error(explicit, "ValidationException", VALID_TO_REQUIRED);

    // ValidTo alone is enough: the model defaults to KEY_MATERIAL_EXPIRES.
    let valid_to = now_secs() + 10 * 86_400;
    import_request(&kms, md.key_id(), &material)
        .await
        .valid_to(DateTime::from_secs(valid_to))
        .send()
        .await
        .expect("ValidTo without ExpirationModel");
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(
        got.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(got.valid_to().map(|t| t.secs()), Some(valid_to));
}

#[tokio::test]
async fn valid_to_must_fit_the_expiration_model() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);

    // SPEC A23 (error OPEN → ValidationException): a ValidTo on material that never expires,
    let with_valid_to = import_request(&kms, md.key_id(), &material)
        .await
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .valid_to(DateTime::from_secs(now_secs() + 86_400))
        .send()
        .await;
    assert_code(with_valid_to, "ValidationException");
    // a ValidTo in the past, and one more than 365 days after the request.
    for (what, valid_to) in [
        ("an hour ago", now_secs() - 3_600),
        ("366 days ahead", now_secs() + 366 * 86_400),
    ] {
        let got = import_request(&kms, md.key_id(), &material)
            .await
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .valid_to(DateTime::from_secs(valid_to))
            .send()
            .await;
        let err = common::kms_error(got);
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "ValidationException"),
            "ValidTo {what}: {err:?}"
        );
    }
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );

    // Just inside the limit is fine.
    let near_limit = now_secs() + 364 * 86_400;
    import_until(&kms, md.key_id(), &material, near_limit).await;
    assert_eq!(
        describe(&kms, md.key_id())
            .await
            .valid_to()
            .map(|t| t.secs()),
        Some(near_limit)
    );
}

#[tokio::test]
async fn key_material_id_is_refused_with_new_key_material() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);

    // SPEC A29 (error OPEN → ValidationException), on the first import and on a later one.
    let first = import_request(&kms, md.key_id(), &material)
        .await
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .import_type(ImportType::NewKeyMaterial)
        .key_material_id("a".repeat(64))
        .send()
        .await;
    assert_code(first, "ValidationException");
    let id = import_forever(&kms, md.key_id(), &material)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let later = import_request(&kms, md.key_id(), &random_bytes(32))
        .await
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .import_type(ImportType::NewKeyMaterial)
        .key_material_id(id)
        .send()
        .await;
    assert_code(later, "ValidationException");

    // SPEC A21: a KeyMaterialId is exactly 64 lowercase hex characters.
    for bad in ["A".repeat(64), "a".repeat(63), "g".repeat(64)] {
        let got = import_request(&kms, md.key_id(), &material)
            .await
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .key_material_id(&bad)
            .send()
            .await;
        let err = common::kms_error(got);
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "ValidationException"),
            "KeyMaterialId {bad:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn automatic_rotation_is_refused_for_external_keys() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    import_forever(&kms, md.key_id(), &random_bytes(32)).await;
    let message = format!(
        "{} origin is EXTERNAL which is not valid for this operation.",
        md.arn().unwrap()
    );

    // SPEC A42, C5 [6]/[7].
    assert_error(
        kms.enable_key_rotation().key_id(md.key_id()).send().await,
        "UnsupportedOperationException",
        &message,
    );
    assert_error(
        kms.disable_key_rotation().key_id(md.key_id()).send().await,
        "UnsupportedOperationException",
        &message,
    );
    assert_code(
        kms.get_key_rotation_status()
            .key_id(md.key_id())
            .send()
            .await,
        "UnsupportedOperationException",
    );
}

#[tokio::test]
async fn import_into_keys_that_cannot_take_it() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let external = create_external(&kms).await;
    let (token, wrapped) = wrap_for(
        &kms,
        external.key_id(),
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        &random_bytes(32),
    )
    .await;
    let into = |key: String| {
        kms.import_key_material()
            .key_id(key)
            .import_token(Blob::new(token.clone()))
            .encrypted_key_material(Blob::new(wrapped.clone()))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
    };

    // SPEC A22: the key is checked before the token; origin AWS_KMS (C5 [9]), then no key.
    let aws_kms = create_key(&kms).await;
    assert_code(
        into(aws_kms.key_id().to_string()).await,
        "UnsupportedOperationException",
    );
    let missing = "0b3a7a41-63a9-4e3c-8c35-3f0d2d6d1e00".to_string();
    assert_code(into(missing).await, "NotFoundException");
}
