//! Where the permissions of ReplicateKey are checked, through `aws-sdk-kms` against the
//! binary (SPEC B42): kms:ReplicateKey on the primary in its region, kms:CreateKey and (with
//! Tags) kms:TagResource by identity policy in the replica's region.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::authz::{denied, identity, Why, World, BOB};
use crate::common::mrk::{EU, US};
use crate::common::{assert_code, assert_error};
use aws_sdk_kms::types::Tag;
use serde_json::json;

const DENIED: &str = "AccessDeniedException";

/// Bob may create multi-Region keys in us-east-1 and replicate them; `replica` adds what he
/// may do in eu-west-1.
fn bob_policy(replica: &[&str]) -> serde_json::Value {
    identity(json!([
        {
            "Effect": "Allow",
            "Action": ["kms:CreateKey", "iam:CreateServiceLinkedRole", "kms:ReplicateKey",
                       "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": US}}
        },
        {
            "Effect": "Allow",
            "Action": replica,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": EU}}
        }
    ]))
}

async fn primary(world: &World) -> String {
    world
        .client_in(BOB, US)
        .create_key()
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_string()
}

fn team() -> Tag {
    Tag::builder()
        .tag_key("team")
        .tag_value("blue")
        .build()
        .unwrap()
}

#[tokio::test]
async fn replicate_key_needs_create_key_in_the_replica_region() {
    let world = World::start(&[(BOB, bob_policy(&["kms:DescribeKey"]))]);
    let key = primary(&world).await;
    let err = assert_code(
        world
            .client_in(BOB, US)
            .replicate_key()
            .key_id(&key)
            .replica_region(EU)
            .send()
            .await,
        DENIED,
    );
    assert_eq!(
        err.message,
        denied(BOB, "kms:CreateKey", "*", Why::NoIdentityAllow),
        "{err:?}"
    );
}

#[tokio::test]
async fn replicate_key_with_create_key_in_the_replica_region() {
    let world = World::start(&[(BOB, bob_policy(&["kms:CreateKey"]))]);
    let key = primary(&world).await;
    world
        .client_in(BOB, US)
        .replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn replicate_key_with_tags_needs_tag_resource_in_the_replica_region() {
    let world = World::start(&[(BOB, bob_policy(&["kms:CreateKey"]))]);
    let key = primary(&world).await;
    let bob = world.client_in(BOB, US);
    assert_error(
        bob.replicate_key()
            .key_id(&key)
            .replica_region(EU)
            .tags(team())
            .send()
            .await,
        DENIED,
        &denied(BOB, "kms:TagResource", "*", Why::NoIdentityAllow),
    );

    let world = World::start(&[(BOB, bob_policy(&["kms:CreateKey", "kms:TagResource"]))]);
    let key = primary(&world).await;
    world
        .client_in(BOB, US)
        .replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .tags(team())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn replicate_key_needs_replicate_key_on_the_primary() {
    // Everything in the replica region, but ReplicateKey denied in the primary's.
    let policy = identity(json!([
        {"Effect": "Allow", "Action": ["kms:*", "iam:CreateServiceLinkedRole"], "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:ReplicateKey", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": US}}}
    ]));
    let world = World::start(&[(BOB, policy)]);
    let key = primary(&world).await;
    let arn = format!("arn:aws:kms:{US}:{}:key/{key}", BOB.account);
    assert_error(
        world
            .client_in(BOB, US)
            .replicate_key()
            .key_id(&key)
            .replica_region(EU)
            .send()
            .await,
        DENIED,
        &denied(BOB, "kms:ReplicateKey", &arn, Why::IdentityDeny),
    );
}
