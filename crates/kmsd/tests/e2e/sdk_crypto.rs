//! Encrypt and Decrypt through `aws-sdk-kms`: round trips, encryption context, the wrong
//! key, garbage and foreign ciphertexts, DryRun, and ciphertexts that outlive a rotation
//! (SPEC D5-D11, B24, A44). Data keys, ReEncrypt and GenerateRandom are in `sdk_data_keys.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::{
    assert_code, assert_error, create_key, is_hex64, random_bytes, unique, Server, ACCOUNT_A,
};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};

use crate::common::crypto::{context, current_material, encrypt, INCORRECT_KEY};

const REGION: &str = "us-east-1";
const CIPHERTEXT_ACCESS: &str = "The ciphertext refers to a customer master key that does not \
     exist, does not exist in this region, or you are not allowed to access.";
const DRY_RUN: &str = "The request would have succeeded, but the DryRun option is set.";

/// Encryption-context pairs as a test writes them.
type Pairs = &'static [(&'static str, &'static str)];

#[tokio::test]
async fn encrypt_decrypt_round_trip_with_every_key_id_form() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let arn = md.arn().unwrap();
    let alias = format!("alias/{}", unique("crypto"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:{alias}");
    let plaintext = random_bytes(300);

    // SPEC D5: the response names the key by its ARN even when an alias was used.
    let out = kms
        .encrypt()
        .key_id(&alias)
        .plaintext(Blob::new(plaintext.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn));
    assert_eq!(
        out.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let ciphertext = out.ciphertext_blob.unwrap();
    assert_ne!(ciphertext.as_ref(), plaintext.as_slice());

    // SPEC D9: KeyId optional; when given, any of the four forms (D1).
    let material = current_material(&kms, md.key_id()).await;
    let bare = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        bare.plaintext().map(|p| p.as_ref()),
        Some(plaintext.as_slice())
    );
    assert_eq!(bare.key_id(), Some(arn));
    assert_eq!(
        bare.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(bare.key_material_id(), Some(material.as_str()));
    for id in [md.key_id(), arn, alias.as_str(), alias_arn.as_str()] {
        let out = kms
            .decrypt()
            .ciphertext_blob(ciphertext.clone())
            .key_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.plaintext().map(|p| p.as_ref()),
            Some(plaintext.as_slice()),
            "KeyId {id}"
        );
        assert_eq!(out.key_id(), Some(arn));
    }

    // Every encryption uses fresh randomness: the same input never gives the same blob.
    let again = encrypt(&kms, md.key_id(), &plaintext, &[]).await;
    assert_ne!(again, ciphertext);
}

#[tokio::test]
async fn plaintext_length_limits() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC D6: 1..4096 bytes.
    let max = random_bytes(4096);
    let ciphertext = encrypt(&kms, md.key_id(), &max, &[]).await;
    let out = kms
        .decrypt()
        .ciphertext_blob(ciphertext)
        .send()
        .await
        .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), max.as_slice());
    let one = encrypt(&kms, md.key_id(), b"x", &[]).await;
    kms.decrypt().ciphertext_blob(one).send().await.unwrap();

    let big = kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new(random_bytes(4097)))
        .send()
        .await;
    assert_error(
        big,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: \
         Member must have length less than or equal to 4096",
    );
    let empty = kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new(Vec::new()))
        .send()
        .await;
    assert_code(empty, "ValidationException");
}

