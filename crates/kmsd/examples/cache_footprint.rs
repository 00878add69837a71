//! How much resident memory the key cache costs per key in use: a program that prints figures,
//! not a test. `cargo run --release -p kmsd --example cache_footprint -- 200000 DIR` creates the
//! keys in DIR; the same command again measures a fresh process that uses every key.
//!
//! It creates N keys, then starts a second service on the same store, so that its cache starts
//! empty and nothing of the creation is left in it, and Encrypts once under every key (which
//! loads the key's entry and unseals its material). The figure is the growth of the resident
//! set over those Encrypts, with kmsd's allocator; SQLite's page cache is bounded, so at a large
//! N it adds little per key.
//!
//! Then it times Encrypt through the service (no HTTP, no SigV4) on a random key of N and on
//! one key, every key warm, so that what a random key costs in cache misses shows apart from
//! the load generator and the network. `CF_ONLY=random` (or `single`) times one of the two
//! alone, for a profiler (`perf record -D` past the set-up).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring program"
)]

use std::sync::Arc;

use kms_crypto::{RootKey, Sealer};
use kms_model::{AccountId, Caller, Operation, Region, Timestamp};
use kms_service::{Service, TestClock};
use kms_store::sqlite::SqliteStore;
use kms_store::Store;
use serde_json::json;

/// The allocator kmsd runs with, so that its overhead per allocation counts as it does there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The resident set of this process, in bytes (Linux: the second field of /proc/self/statm).
fn resident_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn caller() -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        region: Region::parse("us-east-1").unwrap(),
        secure_transport: false,
        source_ip: None,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Step 1: the store: made here with N keys, unless the folder given already holds one.
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = args.next().map(std::path::PathBuf::from);
    let scratch = tempfile::tempdir().unwrap();
    let dir = dir.unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    let root_file = dir.join("root.hex");
    let fresh = !root_file.exists();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("k.db")).unwrap());
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let caller = caller();
    if fresh {
        let root = RootKey::generate();
        std::fs::write(&root_file, root.to_hex().as_bytes()).unwrap();
        let svc = Service::new(Arc::clone(&store), Sealer::new(root), clock.clone());
        let start = resident_bytes();
        for _ in 0..n {
            svc.call(Operation::CreateKey, &caller, json!({}))
                .await
                .unwrap();
        }
        let grown = resident_bytes() - start;
        println!(
            "CreateKey of {n} keys in this process: resident grew {} MiB, {} bytes per key",
            grown >> 20,
            grown / n as i64
        );
        println!(
            "run again with the folder to measure a fresh cache: cache_footprint {n} {}",
            dir.display()
        );
        std::mem::forget(scratch);
        return;
    }

    // Step 2: a fresh process and cache: the key IDs, then one Encrypt per key fills the cache.
    let root = RootKey::from_hex(&std::fs::read_to_string(&root_file).unwrap()).unwrap();
    let svc = Service::new(Arc::clone(&store), Sealer::new(root), clock);
    let mut ids = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"Limit": 1000});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let out = svc.call(Operation::ListKeys, &caller, input).await.unwrap();
        let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
        for k in out["Keys"].as_array().unwrap() {
            ids.push(k["KeyId"].as_str().unwrap().to_string());
        }
        match out["NextMarker"].as_str() {
            Some(m) => marker = Some(m.to_string()),
            None => break,
        }
    }
    let before = resident_bytes();
    for id in &ids {
        let input = json!({"KeyId": id, "Plaintext": "aGVsbG8="});
        svc.call(Operation::Encrypt, &caller, input).await.unwrap();
    }
    let after = resident_bytes();

    // Step 3: the figure.
    let per_key = (after - before) / ids.len().max(1) as i64;
    println!("keys in use: {}", ids.len());
    println!(
        "resident growth: {} MiB in all, {per_key} bytes per key",
        (after - before) >> 20
    );
    println!("resident in all: {} MiB", after >> 20);

    // Step 4: the time a request spends on a random key against one key, every key warm.
    let one = vec![ids[0].clone()];
    let only = std::env::var("CF_ONLY").unwrap_or_default();
    for round in 0..3 {
        let random = if only == "single" {
            1.0
        } else {
            time_encrypts(&svc, &caller, &ids, 3 * ids.len()).await
        };
        let single = if only == "random" {
            1.0
        } else {
            time_encrypts(&svc, &caller, &one, 3 * ids.len()).await
        };
        println!(
            "round {round}: Encrypt {random:.0} ns on a random key, {single:.0} ns on one key \
             (+{:.1} %)",
            (random / single - 1.0) * 100.0
        );
    }
}

/// Nanoseconds per Encrypt through the service, `count` of them on keys drawn from `ids`.
async fn time_encrypts(svc: &Service, caller: &Caller, ids: &[String], count: usize) -> f64 {
    let mut rng = fastrand::Rng::with_seed(7);
    let start = std::time::Instant::now();
    for _ in 0..count {
        let id = &ids[rng.usize(..ids.len())];
        let input = json!({"KeyId": id, "Plaintext": "aGVsbG8="});
        svc.call(Operation::Encrypt, caller, input).await.unwrap();
    }
    start.elapsed().as_nanos() as f64 / count as f64
}
