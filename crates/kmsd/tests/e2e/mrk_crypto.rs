//! Multi-Region keys through `aws-sdk-kms` against the real binary, part three: ciphertexts
//! crossing regions (SPEC B22), and the binding of a ciphertext to one set of related keys
//! (B23-B24). The same binding with identical imported material is in `mrk_import.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::mrk::{create_primary, replicate_and_wait, wait_state, Regions, AP, EU, SA, US};
use crate::common::{assert_error, create_key, key_arn, kms_error, unique, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeyState, OriginType};
use aws_sdk_kms::Client;

/// SPEC B24: Decrypt or ReEncrypt with a KeyId that is not the ciphertext's key.
const INCORRECT_KEY: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";

/// Issue 4 / SPEC D9a: the ciphertext's key does not exist in the region that was asked.
const NO_SUCH_KEY_HERE: &str = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/// A primary in us-east-1 with Enabled replicas in eu-west-1 and ap-southeast-2.
async fn key_in_three_regions(r: &Regions) -> String {
    let key = create_primary(&r.us, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();
    for (kms, region) in [(&r.eu, EU), (&r.ap, AP)] {
        replicate_and_wait(&r.us, kms, &key, region).await;
        wait_state(kms, &key, KeyState::Enabled).await;
    }
    key
}

/// Encrypt with an encryption context.
async fn seal(kms: &Client, key: &str, text: &str) -> Vec<u8> {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new(text))
        .encryption_context("purpose", "mrk-test")
        .send()
        .await
        .expect("Encrypt")
        .ciphertext_blob()
        .unwrap()
        .as_ref()
        .to_vec()
}

#[tokio::test]
async fn every_related_key_decrypts_every_other_ones_ciphertext_without_a_key_id() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;
    let regions = [(&r.us, US), (&r.eu, EU), (&r.ap, AP)];

    // SPEC B22: made in any region, opened in any region; the answer names the local key.
    for (from, from_region) in regions {
        let text = format!("sealed in {from_region}");
        let ciphertext = seal(from, &key, &text).await;
        for (to, to_region) in regions {
            let out = to
                .decrypt()
                .ciphertext_blob(Blob::new(ciphertext.clone()))
                .encryption_context("purpose", "mrk-test")
                .send()
                .await
                .unwrap_or_else(|e| panic!("{from_region} -> {to_region}: {e:?}"));
            assert_eq!(out.plaintext().unwrap().as_ref(), text.as_bytes());
            assert_eq!(out.key_id(), Some(key_arn(to_region, &key).as_str()));
        }
    }

    // The same for data keys (SPEC B22): generated in eu-west-1, unwrapped in us-east-1.
    let data_key =
        r.eu.generate_data_key()
            .key_id(&key)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .unwrap();
    let out =
        r.us.decrypt()
            .ciphertext_blob(data_key.ciphertext_blob().unwrap().clone())
            .send()
            .await
            .unwrap();
    assert_eq!(out.plaintext(), data_key.plaintext());

    // And ReEncrypt in ap-southeast-2 of a us-east-1 ciphertext into a local single-Region key.
    let local = create_key(&r.ap).await;
    let ciphertext = seal(&r.us, &key, "moved to a local key").await;
    let moved =
        r.ap.re_encrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .source_encryption_context("purpose", "mrk-test")
            .destination_key_id(local.key_id())
            .send()
            .await
            .unwrap();
    assert_eq!(moved.source_key_id(), Some(key_arn(AP, &key).as_str()));
    let out =
        r.ap.decrypt()
            .ciphertext_blob(moved.ciphertext_blob().unwrap().clone())
            .send()
            .await
            .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"moved to a local key");
}