#[tokio::test]
async fn encryption_context_is_bound_to_the_ciphertext() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let ctx = [("purpose", "invoice"), ("tenant", "42")];
    let ciphertext = encrypt(&kms, md.key_id(), b"bound", &ctx).await;

    // SPEC D8: the same map in another order decrypts.
    let ok = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .set_encryption_context(context(&[("tenant", "42"), ("purpose", "invoice")]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.plaintext().unwrap().as_ref(), b"bound");

    // Missing, extra, changed or differently-cased pairs fail with an empty message.
    let wrong: [&[(&str, &str)]; 5] = [
        &[],
        &[("purpose", "invoice")],
        &[("purpose", "invoice"), ("tenant", "42"), ("extra", "1")],
        &[("purpose", "invoice"), ("tenant", "43")],
        &[("Purpose", "invoice"), ("tenant", "42")],
    ];
    for pairs in wrong {
        let result = kms
            .decrypt()
            .ciphertext_blob(ciphertext.clone())
            .set_encryption_context(context(pairs))
            .send()
            .await;
        assert_error(result, "InvalidCiphertextException", "");
    }

    // An omitted context matches only an empty one.
    let plain = encrypt(&kms, md.key_id(), b"no context", &[]).await;
    let result = kms
        .decrypt()
        .ciphertext_blob(plain)
        .set_encryption_context(context(&[("a", "b")]))
        .send()
        .await;
    assert_error(result, "InvalidCiphertextException", "");

    // Issue 2: no two different contexts serialize alike.
    let pairs: [(Pairs, Pairs); 3] = [
        (&[("a", "b=c")], &[("a=b", "c")]),
        (&[("ab", "c")], &[("a", "bc")]),
        (&[("a", "b"), ("c", "d")], &[("a", "b,c=d")]),
    ];
    for (sealed_with, opened_with) in pairs {
        let blob = encrypt(&kms, md.key_id(), b"canonical", sealed_with).await;
        let result = kms
            .decrypt()
            .ciphertext_blob(blob)
            .set_encryption_context(context(opened_with))
            .send()
            .await;
        assert_error(result, "InvalidCiphertextException", "");
    }
}

#[tokio::test]
async fn decrypt_with_the_key_id_of_another_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let first = create_key(&kms).await;
    let second = create_key(&kms).await;
    let ciphertext = encrypt(&kms, first.key_id(), b"mine", &[]).await;

    // SPEC D9, B24.
    let result = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .key_id(second.key_id())
        .send()
        .await;
    assert_error(result, "IncorrectKeyException", INCORRECT_KEY);
    // SPEC D10: the same for ReEncrypt's SourceKeyId.
    let result = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext)
        .source_key_id(second.key_id())
        .destination_key_id(second.key_id())
        .send()
        .await;
    assert_error(result, "IncorrectKeyException", INCORRECT_KEY);
}

#[tokio::test]
async fn garbage_ciphertext_is_invalid() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC D8 last sentence: corrupt or truncated ciphertext.
    // Seeded, so that a run never depends on luck.
    let mut rng = fastrand::Rng::with_seed(0x6b6d_7364);
    for len in [1, 2, 16, 57, 200, 1000, 6144] {
        let junk: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let result = kms
            .decrypt()
            .ciphertext_blob(Blob::new(junk.clone()))
            .send()
            .await;
        assert_code(result, "InvalidCiphertextException");
        let with_key = kms
            .decrypt()
            .ciphertext_blob(Blob::new(junk))
            .key_id(md.key_id())
            .send()
            .await;
        assert_code(with_key, "InvalidCiphertextException");
    }

    let good = encrypt(&kms, md.key_id(), b"tamper with me", &[])
        .await
        .into_inner();
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    let result = kms
        .decrypt()
        .ciphertext_blob(Blob::new(flipped))
        .send()
        .await;
    assert_error(result, "InvalidCiphertextException", "");
    for cut in [good.len() - 1, good.len() / 2] {
        let truncated = good[..cut].to_vec();
        let result = kms
            .decrypt()
            .ciphertext_blob(Blob::new(truncated))
            .key_id(md.key_id())
            .send()
            .await;
        assert_code(result, "InvalidCiphertextException");
    }
    let mut longer = good;
    longer.push(0);
    let result = kms
        .decrypt()
        .ciphertext_blob(Blob::new(longer))
        .key_id(md.key_id())
        .send()
        .await;
    assert_code(result, "InvalidCiphertextException");
}

#[tokio::test]
async fn ciphertext_of_another_region_or_account() {
    let server = Server::shared();
    let us = server.client(REGION);
    let md = create_key(&us).await;
    let ciphertext = encrypt(&us, md.key_id(), b"stay home", &[]).await;

    // SPEC D9a: the key does not exist where the caller asks.
    let eu = server.client("eu-west-1");
    let result = eu
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .send()
        .await;
    assert_error(result, "AccessDeniedException", CIPHERTEXT_ACCESS);
    let other_account = server.client_b(REGION);
    let result = other_account
        .decrypt()
        .ciphertext_blob(ciphertext)
        .send()
        .await;
    assert_error(result, "AccessDeniedException", CIPHERTEXT_ACCESS);
}

