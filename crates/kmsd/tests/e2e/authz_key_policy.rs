//! Key policies and identity policies combined, through `aws-sdk-kms` against the binary
//! (issue 5, "Evaluation" and "Denials"): the default key policy delegates to identity
//! policies, a key policy may name a user directly, an explicit Deny in either wins, a Deny
//! can be narrowed by the encryption context, and aws:SecureTransport is false over plain
//! HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::authz::{
    allow_all_resources, assert_decrypt_denied, ciphertext, create_key_with_policy, denied,
    identity, key_policy, root_statement, Why, World, ALICE, ROOT_A,
};
use crate::common::{assert_error, create_key, ACCOUNT_A};
use aws_sdk_kms::primitives::Blob;
use serde_json::json;

const ENCRYPT: &str = "kms:Encrypt";
const DECRYPT: &str = "kms:Decrypt";

fn plaintext() -> Blob {
    Blob::new(b"policy test".to_vec())
}

#[tokio::test]
async fn the_account_root_may_do_everything_under_the_default_key_policy() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let id = key.key_id();

    let blob = ciphertext(&root, id).await;
    let out = root.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(out.key_id(), Some(key.arn().unwrap()));
    root.describe_key().key_id(id).send().await.unwrap();
    root.generate_data_key()
        .key_id(id)
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    root.disable_key().key_id(id).send().await.unwrap();
    root.enable_key().key_id(id).send().await.unwrap();
    root.tag_resource()
        .key_id(id)
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("team")
                .tag_value("blue")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let policy = root
        .get_key_policy()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    root.put_key_policy()
        .key_id(id)
        .policy(policy)
        .send()
        .await
        .unwrap();
    root.enable_key_rotation().key_id(id).send().await.unwrap();
    root.schedule_key_deletion()
        .key_id(id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_without_identity_policy_is_denied_under_the_default_key_policy() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();

    assert_error(
        alice
            .encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(ALICE, ENCRYPT, arn, Why::NoIdentityAllow),
    );
    assert_error(
        alice.describe_key().key_id(arn).send().await,
        "AccessDeniedException",
        &denied(ALICE, "kms:DescribeKey", arn, Why::NoIdentityAllow),
    );
    let blob = ciphertext(&root, key.key_id()).await;
    assert_decrypt_denied(&alice, &blob, ALICE, arn, Why::NoIdentityAllow).await;
}

#[tokio::test]
async fn an_identity_policy_allowing_encrypt_allows_encrypt_and_nothing_else() {
    let world = World::start(&[(ALICE, allow_all_resources(&[ENCRYPT]))]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();

    let out = alice
        .encrypt()
        .key_id(key.key_id())
        .plaintext(plaintext())
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn));
    let blob = out.ciphertext_blob.unwrap();
    assert_decrypt_denied(&alice, &blob, ALICE, arn, Why::NoIdentityAllow).await;
    assert_error(
        alice
            .generate_data_key()
            .key_id(key.key_id())
            .number_of_bytes(32)
            .send()
            .await,
        "AccessDeniedException",
        &denied(ALICE, "kms:GenerateDataKey", arn, Why::NoIdentityAllow),
    );
    assert_error(
        alice.disable_key().key_id(key.key_id()).send().await,
        "AccessDeniedException",
        &denied(ALICE, "kms:DisableKey", arn, Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn a_key_policy_naming_the_user_allows_her_without_identity_policy() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);

    // With the root statement too: what the key policy grants alice needs no identity
    // policy; the rest is delegated to identity policies, and she has none.
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Sid": "Alice uses the key",
            "Effect": "Allow",
            "Principal": {"AWS": ALICE.arn},
            "Action": [ENCRYPT, DECRYPT],
            "Resource": "*"
        }
    ]));
    let key = create_key_with_policy(&root, &policy).await;
    let arn = key.arn().unwrap();
    let blob = ciphertext(&alice, key.key_id()).await;
    let out = alice.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(out.plaintext.unwrap().as_ref(), b"authorized");
    assert_error(
        alice.disable_key().key_id(key.key_id()).send().await,
        "AccessDeniedException",
        &denied(ALICE, "kms:DisableKey", arn, Why::NoIdentityAllow),
    );

    // Without it, nothing else is allowed to anyone: no resource-based policy allows it.
    let only_alice = key_policy(json!([{
        "Effect": "Allow",
        "Principal": {"AWS": [ALICE.arn]},
        "Action": ENCRYPT,
        "Resource": "*"
    }]));
    let key = create_key_with_policy(&root, &only_alice).await;
    let arn = key.arn().unwrap();
    ciphertext(&alice, key.key_id()).await;
    assert_error(
        alice.describe_key().key_id(key.key_id()).send().await,
        "AccessDeniedException",
        &denied(ALICE, "kms:DescribeKey", arn, Why::NoResourceAllow),
    );
    assert_error(
        root.encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(ROOT_A, ENCRYPT, arn, Why::NoResourceAllow),
    );
}

