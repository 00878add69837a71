//! Durability under SIGKILL (issue 2 "What must hold"): clients create keys and encrypt
//! under load, the server is killed with `kill -9` at a random moment and restarted on the
//! same data dir; every CreateKey that returned 200 left a key, and every ciphertext that
//! Encrypt or GenerateDataKey returned still decrypts to its plaintext.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{random_bytes, Server};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";
const CLIENTS: usize = 8;
const ROUNDS: usize = 3;

/// What the server acknowledged with a 200.
#[derive(Default)]
struct Acknowledged {
    /// Key ID and ARN of each created key.
    keys: Vec<(String, String)>,
    /// Key ARN, context value, ciphertext, plaintext.
    ciphertexts: Vec<(String, String, Blob, Vec<u8>)>,
    /// Failures seen before the kill: none are expected.
    early_errors: Vec<String>,
}

async fn client_loop(kms: Client, killed: Arc<AtomicBool>, acked: Arc<Mutex<Acknowledged>>) {
    let fail = |what: String| {
        if !killed.load(Ordering::SeqCst) {
            acked.lock().unwrap().early_errors.push(what);
        }
    };
    loop {
        let md = match kms.create_key().description("crash test").send().await {
            Ok(out) => out.key_metadata.unwrap(),
            Err(err) => return fail(format!("CreateKey: {err:?}")),
        };
        let arn = md.arn().unwrap().to_string();
        acked
            .lock()
            .unwrap()
            .keys
            .push((md.key_id().to_string(), arn.clone()));

        for i in 0..3 {
            let plaintext = random_bytes(fastrand::usize(1..=512));
            let context = format!("n{i}");
            let result = kms
                .encrypt()
                .key_id(md.key_id())
                .plaintext(Blob::new(plaintext.clone()))
                .encryption_context("n", &context)
                .send()
                .await;
            match result {
                Ok(out) => acked.lock().unwrap().ciphertexts.push((
                    arn.clone(),
                    context,
                    out.ciphertext_blob.unwrap(),
                    plaintext,
                )),
                Err(err) => return fail(format!("Encrypt: {err:?}")),
            }
        }
        let result = kms
            .generate_data_key()
            .key_id(&arn)
            .number_of_bytes(32)
            .encryption_context("n", "data-key")
            .send()
            .await;
        match result {
            Ok(out) => acked.lock().unwrap().ciphertexts.push((
                arn.clone(),
                "data-key".to_string(),
                out.ciphertext_blob.unwrap(),
                out.plaintext.unwrap().into_inner(),
            )),
            Err(err) => return fail(format!("GenerateDataKey: {err:?}")),
        }
    }
}

async fn verify(kms: &Client, acked: &Acknowledged) {
    for (id, arn) in &acked.keys {
        let md = kms.describe_key().key_id(id).send().await;
        let md = md.unwrap_or_else(|e| panic!("key {id} acknowledged but lost: {e:?}"));
        assert_eq!(md.key_metadata().unwrap().arn(), Some(arn.as_str()));
    }
    for (arn, context, ciphertext, plaintext) in &acked.ciphertexts {
        let out = kms
            .decrypt()
            .ciphertext_blob(ciphertext.clone())
            .encryption_context("n", context)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ciphertext of {arn} no longer decrypts: {e:?}"));
        assert_eq!(out.key_id(), Some(arn.as_str()));
        assert_eq!(out.plaintext().unwrap().as_ref(), plaintext.as_slice());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let mut server = Server::start();
    let mut all = Acknowledged::default();

    for round in 0..ROUNDS {
        let kms = server.client(REGION);
        let killed = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Acknowledged::default()));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| tokio::spawn(client_loop(kms.clone(), killed.clone(), acked.clone())))
            .collect();

        // Kill -9 at a random moment while the clients are busy.
        let delay = fastrand::u64(200..=1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        killed.store(true, Ordering::SeqCst);
        server.kill();
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(60), task)
                .await
                .expect("a client hung after the kill")
                .unwrap();
        }

        let mut acked = std::mem::take(&mut *acked.lock().unwrap());
        assert!(
            acked.early_errors.is_empty(),
            "round {round}: requests failed before the kill:\n{}\nserver log:\n{}",
            acked.early_errors.join("\n"),
            server.log_text()
        );
        assert!(
            !acked.keys.is_empty(),
            "round {round}: no key was created in {delay} ms"
        );
        println!(
            "round {round}: killed after {delay} ms with {} keys and {} ciphertexts acknowledged",
            acked.keys.len(),
            acked.ciphertexts.len()
        );
        all.keys.append(&mut acked.keys);
        all.ciphertexts.append(&mut acked.ciphertexts);

        // Everything acknowledged so far, in this round and the earlier ones, is there.
        server.respawn();
        verify(&server.client(REGION), &all).await;
    }
}
