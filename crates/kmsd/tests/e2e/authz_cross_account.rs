//! A key of account A (111122223333) used from account B (444455556666) through
//! `aws-sdk-kms` against the binary (issue 5): by key ARN, for the operations AWS allows
//! across accounts, when the key policy allows account B (or the user) and the user's own
//! identity policy allows it too; never for a management operation.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::authz::{
    assert_decrypt_denied, ciphertext, create_key_with_policy, denied, identity, key_policy,
    root_statement, Why, World, CAROL, DAVE, REGION, ROOT_A, ROOT_B,
};
use crate::common::{assert_code, assert_error, create_key, ACCOUNT_A, ACCOUNT_B};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;
use serde_json::{json, Value};

const DENIED: &str = "AccessDeniedException";
const USE: [&str; 3] = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"];

fn plaintext() -> Blob {
    Blob::new(b"across accounts".to_vec())
}

/// Carol's identity policy: use (and, to show that it does not help, manage) account A's keys.
fn carol_policy() -> Value {
    identity(json!([{
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:DisableKey",
                   "kms:PutKeyPolicy", "kms:TagResource"],
        "Resource": format!("arn:aws:kms:*:{ACCOUNT_A}:key/*")
    }]))
}

/// A key policy: account A's root, and account B (delegated to B's identity policies) for
/// `actions`.
fn shared_with_b(actions: Value) -> String {
    key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Sid": "Account B uses the key",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_B}:root")},
            "Action": actions,
            "Resource": "*"
        }
    ]))
}

#[tokio::test]
async fn a_user_of_another_account_uses_a_key_by_arn_when_both_policies_allow() {
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let key = create_key_with_policy(&owner, &shared_with_b(json!(USE))).await;
    let arn = key.arn().unwrap();
    let carol = world.client(CAROL);

    let out = carol
        .encrypt()
        .key_id(arn)
        .plaintext(plaintext())
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn));
    let blob = out.ciphertext_blob.unwrap();

    // Decrypt finds the key in the ciphertext, with or without the ARN.
    let opened = carol
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.key_id(), Some(arn));
    assert_eq!(opened.plaintext.unwrap().as_ref(), b"across accounts");
    carol
        .decrypt()
        .ciphertext_blob(blob.clone())
        .key_id(arn)
        .send()
        .await
        .unwrap();
    // What carol encrypted, the owner decrypts.
    owner.decrypt().ciphertext_blob(blob).send().await.unwrap();

    let described = carol.describe_key().key_id(arn).send().await.unwrap();
    let md = described.key_metadata.unwrap();
    assert_eq!(md.aws_account_id(), Some(ACCOUNT_A));
    assert_eq!(md.arn(), Some(arn));

    // Account B's root has every permission of its account: the key policy suffices.
    ciphertext(&world.client(ROOT_B), arn).await;
}

#[tokio::test]
async fn without_the_key_policy_the_other_account_is_refused() {
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let key = create_key(&owner).await;
    let arn = key.arn().unwrap();
    let carol = world.client(CAROL);

    assert_error(
        carol
            .encrypt()
            .key_id(arn)
            .plaintext(plaintext())
            .send()
            .await,
        DENIED,
        &denied(CAROL, "kms:Encrypt", arn, Why::NoResourceAllow),
    );
    let blob = ciphertext(&owner, key.key_id()).await;
    assert_decrypt_denied(&carol, &blob, CAROL, arn, Why::NoResourceAllow).await;
    assert_error(
        carol.describe_key().key_id(arn).send().await,
        DENIED,
        &denied(CAROL, "kms:DescribeKey", arn, Why::NoResourceAllow),
    );
    // Not even account B's root.
    assert_error(
        world
            .client(ROOT_B)
            .encrypt()
            .key_id(arn)
            .plaintext(plaintext())
            .send()
            .await,
        DENIED,
        &denied(ROOT_B, "kms:Encrypt", arn, Why::NoResourceAllow),
    );
}

