//! Creating and finding keys through `aws-sdk-kms`: CreateKey, DescribeKey and its identifier
//! forms (SPEC 1.1-1.9, D1-D4), isolation between regions and accounts, ListKeys pagination
//! (D33), enable/disable. Deletion and the key-state errors are in `sdk_key_states.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeSet;

use crate::common::{
    assert_code, assert_error, create_key, is_hex64, is_key_uuid, key_arn, kms_error, now_secs,
    unique, Server, ACCOUNT_A, ACCOUNT_B,
};
use aws_sdk_kms::primitives::Blob;
#[allow(deprecated, reason = "SPEC 1.7: CustomerMasterKeySpec is checked")]
use aws_sdk_kms::types::CustomerMasterKeySpec;
use aws_sdk_kms::types::{
    EncryptionAlgorithmSpec, KeyManagerType, KeySpec, KeyState, KeyUsageType, OriginType, Tag,
};

const REGION: &str = "us-east-1";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

#[tokio::test]
async fn create_key_defaults() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let before = now_secs();

    let md = create_key(&kms).await;

    // SPEC 1.1, 1.3: a lowercase UUID and the key ARN built from region and account.
    assert!(is_key_uuid(md.key_id()), "key id {:?}", md.key_id());
    assert_eq!(md.arn(), Some(key_arn(REGION, md.key_id()).as_str()));
    assert_eq!(md.aws_account_id(), Some(ACCOUNT_A));
    // SPEC 1.7, 1.8: the defaults, and CustomerMasterKeySpec as the twin of KeySpec.
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    #[allow(
        deprecated,
        reason = "SPEC 1.7: the deprecated twin must still be sent"
    )]
    {
        assert_eq!(
            md.customer_master_key_spec(),
            Some(&CustomerMasterKeySpec::SymmetricDefault)
        );
    }
    assert_eq!(md.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(md.origin(), Some(&OriginType::AwsKms));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert!(md.enabled());
    assert_eq!(md.key_manager(), Some(&KeyManagerType::Customer));
    // SPEC 1.9: algorithms only for the key's usage; single-Region keys say so.
    assert_eq!(
        md.encryption_algorithms(),
        &[EncryptionAlgorithmSpec::SymmetricDefault]
    );
    assert!(md.signing_algorithms().is_empty());
    assert!(md.mac_algorithms().is_empty());
    assert_eq!(md.multi_region(), Some(false));
    assert!(md.multi_region_configuration().is_none());
    assert!(md.deletion_date().is_none());
    let material = md
        .current_key_material_id()
        .expect("CurrentKeyMaterialId (SPEC 1.9)");
    assert!(is_hex64(material), "CurrentKeyMaterialId {material:?}");
    let created = md.creation_date().expect("CreationDate").secs();
    assert!(
        (before - 5..=now_secs() + 5).contains(&created),
        "CreationDate {created}"
    );

    // DescribeKey answers the same metadata.
    let described = kms.describe_key().key_id(md.key_id()).send().await.unwrap();
    assert_eq!(described.key_metadata(), Some(&md));
}

#[tokio::test]
async fn create_key_with_description_and_tags() {
    let server = Server::shared();
    let kms = server.client(REGION);

    let md = kms
        .create_key()
        .description("payroll data")
        .tags(tag("team", "payroll"))
        .tags(tag("env", ""))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();

    assert_eq!(md.description(), Some("payroll data"));
    let tags = kms
        .list_resource_tags()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let got: BTreeSet<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("env".into(), String::new()),
        ("team".into(), "payroll".into()),
    ]
    .into();
    assert_eq!(got, want);
}

#[tokio::test]
async fn create_key_of_unserved_kinds_is_unsupported() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // SM2 keys belong to China regions and custom key stores are not served; every other
    // spec is (tested in the asym_* suites), as are EXTERNAL and multi-Region keys.
    let sm2 = kms
        .create_key()
        .key_spec(KeySpec::Sm2)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await;
    assert_code(sm2, "UnsupportedOperationException");
    let hsm = kms
        .create_key()
        .origin(OriginType::AwsCloudhsm)
        .send()
        .await;
    assert_code(hsm, "UnsupportedOperationException");
    // SPEC A4: custom key stores are rejected (project choice).
    let cks = kms
        .create_key()
        .custom_key_store_id("cks-1234567890abcdef0")
        .send()
        .await;
    assert_code(cks, "UnsupportedOperationException");
}

