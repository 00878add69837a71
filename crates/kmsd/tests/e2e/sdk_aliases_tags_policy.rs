//! Aliases through `aws-sdk-kms` (SPEC D14-D20), and aliases and tags per account. Tags are
//! in `sdk_tags.rs`, key policies and rotation in `sdk_policy_rotation.rs`. Aliases that
//! disappear with their key need the test clock and live with the scheduler tests.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeSet;

use crate::common::{
    assert_code, assert_error, create_key, kms_error, now_secs, unique, Server, ACCOUNT_A,
};
use aws_sdk_kms::types::Tag;

const REGION: &str = "us-east-1";
const PREFIX_MESSAGE: &str = "Alias must start with the prefix \"alias/\". Please see \
     https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

fn alias_arn(region: &str, alias: &str) -> String {
    format!("arn:aws:kms:{region}:{ACCOUNT_A}:{alias}")
}

// ---- aliases --------------------------------------------------------------------------------

#[tokio::test]
async fn create_alias_and_list_it_by_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let alias = format!("alias/{}", unique("list-me"));
    let before = now_secs();

    // SPEC D19: no output; the entry carries name, ARN, target key ID and dates.
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.arn().unwrap())
        .send()
        .await
        .unwrap();
    let out = kms.list_aliases().key_id(md.key_id()).send().await.unwrap();
    assert_eq!(out.aliases().len(), 1, "{out:?}");
    let entry = &out.aliases()[0];
    assert_eq!(entry.alias_name(), Some(alias.as_str()));
    assert_eq!(entry.alias_arn(), Some(alias_arn(REGION, &alias).as_str()));
    assert_eq!(entry.target_key_id(), Some(md.key_id()));
    let created = entry.creation_date().expect("CreationDate").secs();
    assert!((before - 5..=now_secs() + 5).contains(&created));
    assert!(!out.truncated());

    // The unfiltered listing has it too.
    let mut found = false;
    let mut marker = None;
    loop {
        let page = kms
            .list_aliases()
            .limit(100)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        found |= page
            .aliases()
            .iter()
            .any(|a| a.alias_name() == Some(alias.as_str()));
        if !page.truncated() {
            break;
        }
        marker = page.next_marker().map(str::to_string);
    }
    assert!(found);
}

#[tokio::test]
async fn alias_names_are_validated() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();

    // SPEC D14.
    let no_prefix = kms
        .create_alias()
        .alias_name("my-key")
        .target_key_id(id)
        .send()
        .await;
    assert_error(no_prefix, "ValidationException", PREFIX_MESSAGE);

    // SPEC D15: pattern and length.
    let bad = "alias/bad name!";
    let err = kms_error(
        kms.create_alias()
            .alias_name(bad)
            .target_key_id(id)
            .send()
            .await,
    );
    assert_eq!(
        (err.status, err.code.as_str()),
        (400, "ValidationException")
    );
    let expected = format!(
        "1 validation error detected: Value '{bad}' at 'aliasName' failed to satisfy constraint"
    );
    assert!(err.message.starts_with(&expected), "{err:?}");
    let long = format!("alias/{}", "a".repeat(251));
    let too_long = kms
        .create_alias()
        .alias_name(&long)
        .target_key_id(id)
        .send()
        .await;
    assert_code(too_long, "ValidationException");

    // SPEC D16: alias/aws/ is reserved (the exception is OPEN); nothing gets created.
    let reserved = format!("alias/aws/{}", unique("mine"));
    let err = kms_error(
        kms.create_alias()
            .alias_name(&reserved)
            .target_key_id(id)
            .send()
            .await,
    );
    assert_eq!(err.status, 400, "{err:?}");
    let listed = kms.list_aliases().key_id(id).send().await.unwrap();
    assert!(listed.aliases().is_empty(), "{listed:?}");
    let update = kms
        .update_alias()
        .alias_name("alias/aws/s3")
        .target_key_id(id)
        .send()
        .await;
    assert_eq!(kms_error(update).status, 400);
    let delete = kms.delete_alias().alias_name("alias/aws/s3").send().await;
    assert_eq!(kms_error(delete).status, 400);
}