#[tokio::test]
async fn without_an_identity_policy_the_other_account_is_refused() {
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let key = create_key_with_policy(&owner, &shared_with_b(json!(USE))).await;
    let arn = key.arn().unwrap();
    let dave = world.client(DAVE);

    assert_error(
        dave.encrypt()
            .key_id(arn)
            .plaintext(plaintext())
            .send()
            .await,
        DENIED,
        &denied(DAVE, "kms:Encrypt", arn, Why::NoIdentityAllow),
    );
    let blob = ciphertext(&owner, key.key_id()).await;
    assert_decrypt_denied(&dave, &blob, DAVE, arn, Why::NoIdentityAllow).await;
    assert_error(
        dave.describe_key().key_id(arn).send().await,
        DENIED,
        &denied(DAVE, "kms:DescribeKey", arn, Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn a_key_policy_naming_the_foreign_user_still_needs_her_identity_policy() {
    // Across accounts, the key policy and the caller's identity policy must both allow,
    // even when the key policy names the user herself.
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Allow", "Principal": {"AWS": [CAROL.arn, DAVE.arn]}, "Action": USE, "Resource": "*"}
    ]));
    let key = create_key_with_policy(&owner, &policy).await;
    let arn = key.arn().unwrap();

    ciphertext(&world.client(CAROL), arn).await;
    assert_error(
        world
            .client(DAVE)
            .encrypt()
            .key_id(arn)
            .plaintext(plaintext())
            .send()
            .await,
        DENIED,
        &denied(DAVE, "kms:Encrypt", arn, Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn the_key_policy_limits_the_other_account_to_what_it_names() {
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let key = create_key_with_policy(&owner, &shared_with_b(json!(["kms:Encrypt"]))).await;
    let arn = key.arn().unwrap();
    let carol = world.client(CAROL);

    let blob = ciphertext(&carol, arn).await;
    assert_decrypt_denied(&carol, &blob, CAROL, arn, Why::NoResourceAllow).await;
}

#[tokio::test]
async fn a_key_of_another_account_is_not_found_by_key_id_or_alias() {
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let key = create_key_with_policy(&owner, &shared_with_b(json!(USE))).await;
    let carol = world.client(CAROL);

    // A bare key ID names a key of the caller's own account.
    let err = assert_code(
        carol
            .encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "NotFoundException",
    );
    assert_eq!(
        err.message,
        format!(
            "Key 'arn:aws:kms:{REGION}:{ACCOUNT_B}:key/{}' does not exist",
            key.key_id()
        )
    );
}

#[tokio::test]
async fn management_operations_are_refused_across_accounts() {
    let world = World::start(&[(CAROL, carol_policy())]);
    let owner = world.client(ROOT_A);
    let key = create_key_with_policy(&owner, &shared_with_b(json!("kms:*"))).await;
    let arn = key.arn().unwrap();
    let carol = world.client(CAROL);

    // Both policies allow DisableKey, but it is not an operation a key of another account
    // may be used for.
    let err = assert_code(carol.disable_key().key_id(arn).send().await, DENIED);
    assert!(
        err.message.starts_with(&format!(
            "User: {} is not authorized to perform: kms:DisableKey on resource: ",
            CAROL.arn
        )),
        "{err:?}"
    );
    let err = assert_code(
        carol
            .put_key_policy()
            .key_id(arn)
            .policy(shared_with_b(json!("kms:*")))
            .send()
            .await,
        DENIED,
    );
    assert!(err.message.contains("kms:PutKeyPolicy"), "{err:?}");
    assert_code(
        world
            .client(ROOT_B)
            .schedule_key_deletion()
            .key_id(arn)
            .send()
            .await,
        DENIED,
    );

    let md = owner
        .describe_key()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.deletion_date(), None);
    // What may cross accounts still does.
    ciphertext(&carol, arn).await;
}
