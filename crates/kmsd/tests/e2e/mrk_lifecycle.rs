//! Multi-Region keys through `aws-sdk-kms` against the real binary, part four: moving the
//! primary with UpdatePrimaryRegion (SPEC B25-B30) and deleting related keys (B31-B34).
//! What needs days to pass (B32's actual deletion, B35) runs on a test clock in
//! `crates/kms-service/tests/multi_region.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::import::{decrypt, encrypt, import_forever};
use crate::common::mrk::{
    create_primary, key_type, primary_region, replicas, replicate_and_wait, wait_for, wait_state,
    Regions, AP, EU, SA, US,
};
use crate::common::raw::{signed_call, Signer};
use crate::common::{
    assert_code, assert_error, create_key, key_arn, now_secs, random_bytes, Server, ACCESS_A,
    SECRET_A,
};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyMetadata, KeyState, MultiRegionKeyType, OriginType};
use aws_sdk_kms::Client;
use serde_json::{json, Value};

/// A primary in us-east-1 with Enabled replicas in eu-west-1 and ap-southeast-2.
async fn key_in_three_regions(r: &Regions) -> String {
    let key = create_primary(&r.us, OriginType::AwsKms)
        .await
        .key_id()
        .to_string();
    for (kms, region) in [(&r.eu, EU), (&r.ap, AP)] {
        replicate_and_wait(&r.us, kms, &key, region).await;
        wait_state(kms, &key, KeyState::Enabled).await;
    }
    key
}

async fn describe(kms: &Client, key: &str) -> KeyMetadata {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .expect("DescribeKey")
        .key_metadata
        .unwrap()
}

/// A raw signed call of account A in `region`; answers the status and the body.
fn raw(server: &Server, region: &str, operation: &str, body: &Value) -> (u16, Vec<u8>) {
    let signer = Signer {
        access: ACCESS_A,
        secret: SECRET_A,
        region,
        service: "kms",
    };
    let response = signed_call(
        server.addr(),
        signer,
        operation,
        body.to_string().as_bytes(),
    );
    (response.status, response.body)
}