#[tokio::test]
async fn alias_names_are_unique_per_region() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let first = create_key(&kms).await;
    let second = create_key(&kms).await;
    let alias = format!("alias/{}", unique("dup"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(first.key_id())
        .send()
        .await
        .unwrap();

    // SPEC D17.
    let dup = kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(second.key_id())
        .send()
        .await;
    let err = assert_code(dup, "AlreadyExistsException");
    assert!(err.message.contains(&alias), "{err:?}");

    // The same name in another region is another alias.
    let eu = server.client("eu-west-1");
    let eu_key = create_key(&eu).await;
    eu.create_alias()
        .alias_name(&alias)
        .target_key_id(eu_key.key_id())
        .send()
        .await
        .unwrap();
    let resolved = eu
        .describe_key()
        .key_id(&alias)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(resolved.key_id(), eu_key.key_id());
    let home = kms
        .describe_key()
        .key_id(&alias)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(home.key_id(), first.key_id());

    // A key may have many aliases; the target cannot be an alias.
    let another = format!("alias/{}", unique("second-name"));
    kms.create_alias()
        .alias_name(&another)
        .target_key_id(first.key_id())
        .send()
        .await
        .unwrap();
    let listed = kms
        .list_aliases()
        .key_id(first.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.aliases().len(), 2);
    let via_alias = kms
        .create_alias()
        .alias_name(format!("alias/{}", unique("chained")))
        .target_key_id(&alias)
        .send()
        .await;
    assert_eq!(kms_error(via_alias).status, 400);
}

#[tokio::test]
async fn update_alias_retargets_it() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let first = create_key(&kms).await;
    let second = create_key(&kms).await;
    let alias = format!("alias/{}", unique("moving"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(first.key_id())
        .send()
        .await
        .unwrap();

    kms.update_alias()
        .alias_name(&alias)
        .target_key_id(second.key_id())
        .send()
        .await
        .unwrap();
    let now = kms
        .describe_key()
        .key_id(&alias)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(now.key_id(), second.key_id());
    assert!(kms
        .list_aliases()
        .key_id(first.key_id())
        .send()
        .await
        .unwrap()
        .aliases()
        .is_empty());
    let listed = kms
        .list_aliases()
        .key_id(second.key_id())
        .send()
        .await
        .unwrap();
    let entry = &listed.aliases()[0];
    assert_eq!(entry.target_key_id(), Some(second.key_id()));
    assert!(entry.last_updated_date().unwrap().secs() >= entry.creation_date().unwrap().secs());

    // An alias that does not exist.
    let missing = kms
        .update_alias()
        .alias_name(format!("alias/{}", unique("ghost")))
        .target_key_id(second.key_id())
        .send()
        .await;
    assert_code(missing, "NotFoundException");
    // SPEC C5 [10]: a destination pending deletion is refused.
    let doomed = create_key(&kms).await;
    kms.schedule_key_deletion()
        .key_id(doomed.key_id())
        .send()
        .await
        .unwrap();
    let to_doomed = kms
        .update_alias()
        .alias_name(&alias)
        .target_key_id(doomed.key_id())
        .send()
        .await;
    let message = format!("{} is pending deletion.", doomed.arn().unwrap());
    assert_error(to_doomed, "KMSInvalidStateException", &message);
}

#[tokio::test]
async fn delete_alias() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let alias = format!("alias/{}", unique("gone"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();

    kms.delete_alias().alias_name(&alias).send().await.unwrap();
    assert_code(
        kms.describe_key().key_id(&alias).send().await,
        "NotFoundException",
    );
    assert_code(
        kms.delete_alias().alias_name(&alias).send().await,
        "NotFoundException",
    );
    // The key itself is untouched.
    kms.describe_key().key_id(md.key_id()).send().await.unwrap();
}

#[tokio::test]
async fn list_aliases_pages_by_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let mut created = BTreeSet::new();
    for i in 0..5 {
        let alias = format!("alias/{}", unique(&format!("page{i}")));
        kms.create_alias()
            .alias_name(&alias)
            .target_key_id(md.key_id())
            .send()
            .await
            .unwrap();
        created.insert(alias);
    }

    // SPEC D19, D33.
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = kms
            .list_aliases()
            .key_id(md.key_id())
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        sizes.push(page.aliases().len());
        seen.extend(
            page.aliases()
                .iter()
                .map(|a| a.alias_name().unwrap().to_string()),
        );
        if !page.truncated() {
            assert!(page.next_marker().is_none());
            break;
        }
        marker = Some(page.next_marker().expect("NextMarker").to_string());
        assert!(sizes.len() < 10);
    }
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), created);
}

#[tokio::test]
async fn aliases_and_tags_are_per_account() {
    let server = Server::shared();
    let a = server.client(REGION);
    let b = server.client_b(REGION);
    let key_a = create_key(&a).await;
    let key_b = create_key(&b).await;
    let alias = format!("alias/{}", unique("shared-name"));

    // SPEC D17: unique per account and region, so B may use the same name.
    a.create_alias()
        .alias_name(&alias)
        .target_key_id(key_a.key_id())
        .send()
        .await
        .unwrap();
    b.create_alias()
        .alias_name(&alias)
        .target_key_id(key_b.key_id())
        .send()
        .await
        .unwrap();
    let seen_by_b = b
        .describe_key()
        .key_id(&alias)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(seen_by_b.key_id(), key_b.key_id());
    // An alias cannot point at a key of another account.
    let foreign = b
        .create_alias()
        .alias_name(format!("alias/{}", unique("foreign")))
        .target_key_id(key_a.key_id())
        .send()
        .await;
    assert_code(foreign, "NotFoundException");
    // SPEC D23: keys in other accounts cannot be tagged.
    let tag_foreign = b
        .tag_resource()
        .key_id(key_a.key_id())
        .tags(tag("k", "v"))
        .send()
        .await;
    assert_code(tag_foreign, "NotFoundException");
}

#[tokio::test]
async fn list_markers_and_limits_are_checked() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC D33.
    let aliases = kms.list_aliases().marker("never-issued").send().await;
    assert_code(aliases, "InvalidMarkerException");
    let tags = kms
        .list_resource_tags()
        .key_id(md.key_id())
        .marker("never-issued")
        .send()
        .await;
    assert_code(tags, "InvalidMarkerException");
    let zero = kms.list_aliases().limit(0).send().await;
    assert_code(zero, "ValidationException");
}
