//! Two deployments linked in memory as peers: one hosts us-east-1 (and us-west-2), the other
//! eu-west-1. Replicas are created across the link with their material re-encrypted, a region
//! hosted elsewhere is refused, an unreachable peer blocks only its own entries, and transient
//! states end after the bound: a replica that cannot be created, a handover that cannot be
//! delivered, a rotation that cannot reach a replica; and what was queued for a region that
//! left the set holds up nothing (ARCHITECTURE.md "Multi-Region keys and replication").
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
use kms_service::{Clock, Peer, PeerError, PeerLink, Peering, Service, TestClock, Topology};
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
    /// The peer applies what it receives, but its answer never comes back.
    lose_answers: AtomicBool,
    posts: AtomicUsize,
    /// Every body handed to the link, delivered or not.
    sent: Mutex<Vec<Vec<u8>>>,
}

#[async_trait::async_trait]
impl PeerLink for MemLink {
    async fn replicate(&self, _peer: &str, body: Vec<u8>) -> Result<(), PeerError> {
        self.sent.lock().unwrap().push(body.clone());
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
            .map_err(|e| PeerError(format!("peer answered {}", e.code.name())))?;
        if self.lose_answers.load(Ordering::SeqCst) {
            return Err(PeerError("connection reset before the answer".into()));
        }
        Ok(())
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
    kept: Kept,
}

/// What survives a restart of a deployment's process.
struct Kept {
    store: Arc<dyn Store>,
    root: RootKey,
    /// The peer key pair, sealed under the root key.
    sealed_pair: Vec<u8>,
    topology: Topology,
}

/// Starts a deployment's service, as its process does: on its store, with its peering.
fn boot(clock: &Arc<TestClock>, kept: &Kept, link: &Arc<MemLink>) -> Arc<Service> {
    let sealer = Sealer::new(kept.root.clone());
    let key_pair = PeerKeyPair::open_sealed(&sealer, &kept.sealed_pair).unwrap();
    let svc = Service::new(kept.store.clone(), sealer, clock.clone());
    let peering = Peering {
        topology: kept.topology.clone(),
        link: link.clone(),
        key_pair,
    };
    assert!(svc.set_peering(peering));
    svc
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
    let root = RootKey::generate();
    let sealed_pair = PeerKeyPair::generate()
        .unwrap()
        .seal(&Sealer::new(root.clone()))
        .unwrap();
    let link = Arc::new(MemLink {
        sender: sender.into(),
        other: Mutex::new(Weak::new()),
        up: AtomicBool::new(true),
        lose_answers: AtomicBool::new(false),
        posts: AtomicUsize::new(0),
        sent: Mutex::new(Vec::new()),
    });
    let topology = Topology {
        hosted: Some(hosted.iter().map(|r| r.to_string()).collect()),
        peers: vec![peer],
        transient_timeout: Some(Duration::from_secs(30)),
    };
    let kept = Kept {
        store,
        root,
        sealed_pair,
        topology,
    };
    Site {
        _dir: dir,
        svc: boot(clock, &kept, &link),
        link,
        kept,
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

    /// Every material version of the key, as (ID, state), in order.
    async fn materials(&self, region: &str, key: &str) -> Vec<(String, String)> {
        let input = json!({"KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"});
        let listed = self.ok(region, Operation::ListKeyRotations, input).await;
        let entries = listed["Rotations"].as_array().unwrap().iter();
        entries
            .map(|r| {
                let field = |name: &str| r[name].as_str().unwrap().to_string();
                (field("KeyMaterialId"), field("KeyMaterialState"))
            })
            .collect()
    }

    /// The completed rotations ListKeyRotations reports.
    async fn rotations(&self, region: &str, key: &str) -> Vec<Value> {
        let listed = self
            .ok(region, Operation::ListKeyRotations, json!({"KeyId": key}))
            .await;
        listed["Rotations"].as_array().unwrap().clone()
    }

    async fn current(&self, region: &str, key: &str) -> String {
        let metadata = self.describe(region, key).await;
        metadata["CurrentKeyMaterialId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Encrypts `text` (base64); answers the ciphertext.
    async fn encrypt(&self, region: &str, key: &str, text: &str) -> Value {
        let input = json!({"KeyId": key, "Plaintext": text});
        let out = self.ok(region, Operation::Encrypt, input).await;
        out["CiphertextBlob"].clone()
    }

    /// Decrypts `ciphertext`; answers the plaintext (base64) and the material ID it names.
    async fn decrypt(&self, region: &str, ciphertext: &Value) -> (String, String) {
        let input = json!({"CiphertextBlob": ciphertext});
        let out = self.ok(region, Operation::Decrypt, input).await;
        let field = |name: &str| out[name].as_str().unwrap().to_string();
        (field("Plaintext"), field("KeyMaterialId"))
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

    /// A multi-Region key in us-east-1 with its replica on the peer, in eu-west-1.
    async fn replicated(&self) -> String {
        let key = self.a.mrk().await;
        let input = json!({"KeyId": key, "ReplicaRegion": EU});
        self.a.ok(US, Operation::ReplicateKey, input).await;
        self.tick().await;
        assert_eq!(self.b.describe(EU, &key).await["KeyState"], "Enabled");
        key
    }

    /// Starts deployment a's process again on its store; what it kept in memory is gone.
    fn restart_a(&mut self) {
        self.a.svc = boot(&self.clock, &self.a.kept, &self.a.link);
        *self.b.link.other.lock().unwrap() = Arc::downgrade(&self.a.svc);
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

/// The rotation of a replicated key, answered at once; what it waits for is checked after.
async fn rotate(site: &Site, key: &str) {
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
