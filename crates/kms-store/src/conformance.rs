//! The conformance suite every [`Store`] backend must pass, whatever its storage.
//!
//! Each contract of the trait is one public async function that panics on the first broken
//! expectation; [`run_all`] runs them all. The suite expects an empty store. Each contract uses
//! an account of its own, so the contracts do not see each other's keys, and only
//! [`keys_due`] writes keys that are ever due, since that listing spans every namespace.
//!
//! The suite is test code shipped in the library so that every backend's tests can run it;
//! a failed expectation is a failed test, hence the panics (`expect`) throughout.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use futures_util::future::join_all;

use kms_model::shapes::{
    GrantConstraints, GrantOperation, KeyMaterialState, KeySpec, KeyState, KeyUsageType,
    OriginType, Tag,
};
use kms_model::{AliasRecord, Blob, KeyRecord, MaterialVersion, RotationSettings, Timestamp};

use crate::{GrantRecord, Page, Store, StoreError};

mod grants;
mod outbox;
pub use grants::*;
pub use outbox::*;

/// The region most contracts use.
const REGION: &str = "us-east-1";

/// Runs every contract against `store`, which must start empty.
pub async fn run_all(store: &dyn Store) {
    create_and_get(store).await;
    namespaces(store).await;
    update_compare_and_swap(store).await;
    delete_key_and_its_aliases(store).await;
    list_keys_pages(store).await;
    keys_due(store).await;
    aliases(store).await;
    list_aliases_pages(store).await;
    concurrent_writes(store).await;
    outbox(store).await;
    outbox_per_target(store).await;
    grants_create_get_delete(store).await;
    grants_are_per_key_and_region(store).await;
    grants_by_name(store).await;
    list_grants_pages(store).await;
    retirable_grants(store).await;
    delete_key_deletes_its_grants(store).await;
}

/// A key ID made from a number: UUID-shaped, and ordered like the number.
pub fn key_id(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-000000000000")
}

/// A complete key record (tags, sealed material, policy), nothing ever due.
pub fn key_record(account: &str, region: &str, key_id: &str) -> KeyRecord {
    KeyRecord {
        account: account.into(),
        region: region.into(),
        key_id: key_id.into(),
        creation_date: Timestamp(1_700_000_000_123),
        description: "conformance key".into(),
        key_spec: KeySpec::SymmetricDefault,
        key_usage: KeyUsageType::EncryptDecrypt,
        origin: OriginType::AwsKms,
        state: KeyState::Enabled,
        deletion_date: None,
        pending_window_days: None,
        policy: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
        tags: vec![Tag {
            tag_key: "team".into(),
            tag_value: "storage".into(),
        }],
        rotation: RotationSettings::default(),
        materials: vec![MaterialVersion {
            id: "ab".repeat(32),
            sealed: Blob(vec![7; 60]),
            state: KeyMaterialState::Current,
            rotation_date: None,
            rotation_type: None,
            import: None,
        }],
        multi_region: None,
        last_usage: None,
        version: 0,
    }
}

/// An alias record pointing at `target`.
pub fn alias_record(account: &str, region: &str, name: &str, target: &str) -> AliasRecord {
    AliasRecord {
        account: account.into(),
        region: region.into(),
        name: name.into(),
        target_key_id: target.into(),
        creation_date: Timestamp(1_700_000_000_000),
        last_updated_date: Timestamp(1_700_000_000_000),
    }
}

/// A grant ID made from a number: 64 hex characters, ordered like the number.
pub fn grant_id(n: u32) -> String {
    format!("{n:08x}{}", "0".repeat(56))
}

/// A complete grant record (name, retiring principal, constraints) on a key.
pub fn grant_record(account: &str, region: &str, key_id: &str, grant_id: &str) -> GrantRecord {
    let context = [("purpose".to_string(), "backup".to_string())];
    GrantRecord {
        account: account.into(),
        region: region.into(),
        key_id: key_id.into(),
        grant_id: grant_id.into(),
        name: Some("conformance".into()),
        creation_date: Timestamp(1_700_000_000_000),
        grantee_principal: format!("arn:aws:iam::{account}:role/grantee"),
        retiring_principal: Some(format!("arn:aws:iam::{account}:role/retirer")),
        issuing_account: format!("arn:aws:iam::{account}:root"),
        operations: vec![GrantOperation::Encrypt, GrantOperation::Decrypt],
        constraints: Some(GrantConstraints {
            encryption_context_subset: Some(context.into_iter().collect()),
            encryption_context_equals: None,
        }),
    }
}

