//! Key states through `aws-sdk-kms`: enable/disable, descriptions, deletion scheduling and
//! cancelling, the key-state errors of SPEC §C, and GetKeyLastUsage.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::{assert_code, assert_error, create_key, now_secs, unique, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyLastUsageTrackingOperation, KeyState, Tag};

const REGION: &str = "us-east-1";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

#[tokio::test]
async fn update_key_description() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = kms
        .create_key()
        .description("old")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();

    kms.update_key_description()
        .key_id(md.key_id())
        .description("new text")
        .send()
        .await
        .unwrap();
    let got = kms
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(got.description(), Some("new text"));
}

#[tokio::test]
async fn schedule_key_deletion_with_default_window() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC D24: default 30 days; the response KeyId is the ARN (D5).
    let out = kms
        .schedule_key_deletion()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), md.arn());
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(out.pending_window_in_days(), Some(30));
    let deletion = out.deletion_date().expect("DeletionDate").secs();
    let expected = now_secs() + 30 * 86_400;
    assert!(
        (deletion - expected).abs() < 600,
        "DeletionDate {deletion}, expected ~{expected}"
    );

    let got = kms
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(got.key_state(), Some(&KeyState::PendingDeletion));
    assert!(!got.enabled());
    assert_eq!(got.deletion_date().map(|d| d.secs()), Some(deletion));
}

#[tokio::test]
async fn schedule_key_deletion_window_is_7_to_30_days() {
    let server = Server::shared();
    let kms = server.client(REGION);

    for days in [7, 30] {
        let md = create_key(&kms).await;
        let out = kms
            .schedule_key_deletion()
            .key_id(md.key_id())
            .pending_window_in_days(days)
            .send()
            .await
            .unwrap();
        assert_eq!(out.pending_window_in_days(), Some(days));
        let deletion = out.deletion_date().unwrap().secs();
        assert!((deletion - (now_secs() + i64::from(days) * 86_400)).abs() < 600);
    }

    // SPEC D24: outside 7..30 fails ValidationException (the shape's 1..365 notwithstanding).
    let md = create_key(&kms).await;
    for days in [0, 1, 6, 31, 365, 366] {
        let result = kms
            .schedule_key_deletion()
            .key_id(md.key_id())
            .pending_window_in_days(days)
            .send()
            .await;
        assert_code(result, "ValidationException");
    }
    let got = kms
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(got.key_state(), Some(&KeyState::Enabled));
}

#[tokio::test]
async fn cancel_key_deletion_leaves_the_key_disabled() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    kms.schedule_key_deletion()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();

    // SPEC C3: CancelKeyDeletion always goes to Disabled; D5: KeyId is the ARN.
    let out = kms
        .cancel_key_deletion()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), md.arn());
    let got = kms
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(got.key_state(), Some(&KeyState::Disabled));
    assert!(got.deletion_date().is_none());

    kms.enable_key().key_id(md.key_id()).send().await.unwrap();
    kms.encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("back"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn cancel_key_deletion_of_a_key_not_pending_deletion() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let arn = md.arn().unwrap();

    // SPEC C4 row CancelKeyDeletion, footnote [4], for Enabled and Disabled.
    let enabled = kms.cancel_key_deletion().key_id(md.key_id()).send().await;
    assert_error(
        enabled,
        "KMSInvalidStateException",
        &format!("{arn} is not pending deletion."),
    );
    kms.disable_key().key_id(md.key_id()).send().await.unwrap();
    let disabled = kms.cancel_key_deletion().key_id(md.key_id()).send().await;
    assert_error(
        disabled,
        "KMSInvalidStateException",
        &format!("{arn} is not pending deletion."),
    );
}

