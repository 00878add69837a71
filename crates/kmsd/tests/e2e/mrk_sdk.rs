//! Multi-Region keys through `aws-sdk-kms` against the real binary, part one: creating a
//! primary (SPEC B1, B36), ReplicateKey's answer and the replica it makes (B5-B8, B12-B13),
//! and what ReplicateKey refuses (B9-B11). Shared and independent properties are in
//! `mrk_properties.rs`, ciphertexts in `mrk_crypto.rs`, primary changes and deletion in
//! `mrk_lifecycle.rs`, imported material in `mrk_import.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::mrk::{
    create_primary, key_type, primary_region, replicas, replicate, replicate_and_wait, wait_state,
    Regions, AP, EU, SA, US,
};
use crate::common::raw::{signed_call, Signer};
use crate::common::{
    assert_code, assert_error, create_key, key_arn, Server, ACCESS_A, ACCOUNT_A, SECRET_A,
};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, MultiRegionKeyType, OriginType, Tag};
use serde_json::{json, Value};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

/// `mrk-` and 32 lowercase hex digits (SPEC 1.2).
fn is_mrk_id(id: &str) -> bool {
    id.strip_prefix("mrk-").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

#[tokio::test]
async fn create_key_multi_region_makes_a_primary_with_an_mrk_id() {
    let server = Server::shared();
    let kms = server.client(US);

    let md = create_primary(&kms, OriginType::AwsKms).await;

    // SPEC 1.2, B1: the ID says multi-Region; the key is its own primary, with no replicas.
    assert!(is_mrk_id(md.key_id()), "{}", md.key_id());
    assert_eq!(md.arn(), Some(key_arn(US, md.key_id()).as_str()));
    assert_eq!(md.multi_region(), Some(true));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(key_type(&md), Some(&MultiRegionKeyType::Primary));
    let config = md.multi_region_configuration().unwrap();
    let primary = config.primary_key().expect("PrimaryKey");
    assert_eq!(primary.arn(), md.arn());
    assert_eq!(primary.region(), Some(US));
    assert!(config.replica_keys().is_empty(), "{config:?}");

    // DescribeKey says the same (SPEC B36).
    let described = kms
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(described, md);

    // Two primaries never share an ID.
    let other = create_primary(&kms, OriginType::AwsKms).await;
    assert_ne!(other.key_id(), md.key_id());
}

#[tokio::test]
async fn replicate_key_answers_the_new_replica_with_its_own_defaults() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let primary =
        r.us.create_key()
            .multi_region(true)
            .description("the primary's description")
            .tags(tag("owner", "primary"))
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
    let key = primary.key_id();

    let out =
        r.us.replicate_key()
            .key_id(key)
            .replica_region(EU)
            .tags(tag("site", "dublin"))
            .send()
            .await
            .unwrap();

    // SPEC B6-B7: the metadata of the new replica, still Creating, in its own region.
    let md = out.replica_key_metadata().expect("ReplicaKeyMetadata");
    let eu_arn = key_arn(EU, key);
    assert_eq!(md.key_id(), key);
    assert_eq!(md.arn(), Some(eu_arn.as_str()));
    assert_eq!(md.key_state(), Some(&KeyState::Creating));
    assert!(!md.enabled());
    assert_eq!(md.multi_region(), Some(true));
    assert_eq!(key_type(md), Some(&MultiRegionKeyType::Replica));
    assert_eq!(primary_region(md), Some(US));
    assert_eq!(
        md.multi_region_configuration()
            .and_then(|c| c.primary_key())
            .and_then(|k| k.arn()),
        primary.arn()
    );
    assert_eq!(replicas(md), vec![(EU.to_string(), eu_arn.clone())]);
    assert!(md.current_key_material_id().is_none(), "{md:?}");
    // The shared properties are the primary's (SPEC B12).
    assert_eq!(md.key_spec(), primary.key_spec());
    assert_eq!(md.key_usage(), primary.key_usage());
    assert_eq!(md.origin(), primary.origin());
    assert_eq!(md.encryption_algorithms(), primary.encryption_algorithms());

    // The independent ones are defaults, never copies of the primary's (SPEC B7): an empty
    // description, the default key policy, only the tags given.
    assert_eq!(md.description(), Some(""));
    let policy: Value = serde_json::from_str(out.replica_policy().expect("ReplicaPolicy")).unwrap();
    assert_eq!(policy["Id"], "key-default-1");
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policy}");
    assert_eq!(statements[0]["Sid"], "Enable IAM User Permissions");
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(
        statements[0]["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT_A}:root")
    );
    assert_eq!(statements[0]["Action"], "kms:*");
    assert_eq!(out.replica_tags(), &[tag("site", "dublin")]);

    // SPEC B8: Creating is transient; an AWS_KMS replica becomes Enabled with the primary's
    // current material.
    let replica = wait_state(&r.eu, key, KeyState::Enabled).await;
    assert!(replica.enabled());
    assert_eq!(
        replica.current_key_material_id(),
        primary.current_key_material_id()
    );
    assert_eq!(replica.description(), Some(""));
    let tags = r.eu.list_resource_tags().key_id(key).send().await.unwrap();
    assert_eq!(tags.tags(), &[tag("site", "dublin")]);
    let replica_policy = r.eu.get_key_policy().key_id(key).send().await.unwrap();
    assert_eq!(replica_policy.policy(), out.replica_policy());

    // SPEC B13, B36: the primary lists the replica, and the replica names the whole set.
    let now_primary =
        r.us.describe_key()
            .key_id(key)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
    assert_eq!(
        replicas(&now_primary),
        vec![(EU.to_string(), eu_arn.clone())]
    );
    assert_eq!(key_type(&now_primary), Some(&MultiRegionKeyType::Primary));
    assert_eq!(primary_region(&replica), Some(US));
    assert_eq!(key_type(&replica), Some(&MultiRegionKeyType::Replica));

    // A second replica: every related key lists both (SPEC B13, B36).
    replicate_and_wait(&r.us, &r.ap, key, AP).await;
    let both = vec![(AP.to_string(), key_arn(AP, key)), (EU.to_string(), eu_arn)];
    for kms in [&r.us, &r.eu, &r.ap] {
        let md = wait_for_replica_count(kms, key, 2).await;
        assert_eq!(replicas(&md), both, "{md:?}");
        assert_eq!(primary_region(&md), Some(US));
    }
}

