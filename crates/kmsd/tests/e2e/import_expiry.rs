//! Imported material against the running binary over time and at rest: a real ValidTo a few
//! seconds ahead (SPEC A36-A38; every other time-based rule runs in-process on a test clock),
//! expiry while the server is down, and no imported material in the clear in the data dir.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::import::{
    create_external, decrypt, describe, encrypt, import_forever, import_until, pending_import,
};
use crate::common::{assert_error, kms_error, now_secs, random_bytes, unique, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, Tag};
use aws_sdk_kms::Client;
use base64::Engine as _;

const REGION: &str = "us-east-1";

/// How long the material may outlive its ValidTo before the test gives up.
const EXPIRY_GRACE: Duration = Duration::from_secs(15);

/// Polls until `key` is PendingImport, or fails after `deadline`.
async fn wait_for_pending_import(kms: &Client, key: &str, deadline: Instant) {
    loop {
        if describe(kms, key).await.key_state() == Some(&KeyState::PendingImport) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "key {key} is still not PendingImport after its ValidTo"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn material_expires_at_its_valid_to() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();
    let alias = format!("alias/{}", unique("expiring"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let material = random_bytes(32);
    let valid_to = now_secs() + 3;
    let id = import_until(&kms, md.key_id(), &material, valid_to)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let ciphertext = encrypt(&kms, md.key_id(), b"written before expiry").await;

    // SPEC A36: once ValidTo has passed, the crypto path refuses the material at once, and the
    // key goes to PendingImport by itself.
    let deadline = Instant::now() + EXPIRY_GRACE;
    loop {
        let sent = now_secs();
        match kms
            .encrypt()
            .key_id(md.key_id())
            .plaintext(Blob::new("x"))
            .send()
            .await
        {
            Ok(_) => {
                assert!(
                    sent <= valid_to,
                    "Encrypt sent at {sent} succeeded with material valid to {valid_to}"
                );
            }
            Err(e) => {
                let err = kms_error::<(), _>(Err(e));
                assert_eq!(
                    (err.status, err.code.as_str(), err.message.as_str()),
                    (
                        400,
                        "KMSInvalidStateException",
                        pending_import(arn).as_str()
                    )
                );
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "material still usable after ValidTo"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    wait_for_pending_import(&kms, md.key_id(), deadline).await;

    // SPEC A36, A40: the same shape as a deletion; the key and its alias are kept.
    let got = describe(&kms, md.key_id()).await;
    assert!(!got.enabled());
    assert!(
        got.expiration_model().is_none() && got.valid_to().is_none(),
        "{got:?}"
    );
    assert_eq!(got.current_key_material_id(), Some(id.as_str()));
    assert_error(
        kms.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .send()
            .await,
        "KMSInvalidStateException",
        &pending_import(arn),
    );
    let aliases = kms.list_aliases().key_id(md.key_id()).send().await.unwrap();
    assert!(aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some(alias.as_str())));

    // SPEC A38: reimporting the same material brings the old ciphertext back.
    import_forever(&kms, md.key_id(), &material).await;
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::Enabled)
    );
    let (plaintext, used) = decrypt(&kms, &ciphertext).await;
    assert_eq!(plaintext, b"written before expiry");
    assert_eq!(used.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn material_expires_while_the_server_is_down() {
    let mut server = Server::start();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let tag = Tag::builder()
        .tag_key("kept")
        .tag_value("yes")
        .build()
        .unwrap();
    kms.tag_resource()
        .key_id(md.key_id())
        .tags(tag)
        .send()
        .await
        .unwrap();
    let material = random_bytes(32);
    let valid_to = now_secs() + 3;
    import_until(&kms, md.key_id(), &material, valid_to).await;
    let ciphertext = encrypt(&kms, md.key_id(), b"written before the outage").await;

    // Down across the ValidTo, then up again on the same data dir.
    server.kill();
    while now_secs() <= valid_to + 1 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server.respawn();
    let kms = server.client(REGION);

    // SPEC A36 (issue 3, "also if it was down at that moment"): refused at once after start.
    let arn = md.arn().unwrap();
    assert_error(
        kms.encrypt()
            .key_id(md.key_id())
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
        &pending_import(arn),
    );
    wait_for_pending_import(&kms, md.key_id(), Instant::now() + EXPIRY_GRACE).await;
    let tags = kms
        .list_resource_tags()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);

    import_forever(&kms, md.key_id(), &material).await;
    assert_eq!(
        decrypt(&kms, &ciphertext).await.0,
        b"written before the outage"
    );
}

/// Every file under `dir`, recursively, with its contents.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

/// Fails if any file under `dir` holds `material` raw, in hex or in base64.
fn assert_not_in_the_clear(dir: &Path, material: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let forms: Vec<(&str, Vec<u8>)> = vec![
        ("raw", material.to_vec()),
        ("hex", hex::encode(material).into_bytes()),
        ("HEX", hex::encode_upper(material).into_bytes()),
        ("base64", b64.encode(material).into_bytes()),
        (
            "base64url",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(material)
                .into_bytes(),
        ),
        // The first 16 bytes alone, in case the material is stored split.
        ("raw half", material[..16].to_vec()),
    ];
    let files = files_under(dir);
    assert!(!files.is_empty(), "no files under {}", dir.display());
    for (name, bytes) in &files {
        for (form, needle) in &forms {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "imported material ({form}) in the clear in {name}"
            );
        }
    }
}

#[tokio::test]
async fn imported_material_is_sealed_at_rest() {
    let mut server = Server::start();
    let kms = server.client(REGION);
    let material = random_bytes(32);
    let md = create_external(&kms).await;
    import_forever(&kms, md.key_id(), &material).await;
    // A second material and a reimport write the same bytes again.
    let second = random_bytes(32);
    let other = create_external(&kms).await;
    import_until(&kms, other.key_id(), &second, now_secs() + 86_400).await;
    import_forever(&kms, md.key_id(), &material).await;
    encrypt(&kms, md.key_id(), b"use it once").await;

    // While it runs (the WAL is a file like any other), and after it is gone.
    let data = server.data_dir();
    assert_not_in_the_clear(&data, &material);
    assert_not_in_the_clear(&data, &second);
    server.kill();
    assert_not_in_the_clear(&data, &material);
    assert_not_in_the_clear(&data, &second);

    // And the material survives a restart, sealed.
    server.respawn();
    let kms = server.client(REGION);
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::Enabled)
    );
    let ciphertext = encrypt(&kms, md.key_id(), b"after restart").await;
    assert_eq!(decrypt(&kms, &ciphertext).await.0, b"after restart");
}