/// The grant IDs of a page.
fn grant_ids(page: &Page<GrantRecord>) -> Vec<String> {
    page.items.iter().map(|g| g.grant_id.clone()).collect()
}

/// The grant IDs `grants_of_key` answers for a key.
fn in_memory(store: &dyn Store, account: &str, region: &str, key_id: &str) -> Vec<String> {
    store
        .grants_of_key(account, region, key_id)
        .map(|g| g.iter().map(|g| g.grant_id.clone()).collect())
        .unwrap_or_default()
}

/// Creates a key with ID `key_id(n)` in the namespace and returns it.
async fn put_key(store: &dyn Store, account: &str, region: &str, n: u32) -> KeyRecord {
    let key = key_record(account, region, &key_id(n));
    store.create_key(&key).await.expect("create_key");
    key
}

/// Reads a key that must exist.
async fn must_get(store: &dyn Store, key: &KeyRecord) -> KeyRecord {
    store
        .get_key(&key.account, &key.region, &key.key_id)
        .await
        .expect("get_key")
        .expect("the key exists")
}

/// Every key ID of a namespace, read page by page of `limit`.
async fn all_key_ids(store: &dyn Store, account: &str, region: &str, limit: usize) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    loop {
        let after = ids.last().cloned();
        let page = store
            .list_keys(account, region, after.as_deref(), limit)
            .await;
        let page = page.expect("list_keys");
        ids.extend(page.items);
        if !page.truncated {
            return ids;
        }
    }
}

/// Created keys read back whole; a second create of the same identity is refused.
pub async fn create_and_get(store: &dyn Store) {
    let account = "100000000001";

    // A created key reads back equal, material and all.
    let key = put_key(store, account, REGION, 1).await;
    assert_eq!(must_get(store, &key).await, key);

    // An absent key reads as None.
    let missing = store
        .get_key(account, REGION, &key_id(2))
        .await
        .expect("get_key");
    assert_eq!(missing, None);

    // A duplicate create is refused and leaves the first record as it was.
    let mut duplicate = key.clone();
    duplicate.description = "the second one".into();
    let refused = store.create_key(&duplicate).await;
    assert!(
        matches!(refused, Err(StoreError::AlreadyExists)),
        "duplicate: {refused:?}"
    );
    assert_eq!(must_get(store, &key).await, key);

    // The stored version is the one given at create.
    let mut versioned = key_record(account, REGION, &key_id(3));
    versioned.version = 5;
    store
        .create_key(&versioned)
        .await
        .expect("create_key at version 5");
    assert_eq!(must_get(store, &versioned).await.version, 5);
    assert_eq!(store.update_key(&versioned).await.expect("update_key"), 6);
}

/// The same key ID and alias name live apart in each (account, region).
pub async fn namespaces(store: &dyn Store) {
    let (a, b) = ("100000000002", "100000000003");

    // One key ID in three namespaces, each its own record.
    let mut keys = Vec::new();
    for (account, region) in [(a, REGION), (b, REGION), (a, "eu-west-3")] {
        let mut key = key_record(account, region, &key_id(1));
        key.description = format!("{account} in {region}");
        store
            .create_key(&key)
            .await
            .expect("create_key in its namespace");
        keys.push(key);
    }
    for key in &keys {
        assert_eq!(must_get(store, key).await, *key);
    }

    // Another key in one namespace is invisible from the others.
    put_key(store, a, REGION, 2).await;
    assert_eq!(
        store.get_key(b, REGION, &key_id(2)).await.expect("get_key"),
        None
    );
    assert_eq!(
        store
            .get_key(a, "eu-west-3", &key_id(2))
            .await
            .expect("get_key"),
        None
    );
    assert_eq!(
        all_key_ids(store, a, REGION, 10).await,
        vec![key_id(1), key_id(2)]
    );
    assert_eq!(all_key_ids(store, b, REGION, 10).await, vec![key_id(1)]);
    assert_eq!(
        all_key_ids(store, a, "eu-west-3", 10).await,
        vec![key_id(1)]
    );

    // Deleting in one namespace leaves the others.
    assert!(store
        .delete_key(b, REGION, &key_id(1))
        .await
        .expect("delete_key"));
    assert_eq!(must_get(store, &keys[0]).await, keys[0]);
    assert_eq!(must_get(store, &keys[2]).await, keys[2]);

    // One alias name in two namespaces, each pointing at its own key.
    let name = "alias/shared";
    store
        .create_alias(&alias_record(a, REGION, name, &key_id(1)))
        .await
        .expect("alias in a");
    store
        .create_alias(&alias_record(b, REGION, name, &key_id(9)))
        .await
        .expect("alias in b");
    let in_b = store
        .get_alias(b, REGION, name)
        .await
        .expect("get_alias")
        .expect("alias in b");
    assert_eq!(in_b.target_key_id, key_id(9));
    assert_eq!(
        store
            .get_alias(a, "eu-west-3", name)
            .await
            .expect("get_alias"),
        None
    );
    let listed = store
        .list_aliases(a, REGION, None, None, 10)
        .await
        .expect("list_aliases");
    assert_eq!(
        listed.items,
        vec![alias_record(a, REGION, name, &key_id(1))]
    );
}

