//! The policy lockout safety check through `aws-sdk-kms` against the binary (issue 5): a
//! key policy given to PutKeyPolicy or CreateKey must leave the caller able to call
//! PutKeyPolicy on the key, unless the request sets BypassPolicyLockoutSafetyCheck.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::authz::{
    allow_all_resources, denied, identity, key_policy, root_statement, Why, World, ALICE, BOB,
    ROOT_A,
};
use crate::common::{assert_error, create_key, ACCOUNT_A};
use serde_json::{json, Value};

const MALFORMED: &str = "MalformedPolicyDocumentException";
const LOCKOUT: &str =
    "The new key policy will not allow you to update the key policy in the future.";

/// A key policy that lets alice encrypt and nobody do anything else.
fn alice_encrypts_only() -> String {
    key_policy(json!([{
        "Effect": "Allow",
        "Principal": {"AWS": ALICE.arn},
        "Action": "kms:Encrypt",
        "Resource": "*"
    }]))
}

async fn policy_of(kms: &aws_sdk_kms::Client, key: &str) -> Value {
    let text = kms
        .get_key_policy()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn put_key_policy_refuses_a_policy_that_locks_the_caller_out() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let id = key.key_id();
    let before = policy_of(&root, id).await;

    assert_error(
        root.put_key_policy()
            .key_id(id)
            .policy(alice_encrypts_only())
            .send()
            .await,
        MALFORMED,
        LOCKOUT,
    );
    assert_error(
        root.put_key_policy()
            .key_id(id)
            .policy(alice_encrypts_only())
            .bypass_policy_lockout_safety_check(false)
            .send()
            .await,
        MALFORMED,
        LOCKOUT,
    );
    // An Allow of everything with a Deny of PutKeyPolicy locks out as well.
    let denies_put = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Deny", "Principal": {"AWS": ROOT_A.arn}, "Action": "kms:PutKeyPolicy", "Resource": "*"}
    ]));
    assert_error(
        root.put_key_policy()
            .key_id(id)
            .policy(denies_put)
            .send()
            .await,
        MALFORMED,
        LOCKOUT,
    );
    assert_eq!(
        policy_of(&root, id).await,
        before,
        "a refused policy is not stored"
    );
}

#[tokio::test]
async fn bypassing_the_check_stores_the_policy_and_locks_the_caller_out() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();

    root.put_key_policy()
        .key_id(key.key_id())
        .policy(alice_encrypts_only())
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();

    // The check was right: the root can no longer change (or read) the policy.
    assert_error(
        root.put_key_policy()
            .key_id(key.key_id())
            .policy(key_policy(json!([root_statement(ACCOUNT_A)])))
            .send()
            .await,
        "AccessDeniedException",
        &denied(ROOT_A, "kms:PutKeyPolicy", arn, Why::NoResourceAllow),
    );
    assert_error(
        root.get_key_policy().key_id(key.key_id()).send().await,
        "AccessDeniedException",
        &denied(ROOT_A, "kms:GetKeyPolicy", arn, Why::NoResourceAllow),
    );
    // And the new policy is in force.
    common::authz::ciphertext(&world.client(ALICE), key.key_id()).await;
}

#[tokio::test]
async fn a_policy_that_keeps_the_caller_in_passes_the_check() {
    let world = World::start(&[(ALICE, allow_all_resources(&["kms:*"]))]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;

    // Alice may call PutKeyPolicy later through the root statement and her identity policy.
    let with_alice = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "kms:Encrypt", "Resource": "*"}
    ]));
    world
        .client(ALICE)
        .put_key_policy()
        .key_id(key.key_id())
        .policy(&with_alice)
        .send()
        .await
        .unwrap();
    assert_eq!(
        policy_of(&root, key.key_id()).await,
        serde_json::from_str::<Value>(&with_alice).unwrap()
    );
}