#[tokio::test]
async fn update_primary_region_swaps_the_roles_in_every_region() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;
    let before: Vec<KeyMetadata> = vec![
        describe(&r.us, &key).await,
        describe(&r.eu, &key).await,
        describe(&r.ap, &key).await,
    ];
    let old = encrypt(&r.us, &key, b"before the move").await;

    // SPEC B25: no output: HTTP 200 with an empty body or `{}` (SPEC D27).
    let (status, body) = raw(
        &server,
        US,
        "UpdatePrimaryRegion",
        &json!({"KeyId": key, "PrimaryRegion": EU}),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        body.is_empty() || serde_json::from_slice::<Value>(&body).unwrap() == json!({}),
        "{}",
        String::from_utf8_lossy(&body)
    );

    // SPEC B29: crypto keeps working while the keys are Updating.
    let during = encrypt(&r.us, &key, b"during the move").await;
    let (plaintext, _) = decrypt(&r.eu, &during).await;
    assert_eq!(plaintext, b"during the move");
    let from_eu = encrypt(&r.eu, &key, b"from the new primary").await;
    let (plaintext, _) = decrypt(&r.ap, &from_eu).await;
    assert_eq!(plaintext, b"from the new primary");

    // SPEC B26, B29, B36: once settled, every region names eu-west-1 as primary and the two
    // others as replicas, and each key is back in its previous state.
    let expected_replicas = vec![
        (AP.to_string(), key_arn(AP, &key)),
        (US.to_string(), key_arn(US, &key)),
    ];
    for (kms, region) in [(&r.us, US), (&r.eu, EU), (&r.ap, AP)] {
        let md = wait_for(kms, &key, "settled with eu-west-1 as primary", |md| {
            md.key_state() == Some(&KeyState::Enabled) && primary_region(md) == Some(EU)
        })
        .await;
        let want = if region == EU {
            MultiRegionKeyType::Primary
        } else {
            MultiRegionKeyType::Replica
        };
        assert_eq!(key_type(&md), Some(&want), "{region}: {md:?}");
        assert_eq!(
            md.multi_region_configuration()
                .and_then(|c| c.primary_key())
                .and_then(|k| k.arn()),
            Some(key_arn(EU, &key).as_str())
        );
        assert_eq!(replicas(&md), expected_replicas, "{region}");
    }
    // SPEC B26: no key was created, no ARN or independent property changed.
    let after = [
        describe(&r.us, &key).await,
        describe(&r.eu, &key).await,
        describe(&r.ap, &key).await,
    ];
    for (was, is) in before.iter().zip(after.iter()) {
        assert_eq!(is.arn(), was.arn());
        assert_eq!(is.creation_date(), was.creation_date());
        assert_eq!(is.description(), was.description());
        assert_eq!(is.current_key_material_id(), was.current_key_material_id());
    }
    for kms in [&r.us, &r.eu, &r.ap] {
        let (plaintext, _) = decrypt(kms, &old).await;
        assert_eq!(plaintext, b"before the move");
    }

    // The new primary replicates and sets rotation; the old one may do neither (SPEC B10,
    // B20), and the replicas follow the new primary (SPEC B26).
    assert_error(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region(SA)
            .send()
            .await,
        "UnsupportedOperationException",
        &format!("{} is not a multi-region primary key.", key_arn(US, &key)),
    );
    let err = assert_code(
        r.us.enable_key_rotation().key_id(&key).send().await,
        "UnsupportedOperationException",
    );
    assert!(err.message.contains(&key_arn(EU, &key)), "{err:?}");
    r.eu.enable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    for kms in [&r.us, &r.ap] {
        let start = std::time::Instant::now();
        while !kms
            .get_key_rotation_status()
            .key_id(&key)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled()
        {
            assert!(
                start.elapsed() < common::mrk::WAIT,
                "rotation never arrived"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    replicate_and_wait(&r.eu, &r.sa, &key, SA).await;
    let md = wait_state(&r.sa, &key, KeyState::Enabled).await;
    assert_eq!(primary_region(&md), Some(EU));

    // And the primary can move back.
    r.eu.update_primary_region()
        .key_id(&key)
        .primary_region(US)
        .send()
        .await
        .unwrap();
    for kms in [&r.us, &r.eu, &r.ap, &r.sa] {
        wait_for(kms, &key, "settled with us-east-1 as primary", |md| {
            md.key_state() == Some(&KeyState::Enabled) && primary_region(md) == Some(US)
        })
        .await;
    }
}

#[tokio::test]
async fn update_primary_region_refuses_what_aws_refuses() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;

    // SPEC B27 (OPEN, decided NotFoundException): no replica in the region named.
    assert_code(
        r.us.update_primary_region()
            .key_id(&key)
            .primary_region(SA)
            .send()
            .await,
        "NotFoundException",
    );
    // SPEC B27: a replica, or a single-Region key, is not a primary.
    assert_error(
        r.eu.update_primary_region()
            .key_id(&key)
            .primary_region(AP)
            .send()
            .await,
        "UnsupportedOperationException",
        &format!("{} is not a multi-region primary key.", key_arn(EU, &key)),
    );
    let single = create_key(&r.us).await;
    assert_code(
        r.us.update_primary_region()
            .key_id(single.key_id())
            .primary_region(EU)
            .send()
            .await,
        "UnsupportedOperationException",
    );

    // SPEC B28, C5 [1]: both keys must be enabled; the message names the disabled one.
    r.eu.disable_key().key_id(&key).send().await.unwrap();
    assert_error(
        r.us.update_primary_region()
            .key_id(&key)
            .primary_region(EU)
            .send()
            .await,
        "DisabledException",
        &format!("{} is disabled.", key_arn(EU, &key)),
    );
    r.eu.enable_key().key_id(&key).send().await.unwrap();
    r.us.disable_key().key_id(&key).send().await.unwrap();
    assert_error(
        r.us.update_primary_region()
            .key_id(&key)
            .primary_region(EU)
            .send()
            .await,
        "DisabledException",
        &format!("{} is disabled.", key_arn(US, &key)),
    );

    // SPEC B28, C5 [5]: an EXTERNAL replica still waiting for its material.
    let external = create_primary(&r.us, OriginType::External).await;
    let id = external.key_id();
    import_forever(&r.us, id, &random_bytes(32)).await;
    replicate_and_wait(&r.us, &r.eu, id, EU).await;
    wait_state(&r.eu, id, KeyState::PendingImport).await;
    assert_error(
        r.us.update_primary_region()
            .key_id(id)
            .primary_region(EU)
            .send()
            .await,
        "KMSInvalidStateException",
        &format!("{} is pending import.", key_arn(EU, id)),
    );

    // Nothing moved.
    for (kms, k) in [(&r.eu, key.as_str()), (&r.eu, id)] {
        assert_eq!(primary_region(&describe(kms, k).await), Some(US));
    }
}

#[tokio::test]
async fn a_primary_with_replicas_waits_in_pending_replica_deletion() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;
    let arn = key_arn(US, &key);
    let ciphertext = encrypt(&r.us, &key, b"outlives the primary's schedule").await;

    // SPEC B31: PendingReplicaDeletion, the window, and no DeletionDate.
    let out =
        r.us.schedule_key_deletion()
            .key_id(&key)
            .pending_window_in_days(7)
            .send()
            .await
            .unwrap();
    assert_eq!(out.key_id(), Some(arn.as_str()));
    assert_eq!(out.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert_eq!(out.pending_window_in_days(), Some(7));
    assert!(out.deletion_date().is_none(), "{out:?}");
    let md = describe(&r.us, &key).await;
    assert_eq!(md.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert!(!md.enabled());
    assert_eq!(md.pending_deletion_window_in_days(), Some(7));
    assert!(md.deletion_date().is_none(), "{md:?}");
    // On the wire the member is absent, not null (SPEC 1.9).
    let (status, body) = raw(&server, US, "DescribeKey", &json!({"KeyId": key}));
    assert_eq!(status, 200);
    let wire: Value = serde_json::from_slice(&body).unwrap();
    assert!(wire["KeyMetadata"].get("DeletionDate").is_none(), "{wire}");
    assert_eq!(wire["KeyMetadata"]["PendingDeletionWindowInDays"], 7);

    // SPEC B33, C5 [3]: the primary neither encrypts, decrypts nor replicates.
    let pending = format!("{arn} is pending replica deletion.");
    assert_error(
        r.us.encrypt()
            .key_id(&key)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
        &pending,
    );
    assert_error(
        r.us.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .send()
            .await,
        "KMSInvalidStateException",
        &pending,
    );
    assert_error(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region(SA)
            .send()
            .await,
        "KMSInvalidStateException",
        &pending,
    );
    // ...and its replicas are unaffected (SPEC B17, B33).
    for kms in [&r.eu, &r.ap] {
        assert_eq!(
            describe(kms, &key).await.key_state(),
            Some(&KeyState::Enabled)
        );
        let (plaintext, _) = decrypt(kms, &ciphertext).await;
        assert_eq!(plaintext, b"outlives the primary's schedule");
    }

    // SPEC B32: scheduling (not finishing) the replicas' deletion does not start the
    // primary's window.
    r.eu.schedule_key_deletion()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    r.ap.schedule_key_deletion()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    let md = describe(&r.us, &key).await;
    assert_eq!(md.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert!(md.deletion_date().is_none(), "{md:?}");

    // SPEC B34, C3: cancelling leaves every key Disabled.
    for kms in [&r.us, &r.eu, &r.ap] {
        kms.cancel_key_deletion().key_id(&key).send().await.unwrap();
        let md = describe(kms, &key).await;
        assert_eq!(md.key_state(), Some(&KeyState::Disabled));
        assert!(md.pending_deletion_window_in_days().is_none(), "{md:?}");
        assert!(md.deletion_date().is_none(), "{md:?}");
    }
    r.us.enable_key().key_id(&key).send().await.unwrap();
    let (plaintext, _) = decrypt(&r.us, &ciphertext).await;
    assert_eq!(plaintext, b"outlives the primary's schedule");
}

#[tokio::test]
async fn a_replica_pending_deletion_still_holds_its_region() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let key = key_in_three_regions(&r).await;

    // SPEC B34: a replica is scheduled like a single-Region key: default 30 days, a date.
    let out =
        r.eu.schedule_key_deletion()
            .key_id(&key)
            .send()
            .await
            .unwrap();
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(out.pending_window_in_days(), Some(30));
    let date = out.deletion_date().expect("DeletionDate").secs();
    let expected = now_secs() + 30 * 86_400;
    assert!((date - expected).abs() < 120, "{date} vs {expected}");
    // The primary is unaffected (SPEC B17) and still lists the replica (SPEC B13).
    let md = describe(&r.us, &key).await;
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert!(
        replicas(&md).iter().any(|(region, _)| region == EU),
        "{md:?}"
    );

    // SPEC B9: the region still holds a related key, so no new replica goes there.
    assert_code(
        r.us.replicate_key()
            .key_id(&key)
            .replica_region(EU)
            .send()
            .await,
        "AlreadyExistsException",
    );

    // Cancelled, the replica is Disabled and usable once enabled (SPEC B34).
    r.eu.cancel_key_deletion()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        describe(&r.eu, &key).await.key_state(),
        Some(&KeyState::Disabled)
    );
    r.eu.enable_key().key_id(&key).send().await.unwrap();
    let ciphertext = encrypt(&r.us, &key, b"back in Dublin").await;
    let (plaintext, _) = decrypt(&r.eu, &ciphertext).await;
    assert_eq!(plaintext, b"back in Dublin");
}
