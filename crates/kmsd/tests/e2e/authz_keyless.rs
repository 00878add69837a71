//! Actions without a key through `aws-sdk-kms` against the binary (issue 5): CreateKey,
//! ListKeys, ListAliases, ListRetirableGrants and GenerateRandom are decided by identity
//! policies alone, on resource `*`; the account root needs none; CreateKey of a multi-Region
//! key also needs iam:CreateServiceLinkedRole (SPEC B42, "create primary").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::assert_error;
use crate::common::authz::{
    allow_all_resources, denied, identity, Why, World, ALICE, BOB, CAROL, ROOT_A, ROOT_B,
};
use aws_sdk_kms::types::Tag;
use serde_json::json;

const DENIED: &str = "AccessDeniedException";

#[tokio::test]
async fn the_account_roots_need_no_policy() {
    let world = World::start(&[]);
    for root in [ROOT_A, ROOT_B] {
        let kms = world.client(root);
        kms.create_key().send().await.unwrap();
        kms.create_key().multi_region(true).send().await.unwrap();
        kms.list_keys().send().await.unwrap();
        kms.list_aliases().send().await.unwrap();
        kms.list_retirable_grants()
            .retiring_principal(root.arn)
            .send()
            .await
            .unwrap();
        kms.generate_random()
            .number_of_bytes(16)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_user_without_identity_policy_may_call_none_of_them() {
    let world = World::start(&[]);
    let bob = world.client(BOB);
    let no = |action: &str| denied(BOB, action, "*", Why::NoIdentityAllow);

    assert_error(bob.create_key().send().await, DENIED, &no("kms:CreateKey"));
    assert_error(bob.list_keys().send().await, DENIED, &no("kms:ListKeys"));
    assert_error(
        bob.list_aliases().send().await,
        DENIED,
        &no("kms:ListAliases"),
    );
    assert_error(
        bob.list_retirable_grants()
            .retiring_principal(BOB.arn)
            .send()
            .await,
        DENIED,
        &no("kms:ListRetirableGrants"),
    );
    assert_error(
        bob.generate_random().number_of_bytes(16).send().await,
        DENIED,
        &no("kms:GenerateRandom"),
    );
}

#[tokio::test]
async fn an_identity_policy_allows_them() {
    let world = World::start(&[(
        BOB,
        allow_all_resources(&[
            "kms:CreateKey",
            "kms:ListKeys",
            "kms:ListAliases",
            "kms:ListRetirableGrants",
            "kms:GenerateRandom",
        ]),
    )]);
    let bob = world.client(BOB);

    let md = bob
        .create_key()
        .description("bob's")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let keys = bob.list_keys().send().await.unwrap();
    assert!(keys.keys().iter().any(|k| k.key_id() == Some(md.key_id())));
    bob.list_aliases().send().await.unwrap();
    bob.list_retirable_grants()
        .retiring_principal(BOB.arn)
        .send()
        .await
        .unwrap();
    let random = bob
        .generate_random()
        .number_of_bytes(24)
        .send()
        .await
        .unwrap();
    assert_eq!(random.plaintext.unwrap().as_ref().len(), 24);

    // The key bob created has the default policy, which delegates to his identity policy:
    // it does not name kms:DescribeKey, so he may not describe his own key.
    assert_error(
        bob.describe_key().key_id(md.key_id()).send().await,
        DENIED,
        &denied(
            BOB,
            "kms:DescribeKey",
            md.arn().unwrap(),
            Why::NoIdentityAllow,
        ),
    );

    // Another user of the account is still refused.
    assert_error(
        world.client(ALICE).list_keys().send().await,
        DENIED,
        &denied(ALICE, "kms:ListKeys", "*", Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn an_identity_deny_refuses_them_even_with_an_allow() {
    let world = World::start(&[(
        BOB,
        identity(json!([
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["kms:List*"], "Resource": "*"}
        ])),
    )]);
    let bob = world.client(BOB);
    bob.create_key().send().await.unwrap();
    assert_error(
        bob.list_keys().send().await,
        DENIED,
        &denied(BOB, "kms:ListKeys", "*", Why::IdentityDeny),
    );
    assert_error(
        bob.list_aliases().send().await,
        DENIED,
        &denied(BOB, "kms:ListAliases", "*", Why::IdentityDeny),
    );
}

#[tokio::test]
async fn a_multi_region_key_also_needs_create_service_linked_role() {
    let world = World::start(&[
        (BOB, allow_all_resources(&["kms:CreateKey"])),
        (
            ALICE,
            allow_all_resources(&["kms:CreateKey", "iam:CreateServiceLinkedRole"]),
        ),
    ]);

    let bob = world.client(BOB);
    bob.create_key().send().await.unwrap();
    bob.create_key().multi_region(false).send().await.unwrap();
    assert_error(
        bob.create_key().multi_region(true).send().await,
        DENIED,
        &denied(
            BOB,
            "iam:CreateServiceLinkedRole",
            "*",
            Why::NoIdentityAllow,
        ),
    );

    let md = world
        .client(ALICE)
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.multi_region(), Some(true));
}

#[tokio::test]
async fn create_key_with_tags_needs_tag_resource() {
    // AWS CreateKey, Tags: "To use this parameter, you must have kms:TagResource permission
    // in an IAM policy."
    let world = World::start(&[
        (BOB, allow_all_resources(&["kms:CreateKey"])),
        (
            ALICE,
            allow_all_resources(&["kms:CreateKey", "kms:TagResource"]),
        ),
    ]);
    let team = Tag::builder()
        .tag_key("team")
        .tag_value("blue")
        .build()
        .unwrap();

    let refused = world
        .client(BOB)
        .create_key()
        .tags(team.clone())
        .send()
        .await;
    let err = common::assert_code(refused, DENIED);
    assert!(
        err.message.starts_with(&format!(
            "User: {} is not authorized to perform: kms:TagResource on resource: ",
            BOB.arn
        )),
        "{err:?}"
    );
    world
        .client(ALICE)
        .create_key()
        .tags(team)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_of_the_other_account_is_decided_by_his_own_policies() {
    let world = World::start(&[(CAROL, allow_all_resources(&["kms:ListKeys"]))]);
    let carol = world.client(CAROL);
    carol.list_keys().send().await.unwrap();
    assert_error(
        carol.create_key().send().await,
        DENIED,
        &denied(CAROL, "kms:CreateKey", "*", Why::NoIdentityAllow),
    );
}
