//! Multi-Region keys through `aws-sdk-kms` against the real binary, part two: the shared
//! properties the primary hands to its replicas (SPEC B12, B16, B20) and the independent ones
//! each related key keeps for itself (B17, B18).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::Instant;

use crate::common::import::{decrypt, encrypt};
use crate::common::mrk::{
    create_primary, replicate_and_wait, wait_state, Regions, AP, EU, US, WAIT,
};
use crate::common::{assert_code, assert_error, key_arn, unique, Server, ACCOUNT_A};
use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, OriginType, Tag};
use aws_sdk_kms::Client;

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

/// A primary in us-east-1 with an Enabled replica in eu-west-1; answers the key ID.
async fn primary_with_replica(r: &Regions) -> String {
    let key = create_primary(&r.us, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();
    replicate_and_wait(&r.us, &r.eu, &key, EU).await;
    wait_state(&r.eu, &key, KeyState::Enabled).await;
    key
}

async fn rotation_status(kms: &Client, key: &str) -> GetKeyRotationStatusOutput {
    kms.get_key_rotation_status()
        .key_id(key)
        .send()
        .await
        .expect("GetKeyRotationStatus")
}

/// Polls the rotation status of `key` until `done` holds.
async fn wait_rotation(
    kms: &Client,
    key: &str,
    what: &str,
    done: impl Fn(&GetKeyRotationStatusOutput) -> bool,
) -> GetKeyRotationStatusOutput {
    let start = Instant::now();
    loop {
        let status = rotation_status(kms, key).await;
        if done(&status) {
            return status;
        }
        assert!(
            start.elapsed() < WAIT,
            "{key}: rotation status still not {what}: {status:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn automatic_rotation_settings_of_the_primary_reach_every_replica() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = primary_with_replica(&r).await;
    assert!(!rotation_status(&r.eu, &key).await.key_rotation_enabled());

    // SPEC B16, B20: rotation is set on the primary and shows on the replica.
    r.us.enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();
    let status = wait_rotation(&r.eu, &key, "enabled", |s| s.key_rotation_enabled()).await;
    assert_eq!(status.rotation_period_in_days(), Some(180));
    assert_eq!(status.key_id(), Some(key_arn(EU, &key).as_str()));

    // A replica made later starts with the same settings (SPEC B12).
    replicate_and_wait(&r.us, &r.ap, &key, AP).await;
    let status = rotation_status(&r.ap, &key).await;
    assert!(status.key_rotation_enabled(), "{status:?}");
    assert_eq!(status.rotation_period_in_days(), Some(180));

    // Turning it off on the primary turns it off everywhere.
    r.us.disable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    for kms in [&r.eu, &r.ap] {
        wait_rotation(kms, &key, "disabled", |s| !s.key_rotation_enabled()).await;
    }
}

#[tokio::test]
async fn rotation_calls_on_a_replica_are_refused_naming_the_primary() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = primary_with_replica(&r).await;
    let primary_arn = key_arn(US, &key);

    // SPEC B20 (OPEN, decided UnsupportedOperationException) and A43 for RotateKeyOnDemand.
    let errors = [
        assert_code(
            r.eu.enable_key_rotation().key_id(&key).send().await,
            "UnsupportedOperationException",
        ),
        assert_code(
            r.eu.disable_key_rotation().key_id(&key).send().await,
            "UnsupportedOperationException",
        ),
        assert_code(
            r.eu.rotate_key_on_demand().key_id(&key).send().await,
            "UnsupportedOperationException",
        ),
    ];
    for err in errors {
        assert!(
            err.message.contains(&primary_arn),
            "the message should name the primary {primary_arn}: {err:?}"
        );
    }

    // Nothing changed: no rotation on either key, and the replica's material is the primary's.
    assert!(!rotation_status(&r.eu, &key).await.key_rotation_enabled());
    assert!(!rotation_status(&r.us, &key).await.key_rotation_enabled());
    let rotations = r.eu.list_key_rotations().key_id(&key).send().await.unwrap();
    assert!(rotations.rotations().is_empty(), "{rotations:?}");
}

#[tokio::test]
async fn new_material_of_the_primary_reaches_the_replicas_before_it_is_used() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = primary_with_replica(&r).await;
    let first = r.us.describe_key().key_id(&key).send().await.unwrap();
    let first = first
        .key_metadata()
        .unwrap()
        .current_key_material_id()
        .unwrap()
        .to_string();
    let old = encrypt(&r.us, &key, b"under the first material").await;

    // SPEC B20: no ciphertext is made under material a replica lacks. Right after each
    // rotation, whatever the primary encrypts decrypts in the replica at once.
    for round in 0..3 {
        r.us.rotate_key_on_demand()
            .key_id(&key)
            .send()
            .await
            .unwrap();
        let text = format!("right after rotation {round}");
        let ciphertext = encrypt(&r.us, &key, text.as_bytes()).await;
        let (plaintext, _) = decrypt(&r.eu, &ciphertext).await;
        assert_eq!(plaintext, text.as_bytes());
    }

    // SPEC B16: once delivered, both keys have the same current material, and the same list
    // of rotations.
    let rotations = |kms: Client| {
        let key = key.clone();
        async move {
            let out = kms.list_key_rotations().key_id(&key).send().await.unwrap();
            out.rotations()
                .iter()
                .map(|e| e.key_material_id().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    let start = Instant::now();
    loop {
        let us = rotations(r.us.clone()).await;
        let eu = rotations(r.eu.clone()).await;
        let eu_md = r.eu.describe_key().key_id(&key).send().await.unwrap();
        let us_md = r.us.describe_key().key_id(&key).send().await.unwrap();
        let eu_current = eu_md.key_metadata().unwrap().current_key_material_id();
        let us_current = us_md.key_metadata().unwrap().current_key_material_id();
        if us.len() == 3 && us == eu && eu_current == us_current {
            assert_ne!(us_current, Some(first.as_str()));
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the replica did not catch up: us {us:?} {us_current:?}, eu {eu:?} {eu_current:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Ciphertexts of every version decrypt in both regions, and in a replica made afterwards,
    // which receives every earlier version (SPEC B12).
    replicate_and_wait(&r.us, &r.ap, &key, AP).await;
    for kms in [&r.us, &r.eu, &r.ap] {
        let (plaintext, material) = decrypt(kms, &old).await;
        assert_eq!(plaintext, b"under the first material");
        assert_eq!(material.as_deref(), Some(first.as_str()));
    }
    let from_ap = encrypt(&r.ap, &key, b"from the late replica").await;
    let (plaintext, _) = decrypt(&r.us, &from_ap).await;
    assert_eq!(plaintext, b"from the late replica");
}

#[tokio::test]
async fn description_tags_policy_and_aliases_stay_with_their_key() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = primary_with_replica(&r).await;
    let primary_policy = r.us.get_key_policy().key_id(&key).send().await.unwrap();

    // SPEC B17: change each independent property on the replica.
    r.eu.update_key_description()
        .key_id(&key)
        .description("the Dublin copy")
        .send()
        .await
        .unwrap();
    r.eu.tag_resource()
        .key_id(&key)
        .tags(tag("site", "dublin"))
        .send()
        .await
        .unwrap();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Id":"replica-own","Statement":[{{"Sid":"Replica admins","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_A}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    r.eu.put_key_policy()
        .key_id(&key)
        .policy(&policy)
        .send()
        .await
        .unwrap();
    let alias = format!("alias/{}", unique("replica"));
    r.eu.create_alias()
        .alias_name(&alias)
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    // And on the primary, a different value of each.
    r.us.update_key_description()
        .key_id(&key)
        .description("the Virginia original")
        .send()
        .await
        .unwrap();
    r.us.tag_resource()
        .key_id(&key)
        .tags(tag("site", "virginia"))
        .send()
        .await
        .unwrap();

    // Even after the worker had every chance to deliver something, nothing crossed over.
    r.us.enable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    wait_rotation(&r.eu, &key, "enabled", |s| s.key_rotation_enabled()).await;
    let described = |kms: &Client| {
        let call = kms.describe_key().key_id(&key).send();
        async move { call.await.unwrap().key_metadata.unwrap() }
    };
    assert_eq!(
        described(&r.eu).await.description(),
        Some("the Dublin copy")
    );
    assert_eq!(
        described(&r.us).await.description(),
        Some("the Virginia original")
    );
    let tags = |kms: &Client| {
        let call = kms.list_resource_tags().key_id(&key).send();
        async move { call.await.unwrap().tags().to_vec() }
    };
    assert_eq!(tags(&r.eu).await, vec![tag("site", "dublin")]);
    assert_eq!(tags(&r.us).await, vec![tag("site", "virginia")]);
    let eu_policy = r.eu.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(eu_policy.policy(), Some(policy.as_str()));
    let us_policy = r.us.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(us_policy.policy(), primary_policy.policy());

    // SPEC B17, B42: an alias belongs to one region and one key.
    let listed = |kms: &Client| {
        let call = kms.list_aliases().key_id(&key).send();
        async move {
            call.await
                .unwrap()
                .aliases()
                .iter()
                .map(|a| a.alias_name().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(&r.eu).await, vec![alias.clone()]);
    assert!(listed(&r.us).await.is_empty());
    let ciphertext = encrypt(&r.eu, &alias, b"through the replica's alias").await;
    let (plaintext, _) = decrypt(&r.us, &ciphertext).await;
    assert_eq!(plaintext, b"through the replica's alias");
    assert_code(
        r.us.encrypt()
            .key_id(&alias)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn enabling_and_disabling_one_related_key_leaves_the_others_alone() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = primary_with_replica(&r).await;
    replicate_and_wait(&r.us, &r.ap, &key, AP).await;
    let ciphertext = encrypt(&r.us, &key, b"before anything was disabled").await;

    // SPEC B18: with the primary and the other replica disabled, the replica still works.
    r.us.disable_key().key_id(&key).send().await.unwrap();
    r.ap.disable_key().key_id(&key).send().await.unwrap();
    let eu = r.eu.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        eu.key_metadata().unwrap().key_state(),
        Some(&KeyState::Enabled)
    );
    let (plaintext, _) = decrypt(&r.eu, &ciphertext).await;
    assert_eq!(plaintext, b"before anything was disabled");
    let from_eu = encrypt(&r.eu, &key, b"while the others sleep").await;

    // The disabled keys refuse, each naming itself (SPEC C5 [1]).
    for (kms, region) in [(&r.us, US), (&r.ap, AP)] {
        assert_error(
            kms.decrypt()
                .ciphertext_blob(Blob::new(from_eu.clone()))
                .send()
                .await,
            "DisabledException",
            &format!("{} is disabled.", key_arn(region, &key)),
        );
    }

    // Enabling the primary enables nothing else; disabling the replica disables nothing else.
    r.us.enable_key().key_id(&key).send().await.unwrap();
    r.eu.disable_key().key_id(&key).send().await.unwrap();
    let state = |kms: &Client| {
        let call = kms.describe_key().key_id(&key).send();
        async move {
            call.await
                .unwrap()
                .key_metadata
                .unwrap()
                .key_state()
                .cloned()
        }
    };
    assert_eq!(state(&r.us).await, Some(KeyState::Enabled));
    assert_eq!(state(&r.eu).await, Some(KeyState::Disabled));
    assert_eq!(state(&r.ap).await, Some(KeyState::Disabled));
    let (plaintext, _) = decrypt(&r.us, &from_eu).await;
    assert_eq!(plaintext, b"while the others sleep");
}