/// update_key is a compare-and-swap on the version.
pub async fn update_compare_and_swap(store: &dyn Store) {
    let account = "100000000004";
    let key = put_key(store, account, REGION, 1).await;

    // An update at the stored version succeeds and bumps the version.
    let mut first = must_get(store, &key).await;
    first.description = "first update".into();
    assert_eq!(store.update_key(&first).await.expect("update_key"), 1);
    let stored = must_get(store, &key).await;
    assert_eq!(stored.version, 1);
    assert_eq!(stored.description, "first update");
    assert_eq!(
        stored,
        KeyRecord {
            version: 1,
            ..first.clone()
        }
    );

    // An update at a stale version is refused and changes nothing.
    let mut stale = first.clone();
    stale.description = "stale update".into();
    let refused = store.update_key(&stale).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict)),
        "stale update: {refused:?}"
    );
    assert_eq!(must_get(store, &key).await, stored);

    // The next update from the fresh read succeeds again.
    assert_eq!(store.update_key(&stored).await.expect("update_key"), 2);

    // A key that does not exist cannot be updated.
    let ghost = key_record(account, REGION, &key_id(2));
    let refused = store.update_key(&ghost).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound)),
        "missing key: {refused:?}"
    );
    assert_eq!(
        store
            .get_key(account, REGION, &key_id(2))
            .await
            .expect("get_key"),
        None
    );

    // Of many concurrent updates from the same read, exactly one wins.
    let base = must_get(store, &key).await;
    let attempts: Vec<KeyRecord> = (0..16)
        .map(|i| KeyRecord {
            description: format!("racer {i}"),
            ..base.clone()
        })
        .collect();
    let results = join_all(attempts.iter().map(|k| store.update_key(k))).await;
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "concurrent updates: {results:?}");
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(3) | Err(StoreError::Conflict))));
    assert_eq!(must_get(store, &key).await.version, 3);
}

/// delete_key removes the key and its aliases, and no other alias.
pub async fn delete_key_and_its_aliases(store: &dyn Store) {
    let account = "100000000005";
    let doomed = put_key(store, account, REGION, 1).await;
    let kept = put_key(store, account, REGION, 2).await;
    for (name, target) in [("alias/a", 1), ("alias/b", 1), ("alias/c", 2)] {
        let alias = alias_record(account, REGION, name, &key_id(target));
        store.create_alias(&alias).await.expect("create_alias");
    }

    // Deleting the key reports that it existed, and removes it with its aliases.
    assert!(store
        .delete_key(account, REGION, &doomed.key_id)
        .await
        .expect("delete_key"));
    assert_eq!(
        store
            .get_key(account, REGION, &doomed.key_id)
            .await
            .expect("get_key"),
        None
    );
    for name in ["alias/a", "alias/b"] {
        assert_eq!(
            store
                .get_alias(account, REGION, name)
                .await
                .expect("get_alias"),
            None
        );
    }

    // The other key and its alias remain.
    assert_eq!(must_get(store, &kept).await, kept);
    let page = store
        .list_aliases(account, REGION, None, None, 10)
        .await
        .expect("list_aliases");
    assert_eq!(
        page.items,
        vec![alias_record(account, REGION, "alias/c", &key_id(2))]
    );

    // A second delete finds nothing; the ID can then be created afresh.
    assert!(!store
        .delete_key(account, REGION, &doomed.key_id)
        .await
        .expect("delete_key"));
    store
        .create_key(&doomed)
        .await
        .expect("create_key after delete");
    assert_eq!(must_get(store, &doomed).await, doomed);
}