/// DescribeKey of `key` once it lists `n` replicas.
async fn wait_for_replica_count(
    kms: &aws_sdk_kms::Client,
    key: &str,
    n: usize,
) -> aws_sdk_kms::types::KeyMetadata {
    common::mrk::wait_for(kms, key, "listing every replica", |md| {
        replicas(md).len() == n
    })
    .await
}

#[tokio::test]
async fn a_replica_being_created_can_already_be_managed() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = create_primary(&r.us, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();

    replicate(&r.us, &key, EU).await;

    // SPEC B8: while a replica is Creating it exists and can be managed; it is never absent
    // from its region once ReplicateKey has answered.
    let md =
        r.eu.describe_key()
            .key_id(&key)
            .send()
            .await
            .expect("DescribeKey in the replica region right after ReplicateKey")
            .key_metadata
            .unwrap();
    assert!(
        matches!(md.key_state(), Some(KeyState::Creating | KeyState::Enabled)),
        "{md:?}"
    );
    // A crypto call at this moment either works (Enabled) or fails [14] (Creating).
    let result =
        r.eu.encrypt()
            .key_id(&key)
            .plaintext(Blob::new("early"))
            .send()
            .await;
    if let Err(e) = result {
        assert_error::<(), _>(
            Err(e),
            "KMSInvalidStateException",
            &format!("{} is creating.", key_arn(EU, &key)),
        );
    }
    wait_state(&r.eu, &key, KeyState::Enabled).await;
}

