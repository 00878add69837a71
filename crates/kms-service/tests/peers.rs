//! Two deployments linked in memory as peers: one hosts us-east-1 (and us-west-2), the other
//! eu-west-1. Replicas are created across the link with their material re-encrypted, a region
//! hosted elsewhere is refused, an unreachable peer blocks only its own entries, and transient
//! states end after the bound (ARCHITECTURE.md "Multi-Region keys and replication").
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use kms_crypto::peer::PeerKeyPair;
use kms_crypto::{RootKey, Sealer};
use kms_model::{AccountId, Caller, ErrorCode, KmsError, Operation, Region, Timestamp};
use kms_service::{Peer, PeerError, PeerLink, Peering, Service, TestClock, Topology};
use kms_store::sqlite::SqliteStore;
use kms_store::Store;
use serde_json::{json, Value};

const US: &str = "us-east-1";
const WEST: &str = "us-west-2";
const EU: &str = "eu-west-1";

/// The in-memory link of one deployment to the other, which can be cut.
struct MemLink {
    /// The name the receiver knows the sender by.
    sender: String,
    other: Mutex<Weak<Service>>,
    up: AtomicBool,
    posts: AtomicUsize,
}

#[async_trait::async_trait]
impl PeerLink for MemLink {
    async fn replicate(&self, _peer: &str, body: Vec<u8>) -> Result<(), PeerError> {
        if !self.up.load(Ordering::SeqCst) {
            return Err(PeerError("connection refused".into()));
        }
        self.posts.fetch_add(1, Ordering::SeqCst);
        let other = self.other.lock().unwrap().upgrade().unwrap();
        // The body never holds the material as stored here: it is encrypted to the peer.
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("\"sealed\"") || !text.contains("Snapshot"));
        other
            .peer_receive(&self.sender, &body)
            .await
            .map_err(|e| PeerError(format!("peer answered {}", e.code.name())))
    }

    async fn public_key(&self, _peer: &str) -> Result<Vec<u8>, PeerError> {
        if !self.up.load(Ordering::SeqCst) {
            return Err(PeerError("connection refused".into()));
        }
        let other = self.other.lock().unwrap().upgrade().unwrap();
        other
            .peer_public_key()
            .ok_or_else(|| PeerError("no key".into()))
    }
}

struct Site {
    _dir: tempfile::TempDir,
    svc: Arc<Service>,
    link: Arc<MemLink>,
}

struct Pair {
    clock: Arc<TestClock>,
    a: Site,
    b: Site,
}

fn caller(region: &str) -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        region: Region::parse(region).unwrap(),
        secure_transport: false,
        source_ip: None,
    }
}

fn site(clock: &Arc<TestClock>, sender: &str, hosted: &[&str], peer: Peer) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let svc = Service::new(store, Sealer::new(RootKey::generate()), clock.clone());
    let link = Arc::new(MemLink {
        sender: sender.into(),
        other: Mutex::new(Weak::new()),
        up: AtomicBool::new(true),
        posts: AtomicUsize::new(0),
    });
    let topology = Topology {
        hosted: Some(hosted.iter().map(|r| r.to_string()).collect()),
        peers: vec![peer],
        transient_timeout: Some(Duration::from_secs(30)),
    };
    let peering = Peering {
        topology,
        link: link.clone(),
        key_pair: PeerKeyPair::generate().unwrap(),
    };
    assert!(svc.set_peering(peering));
    Site {
        _dir: dir,
        svc,
        link,
    }
}

fn peer(name: &str, regions: &[&str]) -> Peer {
    Peer {
        name: name.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        public_key: None,
    }
}

fn pair() -> Pair {
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let a = site(&clock, "a", &[US, WEST], peer("b", &[EU]));
    let b = site(&clock, "b", &[EU], peer("a", &[US, WEST]));
    *a.link.other.lock().unwrap() = Arc::downgrade(&b.svc);
    *b.link.other.lock().unwrap() = Arc::downgrade(&a.svc);
    Pair { clock, a, b }
}

impl Site {
    async fn call(&self, region: &str, op: Operation, input: Value) -> Result<Value, KmsError> {
        let body = self.svc.call(op, &caller(region), input).await?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    async fn ok(&self, region: &str, op: Operation, input: Value) -> Value {
        self.call(region, op, input)
            .await
            .unwrap_or_else(|e| panic!("{op:?} in {region}: {e}"))
    }

    async fn describe(&self, region: &str, key: &str) -> Value {
        self.ok(region, Operation::DescribeKey, json!({"KeyId": key}))
            .await["KeyMetadata"]
            .clone()
    }

    async fn mrk(&self) -> String {
        let created = self
            .ok(US, Operation::CreateKey, json!({"MultiRegion": true}))
            .await;
        created["KeyMetadata"]["KeyId"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Pair {
    /// Runs both deployments' background work a few times, at the current test time.
    async fn tick(&self) {
        for _ in 0..4 {
            self.a.svc.tick().await.unwrap();
            self.b.svc.tick().await.unwrap();
        }
    }

    /// Moves the test clock past every retry backoff, then ticks.
    async fn later(&self, millis: i64) {
        self.clock.advance_millis(millis);
        self.tick().await;
    }
}

fn replica_regions(metadata: &Value) -> Vec<String> {
    metadata["MultiRegionConfiguration"]["ReplicaKeys"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|k| k["Region"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

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
    let from_us =
        p.a.ok(
            US,
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": "aGVsbG8="}),
        )
        .await;
    let back =
        p.b.ok(
            EU,
            Operation::Decrypt,
            json!({"CiphertextBlob": from_us["CiphertextBlob"]}),
        )
        .await;
    assert_eq!(back["Plaintext"], "aGVsbG8=");
    let from_eu =
        p.b.ok(
            EU,
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": "d29ybGQ="}),
        )
        .await;
    let back =
        p.a.ok(
            US,
            Operation::Decrypt,
            json!({"CiphertextBlob": from_eu["CiphertextBlob"]}),
        )
        .await;
    assert_eq!(back["Plaintext"], "d29ybGQ=");

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
    let old =
        p.a.ok(
            US,
            Operation::Decrypt,
            json!({"CiphertextBlob": from_eu["CiphertextBlob"]}),
        )
        .await;
    assert_eq!(old["Plaintext"], "d29ybGQ=");

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
