//! Alias permissions through `aws-sdk-kms` against the binary (issue 5): CreateAlias,
//! UpdateAlias and DeleteAlias need the action on the alias ARN (identity policy) and on the
//! key (key policy, or identity policy where the key policy delegates).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::authz::{
    create_key_with_policy, denied, identity, key_policy, root_statement, Why, World, ALICE, BOB,
    REGION, ROOT_A,
};
use crate::common::{assert_error, create_key, unique, ACCOUNT_A};
use serde_json::json;

const DENIED: &str = "AccessDeniedException";

fn alias_arn(name: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:{name}")
}

fn alias_resources() -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:alias/*")
}

fn key_resources() -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:key/*")
}

#[tokio::test]
async fn create_alias_needs_the_alias_and_the_key() {
    let actions = ["kms:CreateAlias"];
    let world = World::start(&[
        // On aliases only.
        (
            ALICE,
            identity(
                json!([{"Effect": "Allow", "Action": actions, "Resource": alias_resources()}]),
            ),
        ),
        // On keys only.
        (
            BOB,
            identity(json!([{"Effect": "Allow", "Action": actions, "Resource": key_resources()}])),
        ),
    ]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();

    let name = unique("alias/needs-both");
    assert_error(
        world
            .client(ALICE)
            .create_alias()
            .alias_name(&name)
            .target_key_id(key.key_id())
            .send()
            .await,
        DENIED,
        &denied(ALICE, "kms:CreateAlias", arn, Why::NoIdentityAllow),
    );
    assert_error(
        world
            .client(BOB)
            .create_alias()
            .alias_name(&name)
            .target_key_id(key.key_id())
            .send()
            .await,
        DENIED,
        &denied(
            BOB,
            "kms:CreateAlias",
            &alias_arn(&name),
            Why::NoIdentityAllow,
        ),
    );
    let aliases = root
        .list_aliases()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    assert!(aliases.aliases().is_empty(), "{aliases:?}");
}

#[tokio::test]
async fn create_alias_with_both_permissions() {
    let both = identity(json!([{
        "Effect": "Allow",
        "Action": "kms:CreateAlias",
        "Resource": [alias_resources(), key_resources()]
    }]));
    let world = World::start(&[(ALICE, both)]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let name = unique("alias/both");

    world
        .client(ALICE)
        .create_alias()
        .alias_name(&name)
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();
    let described = root.describe_key().key_id(&name).send().await.unwrap();
    assert_eq!(described.key_metadata.unwrap().key_id(), key.key_id());
}

#[tokio::test]
async fn the_key_part_may_come_from_the_key_policy() {
    let world = World::start(&[(
        ALICE,
        identity(
            json!([{"Effect": "Allow", "Action": "kms:CreateAlias", "Resource": alias_resources()}]),
        ),
    )]);
    let root = world.client(ROOT_A);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "kms:CreateAlias", "Resource": "*"}
    ]));
    let key = create_key_with_policy(&root, &policy).await;

    world
        .client(ALICE)
        .create_alias()
        .alias_name(unique("alias/key-policy"))
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deny_in_the_key_policy_stops_create_alias() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Deny", "Principal": "*", "Action": "kms:CreateAlias", "Resource": "*"}
    ]));
    let key = create_key_with_policy(&root, &policy).await;

    assert_error(
        root.create_alias()
            .alias_name(unique("alias/denied"))
            .target_key_id(key.key_id())
            .send()
            .await,
        DENIED,
        &denied(
            ROOT_A,
            "kms:CreateAlias",
            key.arn().unwrap(),
            Why::ResourceDeny,
        ),
    );
}

#[tokio::test]
async fn update_and_delete_alias_need_the_alias_too() {
    // Bob may do anything to keys, nothing to aliases.
    let world = World::start(&[(
        BOB,
        identity(json!([{"Effect": "Allow", "Action": "kms:*", "Resource": key_resources()}])),
    )]);
    let root = world.client(ROOT_A);
    let first = create_key(&root).await;
    let second = create_key(&root).await;
    let name = unique("alias/managed");
    root.create_alias()
        .alias_name(&name)
        .target_key_id(first.key_id())
        .send()
        .await
        .unwrap();
    let bob = world.client(BOB);

    assert_error(
        bob.update_alias()
            .alias_name(&name)
            .target_key_id(second.key_id())
            .send()
            .await,
        DENIED,
        &denied(
            BOB,
            "kms:UpdateAlias",
            &alias_arn(&name),
            Why::NoIdentityAllow,
        ),
    );
    assert_error(
        bob.delete_alias().alias_name(&name).send().await,
        DENIED,
        &denied(
            BOB,
            "kms:DeleteAlias",
            &alias_arn(&name),
            Why::NoIdentityAllow,
        ),
    );
    let described = root.describe_key().key_id(&name).send().await.unwrap();
    assert_eq!(described.key_metadata.unwrap().key_id(), first.key_id());
}

#[tokio::test]
async fn update_alias_needs_both_keys() {
    // Alice may manage aliases and use UpdateAlias on the first key only.
    let world = World::start(&[(
        ALICE,
        identity(
            json!([{"Effect": "Allow", "Action": "kms:UpdateAlias", "Resource": alias_resources()}]),
        ),
    )]);
    let root = world.client(ROOT_A);
    let first = create_key(&root).await;
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "kms:UpdateAlias", "Resource": "*"}
    ]));
    let second = create_key_with_policy(&root, &policy).await;
    let name = unique("alias/moving");
    root.create_alias()
        .alias_name(&name)
        .target_key_id(first.key_id())
        .send()
        .await
        .unwrap();

    // AWS: UpdateAlias needs kms:UpdateAlias on the alias, the current key and the new key.
    assert_error(
        world
            .client(ALICE)
            .update_alias()
            .alias_name(&name)
            .target_key_id(second.key_id())
            .send()
            .await,
        DENIED,
        &denied(
            ALICE,
            "kms:UpdateAlias",
            first.arn().unwrap(),
            Why::NoIdentityAllow,
        ),
    );
}
