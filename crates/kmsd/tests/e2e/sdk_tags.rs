//! Tags through `aws-sdk-kms` (SPEC D21-D23): replacing values, untagging, the exact
//! TagException and ValidationException messages, the 50-tag limit and ListResourceTags
//! pagination.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeSet;

use crate::common::{assert_code, assert_error, create_key, Server};
use aws_sdk_kms::types::Tag;
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .unwrap()
}

async fn tags_of(kms: &Client, key: &str) -> BTreeSet<(String, String)> {
    let out = kms.list_resource_tags().key_id(key).send().await.unwrap();
    out.tags()
        .iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect()
}

#[tokio::test]
async fn tag_replace_and_untag() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();

    kms.tag_resource()
        .key_id(id)
        .tags(tag("Owner", "alice"))
        .tags(tag("cost", "7"))
        .send()
        .await
        .unwrap();
    // SPEC D21: same key replaces the value; keys are case-sensitive; "" is a value.
    kms.tag_resource()
        .key_id(id)
        .tags(tag("Owner", "bob"))
        .tags(tag("owner", ""))
        .send()
        .await
        .unwrap();
    let want: BTreeSet<(String, String)> = [
        ("Owner".to_string(), "bob".to_string()),
        ("cost".to_string(), "7".to_string()),
        ("owner".to_string(), String::new()),
    ]
    .into();
    assert_eq!(tags_of(&kms, id).await, want);

    // Untagging a key that is not there is a silent success.
    kms.untag_resource()
        .key_id(id)
        .tag_keys("cost")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    kms.untag_resource()
        .key_id(md.arn().unwrap())
        .tag_keys("owner")
        .send()
        .await
        .unwrap();
    let want: BTreeSet<(String, String)> = [("Owner".to_string(), "bob".to_string())].into();
    assert_eq!(tags_of(&kms, id).await, want);
}

#[tokio::test]
async fn tag_errors() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();

    // SPEC D22, exact messages.
    for reserved in ["aws:owner", "AWS:owner", "Aws:x"] {
        let result = kms
            .tag_resource()
            .key_id(id)
            .tags(tag(reserved, "v"))
            .send()
            .await;
        assert_error(
            result,
            "TagException",
            "Tags beginning with aws: are reserved",
        );
    }
    let dup = kms
        .tag_resource()
        .key_id(id)
        .tags(tag("k", "1"))
        .tags(tag("k", "2"))
        .send()
        .await;
    assert_error(dup, "TagException", "Duplicate tag keys");
    let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let result = kms
        .tag_resource()
        .key_id(id)
        .set_tags(Some(many))
        .send()
        .await;
    assert_error(result, "TagException", "Too many tags");

    let long_key = "k".repeat(129);
    let result = kms
        .tag_resource()
        .key_id(id)
        .tags(tag("fine", "v"))
        .tags(tag(&long_key, "v"))
        .send()
        .await;
    assert_error(
        result,
        "ValidationException",
        &format!(
            "1 validation error detected: Value '{long_key}' at 'tags.2.member.tagKey' failed to \
             satisfy constraint: Member must have length less than or equal to 128"
        ),
    );
    let long_value = "v".repeat(257);
    let result = kms
        .tag_resource()
        .key_id(id)
        .tags(tag("k", &long_value))
        .send()
        .await;
    assert_error(
        result,
        "ValidationException",
        &format!(
            "1 validation error detected: Value '{long_value}' at 'tags.1.member.tagValue' failed \
             to satisfy constraint: Member must have length less than or equal to 256"
        ),
    );
    // Nothing of the failed requests was applied.
    assert!(tags_of(&kms, id).await.is_empty());

    // The same rules hold on CreateKey (SPEC D23).
    let create = kms.create_key().tags(tag("aws:x", "v")).send().await;
    assert_error(
        create,
        "TagException",
        "Tags beginning with aws: are reserved",
    );
}

#[tokio::test]
async fn at_most_fifty_tags_per_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    kms.tag_resource()
        .key_id(md.key_id())
        .set_tags(Some(fifty))
        .send()
        .await
        .unwrap();

    // Replacing a value keeps the count at 50; a 51st key does not fit.
    kms.tag_resource()
        .key_id(md.key_id())
        .tags(tag("k0", "new"))
        .send()
        .await
        .unwrap();
    let result = kms
        .tag_resource()
        .key_id(md.key_id())
        .tags(tag("k50", "v"))
        .send()
        .await;
    assert_error(result, "TagException", "Too many tags");
    assert_eq!(tags_of(&kms, md.key_id()).await.len(), 50);
}

#[tokio::test]
async fn list_resource_tags_pages() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let tags: Vec<Tag> = (0..7)
        .map(|i| tag(&format!("t{i}"), &format!("v{i}")))
        .collect();
    kms.tag_resource()
        .key_id(md.key_id())
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();

    // SPEC D23, D33.
    let mut sizes = Vec::new();
    let mut seen = BTreeSet::new();
    let mut marker: Option<String> = None;
    loop {
        let page = kms
            .list_resource_tags()
            .key_id(md.key_id())
            .limit(3)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        sizes.push(page.tags().len());
        seen.extend(page.tags().iter().map(|t| t.tag_key().to_string()));
        if !page.truncated() {
            assert!(page.next_marker().is_none());
            break;
        }
        marker = Some(page.next_marker().expect("NextMarker").to_string());
        assert!(sizes.len() < 10);
    }
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(seen.len(), 7);
    let over = kms
        .list_resource_tags()
        .key_id(md.key_id())
        .limit(51)
        .send()
        .await;
    assert_code(over, "ValidationException");
}

#[tokio::test]
async fn untag_of_a_key_pending_deletion_is_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = kms
        .create_key()
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    kms.schedule_key_deletion()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();

    // SPEC C4 row TagResource, UntagResource: [3]; ListResourceTags works (C7).
    let result = kms
        .untag_resource()
        .key_id(md.key_id())
        .tag_keys("k")
        .send()
        .await;
    let message = format!("{} is pending deletion.", md.arn().unwrap());
    assert_error(result, "KMSInvalidStateException", &message);
    assert_eq!(tags_of(&kms, md.key_id()).await.len(), 1);
}