/// list_keys pages through a namespace in key ID order.
pub async fn list_keys_pages(store: &dyn Store) {
    let account = "100000000006";

    // An empty namespace lists nothing.
    let empty = store
        .list_keys(account, REGION, None, 10)
        .await
        .expect("list_keys");
    assert_eq!(
        empty,
        Page {
            items: vec![],
            truncated: false
        }
    );

    // 25 keys created out of order (a multiplicative step through 0..25).
    for i in 0..25u32 {
        put_key(store, account, REGION, (i * 7) % 25 * 2).await;
    }
    let expected: Vec<String> = (0..25).map(|i| key_id(i * 2)).collect();

    // Pages of 10: two truncated pages, then the last five.
    let first = store
        .list_keys(account, REGION, None, 10)
        .await
        .expect("page 1");
    assert_eq!(
        first,
        Page {
            items: expected[..10].to_vec(),
            truncated: true
        }
    );
    let second = store
        .list_keys(account, REGION, Some(&expected[9]), 10)
        .await;
    assert_eq!(
        second.expect("page 2"),
        Page {
            items: expected[10..20].to_vec(),
            truncated: true
        }
    );
    let third = store
        .list_keys(account, REGION, Some(&expected[19]), 10)
        .await;
    assert_eq!(
        third.expect("page 3"),
        Page {
            items: expected[20..].to_vec(),
            truncated: false
        }
    );

    // A page that ends exactly at the last key is not truncated.
    let exact = store
        .list_keys(account, REGION, Some(&expected[14]), 10)
        .await;
    assert_eq!(
        exact.expect("exact page"),
        Page {
            items: expected[15..].to_vec(),
            truncated: false
        }
    );

    // `after` is exclusive and need not be a stored ID.
    let between = key_id(13);
    let page = store
        .list_keys(account, REGION, Some(&between), 3)
        .await
        .expect("list_keys");
    assert_eq!(
        page,
        Page {
            items: expected[7..10].to_vec(),
            truncated: true
        }
    );
    let past_end = store
        .list_keys(account, REGION, Some(&expected[24]), 10)
        .await;
    assert_eq!(
        past_end.expect("past the end"),
        Page {
            items: vec![],
            truncated: false
        }
    );

    // Paging by any size yields every key once, in order.
    for limit in [1, 4, 25, 100] {
        assert_eq!(
            all_key_ids(store, account, REGION, limit).await,
            expected,
            "limit {limit}"
        );
    }
}

