//! Replicas across the link, refusals, and the bounds on a create and on a handover.

use std::sync::atomic::Ordering;

use super::link::*;
use kms_model::{ErrorCode, Operation};
use serde_json::json;

#[tokio::test]
async fn a_replica_crosses_to_the_peer_and_ciphertexts_cross_both_ways() {
    let p = pair();
    let key = p.a.mrk().await;
    p.a.ok(
        US,
        Operation::ReplicateKey,
        json!({"KeyId": key, "ReplicaRegion": EU}),
    )
    .await;
    p.tick().await;

    // The replica exists on the peer, Enabled, with the primary's material.
    let replica = p.b.describe(EU, &key).await;
    assert_eq!(replica["KeyState"], "Enabled");
    assert_eq!(
        replica["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    let primary = p.a.describe(US, &key).await;
    assert_eq!(
        replica["CurrentKeyMaterialId"],
        primary["CurrentKeyMaterialId"]
    );

    // Ciphertexts cross both ways.
    let from_us = p.a.encrypt(US, &key, "aGVsbG8=").await;
    assert_eq!(p.b.decrypt(EU, &from_us).await.0, "aGVsbG8=");
    let from_eu = p.b.encrypt(EU, &key, "d29ybGQ=").await;
    assert_eq!(p.a.decrypt(US, &from_eu).await.0, "d29ybGQ=");

    // A rotation on the primary reaches the replica; both end on the same material.
    p.a.ok(US, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
    p.tick().await;
    let primary = p.a.describe(US, &key).await;
    let replica = p.b.describe(EU, &key).await;
    assert_ne!(
        primary["CurrentKeyMaterialId"],
        json!(null),
        "the rotated material is current"
    );
    assert_eq!(
        replica["CurrentKeyMaterialId"],
        primary["CurrentKeyMaterialId"]
    );
    assert_eq!(p.a.decrypt(US, &from_eu).await.0, "d29ybGQ=");

    // Replaying everything the peer already applied changes nothing.
    let posts = p.a.link.posts.load(Ordering::SeqCst);
    p.later(10_000).await;
    assert_eq!(p.a.link.posts.load(Ordering::SeqCst), posts);
}

#[tokio::test]
async fn a_region_hosted_by_a_peer_is_refused_with_its_name() {
    let p = pair();
    let refusal = p.a.svc.region_refusal(EU).unwrap();
    assert_eq!(refusal.code, ErrorCode::UnsupportedOperationException);
    assert!(refusal.message.contains("peer b"), "{}", refusal.message);
    assert!(p.a.svc.region_refusal(US).is_none());
    assert!(p.b.svc.region_refusal(EU).is_none());
    assert!(p.b.svc.region_refusal("ap-south-1").is_some());
}

#[tokio::test]
async fn an_unreachable_peer_blocks_only_its_own_entries_and_a_create_is_rolled_back() {
    let p = pair();
    p.a.link.up.store(false, Ordering::SeqCst);

    // A replica for the peer waits; one for a region hosted here goes on.
    let key = p.a.mrk().await;
    p.a.ok(
        US,
        Operation::ReplicateKey,
        json!({"KeyId": key, "ReplicaRegion": EU}),
    )
    .await;
    let local = p.a.mrk().await;
    p.a.ok(
        US,
        Operation::ReplicateKey,
        json!({"KeyId": local, "ReplicaRegion": WEST}),
    )
    .await;
    p.tick().await;
    assert_eq!(p.a.describe(WEST, &local).await["KeyState"], "Enabled");
    assert_eq!(replica_regions(&p.a.describe(US, &key).await), vec![EU]);

    // Past the bound, the replica that was never created leaves the set again.
    p.later(10_000).await;
    assert_eq!(replica_regions(&p.a.describe(US, &key).await), vec![EU]);
    p.later(25_000).await;
    p.later(1_000).await;
    assert!(replica_regions(&p.a.describe(US, &key).await).is_empty());

    // The peer comes back: nothing was created there, and a new ReplicateKey works.
    p.a.link.up.store(true, Ordering::SeqCst);
    p.later(10_000).await;
    let missing =
        p.b.call(EU, Operation::DescribeKey, json!({"KeyId": key}))
            .await;
    assert_eq!(missing.unwrap_err().code, ErrorCode::NotFoundException);
    p.a.ok(
        US,
        Operation::ReplicateKey,
        json!({"KeyId": key, "ReplicaRegion": EU}),
    )
    .await;
    p.tick().await;
    assert_eq!(p.b.describe(EU, &key).await["KeyState"], "Enabled");
}

#[tokio::test]
async fn an_update_of_the_primary_that_cannot_reach_its_new_region_is_rolled_back() {
    let p = pair();
    let key = p.a.mrk().await;
    p.a.ok(
        US,
        Operation::ReplicateKey,
        json!({"KeyId": key, "ReplicaRegion": EU}),
    )
    .await;
    p.tick().await;

    // The handover cannot be delivered: the old primary stays Updating, then takes back.
    p.a.link.up.store(false, Ordering::SeqCst);
    p.a.ok(
        US,
        Operation::UpdatePrimaryRegion,
        json!({"KeyId": key, "PrimaryRegion": EU}),
    )
    .await;
    p.tick().await;
    assert_eq!(p.a.describe(US, &key).await["KeyState"], "Updating");
    p.later(31_000).await;
    p.later(1_000).await;
    let primary = p.a.describe(US, &key).await;
    assert_eq!(primary["KeyState"], "Enabled");
    assert_eq!(
        primary["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "PRIMARY"
    );

    // Once the peer is back, it learns the (unchanged) primary of the new epoch; one primary.
    p.a.link.up.store(true, Ordering::SeqCst);
    p.later(10_000).await;
    let replica = p.b.describe(EU, &key).await;
    assert_eq!(
        replica["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    assert_eq!(
        replica["MultiRegionConfiguration"]["PrimaryKey"]["Region"],
        US
    );

    // And a handover that can be delivered moves the primary across.
    p.a.ok(
        US,
        Operation::UpdatePrimaryRegion,
        json!({"KeyId": key, "PrimaryRegion": EU}),
    )
    .await;
    p.later(1_000).await;
    let new_primary = p.b.describe(EU, &key).await;
    assert_eq!(
        new_primary["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "PRIMARY"
    );
    let old = p.a.describe(US, &key).await;
    assert_eq!(old["KeyState"], "Enabled");
    assert_eq!(
        old["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
}

#[tokio::test]
async fn a_peer_may_deliver_only_for_regions_it_hosts() {
    let p = pair();
    let forged = json!({
        "account": "111122223333",
        "key_id": "mrk-00000000000000000000000000000000",
        "target_region": EU,
        "entry": {"ReplicaDeleted": {"region": EU}},
    });
    let body = serde_json::to_vec(&forged).unwrap();
    let refused = p.b.svc.peer_receive("a", &body).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::AccessDeniedException);
    let forged_target = json!({
        "account": "111122223333",
        "key_id": "mrk-00000000000000000000000000000000",
        "target_region": US,
        "entry": {"ReplicaDeleted": {"region": US}},
    });
    let body = serde_json::to_vec(&forged_target).unwrap();
    let refused = p.b.svc.peer_receive("a", &body).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::AccessDeniedException);
}