#[tokio::test]
async fn describe_key_by_every_identifier_form() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let alias = format!("alias/{}", unique("describe"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();

    // SPEC D1: key ID, key ARN, alias name and alias ARN all name the key.
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:{alias}");
    for id in [
        md.key_id().to_string(),
        md.arn().unwrap().to_string(),
        alias.clone(),
        alias_arn,
    ] {
        let got = kms
            .describe_key()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap();
        assert_eq!(got.key_id(), md.key_id(), "DescribeKey {id}");
        assert_eq!(got.arn(), md.arn(), "DescribeKey {id}");
    }

    // SPEC D4: an alias that does not exist.
    let missing = kms
        .describe_key()
        .key_id(format!("alias/{}", unique("none")))
        .send()
        .await;
    assert_code(missing, "NotFoundException");
}

#[tokio::test]
async fn describe_key_with_invalid_key_id() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // SPEC 1.4: neither UUID-shaped nor mrk-+32 hex.
    for bad in [
        "fake-key-id",
        "1234abcd12ab34cd56ef1234567890ab",
        "mrk-fake-key-id",
    ] {
        let result = kms.describe_key().key_id(bad).send().await;
        assert_error(
            result,
            "NotFoundException",
            &format!("Invalid keyId '{bad}'"),
        );
    }
}

#[tokio::test]
async fn describe_key_of_unknown_well_formed_id() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let id = "0b7fd7a1-3a8e-4b4f-9c51-8d2f3e4a5b6c";

    // SPEC 1.5: the message carries the ARN built from the caller's region and account.
    let result = kms.describe_key().key_id(id).send().await;
    assert_error(
        result,
        "NotFoundException",
        &format!("Key '{}' does not exist", key_arn(REGION, id)),
    );
    let by_arn = kms.describe_key().key_id(key_arn(REGION, id)).send().await;
    assert_error(
        by_arn,
        "NotFoundException",
        &format!("Key '{}' does not exist", key_arn(REGION, id)),
    );
}

#[tokio::test]
async fn describe_key_by_arn_of_another_region() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC 1.6: the ARN names us-east-1, the request goes to eu-west-1.
    let eu = server.client("eu-west-1");
    let result = eu.describe_key().key_id(md.arn().unwrap()).send().await;
    assert_error(result, "NotFoundException", "Invalid arn us-east-1");
}

#[tokio::test]
async fn keys_are_isolated_per_region() {
    let server = Server::shared();
    let us = server.client(REGION);
    let eu = server.client("eu-west-1");
    let md = create_key(&us).await;

    // SPEC 1.6 last sentence: a bare key ID of another region gives 1.5.
    let result = eu.describe_key().key_id(md.key_id()).send().await;
    let expected = format!("Key '{}' does not exist", key_arn("eu-west-1", md.key_id()));
    assert_error(result, "NotFoundException", &expected);

    let encrypt = eu
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_error(encrypt, "NotFoundException", &expected);

    let listed = eu.list_keys().limit(1000).send().await.unwrap();
    assert!(listed
        .keys()
        .iter()
        .all(|k| k.key_id() != Some(md.key_id())));
}

#[tokio::test]
async fn keys_are_isolated_per_account() {
    let server = Server::shared();
    let a = server.client(REGION);
    let b = server.client_b(REGION);
    let md = create_key(&a).await;

    // SPEC 1.5: account B's view of the same key ID is its own (empty) account.
    let result = b.describe_key().key_id(md.key_id()).send().await;
    let expected = format!(
        "Key 'arn:aws:kms:{REGION}:{ACCOUNT_B}:key/{}' does not exist",
        md.key_id()
    );
    assert_error(result, "NotFoundException", &expected);
    let encrypt = b
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_error(encrypt, "NotFoundException", &expected);

    let listed = b.list_keys().limit(1000).send().await.unwrap();
    assert!(listed
        .keys()
        .iter()
        .all(|k| k.key_id() != Some(md.key_id())));

    // B's own keys carry B's account.
    let own = create_key(&b).await;
    assert_eq!(own.aws_account_id(), Some(ACCOUNT_B));
    assert!(own
        .arn()
        .unwrap()
        .starts_with(&format!("arn:aws:kms:{REGION}:{ACCOUNT_B}:key/")));
}

