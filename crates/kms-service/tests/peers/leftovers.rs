//! Entries queued for a region that has left the key's set hold up nothing.

use std::sync::atomic::Ordering;

use super::link::*;
use super::rotation::rotate;
use kms_model::Operation;
use serde_json::json;

/// Whether deployment a still has outbox entries of `key` to deliver.
async fn queued(p: &Pair, key: &str) -> bool {
    p.a.kept
        .store
        .outbox_has_key("111122223333", key)
        .await
        .unwrap()
}

#[tokio::test]
async fn entries_left_for_a_region_that_left_the_set_hold_up_nothing() {
    let p = pair();
    let key = p.a.mrk().await;
    let input = json!({"KeyId": key, "ReplicaRegion": WEST});
    p.a.ok(US, Operation::ReplicateKey, input).await;
    p.tick().await;
    let first = p.a.current(US, &key).await;

    // The peer never answers: the replica announced there waits, and a change of the shared
    // properties queues behind its create entry.
    p.a.link.up.store(false, Ordering::SeqCst);
    let input = json!({"KeyId": key, "ReplicaRegion": EU});
    p.a.ok(US, Operation::ReplicateKey, input).await;
    let input = json!({"KeyId": key, "RotationPeriodInDays": 90});
    p.a.ok(US, Operation::EnableKeyRotation, input).await;
    p.tick().await;

    // Past the bound the replica leaves the set; what was queued behind it goes too.
    p.later(31_000).await;
    p.later(1_000).await;
    assert_eq!(replica_regions(&p.a.describe(US, &key).await), vec![WEST]);
    assert!(
        !queued(&p, &key).await,
        "nothing is left for a region out of the set"
    );

    // A rotation now waits only for the replica in the set, and becomes current.
    rotate(&p.a, &key).await;
    p.tick().await;
    let second = p.a.current(US, &key).await;
    assert_ne!(second, first, "the rotation is not held up");
    assert_eq!(p.a.current(WEST, &key).await, second);
    assert_eq!(
        p.a.materials(US, &key).await,
        p.a.materials(WEST, &key).await
    );

    // Much later nothing is pending and nothing is queued for the region that left.
    p.later(60_000).await;
    p.later(60_000).await;
    assert_eq!(p.a.current(US, &key).await, second);
    assert!(!queued(&p, &key).await);
}

#[tokio::test]
async fn a_region_that_left_the_set_with_entries_queued_can_be_added_again() {
    let p = pair();
    let key = p.a.mrk().await;
    let first = p.a.current(US, &key).await;

    // The peer applies what it receives but its answers are lost: it holds the replica, yet
    // the bound drops the replica from the set, and the change queued behind it is dropped.
    p.a.link.lose_answers.store(true, Ordering::SeqCst);
    let input = json!({"KeyId": key, "ReplicaRegion": EU});
    p.a.ok(US, Operation::ReplicateKey, input).await;
    let input = json!({"KeyId": key, "RotationPeriodInDays": 90});
    p.a.ok(US, Operation::EnableKeyRotation, input).await;
    p.tick().await;
    p.later(31_000).await;
    p.later(1_000).await;
    assert!(replica_regions(&p.a.describe(US, &key).await).is_empty());
    assert!(!queued(&p, &key).await);
    assert_eq!(p.b.describe(EU, &key).await["KeyState"], "Enabled");

    // Answers come through again; a new ReplicateKey is delivered and brings the copy the
    // peer kept up to the primary's state.
    p.a.link.lose_answers.store(false, Ordering::SeqCst);
    let input = json!({"KeyId": key, "ReplicaRegion": EU});
    p.a.ok(US, Operation::ReplicateKey, input).await;
    p.tick().await;
    assert_eq!(replica_regions(&p.a.describe(US, &key).await), vec![EU]);
    assert!(!queued(&p, &key).await);
    let replica = p.b.describe(EU, &key).await;
    assert_eq!(replica["KeyState"], "Enabled");
    assert_eq!(replica_regions(&replica), vec![EU]);
    let status =
        p.b.ok(EU, Operation::GetKeyRotationStatus, json!({"KeyId": key}))
            .await;
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 90);

    // A rotation now waits for the replica again, and reaches it.
    rotate(&p.a, &key).await;
    p.tick().await;
    let second = p.a.current(US, &key).await;
    assert_ne!(second, first);
    assert_eq!(p.b.current(EU, &key).await, second);
    assert_eq!(p.b.materials(EU, &key).await, p.a.materials(US, &key).await);
}

#[tokio::test]
async fn a_rotation_queued_behind_a_replica_never_created_completes_without_it() {
    let p = pair();
    let key = p.a.mrk().await;
    let first = p.a.current(US, &key).await;

    // The replica announced on the unreachable peer waits, and a rotation waits for it.
    p.a.link.up.store(false, Ordering::SeqCst);
    let input = json!({"KeyId": key, "ReplicaRegion": EU});
    p.a.ok(US, Operation::ReplicateKey, input).await;
    rotate(&p.a, &key).await;
    p.tick().await;
    assert_eq!(p.a.current(US, &key).await, first);

    // Past the bound the replica leaves the set; every replica left holds the new material
    // (there is none), so the rotation becomes current instead of being abandoned.
    p.later(31_000).await;
    p.later(1_000).await;
    assert!(replica_regions(&p.a.describe(US, &key).await).is_empty());
    let second = p.a.current(US, &key).await;
    assert_ne!(second, first);
    assert_eq!(p.a.rotations(US, &key).await.len(), 1);
    assert!(!queued(&p, &key).await);

    // Added again once the peer is back, the replica starts with both materials.
    p.a.link.up.store(true, Ordering::SeqCst);
    let input = json!({"KeyId": key, "ReplicaRegion": EU});
    p.a.ok(US, Operation::ReplicateKey, input).await;
    p.later(10_000).await;
    assert_eq!(p.b.current(EU, &key).await, second);
    assert_eq!(p.b.materials(EU, &key).await, p.a.materials(US, &key).await);
}