#[tokio::test]
async fn an_explicit_deny_in_the_key_policy_beats_an_identity_allow() {
    let world = World::start(&[(ALICE, allow_all_resources(&["kms:*"]))]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Sid": "No decryption for alice",
            "Effect": "Deny",
            "Principal": {"AWS": ALICE.arn},
            "Action": DECRYPT,
            "Resource": "*"
        }
    ]));
    let key = create_key_with_policy(&root, &policy).await;
    let arn = key.arn().unwrap();

    let blob = ciphertext(&alice, key.key_id()).await;
    assert_decrypt_denied(&alice, &blob, ALICE, arn, Why::ResourceDeny).await;
    // The Deny names alice only.
    root.decrypt().ciphertext_blob(blob).send().await.unwrap();
}

#[tokio::test]
async fn an_explicit_deny_in_an_identity_policy_beats_a_key_policy_allow() {
    let deny_decrypt = identity(json!([{"Effect": "Deny", "Action": DECRYPT, "Resource": "*"}]));
    let world = World::start(&[(ALICE, deny_decrypt)]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "kms:*", "Resource": "*"}
    ]));
    let key = create_key_with_policy(&root, &policy).await;
    let arn = key.arn().unwrap();

    let blob = ciphertext(&alice, key.key_id()).await;
    assert_decrypt_denied(&alice, &blob, ALICE, arn, Why::IdentityDeny).await;
    alice
        .describe_key()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deny_on_an_encryption_context_value_blocks_only_matching_requests() {
    let world = World::start(&[(ALICE, allow_all_resources(&[ENCRYPT]))]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ENCRYPT,
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "payroll"}}
        }
    ]));
    let key = create_key_with_policy(&root, &policy).await;
    let arn = key.arn().unwrap();

    for (who, kms) in [(ROOT_A, &root), (ALICE, &alice)] {
        let encrypt = |k: &str, v: &str| {
            kms.encrypt()
                .key_id(key.key_id())
                .plaintext(plaintext())
                .encryption_context(k, v)
                .send()
        };
        assert_error(
            encrypt("purpose", "payroll").await,
            "AccessDeniedException",
            &denied(who, ENCRYPT, arn, Why::ResourceDeny),
        );
        encrypt("purpose", "backup").await.unwrap();
        encrypt("team", "payroll").await.unwrap();
        kms.encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn deny_unless_secure_transport_denies_requests_over_plain_http() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Sid": "Deny unless TLS",
            "Effect": "Deny",
            "Principal": "*",
            "Action": [ENCRYPT, DECRYPT],
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }
    ]));
    // The Deny leaves PutKeyPolicy alone, so the lockout check passes without a bypass.
    let key = root
        .create_key()
        .policy(&policy)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let arn = key.arn().unwrap();
    assert!(world.server.endpoint().starts_with("http://"));
    assert_error(
        root.encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(ROOT_A, ENCRYPT, arn, Why::ResourceDeny),
    );
    // What the statement does not name still works over HTTP.
    root.generate_data_key()
        .key_id(key.key_id())
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();

    // The key is present and false, not absent: a Deny of requests over TLS does not apply.
    let tls_only_denied = key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ENCRYPT,
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}
        }
    ]));
    let key = create_key_with_policy(&root, &tls_only_denied).await;
    ciphertext(&root, key.key_id()).await;
}