#[tokio::test]
async fn the_check_is_made_for_the_caller_not_for_the_root() {
    // Alice may call PutKeyPolicy by identity policy; a policy naming only bob leaves her
    // nothing (no delegation to the account), so it locks her out although bob could still
    // change it.
    let world = World::start(&[(ALICE, allow_all_resources(&["kms:PutKeyPolicy"]))]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let without_alice = key_policy(json!([{
        "Effect": "Allow",
        "Principal": {"AWS": BOB.arn},
        "Action": "kms:*",
        "Resource": "*"
    }]));
    assert_error(
        world
            .client(ALICE)
            .put_key_policy()
            .key_id(key.key_id())
            .policy(without_alice)
            .send()
            .await,
        MALFORMED,
        LOCKOUT,
    );
}

#[tokio::test]
async fn create_key_refuses_a_policy_that_locks_the_caller_out() {
    let world = World::start(&[(
        BOB,
        allow_all_resources(&["kms:CreateKey", "kms:ListKeys", "kms:PutKeyPolicy"]),
    )]);
    let root = world.client(ROOT_A);
    let count = |kms: aws_sdk_kms::Client| async move {
        kms.list_keys()
            .limit(1000)
            .send()
            .await
            .unwrap()
            .keys()
            .len()
    };
    let keys_before = count(root.clone()).await;

    assert_error(
        root.create_key().policy(alice_encrypts_only()).send().await,
        MALFORMED,
        LOCKOUT,
    );
    assert_error(
        root.create_key()
            .policy(alice_encrypts_only())
            .bypass_policy_lockout_safety_check(false)
            .send()
            .await,
        MALFORMED,
        LOCKOUT,
    );
    // Bob may create keys and change policies (identity); a policy delegating to the account
    // keeps him in, one that names only alice does not.
    let bob = world.client(BOB);
    assert_error(
        bob.create_key().policy(alice_encrypts_only()).send().await,
        MALFORMED,
        LOCKOUT,
    );
    assert_eq!(count(root.clone()).await, keys_before, "no key was created");

    bob.create_key()
        .policy(key_policy(json!([root_statement(ACCOUNT_A)])))
        .send()
        .await
        .unwrap();
    root.create_key()
        .policy(key_policy(json!([root_statement(ACCOUNT_A)])))
        .send()
        .await
        .unwrap();
    assert_eq!(count(root).await, keys_before + 2);
}

#[tokio::test]
async fn create_key_with_the_bypass_creates_the_locked_key() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let md = root
        .create_key()
        .policy(alice_encrypts_only())
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let arn = md.arn().unwrap();

    assert_error(
        root.describe_key().key_id(md.key_id()).send().await,
        "AccessDeniedException",
        &denied(ROOT_A, "kms:DescribeKey", arn, Why::NoResourceAllow),
    );
    common::authz::ciphertext(&world.client(ALICE), md.key_id()).await;
}

#[tokio::test]
async fn the_check_sees_the_identity_deny_of_the_caller() {
    // A root statement delegates to alice's identity policies, which deny PutKeyPolicy.
    let world = World::start(&[(
        ALICE,
        identity(json!([
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:PutKeyPolicy", "Resource": "*",
             "Condition": {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}}}
        ])),
    )]);
    let alice = world.client(ALICE);
    let md = create_key(&alice).await;

    // The Deny applies only to requests that bypass the check: this one passes it.
    alice
        .put_key_policy()
        .key_id(md.key_id())
        .policy(key_policy(json!([root_statement(ACCOUNT_A)])))
        .send()
        .await
        .unwrap();
    // This one is refused before the check, by kms:BypassPolicyLockoutSafetyCheck.
    assert_error(
        alice
            .put_key_policy()
            .key_id(md.key_id())
            .policy(alice_encrypts_only())
            .bypass_policy_lockout_safety_check(true)
            .send()
            .await,
        "AccessDeniedException",
        &denied(
            ALICE,
            "kms:PutKeyPolicy",
            md.arn().unwrap(),
            Why::IdentityDeny,
        ),
    );
}