#[tokio::test]
async fn replicate_key_speaks_the_model_wire_names() {
    let server = Server::shared();
    let kms = server.client(US);
    let key = create_primary(&kms, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();

    let signer = Signer {
        access: ACCESS_A,
        secret: SECRET_A,
        region: US,
        service: "kms",
    };
    let body = json!({"KeyId": key, "ReplicaRegion": SA}).to_string();
    let response = signed_call(server.addr(), signer, "ReplicateKey", body.as_bytes());

    // SPEC B6 and §9 row 10: the member is ReplicaPolicy, not the guide's ReplicaKeyPolicy.
    assert_eq!(
        response.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    let answer = response.json();
    let members: Vec<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(answer["ReplicaPolicy"].is_string(), "{answer}");
    assert!(answer["ReplicaKeyMetadata"].is_object(), "{answer}");
    assert!(answer.get("ReplicaKeyPolicy").is_none(), "{answer}");
    assert!(
        members
            .iter()
            .all(|m| ["ReplicaKeyMetadata", "ReplicaPolicy", "ReplicaTags"].contains(m)),
        "{answer}"
    );
    // SPEC 1.9: members without a value are left out, never null.
    let md = &answer["ReplicaKeyMetadata"];
    assert!(md.get("CurrentKeyMaterialId").is_none(), "{md}");
    assert!(md.get("DeletionDate").is_none(), "{md}");
    assert!(
        md.as_object().unwrap().values().all(|v| !v.is_null()),
        "{md}"
    );
}

#[tokio::test]
async fn replicate_key_refuses_regions_that_hold_a_related_key_or_lie_elsewhere() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = create_primary(&r.us, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();
    replicate_and_wait(&r.us, &r.eu, &key, EU).await;

    // SPEC B9: a region that already holds a replica.
    assert_code(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region(EU)
            .send()
            .await,
        "AlreadyExistsException",
    );
    // SPEC B9 (OPEN, decided AlreadyExistsException): the primary's own region.
    assert_code(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region(US)
            .send()
            .await,
        "AlreadyExistsException",
    );
    // SPEC B9: another partition (AWS GovCloud, China).
    for region in ["us-gov-west-1", "cn-north-1"] {
        assert_code(
            r.us.replicate_key()
                .key_id(&key)
                .replica_region(region)
                .send()
                .await,
            "ValidationException",
        );
    }
    // SPEC B5: ReplicaRegion must match `^([a-z]+-){2,3}\d+$`.
    assert_code(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region("Europe")
            .send()
            .await,
        "ValidationException",
    );

    // None of the refusals left anything behind: still one replica.
    let md = r.us.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        replicas(md.key_metadata().unwrap()),
        vec![(EU.to_string(), key_arn(EU, &key))]
    );
}

#[tokio::test]
async fn replicate_key_needs_an_enabled_multi_region_primary() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = create_primary(&r.us, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();
    replicate_and_wait(&r.us, &r.eu, &key, EU).await;

    // SPEC B10: a replica is not a primary; the message names the replica's ARN.
    assert_error(
        r.eu.replicate_key()
            .key_id(&key)
            .replica_region(AP)
            .send()
            .await,
        "UnsupportedOperationException",
        &format!("{} is not a multi-region primary key.", key_arn(EU, &key)),
    );
    // SPEC B10: nor is a single-Region key.
    let single = create_key(&r.us).await;
    assert_code(
        r.us.replicate_key()
            .key_id(single.key_id())
            .replica_region(AP)
            .send()
            .await,
        "UnsupportedOperationException",
    );

    // SPEC B11, C5 [1]: a disabled primary.
    r.us.disable_key().key_id(&key).send().await.unwrap();
    assert_error(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region(AP)
            .send()
            .await,
        "DisabledException",
        &format!("{} is disabled.", key_arn(US, &key)),
    );

    // SPEC B11, C5 [5]: an EXTERNAL primary still waiting for its material.
    let external = create_primary(&r.us, OriginType::External).await;
    assert_eq!(external.key_state(), Some(&KeyState::PendingImport));
    assert_error(
        r.us.replicate_key()
            .key_id(external.key_id())
            .replica_region(AP)
            .send()
            .await,
        "KMSInvalidStateException",
        &format!("{} is pending import.", key_arn(US, external.key_id())),
    );

    // No replica appeared in AP for any of them.
    for id in [key.as_str(), single.key_id(), external.key_id()] {
        assert_code(
            r.ap.describe_key().key_id(id).send().await,
            "NotFoundException",
        );
    }

    // Enabled again, the primary replicates.
    r.us.enable_key().key_id(&key).send().await.unwrap();
    replicate_and_wait(&r.us, &r.ap, &key, AP).await;
}

#[tokio::test]
async fn replicate_key_by_arn_and_unrelated_keys_share_a_region() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let first = create_primary(&r.us, OriginType::AwsKms).await;
    let second = create_primary(&r.us, OriginType::AwsKms).await;

    // SPEC B5: KeyId may be the primary's ARN.
    let out =
        r.us.replicate_key()
            .key_id(first.arn().unwrap())
            .replica_region(EU)
            .send()
            .await
            .unwrap();
    assert_eq!(out.replica_key_metadata().unwrap().key_id(), first.key_id());

    // SPEC B9: several unrelated multi-Region keys may live in one region.
    replicate(&r.us, second.key_id(), EU).await;
    for md in [&first, &second] {
        let replica = wait_state(&r.eu, md.key_id(), KeyState::Enabled).await;
        assert_eq!(primary_region(&replica), Some(US));
    }
}
