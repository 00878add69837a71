//! Condition keys through `aws-sdk-kms` against the binary (issue 5, "Condition keys"): each
//! test gives a principal a policy whose Condition uses one key, then sends a request that
//! matches it and one that does not.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::authz::{
    ciphertext, create_key_with_policy, denied, identity, key_policy, root_statement, Why, World,
    ALICE, BOB, CAROL, REGION, ROOT_A,
};
use crate::common::{assert_error, create_key, unique, ACCOUNT_A, ACCOUNT_B};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncryptionAlgorithmSpec, OriginType, Tag};
use serde_json::{json, Value};

const ENCRYPT: &str = "kms:Encrypt";

fn plaintext() -> Blob {
    Blob::new(b"conditions".to_vec())
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

/// An identity policy with one Allow of `actions` on every resource under `condition`.
fn allow_if(actions: &[&str], condition: Value) -> Value {
    identity(json!([{
        "Effect": "Allow",
        "Action": actions,
        "Resource": "*",
        "Condition": condition
    }]))
}

#[tokio::test]
async fn encryption_algorithm_matches_the_request_and_its_default() {
    let world = World::start(&[
        (
            ALICE,
            allow_if(
                &[ENCRYPT],
                json!({"StringEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}),
            ),
        ),
        (
            BOB,
            allow_if(
                &[ENCRYPT],
                json!({"StringEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}}),
            ),
        ),
    ]);
    let root = world.client(ROOT_A);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();

    let alice = world.client(ALICE);
    alice
        .encrypt()
        .key_id(key.key_id())
        .plaintext(plaintext())
        .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
        .send()
        .await
        .unwrap();
    // AWS: a condition on a request parameter also holds for the parameter's default value
    // when the request leaves it out (conditions-kms, "Conditions for an API operation
    // request").
    alice
        .encrypt()
        .key_id(key.key_id())
        .plaintext(plaintext())
        .send()
        .await
        .expect("Encrypt without EncryptionAlgorithm is SYMMETRIC_DEFAULT to the policy");

    let bob = world.client(BOB);
    assert_error(
        bob.encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
            .send()
            .await,
        "AccessDeniedException",
        &denied(BOB, ENCRYPT, arn, Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn for_all_values_of_encryption_context_keys() {
    let world = World::start(&[(
        ALICE,
        allow_if(
            &[ENCRYPT],
            json!({"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["purpose", "team"]}}),
        ),
    )]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();
    let encrypt = |context: &[(&str, &str)]| {
        let mut call = alice.encrypt().key_id(key.key_id()).plaintext(plaintext());
        for (k, v) in context {
            call = call.encryption_context(*k, *v);
        }
        call.send()
    };

    encrypt(&[("purpose", "backup")]).await.unwrap();
    encrypt(&[("purpose", "backup"), ("team", "blue")])
        .await
        .unwrap();
    assert_error(
        encrypt(&[("purpose", "backup"), ("owner", "alice")]).await,
        "AccessDeniedException",
        &denied(ALICE, ENCRYPT, arn, Why::NoIdentityAllow),
    );
    // ForAllValues of a key the request does not have is true, as in IAM.
    encrypt(&[]).await.unwrap();
}

#[tokio::test]
async fn resource_tag_decides_by_the_tags_of_the_key() {
    let world = World::start(&[(
        ALICE,
        allow_if(
            &[ENCRYPT],
            json!({"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        ),
    )]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let blue = root
        .create_key()
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let red = root
        .create_key()
        .tags(tag("team", "red"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let untagged = create_key(&root).await;

    ciphertext(&alice, blue.key_id()).await;
    for key in [&red, &untagged] {
        assert_error(
            alice
                .encrypt()
                .key_id(key.key_id())
                .plaintext(plaintext())
                .send()
                .await,
            "AccessDeniedException",
            &denied(ALICE, ENCRYPT, key.arn().unwrap(), Why::NoIdentityAllow),
        );
    }

    // Retagging the key changes the decision.
    root.tag_resource()
        .key_id(red.key_id())
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    ciphertext(&alice, red.key_id()).await;
}

#[tokio::test]
async fn request_tag_and_tag_keys_on_tag_resource() {
    let world = World::start(&[(
        ALICE,
        allow_if(
            &["kms:TagResource"],
            json!({
                "StringEquals": {"aws:RequestTag/team": ["blue", "green"]},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}
            }),
        ),
    )]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();
    let action = "kms:TagResource";

    alice
        .tag_resource()
        .key_id(key.key_id())
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    assert_error(
        alice
            .tag_resource()
            .key_id(key.key_id())
            .tags(tag("team", "red"))
            .send()
            .await,
        "AccessDeniedException",
        &denied(ALICE, action, arn, Why::NoIdentityAllow),
    );
    assert_error(
        alice
            .tag_resource()
            .key_id(key.key_id())
            .tags(tag("team", "green"))
            .tags(tag("cost-center", "42"))
            .send()
            .await,
        "AccessDeniedException",
        &denied(ALICE, action, arn, Why::NoIdentityAllow),
    );
    let tags = root
        .list_resource_tags()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(
        tags,
        vec![tag("team", "blue")],
        "a denied TagResource changes nothing"
    );
}

#[tokio::test]
async fn request_tag_and_tag_keys_on_create_key() {
    let world = World::start(&[(
        BOB,
        identity(json!([
            {
                "Effect": "Allow",
                "Action": "kms:CreateKey",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:RequestTag/team": "blue"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}
                }
            },
            {"Effect": "Allow", "Action": "kms:TagResource", "Resource": "*"}
        ])),
    )]);
    let bob = world.client(BOB);
    let refused = denied(BOB, "kms:CreateKey", "*", Why::NoIdentityAllow);

    let md = bob
        .create_key()
        .tags(tag("team", "blue"))
        .tags(tag("owner", "bob"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.key_manager().map(|m| m.as_str()), Some("CUSTOMER"));
    assert_error(
        bob.create_key().tags(tag("team", "red")).send().await,
        "AccessDeniedException",
        &refused,
    );
    assert_error(
        bob.create_key()
            .tags(tag("team", "blue"))
            .tags(tag("project", "x"))
            .send()
            .await,
        "AccessDeniedException",
        &refused,
    );
    assert_error(
        bob.create_key().send().await,
        "AccessDeniedException",
        &refused,
    );
}

#[tokio::test]
async fn key_origin_and_multi_region_on_create_key() {
    let world = World::start(&[(
        BOB,
        identity(json!([
            {
                "Effect": "Allow",
                "Action": "kms:CreateKey",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:KeyOrigin": "AWS_KMS"},
                    "Bool": {"kms:MultiRegion": "false"}
                }
            },
            {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"}
        ])),
    )]);
    let bob = world.client(BOB);
    let refused = denied(BOB, "kms:CreateKey", "*", Why::NoIdentityAllow);

    // Both keys hold for the defaults of a request that does not name them.
    bob.create_key().send().await.unwrap();
    bob.create_key()
        .origin(OriginType::AwsKms)
        .multi_region(false)
        .send()
        .await
        .unwrap();
    assert_error(
        bob.create_key().origin(OriginType::External).send().await,
        "AccessDeniedException",
        &refused,
    );
    assert_error(
        bob.create_key().multi_region(true).send().await,
        "AccessDeniedException",
        &refused,
    );
}

#[tokio::test]
async fn request_alias_is_the_alias_the_request_names() {
    let world = World::start(&[(
        ALICE,
        allow_if(
            &[ENCRYPT],
            json!({"StringLike": {"kms:RequestAlias": "alias/app-*"}}),
        ),
    )]);
    let root = world.client(ROOT_A);
    let alice = world.client(ALICE);
    let key = create_key(&root).await;
    let arn = key.arn().unwrap();
    let app = unique("alias/app");
    let other = unique("alias/other");
    for name in [&app, &other] {
        root.create_alias()
            .alias_name(name)
            .target_key_id(key.key_id())
            .send()
            .await
            .unwrap();
    }

    ciphertext(&alice, &app).await;
    for id in [other.as_str(), key.key_id(), arn] {
        assert_error(
            alice
                .encrypt()
                .key_id(id)
                .plaintext(plaintext())
                .send()
                .await,
            "AccessDeniedException",
            &denied(ALICE, ENCRYPT, arn, Why::NoIdentityAllow),
        );
    }
}

#[tokio::test]
async fn requested_region_is_the_region_of_the_request() {
    let world = World::start(&[(
        ALICE,
        allow_if(
            &[ENCRYPT],
            json!({"StringEquals": {"aws:RequestedRegion": REGION}}),
        ),
    )]);
    let us_key = create_key(&world.client(ROOT_A)).await;
    let eu_key = create_key(&world.client_in(ROOT_A, "eu-west-1")).await;

    ciphertext(&world.client(ALICE), us_key.key_id()).await;
    assert_error(
        world
            .client_in(ALICE, "eu-west-1")
            .encrypt()
            .key_id(eu_key.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(ALICE, ENCRYPT, eu_key.arn().unwrap(), Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn principal_arn_in_a_key_policy() {
    let world = World::start(&[]);
    let root = world.client(ROOT_A);
    let policy = key_policy(json!([
        root_statement(ACCOUNT_A),
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ENCRYPT,
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": ALICE.arn}}
        }
    ]));
    let key = create_key_with_policy(&root, &policy).await;

    ciphertext(&world.client(ALICE), key.key_id()).await;
    assert_error(
        world
            .client(BOB)
            .encrypt()
            .key_id(key.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(BOB, ENCRYPT, key.arn().unwrap(), Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn caller_account_in_a_key_policy() {
    let carol_may_encrypt =
        identity(json!([{"Effect": "Allow", "Action": ENCRYPT, "Resource": "*"}]));
    let world = World::start(&[(CAROL, carol_may_encrypt)]);
    let root = world.client(ROOT_A);
    // Anyone of account A may encrypt: no root statement, so nothing is delegated.
    let policy = key_policy(json!([{
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ENCRYPT,
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT_A}}
    }]));
    let key = create_key_with_policy(&root, &policy).await;
    let arn = key.arn().unwrap();

    ciphertext(&world.client(ALICE), key.key_id()).await;
    ciphertext(&world.client(BOB), arn).await;
    assert_error(
        world
            .client(CAROL)
            .encrypt()
            .key_id(arn)
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(CAROL, ENCRYPT, arn, Why::NoResourceAllow),
    );
    assert_ne!(ACCOUNT_A, ACCOUNT_B);
}

#[tokio::test]
async fn username_variable_in_a_condition() {
    // One policy, attached to both users: each may use the keys tagged with their name.
    let own_keys = allow_if(
        &[ENCRYPT],
        json!({"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}),
    );
    let world = World::start(&[(ALICE, own_keys.clone()), (BOB, own_keys)]);
    let root = world.client(ROOT_A);
    let alices = root
        .create_key()
        .tags(tag("owner", "alice"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();

    ciphertext(&world.client(ALICE), alices.key_id()).await;
    assert_error(
        world
            .client(BOB)
            .encrypt()
            .key_id(alices.key_id())
            .plaintext(plaintext())
            .send()
            .await,
        "AccessDeniedException",
        &denied(BOB, ENCRYPT, alices.arn().unwrap(), Why::NoIdentityAllow),
    );
}

#[tokio::test]
async fn username_variable_in_a_resource() {
    // Each user may name aliases after themselves, and point them at any key of the account.
    let own_aliases = identity(json!([{
        "Effect": "Allow",
        "Action": "kms:CreateAlias",
        "Resource": [
            format!("arn:aws:kms:*:{ACCOUNT_A}:alias/${{aws:username}}-*"),
            format!("arn:aws:kms:*:{ACCOUNT_A}:key/*")
        ]
    }]));
    let world = World::start(&[(ALICE, own_aliases.clone()), (BOB, own_aliases)]);
    let key = create_key(&world.client(ROOT_A)).await;
    let alice = world.client(ALICE);

    let mine = unique("alias/alice");
    alice
        .create_alias()
        .alias_name(&mine)
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();
    let bobs = unique("alias/bob");
    assert_error(
        alice
            .create_alias()
            .alias_name(&bobs)
            .target_key_id(key.key_id())
            .send()
            .await,
        "AccessDeniedException",
        &denied(
            ALICE,
            "kms:CreateAlias",
            &format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:{bobs}"),
            Why::NoIdentityAllow,
        ),
    );
    world
        .client(BOB)
        .create_alias()
        .alias_name(&bobs)
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn signing_algorithm_message_type_and_mac_algorithm() {
    use aws_sdk_kms::types::{
        KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
    };
    // Alice may sign only with ECDSA_SHA_256 over digests; Bob may make only SHA-256 MACs.
    let world = World::start(&[
        (
            ALICE,
            allow_if(
                &["kms:Sign"],
                json!({"StringEquals": {
                    "kms:SigningAlgorithm": "ECDSA_SHA_256",
                    "kms:MessageType": "DIGEST"
                }}),
            ),
        ),
        (
            BOB,
            allow_if(
                &["kms:GenerateMac"],
                json!({"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}}),
            ),
        ),
    ]);
    let root = world.client(ROOT_A);
    let signing = root
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();

    // A digest passes; a RAW message (the default, as the policy sees it) is denied.
    let alice = world.client(ALICE);
    let sign = |t: Option<MessageType>| {
        alice
            .sign()
            .key_id(signing.key_id())
            .message(Blob::new(vec![7u8; 32]))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .set_message_type(t)
            .send()
    };
    sign(Some(MessageType::Digest)).await.unwrap();
    assert_error(
        sign(None).await,
        "AccessDeniedException",
        &denied(
            ALICE,
            "kms:Sign",
            signing.arn().unwrap(),
            Why::NoIdentityAllow,
        ),
    );

    // The MAC condition: Bob's HMAC_256 key passes, an HMAC_384 key's algorithm does not.
    let bob = world.client(BOB);
    for (spec, alg, allowed) in [
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, true),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, false),
    ] {
        let key = root
            .create_key()
            .key_spec(spec)
            .key_usage(KeyUsageType::GenerateVerifyMac)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        let out = bob
            .generate_mac()
            .key_id(key.key_id())
            .message(plaintext())
            .mac_algorithm(alg)
            .send()
            .await;
        if allowed {
            out.unwrap();
        } else {
            assert_error(
                out,
                "AccessDeniedException",
                &denied(
                    BOB,
                    "kms:GenerateMac",
                    key.arn().unwrap(),
                    Why::NoIdentityAllow,
                ),
            );
        }
    }
}
