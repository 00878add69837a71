//! The grant contracts of the conformance suite.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;

/// A grant reads back whole, from the store and from memory, until it is deleted.
pub async fn grants_create_get_delete(store: &dyn Store) {
    let account = "100000000020";
    let key = put_key(store, account, REGION, 1).await;
    let grant = grant_record(account, REGION, &key.key_id, &grant_id(1));

    // Created: read back equal, and known in memory at once.
    store.create_grant(&grant).await.expect("create_grant");
    let read = store
        .get_grant(account, REGION, &key.key_id, &grant.grant_id)
        .await
        .expect("get_grant");
    assert_eq!(read.as_ref(), Some(&grant));
    let held = store.grants_of_key(account, REGION, &key.key_id);
    assert_eq!(held.as_deref(), Some(std::slice::from_ref(&grant)));

    // A second grant with the same ID on the key is refused and changes nothing.
    let mut duplicate = grant.clone();
    duplicate.grantee_principal = "arn:aws:iam::100000000020:user/other".into();
    let refused = store.create_grant(&duplicate).await;
    assert!(
        matches!(refused, Err(StoreError::AlreadyExists)),
        "duplicate grant: {refused:?}"
    );
    let held = store.grants_of_key(account, REGION, &key.key_id);
    assert_eq!(held.as_deref(), Some(std::slice::from_ref(&grant)));

    // Deleted: gone from both; a second delete finds nothing.
    let deleted = store
        .delete_grant(account, REGION, &key.key_id, &grant.grant_id)
        .await;
    assert!(deleted.expect("delete_grant"));
    let read = store
        .get_grant(account, REGION, &key.key_id, &grant.grant_id)
        .await;
    assert_eq!(read.expect("get_grant"), None);
    assert!(store.grants_of_key(account, REGION, &key.key_id).is_none());
    let again = store
        .delete_grant(account, REGION, &key.key_id, &grant.grant_id)
        .await;
    assert!(!again.expect("delete_grant"));
}

/// Grants belong to one key in one region: a related key of another region, or a key of
/// another account with the same ID, sees none of them.
pub async fn grants_are_per_key_and_region(store: &dyn Store) {
    let account = "100000000021";
    let key = key_id(1);
    for region in [REGION, "eu-west-1"] {
        put_key(store, account, region, 1).await;
    }
    put_key(store, "100000000022", REGION, 1).await;
    let grant = grant_record(account, REGION, &key, &grant_id(1));
    store.create_grant(&grant).await.expect("create_grant");

    // The same grant ID is free on the other region's key.
    let other_region = grant_record(account, "eu-west-1", &key, &grant_id(1));
    store
        .create_grant(&other_region)
        .await
        .expect("the same grant ID in another region");
    let deleted = store
        .delete_grant(account, "eu-west-1", &key, &grant_id(1))
        .await;
    assert!(deleted.expect("delete_grant"));

    // Only the first region's key and account hold the first grant.
    assert_eq!(in_memory(store, account, REGION, &key), vec![grant_id(1)]);
    assert!(in_memory(store, account, "eu-west-1", &key).is_empty());
    assert!(in_memory(store, "100000000022", REGION, &key).is_empty());
    let elsewhere = store
        .get_grant(account, "eu-west-1", &key, &grant_id(1))
        .await;
    assert_eq!(elsewhere.expect("get_grant"), None);
}

/// find_grants_by_name answers every grant of the key with that name, and only those.
pub async fn grants_by_name(store: &dyn Store) {
    let account = "100000000023";
    let key = put_key(store, account, REGION, 1).await;
    for (n, name) in [
        (1, Some("app")),
        (2, Some("app")),
        (3, Some("other")),
        (4, None),
    ] {
        let mut grant = grant_record(account, REGION, &key.key_id, &grant_id(n));
        grant.name = name.map(str::to_string);
        store.create_grant(&grant).await.expect("create_grant");
    }
    let found = store
        .find_grants_by_name(account, REGION, &key.key_id, "app")
        .await
        .expect("find_grants_by_name");
    let ids: Vec<String> = found.iter().map(|g| g.grant_id.clone()).collect();
    assert_eq!(ids, vec![grant_id(1), grant_id(2)]);
    let none = store
        .find_grants_by_name(account, REGION, &key_id(2), "app")
        .await;
    assert!(none.expect("find_grants_by_name").is_empty());
}