#[tokio::test]
async fn crypto_on_a_disabled_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let arn = md.arn().unwrap().to_string();
    let ciphertext = kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("secret"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    kms.disable_key().key_id(md.key_id()).send().await.unwrap();

    // SPEC C4/C5 footnote [1].
    let message = format!("{arn} is disabled.");
    let encrypt = kms
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_error(encrypt, "DisabledException", &message);
    let decrypt = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .send()
        .await;
    assert_error(decrypt, "DisabledException", &message);
    let gdk = kms
        .generate_data_key()
        .key_id(md.key_id())
        .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
        .send()
        .await;
    assert_error(gdk, "DisabledException", &message);
    let gdk_np = kms
        .generate_data_key_without_plaintext()
        .key_id(md.key_id())
        .number_of_bytes(16)
        .send()
        .await;
    assert_error(gdk_np, "DisabledException", &message);
    let other = create_key(&kms).await;
    let reencrypt = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext)
        .destination_key_id(other.key_id())
        .send()
        .await;
    assert_error(reencrypt, "DisabledException", &message);

    // SPEC C4: the non-crypto rows still work on a Disabled key.
    kms.update_key_description()
        .key_id(md.key_id())
        .description("d")
        .send()
        .await
        .unwrap();
    kms.tag_resource()
        .key_id(md.key_id())
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    kms.get_key_policy()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn operations_on_a_key_pending_deletion() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();
    let arn = md.arn().unwrap().to_string();
    let ciphertext = kms
        .encrypt()
        .key_id(id)
        .plaintext(Blob::new("s"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    kms.schedule_key_deletion()
        .key_id(id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let message = format!("{arn} is pending deletion.");

    // SPEC C4/C5: crypto operations take [3] (the project's choice for "[2] or [3]").
    let encrypt = kms
        .encrypt()
        .key_id(id)
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_error(encrypt, "KMSInvalidStateException", &message);
    let decrypt = kms
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .send()
        .await;
    assert_error(decrypt, "KMSInvalidStateException", &message);
    let gdk = kms
        .generate_data_key()
        .key_id(id)
        .number_of_bytes(32)
        .send()
        .await;
    assert_error(gdk, "KMSInvalidStateException", &message);
    let other = create_key(&kms).await;
    let reencrypt = kms
        .re_encrypt()
        .ciphertext_blob(ciphertext)
        .destination_key_id(other.key_id())
        .send()
        .await;
    assert_error(reencrypt, "KMSInvalidStateException", &message);

    // Management rows with [3].
    assert_error(
        kms.enable_key().key_id(id).send().await,
        "KMSInvalidStateException",
        &message,
    );
    assert_error(
        kms.disable_key().key_id(id).send().await,
        "KMSInvalidStateException",
        &message,
    );
    let again = kms.schedule_key_deletion().key_id(id).send().await;
    assert_error(again, "KMSInvalidStateException", &message);
    let describe = kms
        .update_key_description()
        .key_id(id)
        .description("x")
        .send()
        .await;
    assert_error(describe, "KMSInvalidStateException", &message);
    let tag_it = kms
        .tag_resource()
        .key_id(id)
        .tags(tag("k", "v"))
        .send()
        .await;
    assert_error(tag_it, "KMSInvalidStateException", &message);
    let alias = kms
        .create_alias()
        .alias_name(format!("alias/{}", unique("pd")))
        .target_key_id(id)
        .send()
        .await;
    assert_error(alias, "KMSInvalidStateException", &message);
    let rotation = kms.enable_key_rotation().key_id(id).send().await;
    assert_error(rotation, "KMSInvalidStateException", &message);

    // SPEC C7: these succeed in every state.
    kms.describe_key().key_id(id).send().await.unwrap();
    kms.get_key_policy().key_id(id).send().await.unwrap();
    kms.list_key_policies().key_id(id).send().await.unwrap();
    kms.list_resource_tags().key_id(id).send().await.unwrap();
    kms.list_aliases().key_id(id).send().await.unwrap();
}

#[tokio::test]
async fn get_key_last_usage_after_encrypt() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    let fresh = kms
        .get_key_last_usage()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert!(
        fresh.key_last_usage().and_then(|u| u.operation()).is_none(),
        "{fresh:?}"
    );
    assert!(fresh.key_creation_date().is_some());

    let before = now_secs();
    kms.encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("use me"))
        .send()
        .await
        .unwrap();

    // Last use is recorded off the hot path, so it may show up a moment later; this polls
    // for that write, it does not wait for any time-dependent behaviour.
    let mut usage = None;
    for _ in 0..100 {
        let out = kms
            .get_key_last_usage()
            .key_id(md.key_id())
            .send()
            .await
            .unwrap();
        if let Some(last) = out.key_last_usage().filter(|u| u.operation().is_some()) {
            usage = Some(last.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let usage = usage.expect("GetKeyLastUsage never showed the Encrypt");
    assert_eq!(
        usage.operation(),
        Some(&KeyLastUsageTrackingOperation::Encrypt)
    );
    let at = usage.timestamp().expect("Timestamp").secs();
    assert!(
        (before - 5..=now_secs() + 5).contains(&at),
        "Timestamp {at}"
    );
}

#[tokio::test]
async fn rotation_rows_of_the_key_state_table() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();
    let arn = md.arn().unwrap().to_string();

    // SPEC C4: GetKeyRotationStatus is ?[7] in every state of an AWS_KMS key; C6 suggests
    // ListKeyRotations works in every state but Creating.
    kms.disable_key().key_id(id).send().await.unwrap();
    kms.get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    kms.list_key_rotations().key_id(id).send().await.unwrap();
    kms.schedule_key_deletion().key_id(id).send().await.unwrap();
    kms.get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    kms.list_key_rotations().key_id(id).send().await.unwrap();

    // SPEC C6: RotateKeyOnDemand on a key pending deletion takes [3]; C4: so does
    // DisableKeyRotation.
    let message = format!("{arn} is pending deletion.");
    let rotate = kms.rotate_key_on_demand().key_id(id).send().await;
    assert_error(rotate, "KMSInvalidStateException", &message);
    let disable = kms.disable_key_rotation().key_id(id).send().await;
    assert_error(disable, "KMSInvalidStateException", &message);
}

#[tokio::test]
async fn aliases_of_a_key_pending_deletion() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let doomed = create_key(&kms).await;
    let other = create_key(&kms).await;
    let moving = format!("alias/{}", unique("leaving"));
    let staying = format!("alias/{}", unique("staying"));
    for alias in [&moving, &staying] {
        kms.create_alias()
            .alias_name(alias)
            .target_key_id(doomed.key_id())
            .send()
            .await
            .unwrap();
    }
    kms.schedule_key_deletion()
        .key_id(doomed.key_id())
        .send()
        .await
        .unwrap();

    // SPEC C5 [10]: a source key pending deletion does not stop UpdateAlias.
    kms.update_alias()
        .alias_name(&moving)
        .target_key_id(other.key_id())
        .send()
        .await
        .unwrap();
    let now = kms
        .describe_key()
        .key_id(&moving)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(now.key_id(), other.key_id());
    // SPEC C7: DeleteAlias succeeds in every state.
    kms.delete_alias()
        .alias_name(&staying)
        .send()
        .await
        .unwrap();
    assert_code(
        kms.describe_key().key_id(&staying).send().await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn pending_deletion_shows_in_describe_key_until_cancelled() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let out = kms
        .schedule_key_deletion()
        .key_id(md.arn().unwrap())
        .pending_window_in_days(9)
        .send()
        .await
        .unwrap();
    assert_eq!(out.pending_window_in_days(), Some(9));

    // ListKeys still lists a key pending deletion.
    let mut listed = false;
    let mut marker = None;
    loop {
        let page = kms
            .list_keys()
            .limit(1000)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        listed |= page.keys().iter().any(|k| k.key_id() == Some(md.key_id()));
        if !page.truncated() {
            break;
        }
        marker = page.next_marker().map(str::to_string);
    }
    assert!(listed);

    kms.cancel_key_deletion()
        .key_id(md.arn().unwrap())
        .send()
        .await
        .unwrap();
    let again = kms.cancel_key_deletion().key_id(md.key_id()).send().await;
    let message = format!("{} is not pending deletion.", md.arn().unwrap());
    assert_error(again, "KMSInvalidStateException", &message);
}