#[tokio::test]
async fn a_key_id_naming_the_related_key_is_not_a_different_key() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;
    let alias = format!("alias/{}", unique("dublin"));
    r.eu.create_alias()
        .alias_name(&alias)
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    let ciphertext = seal(&r.us, &key, "from Virginia").await;

    // SPEC B24: the key ID, the local ARN or a local alias of the related key all fit.
    for key_id in [key.clone(), key_arn(EU, &key), alias] {
        let out =
            r.eu.decrypt()
                .ciphertext_blob(Blob::new(ciphertext.clone()))
                .encryption_context("purpose", "mrk-test")
                .key_id(&key_id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("Decrypt with KeyId {key_id}: {e:?}"));
        assert_eq!(out.plaintext().unwrap().as_ref(), b"from Virginia");
    }
}

#[tokio::test]
async fn a_key_id_naming_any_other_key_is_refused() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;
    let ciphertext = seal(&r.us, &key, "bound to one key set").await;

    // SPEC B23-B24: a single-Region key and an unrelated multi-Region key in the same region
    // are different keys.
    let single = create_key(&r.eu).await;
    let unrelated = create_primary(&r.us, OriginType::AwsKms).await;
    replicate_and_wait(&r.us, &r.eu, unrelated.key_id(), EU).await;
    for other in [single.key_id(), unrelated.key_id()] {
        assert_error(
            r.eu.decrypt()
                .ciphertext_blob(Blob::new(ciphertext.clone()))
                .encryption_context("purpose", "mrk-test")
                .key_id(other)
                .send()
                .await,
            "IncorrectKeyException",
            INCORRECT_KEY,
        );
        assert_error(
            r.eu.re_encrypt()
                .ciphertext_blob(Blob::new(ciphertext.clone()))
                .source_encryption_context("purpose", "mrk-test")
                .source_key_id(other)
                .destination_key_id(single.key_id())
                .send()
                .await,
            "IncorrectKeyException",
            INCORRECT_KEY,
        );
    }

    // SPEC 1.6: the related key's ARN of another region, sent to eu-west-1.
    assert_error(
        r.eu.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .encryption_context("purpose", "mrk-test")
            .key_id(key_arn(US, &key))
            .send()
            .await,
        "NotFoundException",
        &format!("Invalid arn {US}"),
    );

    // The other way round: the multi-Region key cannot open a single-Region key's ciphertext.
    let local = seal(&r.eu, single.key_id(), "single-Region").await;
    assert_error(
        r.eu.decrypt()
            .ciphertext_blob(Blob::new(local))
            .encryption_context("purpose", "mrk-test")
            .key_id(&key)
            .send()
            .await,
        "IncorrectKeyException",
        INCORRECT_KEY,
    );
}

#[tokio::test]
async fn a_region_without_a_related_key_denies_access_to_the_ciphertext() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;
    let ciphertext = seal(&r.eu, &key, "no key in Sao Paulo").await;

    // Issue 4, SPEC B22, D9a: sa-east-1 holds no related key. Without a KeyId: AccessDenied, 400.
    let err = kms_error(
        r.sa.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .encryption_context("purpose", "mrk-test")
            .send()
            .await,
    );
    assert_eq!(
        (err.status, err.code.as_str(), err.message.as_str()),
        (400, "AccessDeniedException", NO_SUCH_KEY_HERE)
    );
    assert_error(
        r.sa.re_encrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .source_encryption_context("purpose", "mrk-test")
            .destination_key_id(create_key(&r.sa).await.key_id())
            .send()
            .await,
        "AccessDeniedException",
        NO_SUCH_KEY_HERE,
    );

    // With a KeyId of a local single-Region key: that key is not the ciphertext's (SPEC B24).
    let local = create_key(&r.sa).await;
    assert_error(
        r.sa.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .encryption_context("purpose", "mrk-test")
            .key_id(local.key_id())
            .send()
            .await,
        "IncorrectKeyException",
        INCORRECT_KEY,
    );

    // Once a replica is made there, the same ciphertext opens (SPEC B12, B22).
    replicate_and_wait(&r.us, &r.sa, &key, SA).await;
    wait_state(&r.sa, &key, KeyState::Enabled).await;
    let out =
        r.sa.decrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_context("purpose", "mrk-test")
            .send()
            .await
            .unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"no key in Sao Paulo");
}