/// list_grants pages through one key's grants in grant ID order, with its two filters.
pub async fn list_grants_pages(store: &dyn Store) {
    let account = "100000000024";
    let key = put_key(store, account, REGION, 1).await;
    let other_key = put_key(store, account, REGION, 2).await;

    // Seven grants created out of order, the odd ones for another grantee.
    let alice = format!("arn:aws:iam::{account}:user/alice");
    for i in 0..7u32 {
        let n = (i * 3) % 7;
        let mut grant = grant_record(account, REGION, &key.key_id, &grant_id(n));
        if n % 2 == 1 {
            grant.grantee_principal = alice.clone();
        }
        store.create_grant(&grant).await.expect("create_grant");
    }
    let other = grant_record(account, REGION, &other_key.key_id, &grant_id(9));
    store.create_grant(&other).await.expect("create_grant");
    let key_id = key.key_id.as_str();
    let list = |grant: Option<String>, grantee: Option<String>, after: Option<String>| async move {
        let (grant, grantee, after) = (grant.as_deref(), grantee.as_deref(), after.as_deref());
        store
            .list_grants(account, REGION, key_id, grant, grantee, after, 3)
            .await
            .expect("list_grants")
    };

    // All of them in pages of three; the last page is not truncated.
    let page = list(None, None, None).await;
    assert!(page.truncated);
    assert_eq!(grant_ids(&page), (0..3).map(grant_id).collect::<Vec<_>>());
    let page = list(None, None, Some(grant_id(2))).await;
    assert!(page.truncated);
    assert_eq!(grant_ids(&page), (3..6).map(grant_id).collect::<Vec<_>>());
    let page = list(None, None, Some(grant_id(5))).await;
    assert!(!page.truncated);
    assert_eq!(grant_ids(&page), vec![grant_id(6)]);

    // Only one grantee's grants; only one grant; a grant of another key is not found here.
    let page = list(None, Some(alice.clone()), None).await;
    assert!(!page.truncated);
    assert_eq!(
        grant_ids(&page),
        vec![grant_id(1), grant_id(3), grant_id(5)]
    );
    let page = list(Some(grant_id(4)), None, None).await;
    assert_eq!(grant_ids(&page), vec![grant_id(4)]);
    let page = list(Some(grant_id(4)), Some(alice), None).await;
    assert!(page.items.is_empty());
    let page = list(Some(grant_id(9)), None, None).await;
    assert!(page.items.is_empty());
    assert_eq!(in_memory(store, account, REGION, &key.key_id).len(), 7);
}

/// list_retirable_grants finds a retiring principal's grants on the keys of every account of
/// one region, in (account, key ID, grant ID) order.
pub async fn retirable_grants(store: &dyn Store) {
    let retirer = "arn:aws:iam::100000000025:role/cleanup";
    let mut expected = Vec::new();

    // Two grants on each of two keys in each of two accounts, all retirable by one principal.
    for account in ["100000000025", "100000000026"] {
        for k in 1..=2 {
            let key = put_key(store, account, REGION, k).await;
            for g in 1..=2 {
                let mut grant = grant_record(account, REGION, &key.key_id, &grant_id(g));
                grant.retiring_principal = Some(retirer.into());
                store.create_grant(&grant).await.expect("create_grant");
                expected.push(grant);
            }
        }
    }

    // Neither another principal's grant nor one in another region is listed.
    let mut other = grant_record("100000000025", REGION, &key_id(1), &grant_id(3));
    other.retiring_principal = Some("arn:aws:iam::100000000025:role/someone".into());
    store.create_grant(&other).await.expect("create_grant");
    put_key(store, "100000000025", "eu-west-1", 1).await;
    let mut far = grant_record("100000000025", "eu-west-1", &key_id(1), &grant_id(1));
    far.retiring_principal = Some(retirer.into());
    store.create_grant(&far).await.expect("create_grant");

    // Pages of three resume after the last grant of the previous page.
    let mut listed: Vec<GrantRecord> = Vec::new();
    loop {
        let last = listed.last().cloned();
        let after = last
            .as_ref()
            .map(|g| (g.account.as_str(), g.key_id.as_str(), g.grant_id.as_str()));
        let page = store
            .list_retirable_grants(REGION, retirer, after, 3)
            .await
            .expect("list_retirable_grants");
        assert!(page.items.len() <= 3);
        listed.extend(page.items);
        if !page.truncated {
            break;
        }
    }
    assert_eq!(listed, expected);
}

/// delete_key takes the key's grants with it, from the store and from memory.
pub async fn delete_key_deletes_its_grants(store: &dyn Store) {
    let account = "100000000027";
    let doomed = put_key(store, account, REGION, 1).await;
    let kept = put_key(store, account, REGION, 2).await;
    for (key, n) in [(&doomed, 1), (&doomed, 2), (&kept, 3)] {
        let grant = grant_record(account, REGION, &key.key_id, &grant_id(n));
        store.create_grant(&grant).await.expect("create_grant");
    }

    // The key goes, and its grants with it.
    let deleted = store.delete_key(account, REGION, &doomed.key_id).await;
    assert!(deleted.expect("delete_key"));
    assert!(in_memory(store, account, REGION, &doomed.key_id).is_empty());
    let page = store
        .list_grants(account, REGION, &doomed.key_id, None, None, None, 10)
        .await
        .expect("list_grants");
    assert!(page.items.is_empty());
    let read = store
        .get_grant(account, REGION, &doomed.key_id, &grant_id(1))
        .await;
    assert_eq!(read.expect("get_grant"), None);

    // A key created again with that ID starts without grants; the other key keeps its own.
    store.create_key(&doomed).await.expect("create_key again");
    assert!(in_memory(store, account, REGION, &doomed.key_id).is_empty());
    assert_eq!(
        in_memory(store, account, REGION, &kept.key_id),
        vec![grant_id(3)]
    );
}
