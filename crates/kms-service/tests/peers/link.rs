//! Two deployments on one test clock, and the in-memory link between them that can be cut,
//! lose answers, and restart one side on its store.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use kms_crypto::peer::PeerKeyPair;
use kms_crypto::{RootKey, Sealer};
use kms_model::{AccountId, Caller, KmsError, Operation, Region, Timestamp};
use kms_service::{Peer, PeerError, PeerLink, Peering, Service, TestClock, Topology};
use kms_store::sqlite::SqliteStore;
use kms_store::Store;
use serde_json::{json, Value};

pub const US: &str = "us-east-1";
pub const WEST: &str = "us-west-2";
pub const EU: &str = "eu-west-1";

/// The in-memory link of one deployment to the other, which can be cut.
pub struct MemLink {
    /// The name the receiver knows the sender by.
    pub sender: String,
    pub other: Mutex<Weak<Service>>,
    pub up: AtomicBool,
    /// The peer applies what it receives, but its answer never comes back.
    pub lose_answers: AtomicBool,
    pub posts: AtomicUsize,
    /// Every body handed to the link, delivered or not.
    pub sent: Mutex<Vec<Vec<u8>>>,
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

pub struct Site {
    pub _dir: tempfile::TempDir,
    pub svc: Arc<Service>,
    pub link: Arc<MemLink>,
    pub kept: Kept,
}

/// What survives a restart of a deployment's process.
pub struct Kept {
    pub store: Arc<dyn Store>,
    pub root: RootKey,
    /// The peer key pair, sealed under the root key.
    pub sealed_pair: Vec<u8>,
    pub topology: Topology,
}

/// Starts a deployment's service, as its process does: on its store, with its peering.
pub fn boot(clock: &Arc<TestClock>, kept: &Kept, link: &Arc<MemLink>) -> Arc<Service> {
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

pub struct Pair {
    pub clock: Arc<TestClock>,
    pub a: Site,
    pub b: Site,
}

pub fn caller(region: &str) -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        region: Region::parse(region).unwrap(),
        secure_transport: false,
        source_ip: None,
    }
}

pub fn site(clock: &Arc<TestClock>, sender: &str, hosted: &[&str], peer: Peer) -> Site {
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

pub fn peer(name: &str, regions: &[&str]) -> Peer {
    Peer {
        name: name.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        public_key: None,
    }
}

pub fn pair() -> Pair {
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let a = site(&clock, "a", &[US, WEST], peer("b", &[EU]));
    let b = site(&clock, "b", &[EU], peer("a", &[US, WEST]));
    *a.link.other.lock().unwrap() = Arc::downgrade(&b.svc);
    *b.link.other.lock().unwrap() = Arc::downgrade(&a.svc);
    Pair { clock, a, b }
}

impl Site {
    pub async fn call(&self, region: &str, op: Operation, input: Value) -> Result<Value, KmsError> {
        let body = self.svc.call(op, &caller(region), input).await?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    pub async fn ok(&self, region: &str, op: Operation, input: Value) -> Value {
        self.call(region, op, input)
            .await
            .unwrap_or_else(|e| panic!("{op:?} in {region}: {e}"))
    }

    pub async fn describe(&self, region: &str, key: &str) -> Value {
        self.ok(region, Operation::DescribeKey, json!({"KeyId": key}))
            .await["KeyMetadata"]
            .clone()
    }

    /// Every material version of the key, as (ID, state), in order.
    pub async fn materials(&self, region: &str, key: &str) -> Vec<(String, String)> {
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
    pub async fn rotations(&self, region: &str, key: &str) -> Vec<Value> {
        let listed = self
            .ok(region, Operation::ListKeyRotations, json!({"KeyId": key}))
            .await;
        listed["Rotations"].as_array().unwrap().clone()
    }

    pub async fn current(&self, region: &str, key: &str) -> String {
        let metadata = self.describe(region, key).await;
        metadata["CurrentKeyMaterialId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Encrypts `text` (base64); answers the ciphertext.
    pub async fn encrypt(&self, region: &str, key: &str, text: &str) -> Value {
        let input = json!({"KeyId": key, "Plaintext": text});
        let out = self.ok(region, Operation::Encrypt, input).await;
        out["CiphertextBlob"].clone()
    }

    /// Decrypts `ciphertext`; answers the plaintext (base64) and the material ID it names.
    pub async fn decrypt(&self, region: &str, ciphertext: &Value) -> (String, String) {
        let input = json!({"CiphertextBlob": ciphertext});
        let out = self.ok(region, Operation::Decrypt, input).await;
        let field = |name: &str| out[name].as_str().unwrap().to_string();
        (field("Plaintext"), field("KeyMaterialId"))
    }

    pub async fn mrk(&self) -> String {
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
    pub async fn tick(&self) {
        for _ in 0..4 {
            self.a.svc.tick().await.unwrap();
            self.b.svc.tick().await.unwrap();
        }
    }

    /// A multi-Region key in us-east-1 with its replica on the peer, in eu-west-1.
    pub async fn replicated(&self) -> String {
        let key = self.a.mrk().await;
        let input = json!({"KeyId": key, "ReplicaRegion": EU});
        self.a.ok(US, Operation::ReplicateKey, input).await;
        self.tick().await;
        assert_eq!(self.b.describe(EU, &key).await["KeyState"], "Enabled");
        key
    }

    /// Starts deployment a's process again on its store; what it kept in memory is gone.
    pub fn restart_a(&mut self) {
        self.a.svc = boot(&self.clock, &self.a.kept, &self.a.link);
        *self.b.link.other.lock().unwrap() = Arc::downgrade(&self.a.svc);
    }

    /// Moves the test clock past every retry backoff, then ticks.
    pub async fn later(&self, millis: i64) {
        self.clock.advance_millis(millis);
        self.tick().await;
    }
}

pub fn replica_regions(metadata: &Value) -> Vec<String> {
    metadata["MultiRegionConfiguration"]["ReplicaKeys"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|k| k["Region"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}
