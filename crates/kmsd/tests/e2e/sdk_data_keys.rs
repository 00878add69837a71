//! Data keys and randomness through `aws-sdk-kms`: GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, ReEncrypt and GenerateRandom (SPEC D10, D12, D13).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::{assert_code, assert_error, create_key, is_hex64, Server};
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};

use crate::common::crypto::{context, current_material, encrypt, INCORRECT_KEY};

const REGION: &str = "us-east-1";

#[tokio::test]
async fn generate_data_key_sizes() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let material = current_material(&kms, md.key_id()).await;
    let ctx = [("file", "a.txt")];

    // SPEC D12: KeySpec or NumberOfBytes; the plaintext decrypts back under the same context.
    let cases = [
        (Some(DataKeySpec::Aes256), None, 32),
        (Some(DataKeySpec::Aes128), None, 16),
    ];
    let bytes = [
        (None, Some(1), 1),
        (None, Some(64), 64),
        (None, Some(1024), 1024),
    ];
    for (spec, number, len) in cases.into_iter().chain(bytes) {
        let out = kms
            .generate_data_key()
            .key_id(md.key_id())
            .set_key_spec(spec.clone())
            .set_number_of_bytes(number)
            .set_encryption_context(context(&ctx))
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id(), md.arn());
        assert_eq!(out.key_material_id(), Some(material.as_str()));
        let plaintext = out.plaintext().unwrap().as_ref().to_vec();
        assert_eq!(plaintext.len(), len, "{spec:?} {number:?}");
        let back = kms
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob.unwrap())
            .set_encryption_context(context(&ctx))
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext().unwrap().as_ref(), plaintext.as_slice());
    }

    // Neither or both: ValidationException (message OPEN).
    let neither = kms.generate_data_key().key_id(md.key_id()).send().await;
    assert_code(neither, "ValidationException");
    let both = kms
        .generate_data_key()
        .key_id(md.key_id())
        .key_spec(DataKeySpec::Aes256)
        .number_of_bytes(32)
        .send()
        .await;
    assert_code(both, "ValidationException");
    for n in [0, 1025] {
        let result = kms
            .generate_data_key()
            .key_id(md.key_id())
            .number_of_bytes(n)
            .send()
            .await;
        assert_code(result, "ValidationException");
    }
}

#[tokio::test]
async fn generate_data_key_without_plaintext() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    let out = kms
        .generate_data_key_without_plaintext()
        .key_id(md.key_id())
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), md.arn());
    let back = kms
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob.unwrap())
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref().len(), 32);

    let neither = kms
        .generate_data_key_without_plaintext()
        .key_id(md.key_id())
        .send()
        .await;
    assert_code(neither, "ValidationException");
    let both = kms
        .generate_data_key_without_plaintext()
        .key_id(md.key_id())
        .key_spec(DataKeySpec::Aes128)
        .number_of_bytes(16)
        .send()
        .await;
    assert_code(both, "ValidationException");
}

#[tokio::test]
async fn re_encrypt_to_another_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let source = create_key(&kms).await;
    let destination = create_key(&kms).await;
    let ciphertext = encrypt(&kms, source.key_id(), b"move me", &[("a", "1")]).await;

    // SPEC D10: response fields, ARNs for both keys.
    let out = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext.clone())
        .source_encryption_context("a", "1")
        .destination_key_id(destination.key_id())
        .destination_encryption_context("b", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id(), source.arn());
    assert_eq!(out.key_id(), destination.arn());
    assert_eq!(
        out.source_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(
        out.destination_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(
        out.source_key_material_id(),
        source.current_key_material_id()
    );
    assert_eq!(
        out.destination_key_material_id(),
        destination.current_key_material_id()
    );
    assert!(out.source_key_material_id().is_some_and(is_hex64));

    let moved = out.ciphertext_blob.unwrap();
    let back = kms
        .decrypt()
        .ciphertext_blob(moved.clone())
        .encryption_context("b", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), b"move me");
    assert_eq!(back.key_id(), destination.arn());
    let under_source = kms
        .decrypt()
        .ciphertext_blob(moved)
        .key_id(source.key_id())
        .encryption_context("b", "2")
        .send()
        .await;
    assert_error(under_source, "IncorrectKeyException", INCORRECT_KEY);

    // A wrong source context fails like Decrypt would (SPEC D8).
    let wrong = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext)
        .source_encryption_context("a", "2")
        .destination_key_id(destination.key_id())
        .send()
        .await;
    assert_error(wrong, "InvalidCiphertextException", "");
}

#[tokio::test]
async fn re_encrypt_under_the_same_key_with_a_new_context() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let ciphertext = encrypt(&kms, md.key_id(), b"same key", &[("v", "1")]).await;

    let out = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext)
        .source_encryption_context("v", "1")
        .destination_key_id(md.arn().unwrap())
        .destination_encryption_context("v", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(out.source_key_id(), md.arn());
    assert_eq!(out.key_id(), md.arn());
    let blob = out.ciphertext_blob.unwrap();
    let old = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("v", "1")
        .send()
        .await;
    assert_error(old, "InvalidCiphertextException", "");
    let new = kms
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("v", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(new.plaintext().unwrap().as_ref(), b"same key");
}

#[tokio::test]
async fn generate_random() {
    let server = Server::shared();
    let kms = server.client(REGION);

    for n in [1, 32, 1024] {
        let out = kms
            .generate_random()
            .number_of_bytes(n)
            .send()
            .await
            .unwrap();
        assert_eq!(out.plaintext().unwrap().as_ref().len(), n as usize);
    }
    let a = kms
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap();
    let b = kms
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap();
    assert_ne!(a, b);

    // SPEC D13: the three recorded messages.
    let missing = kms.generate_random().send().await;
    assert_error(missing, "ValidationException", "NumberOfBytes is required.");
    let zero = kms.generate_random().number_of_bytes(0).send().await;
    assert_error(
        zero,
        "ValidationException",
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: \
         Member must have value greater than or equal to 1",
    );
    let big = kms.generate_random().number_of_bytes(1025).send().await;
    assert_error(
        big,
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy \
         constraint: Member must have value less than or equal to 1024",
    );
}