#[tokio::test]
async fn list_keys_pages_through_every_key() {
    // A region no other test of this file uses, so the listing holds exactly our keys.
    let server = Server::shared();
    let region = "ap-south-2";
    let kms = server.client(region);
    let mut created = BTreeSet::new();
    for _ in 0..25 {
        created.insert(create_key(&kms).await.key_id().to_string());
    }

    // SPEC D33: Limit, Marker, Truncated; NextMarker only while truncated.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let page = kms
            .list_keys()
            .limit(10)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages.push(page.keys().len());
        for entry in page.keys() {
            let id = entry.key_id().unwrap().to_string();
            assert_eq!(entry.key_arn(), Some(key_arn(region, &id).as_str()));
            seen.push(id);
        }
        if !page.truncated() {
            assert!(page.next_marker().is_none(), "NextMarker on the last page");
            break;
        }
        marker = Some(
            page.next_marker()
                .expect("NextMarker when Truncated")
                .to_string(),
        );
        assert!(pages.len() < 10, "pagination does not end");
    }
    assert_eq!(pages, vec![10, 10, 5]);
    let unique_seen: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique_seen.len(), seen.len(), "a key listed twice");
    assert_eq!(unique_seen, created);

    // The default Limit (100) returns all 25 at once.
    let all = kms.list_keys().send().await.unwrap();
    assert_eq!(all.keys().len(), 25);
    assert!(!all.truncated());
}

#[tokio::test]
async fn list_keys_rejects_bad_limit_and_marker() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // SPEC D30, D33: Limit 1..1000.
    let zero = kms.list_keys().limit(0).send().await;
    assert_error(
        zero,
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1",
    );
    let big = kms.list_keys().limit(1001).send().await;
    assert_error(
        big,
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: \
         Member must have value less than or equal to 1000",
    );
    // SPEC D33: a marker the server never handed out.
    let marker = kms.list_keys().marker("not-a-marker-of-ours").send().await;
    assert_code(marker, "InvalidMarkerException");
}

#[tokio::test]
async fn disable_and_enable_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();

    kms.disable_key().key_id(id).send().await.unwrap();
    let disabled = kms
        .describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(disabled.key_state(), Some(&KeyState::Disabled));
    assert!(
        !disabled.enabled(),
        "Enabled iff KeyState is Enabled (SPEC 1.9)"
    );
    // SPEC C4: DisableKey and EnableKey succeed on a Disabled key.
    kms.disable_key()
        .key_id(md.arn().unwrap())
        .send()
        .await
        .unwrap();

    kms.enable_key().key_id(id).send().await.unwrap();
    let enabled = kms
        .describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(enabled.key_state(), Some(&KeyState::Enabled));
    assert!(enabled.enabled());
    kms.enable_key().key_id(id).send().await.unwrap();

    // SPEC 1.5 for a D2 operation.
    let unknown = "6f1d2c3b-4a59-4e8d-b7c6-a5b4c3d2e1f0";
    let result = kms.enable_key().key_id(unknown).send().await;
    let expected = format!("Key '{}' does not exist", key_arn(REGION, unknown));
    assert_error(result, "NotFoundException", &expected);
}

#[tokio::test]
async fn key_only_operations_reject_alias_names() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let alias = format!("alias/{}", unique("d2"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();

    // SPEC D2/D3: DisableKey takes only a key ID or key ARN; the exact answer is OPEN.
    let err = kms_error(kms.disable_key().key_id(&alias).send().await);
    assert_eq!(err.status, 400);
    assert!(
        [
            "NotFoundException",
            "InvalidArnException",
            "ValidationException"
        ]
        .contains(&err.code.as_str()),
        "{err:?}"
    );
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT_A}:{alias}");
    let err = kms_error(kms.disable_key().key_id(&alias_arn).send().await);
    assert_eq!(err.status, 400);
    assert!(
        [
            "NotFoundException",
            "InvalidArnException",
            "ValidationException"
        ]
        .contains(&err.code.as_str()),
        "{err:?}"
    );
    let tag_alias = kms.list_resource_tags().key_id(&alias).send().await;
    assert_eq!(kms_error(tag_alias).status, 400);
    let still = kms
        .describe_key()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(still.key_state(), Some(&KeyState::Enabled));
}
