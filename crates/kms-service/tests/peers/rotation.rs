//! A rotation that cannot reach a replica is abandoned after the bound.

use std::sync::atomic::Ordering;

use super::link::*;
use kms_model::Operation;
use kms_service::Clock;
use serde_json::json;

/// The rotation of a replicated key, answered at once; what it waits for is checked after.
pub async fn rotate(site: &Site, key: &str) {
    site.ok(US, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
}

/// The one material of a key that was never rotated, CURRENT.
fn only(material: &str) -> Vec<(String, String)> {
    vec![(material.to_string(), "CURRENT".to_string())]
}

#[tokio::test]
async fn a_rotation_that_cannot_reach_a_replica_is_abandoned_and_can_be_done_again() {
    let p = pair();
    let key = p.replicated().await;
    let first = p.a.current(US, &key).await;
    let before = p.a.encrypt(US, &key, "YmVmb3Jl").await;

    // The peer stops answering: the rotation waits, and the old material stays current.
    p.a.link.up.store(false, Ordering::SeqCst);
    rotate(&p.a, &key).await;
    p.tick().await;
    p.later(10_000).await;
    assert_eq!(p.a.current(US, &key).await, first);
    let waiting = p.a.materials(US, &key).await;
    assert_eq!(waiting.len(), 2);
    assert_eq!(waiting[1].1, "PENDING_ROTATION");

    // Past the bound the rotation is abandoned: the key is as it was before.
    p.later(25_000).await;
    assert_eq!(p.a.materials(US, &key).await, only(&first));
    assert!(p.a.rotations(US, &key).await.is_empty());
    let during = p.a.encrypt(US, &key, "ZHVyaW5n").await;
    assert_eq!(
        p.a.decrypt(US, &during).await,
        ("ZHVyaW5n".into(), first.clone())
    );
    assert_eq!(p.a.decrypt(US, &before).await.0, "YmVmb3Jl");

    // Still unreachable: a second rotation waits behind the rollback and ends the same way.
    rotate(&p.a, &key).await;
    p.tick().await;
    assert_eq!(p.a.materials(US, &key).await.len(), 2);
    p.later(31_000).await;
    p.later(1_000).await;
    assert_eq!(p.a.materials(US, &key).await, only(&first));

    // The peer is back: the replica learns the rollback, and a rotation reaches both sides.
    p.a.link.up.store(true, Ordering::SeqCst);
    p.later(10_000).await;
    assert_eq!(p.b.materials(EU, &key).await, only(&first));
    rotate(&p.a, &key).await;
    p.tick().await;
    let second = p.a.current(US, &key).await;
    assert_ne!(second, first);
    assert_eq!(p.b.current(EU, &key).await, second);
    assert_eq!(p.b.materials(EU, &key).await, p.a.materials(US, &key).await);
    assert_eq!(p.a.rotations(US, &key).await.len(), 1);
    assert_eq!(p.b.rotations(EU, &key).await.len(), 1);

    // Every ciphertext decrypts on both sides; new ones use the new material.
    let after = p.b.encrypt(EU, &key, "YWZ0ZXI=").await;
    for (site, region) in [(&p.a, US), (&p.b, EU)] {
        assert_eq!(site.decrypt(region, &before).await.0, "YmVmb3Jl");
        assert_eq!(site.decrypt(region, &during).await.0, "ZHVyaW5n");
        assert_eq!(
            site.decrypt(region, &after).await,
            ("YWZ0ZXI=".into(), second.clone())
        );
    }
}

#[tokio::test]
async fn a_rotation_whose_answers_are_lost_is_abandoned_on_both_sides() {
    let p = pair();
    let key = p.replicated().await;
    let first = p.a.current(US, &key).await;

    // The peer applies the rotation but its answers are lost: the replica holds the new
    // material pending, and the primary keeps waiting.
    p.a.link.lose_answers.store(true, Ordering::SeqCst);
    p.a.link.sent.lock().unwrap().clear();
    rotate(&p.a, &key).await;
    p.tick().await;
    let held = p.b.materials(EU, &key).await;
    assert_eq!(held.len(), 2);
    assert_eq!(held[1].1, "PENDING_ROTATION");
    assert_eq!(p.b.current(EU, &key).await, first);
    let made = p.b.encrypt(EU, &key, "cmVwbGljYQ==").await;
    let used = p.b.decrypt(EU, &made).await.1;
    assert_eq!(
        used, first,
        "the replica never encrypts under pending material"
    );

    // Past the bound the primary abandons it, and the rollback reaches the replica too.
    p.later(31_000).await;
    p.later(1_000).await;
    assert_eq!(p.a.materials(US, &key).await, only(&first));
    assert_eq!(p.b.materials(EU, &key).await, only(&first));

    // The abandoned entry delivered once more is older than the rollback: nothing changes.
    let stale = p.a.link.sent.lock().unwrap()[0].clone();
    p.b.svc.peer_receive("a", &stale).await.unwrap();
    assert_eq!(p.b.materials(EU, &key).await, only(&first));

    // Answers come through again: the outbox drains, and a new rotation completes.
    p.a.link.lose_answers.store(false, Ordering::SeqCst);
    p.later(10_000).await;
    rotate(&p.a, &key).await;
    p.tick().await;
    let second = p.a.current(US, &key).await;
    assert_ne!(second, first);
    assert_eq!(p.b.current(EU, &key).await, second);
    assert_eq!(p.b.materials(EU, &key).await, p.a.materials(US, &key).await);
}

#[tokio::test]
async fn a_rotation_entry_that_arrives_after_the_abandonment_is_undone_by_the_rollback() {
    let p = pair();
    let key = p.replicated().await;
    let first = p.a.current(US, &key).await;

    // The rotation's entry leaves but never arrives in time; the primary abandons it.
    p.a.link.up.store(false, Ordering::SeqCst);
    p.a.link.sent.lock().unwrap().clear();
    rotate(&p.a, &key).await;
    p.tick().await;
    p.later(31_000).await;
    p.later(1_000).await;
    assert_eq!(p.a.materials(US, &key).await, only(&first));

    // It arrives now, late: the replica holds the material pending, never current.
    let late = p.a.link.sent.lock().unwrap()[0].clone();
    p.b.svc.peer_receive("a", &late).await.unwrap();
    assert_eq!(p.b.materials(EU, &key).await.len(), 2);
    let made = p.b.encrypt(EU, &key, "bGF0ZQ==").await;
    assert_eq!(p.b.decrypt(EU, &made).await.1, first);

    // The rollback follows once the peer is reachable: both sides agree again.
    p.a.link.up.store(true, Ordering::SeqCst);
    p.later(10_000).await;
    assert_eq!(p.b.materials(EU, &key).await, only(&first));
    assert!(p.b.rotations(EU, &key).await.is_empty());
}

#[tokio::test]
async fn the_bound_on_a_rotation_starts_over_when_the_sending_process_restarts() {
    let mut p = pair();
    let key = p.replicated().await;
    let first = p.a.current(US, &key).await;
    p.a.link.up.store(false, Ordering::SeqCst);
    rotate(&p.a, &key).await;
    p.tick().await;
    p.later(20_000).await;

    // The primary's process restarts 20 s into the wait; the count starts again.
    p.restart_a();
    p.later(20_000).await;
    p.later(11_000).await;
    assert_eq!(p.a.materials(US, &key).await.len(), 2, "still pending");

    // 30 s after the first failure since the restart, the rotation is abandoned.
    p.later(20_000).await;
    assert_eq!(p.a.materials(US, &key).await, only(&first));
}

#[tokio::test]
async fn an_abandoned_automatic_rotation_is_tried_again_an_hour_later() {
    let p = pair();
    let key = p.replicated().await;
    let first = p.a.current(US, &key).await;
    let input = json!({"KeyId": key, "RotationPeriodInDays": 90});
    p.a.ok(US, Operation::EnableKeyRotation, input).await;
    p.tick().await;

    // The rotation falls due while the peer is unreachable, and is abandoned.
    p.a.link.up.store(false, Ordering::SeqCst);
    p.clock.advance_days(90);
    p.tick().await;
    assert_eq!(p.a.materials(US, &key).await.len(), 2);
    p.later(31_000).await;
    p.later(1_000).await;
    assert_eq!(p.a.materials(US, &key).await, only(&first));

    // It is due again an hour after it was given up.
    let now = p.clock.now().millis() / 1000;
    let status =
        p.a.ok(US, Operation::GetKeyRotationStatus, json!({"KeyId": key}))
            .await;
    let next = status["NextRotationDate"].as_f64().unwrap() as i64;
    assert!((now..=now + 3600).contains(&next), "{next} vs {now}");

    // With the peer back, the retry completes on both sides.
    p.a.link.up.store(true, Ordering::SeqCst);
    p.later(10_000).await;
    p.later(3_600_000).await;
    let rotated = p.a.current(US, &key).await;
    assert_ne!(rotated, first);
    assert_eq!(p.b.current(EU, &key).await, rotated);
    let rotations = p.a.rotations(US, &key).await;
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0]["RotationType"], "AUTOMATIC");
}
