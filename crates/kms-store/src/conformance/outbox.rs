//! The outbox contract of the conformance suite.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use super::*;

/// The outbox: entries written with their change, none with a refused change, in order,
/// removed one by one.
pub async fn outbox(store: &dyn Store) {
    use crate::OutboxEntry;
    let entry = |region: &str, payload: &str| OutboxEntry {
        account: "999900000011".into(),
        key_id: "mrk-00000000000000000000000000000001".into(),
        target_region: region.into(),
        payload: payload.into(),
    };
    let mut key = key_record(
        "999900000011",
        "us-east-1",
        "mrk-00000000000000000000000000000001",
    );
    assert!(!store
        .outbox_has_key("999900000011", &key.key_id)
        .await
        .unwrap());

    // Entries go with the create and with an update.
    store
        .create_key_with_outbox(&key, vec![entry("eu-west-1", "a")])
        .await
        .unwrap();
    key.version = store
        .update_key_with_outbox(
            &key,
            vec![entry("eu-west-1", "b"), entry("ap-south-1", "c")],
        )
        .await
        .unwrap();

    // A refused update (stale version) writes none of its entries.
    let mut stale = key.clone();
    stale.version -= 1;
    let refused = store
        .update_key_with_outbox(&stale, vec![entry("eu-west-1", "x")])
        .await;
    assert!(matches!(refused, Err(StoreError::Conflict)));

    // In order; removal one at a time.
    let pending = store.outbox_pending(10).await.unwrap();
    let payloads: Vec<&str> = pending.iter().map(|p| p.entry.payload.as_str()).collect();
    assert_eq!(payloads, vec!["a", "b", "c"]);
    assert_eq!(pending[1].entry, entry("eu-west-1", "b"));
    assert!(store
        .outbox_has_key("999900000011", &key.key_id)
        .await
        .unwrap());
    for p in &pending {
        store.outbox_remove(p.seq).await.unwrap();
    }
    assert!(store.outbox_pending(10).await.unwrap().is_empty());
    assert!(!store
        .outbox_has_key("999900000011", &key.key_id)
        .await
        .unwrap());
}

/// The outbox is read per target region: a long queue for one region does not hide the
/// entries of another.
pub async fn outbox_per_target(store: &dyn Store) {
    use crate::OutboxEntry;
    let key_id = "mrk-00000000000000000000000000000002";
    let entry = |region: &str, payload: &str| OutboxEntry {
        account: "999900000012".into(),
        key_id: key_id.into(),
        target_region: region.into(),
        payload: payload.into(),
    };
    let key = key_record("999900000012", "us-east-1", key_id);

    // Step 1: five entries for one region, then two for another.
    let mut entries: Vec<OutboxEntry> = (0..5)
        .map(|i| entry("eu-west-1", &format!("eu{i}")))
        .collect();
    entries.push(entry("ap-south-1", "ap0"));
    entries.push(entry("ap-south-1", "ap1"));
    store.create_key_with_outbox(&key, entries).await.unwrap();

    // Step 2: two per region, in sequence order.
    let pending = store.outbox_pending(2).await.unwrap();
    let payloads: Vec<&str> = pending.iter().map(|p| p.entry.payload.as_str()).collect();
    assert_eq!(payloads, vec!["eu0", "eu1", "ap0", "ap1"]);
    let seqs: Vec<i64> = pending.iter().map(|p| p.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    for p in store.outbox_pending(100).await.unwrap() {
        store.outbox_remove(p.seq).await.unwrap();
    }
}
