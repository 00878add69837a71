//! The AWS Encryption SDK for Python and its multi-Region-key providers against the real
//! binary (issue 4, "real clients to keep working"; SPEC B22): a message encrypted under a
//! primary in us-east-1 decrypts through its replica in eu-west-1. The client side is
//! `tests/esdk/mrk_round_trip.py`; this test makes the keys and runs it. Without the
//! `aws_encryption_sdk` module (`pip install aws-encryption-sdk`) it says so and passes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::process::Command;

use crate::common::import::import_forever;
use crate::common::mrk::{create_primary, replicate_and_wait, wait_state, EU, US};
use crate::common::{key_arn, random_bytes, Server, ACCESS_A, ACCOUNT_A, SECRET_A};
use aws_sdk_kms::types::{KeyState, OriginType};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/esdk/mrk_round_trip.py");

/// False, with a note, when python3 cannot import the Encryption SDK.
fn have_esdk() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aws_encryption_sdk, boto3"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        println!(
            "note: python3 cannot import aws_encryption_sdk (pip install aws-encryption-sdk); \
             the Encryption SDK test is skipped"
        );
    }
    ok
}

/// Runs the script for the key `key` and asserts each of its steps.
fn run_script(server: &Server, key: &str) {
    let out = Command::new("python3")
        .arg(SCRIPT)
        .arg(key_arn(US, key))
        .arg(key_arn(EU, key))
        .arg(ACCOUNT_A)
        .env("KMSD_ENDPOINT", server.endpoint())
        .env("KMSD_ACCESS_KEY", ACCESS_A)
        .env("KMSD_SECRET_KEY", SECRET_A)
        .env("AWS_CONFIG_FILE", "/nonexistent/kmsd-esdk-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/kmsd-esdk-credentials",
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_KMS")
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{key}: the Encryption SDK script failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("ok ")).collect();
    assert_eq!(
        steps.len(),
        4,
        "{key}: stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[tokio::test]
async fn the_encryption_sdk_decrypts_through_the_replica() {
    if !have_esdk() {
        return;
    }
    let server = Server::shared();
    let us = server.client(US);
    let eu = server.client(EU);

    // An AWS_KMS primary with a replica, and an EXTERNAL one with the same material in both.
    let generated = create_primary(&us, OriginType::AwsKms).await;
    replicate_and_wait(&us, &eu, generated.key_id(), EU).await;
    wait_state(&eu, generated.key_id(), KeyState::Enabled).await;
    let material = random_bytes(32);
    let imported = create_primary(&us, OriginType::External).await;
    import_forever(&us, imported.key_id(), &material).await;
    replicate_and_wait(&us, &eu, imported.key_id(), EU).await;
    wait_state(&eu, imported.key_id(), KeyState::PendingImport).await;
    import_forever(&eu, imported.key_id(), &material).await;

    for key in [generated.key_id(), imported.key_id()] {
        run_script(&server, key);
    }
}