/// keys_due lists keys whose next_due has come, earliest first, across namespaces.
pub async fn keys_due(store: &dyn Store) {
    let t = |secs: i64| Timestamp::from_secs(1_000_000 + secs);

    // Keys due by deletion, by enabled rotation, later, never, and by disabled rotation.
    let due = |account: &str, n: u32, deletion: Option<i64>, rotation: Option<(i64, bool)>| {
        let mut key = key_record(account, REGION, &key_id(n));
        key.deletion_date = deletion.map(t);
        if let Some((at, enabled)) = rotation {
            key.rotation = RotationSettings {
                enabled,
                period_days: Some(365),
                next_rotation: Some(t(at)),
                ..RotationSettings::default()
            };
        }
        key
    };
    let keys = [
        due("100000000007", 1, Some(100), None),
        due("100000000008", 2, None, Some((200, true))),
        due("100000000007", 3, Some(300), Some((400, true))),
        due("100000000007", 4, Some(1_000), None),
        due("100000000007", 5, None, None),
        due("100000000007", 6, None, Some((50, false))),
    ];
    // Created latest first, so that insertion order is not the order expected.
    for key in keys.iter().rev() {
        store.create_key(key).await.expect("create_key");
    }
    let ids = |found: Vec<KeyRecord>| found.into_iter().map(|k| k.key_id).collect::<Vec<_>>();

    // Due at or before `now`, earliest first, from every namespace.
    let found = store.keys_due(t(300), 10).await.expect("keys_due");
    assert_eq!(found[0], keys[0]);
    assert_eq!(ids(found), vec![key_id(1), key_id(2), key_id(3)]);

    // The limit keeps the earliest; before the first due moment nothing is due.
    assert_eq!(
        ids(store.keys_due(t(300), 2).await.expect("keys_due")),
        [key_id(1), key_id(2)]
    );
    assert_eq!(store.keys_due(t(99), 10).await.expect("keys_due"), vec![]);

    // An update moves the key in the listing; a deleted key leaves it.
    let mut cancelled = must_get(store, &keys[0]).await;
    cancelled.deletion_date = None;
    store.update_key(&cancelled).await.expect("update_key");
    assert!(store
        .delete_key("100000000008", REGION, &key_id(2))
        .await
        .expect("delete_key"));
    let later = ids(store.keys_due(t(5_000), 10).await.expect("keys_due"));
    assert_eq!(later, vec![key_id(3), key_id(4)]);

    // Clean up, so that later contracts and suites see no due keys.
    for n in [3, 4] {
        store
            .delete_key("100000000007", REGION, &key_id(n))
            .await
            .expect("delete_key");
    }
}

/// Aliases are created once, read, repointed and deleted.
pub async fn aliases(store: &dyn Store) {
    let account = "100000000009";
    let alias = alias_record(account, REGION, "alias/app", &key_id(1));

    // A created alias reads back equal; an absent one reads as None.
    store.create_alias(&alias).await.expect("create_alias");
    let read = store
        .get_alias(account, REGION, "alias/app")
        .await
        .expect("get_alias");
    assert_eq!(read, Some(alias.clone()));
    assert_eq!(
        store
            .get_alias(account, REGION, "alias/none")
            .await
            .expect("get_alias"),
        None
    );

    // A duplicate name is refused and the first alias is kept.
    let other = alias_record(account, REGION, "alias/app", &key_id(2));
    let refused = store.create_alias(&other).await;
    assert!(
        matches!(refused, Err(StoreError::AlreadyExists)),
        "duplicate: {refused:?}"
    );
    let read = store
        .get_alias(account, REGION, "alias/app")
        .await
        .expect("get_alias");
    assert_eq!(read, Some(alias.clone()));

    // An update repoints it; an update of an absent alias is refused.
    let moved = AliasRecord {
        last_updated_date: Timestamp(1_800_000_000_000),
        ..other
    };
    store.update_alias(&moved).await.expect("update_alias");
    let read = store
        .get_alias(account, REGION, "alias/app")
        .await
        .expect("get_alias");
    assert_eq!(read, Some(moved.clone()));
    let absent = alias_record(account, REGION, "alias/none", &key_id(1));
    let refused = store.update_alias(&absent).await;
    assert!(
        matches!(refused, Err(StoreError::NotFound)),
        "missing alias: {refused:?}"
    );
    assert_eq!(
        store
            .get_alias(account, REGION, "alias/none")
            .await
            .expect("get_alias"),
        None
    );

    // The key filter follows the update.
    let of_two = store
        .list_aliases(account, REGION, Some(&key_id(2)), None, 10)
        .await;
    assert_eq!(of_two.expect("list_aliases").items, vec![moved]);
    let of_one = store
        .list_aliases(account, REGION, Some(&key_id(1)), None, 10)
        .await;
    assert_eq!(of_one.expect("list_aliases").items, vec![]);

    // Delete reports whether the alias existed.
    assert!(store
        .delete_alias(account, REGION, "alias/app")
        .await
        .expect("delete_alias"));
    assert!(!store
        .delete_alias(account, REGION, "alias/app")
        .await
        .expect("delete_alias"));
    assert_eq!(
        store
            .get_alias(account, REGION, "alias/app")
            .await
            .expect("get_alias"),
        None
    );
}