#[tokio::test]
async fn dry_run_answers_dry_run_operation_exception() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let other = create_key(&kms).await;
    let id = md.key_id();
    let ciphertext = encrypt(&kms, id, b"dry", &[]).await;

    // SPEC D11, for every operation of this issue whose model has DryRun.
    let encrypt = kms
        .encrypt()
        .key_id(id)
        .plaintext(Blob::new("x"))
        .dry_run(true)
        .send()
        .await;
    assert_error(encrypt, "DryRunOperationException", DRY_RUN);
    let decrypt = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .dry_run(true)
        .send()
        .await;
    assert_error(decrypt, "DryRunOperationException", DRY_RUN);
    let gdk = kms
        .generate_data_key()
        .key_id(id)
        .number_of_bytes(8)
        .dry_run(true)
        .send()
        .await;
    assert_error(gdk, "DryRunOperationException", DRY_RUN);
    let gdk_np = kms
        .generate_data_key_without_plaintext()
        .key_id(id)
        .key_spec(DataKeySpec::Aes256)
        .dry_run(true)
        .send()
        .await;
    assert_error(gdk_np, "DryRunOperationException", DRY_RUN);
    let reencrypt = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext)
        .destination_key_id(other.key_id())
        .dry_run(true)
        .send()
        .await;
    assert_error(reencrypt, "DryRunOperationException", DRY_RUN);
}

#[tokio::test]
async fn ciphertexts_from_before_a_rotation_still_decrypt() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let first = current_material(&kms, md.key_id()).await;
    let old = encrypt(&kms, md.key_id(), b"before", &[("when", "before")]).await;

    kms.rotate_key_on_demand()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();

    // SPEC A44: a new current material; old ciphertexts decrypt with the old one.
    let second = current_material(&kms, md.key_id()).await;
    assert_ne!(first, second);
    assert!(is_hex64(&second));
    let back = kms
        .decrypt()
        .ciphertext_blob(old)
        .encryption_context("when", "before")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), b"before");
    assert_eq!(back.key_material_id(), Some(first.as_str()));

    let new = encrypt(&kms, md.key_id(), b"after", &[]).await;
    let back = kms.decrypt().ciphertext_blob(new).send().await.unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), b"after");
    assert_eq!(back.key_material_id(), Some(second.as_str()));
    let gdk = kms
        .generate_data_key()
        .key_id(md.key_id())
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    assert_eq!(gdk.key_material_id(), Some(second.as_str()));
}

#[tokio::test]
async fn encrypt_with_an_unknown_alias() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let result = kms
        .encrypt()
        .key_id(format!("alias/{}", unique("missing")))
        .plaintext(Blob::new("x"))
        .send()
        .await;
    // SPEC D4.
    assert_code(result, "NotFoundException");
}

#[tokio::test]
async fn grant_tokens_are_limited_to_ten() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC D6: GrantTokens 0..10.
    let tokens: Vec<String> = (0..11).map(|i| format!("token-{i}")).collect();
    let result = kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("x"))
        .set_grant_tokens(Some(tokens))
        .send()
        .await;
    assert_code(result, "ValidationException");
}

#[tokio::test]
async fn no_secret_reaches_the_log() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let marker = format!("plaintext-marker-{}", unique("log"));
    let ciphertext = encrypt(&kms, md.key_id(), marker.as_bytes(), &[("ctx", "v")]).await;
    kms.decrypt()
        .ciphertext_blob(ciphertext.clone())
        .encryption_context("ctx", "v")
        .send()
        .await
        .unwrap();
    let _ = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .send()
        .await;

    // STYLE 5 / issue 2: no plaintext, ciphertext or secret access key in any log line.
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let log = server.log_text();
    for secret in [
        common::SECRET_A.to_string(),
        common::SECRET_B.to_string(),
        marker.clone(),
        engine.encode(marker.as_bytes()),
        engine.encode(ciphertext.as_ref()),
    ] {
        assert!(!log.contains(&secret), "the log holds a secret: {secret}");
    }
}
