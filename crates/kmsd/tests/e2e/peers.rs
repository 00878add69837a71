//! Two `kmsd` processes as peers (README "Replication between deployments"): one hosts
//! us-east-1, the other eu-west-1, each naming the other in `[[peers]]`. A multi-Region key
//! created on the first is replicated to the second; EXTERNAL material is imported into both
//! with openssl; ciphertexts cross both ways; the second process is killed with SIGKILL while a
//! rotation is pending and restarted on the same data directory, after which both sides agree
//! and every ciphertext still decrypts on both. No data file holds the material in the clear.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::{BehaviorVersion, Region};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, KeyMetadata, KeyState, OriginType, WrappingKeySpec,
};
use aws_sdk_kms::Client;

const ACCESS: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ACCOUNT: &str = "111122223333";
const PEER_KEY_ID: &str = "KMSDPEERUSEU";
const PEER_SECRET: &str = "peer-secret-shared-by-us-and-eu";
const US: &str = "us-east-1";
const EU: &str = "eu-west-1";

/// How long a replication may take before the test fails.
const CONVERGE: Duration = Duration::from_secs(60);

/// One `kmsd serve` on a fixed port, killed when dropped.
struct Site {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Site {
    /// A site hosting `region`, with `peer_region` hosted by the peer on `peer_port`.
    fn new(port: u16, region: &str, peer_name: &str, peer_port: u16, peer_region: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let config = format!(
            "regions = [\"{region}\"]\n\
             replication_timeout_secs = 120\n\n\
             [[access_keys]]\nid = \"{ACCESS}\"\nsecret = \"{SECRET}\"\naccount = \"{ACCOUNT}\"\n\n\
             [[peers]]\nname = \"{peer_name}\"\nurl = \"http://127.0.0.1:{peer_port}\"\n\
             regions = [\"{peer_region}\"]\naccess_key_id = \"{PEER_KEY_ID}\"\n\
             secret = \"{PEER_SECRET}\"\n"
        );
        std::fs::write(dir.path().join("kmsd.toml"), config).unwrap();
        let mut site = Site {
            dir,
            port,
            child: None,
            log: Arc::default(),
        };
        site.spawn();
        site
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the binary and waits for its ready line.
    fn spawn(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kmsd"));
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--config")
            .arg(self.dir.path().join("kmsd.toml"))
            .env("KMSD_LOG_LEVEL", "info")
            .env_remove("KMSD_LISTEN")
            .env_remove("KMSD_DATA_DIR")
            .env_remove("KMSD_CONFIG")
            .env_remove("KMSD_ROOT_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn kmsd");
        let stderr = child.stderr.take().unwrap();
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let log = Arc::clone(&self.log);
        std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("kmsd listening on") {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
                log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        if ready_rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            panic!("kmsd did not start:\n{}", self.log_text());
        }
        self.child = Some(child);
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_text(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n")
    }

    fn client(&self, region: &str) -> Client {
        let credentials =
            aws_credential_types::Credentials::new(ACCESS, SECRET, None, None, "kmsd-peers");
        let config = aws_sdk_kms::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .build();
        Client::from_conf(config)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn describe(client: &Client, key: &str) -> Option<KeyMetadata> {
    let out = client.describe_key().key_id(key).send().await.ok()?;
    out.key_metadata
}

/// Polls until `check` holds of the key's metadata in `client`'s region; answers how long.
async fn wait_for(
    client: &Client,
    key: &str,
    what: &str,
    check: impl Fn(&KeyMetadata) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if describe(client, key).await.as_ref().is_some_and(&check) {
            return started.elapsed();
        }
        assert!(started.elapsed() < CONVERGE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn encrypt(client: &Client, key: &str, plaintext: &[u8]) -> Blob {
    let out = client
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(plaintext))
        .send()
        .await
        .unwrap();
    out.ciphertext_blob.unwrap()
}

async fn decrypt(client: &Client, ciphertext: &Blob) -> Vec<u8> {
    let out = client
        .decrypt()
        .ciphertext_blob(ciphertext.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("decrypt: {:?}", e.into_service_error()));
    out.plaintext.unwrap().into_inner()
}

/// Wraps `material` for the key's import with the openssl command line (RSAES_OAEP_SHA_256)
/// and imports it; answers nothing, fails the test on error.
async fn import(client: &Client, key: &str, material: &[u8], dir: &Path) {
    let params = client
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    std::fs::write(dir.join("pub.der"), params.public_key.unwrap().into_inner()).unwrap();
    std::fs::write(dir.join("material.bin"), material).unwrap();
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            "pub.der",
            "-in",
            "material.bin",
            "-out",
            "wrapped.bin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ])
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wrapped = std::fs::read(dir.join("wrapped.bin")).unwrap();
    std::fs::remove_file(dir.join("material.bin")).unwrap();
    client
        .import_key_material()
        .key_id(key)
        .import_token(params.import_token.unwrap())
        .encrypted_key_material(Blob::new(wrapped))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
}

/// Whether any file under `dir` holds `needle` (or its hex) anywhere.
fn any_file_holds(dir: &Path, needle: &[u8]) -> Option<PathBuf> {
    let hex_needle: Vec<u8> = needle
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if let Some(found) = any_file_holds(&path, needle) {
                return Some(found);
            }
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        let holds = |n: &[u8]| bytes.windows(n.len()).any(|w| w == n);
        if holds(needle) || holds(&hex_needle) {
            return Some(path);
        }
    }
    None
}

fn current_material(m: &KeyMetadata) -> Option<String> {
    m.current_key_material_id.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_deployments_replicate_a_multi_region_key_and_survive_a_kill() {
    // Step 1: two deployments, each the other's peer.
    let (us_port, eu_port) = (free_port(), free_port());
    let us_site = Site::new(us_port, US, "eu", eu_port, EU);
    let mut eu_site = Site::new(eu_port, EU, "us", us_port, US);
    let us = us_site.client(US);
    let eu = eu_site.client(EU);

    // Step 2: a region the other deployment hosts is refused, naming it.
    let refused = us_site.client(EU).list_keys().send().await.unwrap_err();
    let refused = refused.into_service_error();
    assert_eq!(refused.code(), Some("UnsupportedOperationException"));
    assert!(refused.message().unwrap_or_default().contains("peer eu"));

    // Step 3: an AWS_KMS multi-Region key replicated across; ciphertexts both ways.
    let created = us.create_key().multi_region(true).send().await.unwrap();
    let key = created.key_metadata.unwrap().key_id;
    let started = Instant::now();
    us.replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
    wait_for(&eu, &key, "the replica", |m| {
        m.key_state == Some(KeyState::Enabled)
    })
    .await;
    let replicated_in = started.elapsed();
    let primary = describe(&us, &key).await.unwrap();
    let replica = describe(&eu, &key).await.unwrap();
    assert_eq!(current_material(&primary), current_material(&replica));
    let from_us = encrypt(&us, &key, b"written in us-east-1").await;
    assert_eq!(decrypt(&eu, &from_us).await, b"written in us-east-1");
    let from_eu = encrypt(&eu, &key, b"written in eu-west-1").await;
    assert_eq!(decrypt(&us, &from_eu).await, b"written in eu-west-1");

    // Step 4: an EXTERNAL multi-Region key, the same material imported into both.
    let material: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let external = us
        .create_key()
        .multi_region(true)
        .origin(OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    import(&us, &external, &material, us_site.dir.path()).await;
    us.replicate_key()
        .key_id(&external)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
    wait_for(&eu, &external, "the external replica", |m| {
        m.key_state == Some(KeyState::PendingImport)
    })
    .await;
    import(&eu, &external, &material, eu_site.dir.path()).await;
    let ext_us = encrypt(&us, &external, b"external from us").await;
    assert_eq!(decrypt(&eu, &ext_us).await, b"external from us");
    let ext_eu = encrypt(&eu, &external, b"external from eu").await;
    assert_eq!(decrypt(&us, &ext_eu).await, b"external from eu");

    // Step 5: the second deployment dies; a rotation on the primary waits for it.
    let before = current_material(&primary).unwrap();
    eu_site.kill();
    let killed = Instant::now();
    us.rotate_key_on_demand().key_id(&key).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = describe(&us, &key).await.unwrap();
    assert_eq!(
        current_material(&waiting).as_deref(),
        Some(before.as_str()),
        "no ciphertext under new material before the replica has it"
    );
    let during = encrypt(&us, &key, b"while eu-west-1 was down").await;

    // Step 6: it comes back on the same data directory; the rotation is applied once.
    eu_site.spawn();
    let restarted = Instant::now();
    wait_for(&us, &key, "the rotation on the primary", |m| {
        current_material(m).is_some_and(|c| c != before)
    })
    .await;
    let after = current_material(&describe(&us, &key).await.unwrap()).unwrap();
    wait_for(&eu, &key, "the rotation on the replica", |m| {
        current_material(m).as_deref() == Some(after.as_str())
    })
    .await;
    let converged_in = restarted.elapsed();
    let rotations = us.list_key_rotations().key_id(&key).send().await.unwrap();
    assert_eq!(
        rotations.rotations.unwrap_or_default().len(),
        1,
        "one rotation"
    );

    // Step 7: every ciphertext, old and new, decrypts on both sides.
    let new_us = encrypt(&us, &key, b"after the rotation").await;
    for client in [&us, &eu] {
        assert_eq!(decrypt(client, &from_us).await, b"written in us-east-1");
        assert_eq!(decrypt(client, &from_eu).await, b"written in eu-west-1");
        assert_eq!(decrypt(client, &during).await, b"while eu-west-1 was down");
        assert_eq!(decrypt(client, &new_us).await, b"after the rotation");
        assert_eq!(decrypt(client, &ext_us).await, b"external from us");
        assert_eq!(decrypt(client, &ext_eu).await, b"external from eu");
    }
    let new_eu = encrypt(&eu, &key, b"new material in eu").await;
    assert_eq!(decrypt(&us, &new_eu).await, b"new material in eu");

    // Step 8: neither deployment's data holds the imported material in the clear.
    for site in [&us_site, &eu_site] {
        if let Some(file) = any_file_holds(&site.data_dir(), &material) {
            panic!("{} holds the material in the clear", file.display());
        }
        assert!(!site.log_text().contains(PEER_SECRET));
    }
    eprintln!(
        "peers: replica Enabled on the peer {replicated_in:?} after ReplicateKey; after a \
         kill -9 ({:?} down) the pending rotation converged {converged_in:?} after restart",
        restarted.duration_since(killed)
    );
}