/// list_aliases pages in name order, optionally only one key's aliases.
pub async fn list_aliases_pages(store: &dyn Store) {
    let account = "100000000010";

    // Twelve aliases, created out of order, alternating between two keys.
    let name = |i: u32| format!("alias/name-{i:02}");
    let target = |i: u32| key_id(i % 2);
    for i in 0..12u32 {
        let i = (i * 5) % 12;
        let alias = alias_record(account, REGION, &name(i), &target(i));
        store.create_alias(&alias).await.expect("create_alias");
    }
    let names = |page: &Page<AliasRecord>| -> Vec<String> {
        page.items.iter().map(|a| a.name.clone()).collect()
    };

    // All of them, in pages of five.
    let page = store
        .list_aliases(account, REGION, None, None, 5)
        .await
        .expect("page 1");
    assert!(page.truncated);
    assert_eq!(names(&page), (0..5).map(name).collect::<Vec<_>>());
    assert_eq!(
        page.items[0],
        alias_record(account, REGION, &name(0), &target(0))
    );
    let page = store
        .list_aliases(account, REGION, None, Some(&name(4)), 5)
        .await;
    let page = page.expect("page 2");
    assert!(page.truncated);
    assert_eq!(names(&page), (5..10).map(name).collect::<Vec<_>>());
    let page = store
        .list_aliases(account, REGION, None, Some(&name(9)), 5)
        .await;
    let page = page.expect("page 3");
    assert!(!page.truncated);
    assert_eq!(names(&page), (10..12).map(name).collect::<Vec<_>>());

    // Only the aliases of key 1, paged by four.
    let odd: Vec<String> = (0..12).filter(|i| i % 2 == 1).map(name).collect();
    let key = key_id(1);
    let page = store
        .list_aliases(account, REGION, Some(&key), None, 4)
        .await
        .expect("page 1");
    assert!(page.truncated);
    assert_eq!(names(&page), odd[..4].to_vec());
    let page = store
        .list_aliases(account, REGION, Some(&key), Some(&odd[3]), 4)
        .await;
    let page = page.expect("page 2");
    assert!(!page.truncated);
    assert_eq!(names(&page), odd[4..].to_vec());

    // A page that ends exactly at the last alias is not truncated; a key with none lists none.
    let page = store
        .list_aliases(account, REGION, Some(&key), Some(&odd[1]), 4)
        .await;
    assert!(!page.expect("exact page").truncated);
    let none = store
        .list_aliases(account, REGION, Some(&key_id(7)), None, 4)
        .await;
    assert_eq!(
        none.expect("list_aliases"),
        Page {
            items: vec![],
            truncated: false
        }
    );
}

/// Many writes in flight at once are each applied and each answered on its own.
pub async fn concurrent_writes(store: &dyn Store) {
    let account = "100000000011";

    // 200 creates at once all succeed and all persist.
    let keys: Vec<KeyRecord> = (0..200)
        .map(|n| key_record(account, REGION, &key_id(n)))
        .collect();
    let results = join_all(keys.iter().map(|k| store.create_key(k))).await;
    assert!(
        results.iter().all(Result::is_ok),
        "concurrent creates: {results:?}"
    );
    let expected: Vec<String> = (0..200).map(key_id).collect();
    assert_eq!(all_key_ids(store, account, REGION, 64).await, expected);

    // Racing creates of one key ID: exactly one wins, the others are told it exists.
    let racers: Vec<KeyRecord> = (0..20)
        .map(|i| KeyRecord {
            description: format!("racer {i}"),
            ..key_record(account, "eu-west-1", "race")
        })
        .collect();
    let results = join_all(racers.iter().map(|k| store.create_key(k))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "racing creates: {results:?}"
    );
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(()) | Err(StoreError::AlreadyExists))));

    // Racing creates of one alias name, mixed with good ones: the loser fails alone.
    let mut aliases: Vec<AliasRecord> = (0..10)
        .map(|i| alias_record(account, REGION, "alias/contested", &key_id(i)))
        .collect();
    aliases.extend(
        (0..10).map(|i| alias_record(account, REGION, &format!("alias/own-{i}"), &key_id(i))),
    );
    let results = join_all(aliases.iter().map(|a| store.create_alias(a))).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        11,
        "racing aliases: {results:?}"
    );
    assert!(results[10..].iter().all(Result::is_ok));
    let listed = store
        .list_aliases(account, REGION, None, None, 100)
        .await
        .expect("list_aliases");
    assert_eq!(listed.items.len(), 11);
}
