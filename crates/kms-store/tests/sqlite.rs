//! The SQLite backend: the conformance suite, plus reopening, throughput under concurrency, and
//! durability across `kill -9` of a process that is writing.

#![allow(clippy::expect_used)] // A test: a failed expectation is a failed test.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kms_store::conformance::{self, alias_record, grant_id, grant_record, key_id, key_record};
use kms_store::sqlite::{SqliteStore, SCHEMA_VERSION};
use kms_store::{Store, StoreError};

/// The environment variable that turns `crash_child` into the writer the crash test kills.
const CRASH_DB: &str = "KMS_STORE_CRASH_CHILD_DB";

/// The namespace of the throughput and crash tests.
const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";

/// A fresh store in a temporary folder (kept alive by the returned guard).
fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("kms.db")).expect("open");
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_suite() {
    let (_dir, store) = fresh();
    conformance::run_all(&store).await;
}

#[tokio::test]
async fn data_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kms.db");
    let key = key_record(ACCOUNT, REGION, &key_id(1));
    let alias = alias_record(ACCOUNT, REGION, "alias/kept", &key.key_id);

    // Write, update and close.
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create_key(&key).await.expect("create_key");
        store.update_key(&key).await.expect("update_key");
        store.create_alias(&alias).await.expect("create_alias");
    }

    // Reopen: everything is there, at the updated version.
    let store = SqliteStore::open(&path).expect("reopen");
    let read = store
        .get_key(ACCOUNT, REGION, &key.key_id)
        .await
        .expect("get_key");
    assert_eq!(read.expect("key kept").version, 1);
    let read = store
        .get_alias(ACCOUNT, REGION, "alias/kept")
        .await
        .expect("get_alias");
    assert_eq!(read, Some(alias));
}

#[tokio::test]
async fn grants_survive_reopen_in_memory_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kms.db");
    let key = key_record(ACCOUNT, REGION, &key_id(1));
    let grant = grant_record(ACCOUNT, REGION, &key.key_id, &grant_id(1));

    // Write a key with a grant and close.
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create_key(&key).await.expect("create_key");
        store.create_grant(&grant).await.expect("create_grant");
    }

    // Reopen: the grant is known in memory before any read of it.
    let store = SqliteStore::open(&path).expect("reopen");
    let held = store.grants_of_key(ACCOUNT, REGION, &key.key_id);
    assert_eq!(held.as_deref(), Some(std::slice::from_ref(&grant)));
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kms.db");
    drop(SqliteStore::open(&path).expect("open"));

    // Pretend a later build migrated the file.
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("set version");
    drop(conn);

    match SqliteStore::open(&path) {
        Err(StoreError::Backend(message)) => assert!(message.contains("schema version")),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
}

#[test]
fn sets_wal_and_schema_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kms.db");
    let _store = SqliteStore::open(&path).expect("open");

    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn many_concurrent_creates() {
    const TASKS: u32 = 64;
    const PER_TASK: u32 = 2000 / TASKS + 1;
    let (_dir, store) = fresh();
    let store = Arc::new(store);

    // 64 tasks, each creating its share of about 2000 keys one after another.
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..PER_TASK {
                    let key = key_record(ACCOUNT, REGION, &key_id(task * PER_TASK + i));
                    store.create_key(&key).await.expect("create_key");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let elapsed = started.elapsed();
    let writes = TASKS * PER_TASK;
    println!(
        "{writes} creates from {TASKS} tasks in {elapsed:?}: {:.0} writes/s",
        f64::from(writes) / elapsed.as_secs_f64()
    );

    // Every key is there.
    let mut count = 0;
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_keys(ACCOUNT, REGION, after.as_deref(), 500)
            .await
            .expect("list");
        count += page.items.len();
        after = page.items.last().cloned();
        if !page.truncated {
            break;
        }
    }
    assert_eq!(count, writes as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_do_not_wait_for_writes() {
    let (_dir, store) = fresh();
    let store = Arc::new(store);
    let key = key_record(ACCOUNT, REGION, &key_id(0));
    store.create_key(&key).await.expect("create_key");

    // Keep the writer busy while reading; every read sees the committed key.
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for n in 1..400 {
                let key = key_record(ACCOUNT, REGION, &key_id(n));
                store.create_key(&key).await.expect("create_key");
            }
        })
    };
    for _ in 0..200 {
        let read = store
            .get_key(ACCOUNT, REGION, &key.key_id)
            .await
            .expect("get_key");
        assert_eq!(read.as_ref(), Some(&key));
    }
    writer.await.expect("writer");
}

/// Not a test on its own: with `KMS_STORE_CRASH_CHILD_DB` set it is the process that
/// `acknowledged_writes_survive_kill` starts and kills. It writes keys from many tasks and
/// prints `ACK <key id>` for each write the store acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_child() {
    let Ok(path) = std::env::var(CRASH_DB) else {
        return;
    };
    let store = Arc::new(SqliteStore::open(Path::new(&path)).expect("open"));

    // Write until killed; the bound only matters if the parent never kills.
    let deadline = Instant::now() + Duration::from_secs(60);
    let tasks: Vec<_> = (0..16u32)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut n = 0;
                while Instant::now() < deadline {
                    let key = key_record(ACCOUNT, REGION, &key_id(task << 24 | n));
                    store.create_key(&key).await.expect("create_key");
                    println!("ACK {}", key.key_id);
                    n += 1;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

#[test]
fn acknowledged_writes_survive_kill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kms.db");

    // Run `crash_child` of this same test binary as a writer process.
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CRASH_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();

    // Collect acknowledgements, then SIGKILL the writer in the middle of its work.
    let mut acked: Vec<String> = Vec::new();
    while acked.len() < 1500 {
        let line = lines
            .next()
            .expect("the writer ended early")
            .expect("read stdout");
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    child.kill().expect("kill the writer");
    child.wait().expect("reap the writer");

    // Acknowledgements printed before the kill count too.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    println!("{} acknowledged writes before the kill", acked.len());
    std::io::stdout().flush().ok();

    // Reopen the killed database: every acknowledged key is there.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SqliteStore::open(&path).expect("reopen after kill");
        for id in &acked {
            let key = store.get_key(ACCOUNT, REGION, id).await.expect("get_key");
            assert!(key.is_some(), "acknowledged key {id} was lost");
        }
    });
}
