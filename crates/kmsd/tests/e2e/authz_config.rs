//! Identity policies in the config file, against the binary (issue 5, "Principals and
//! identity policies"): a valid `[[policies]]` table takes effect, and an invalid document is
//! refused at start, exit code 2, with a message naming the file, the principal and the fault.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use crate::common::authz::{
    config_text, identity, policy_entry, serve_expecting_exit, Refusal, World, ALICE, BOB,
};
use serde_json::json;

/// How long a refusing server may take to exit.
const LIMIT: Duration = Duration::from_secs(30);

/// Writes the config of every principal plus `extra`, starts `kmsd serve` on it, and returns
/// the config path and what the binary did.
fn refuse(extra: &str) -> (tempfile::TempDir, PathBuf, Refusal) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("policies.toml");
    std::fs::write(&config, format!("{}{extra}", config_text(&[]))).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let refusal = serve_expecting_exit(&config, &data, LIMIT);
    (dir, config, refusal)
}

#[track_caller]
fn assert_refused(refusal: &Refusal, config: &std::path::Path, principal: &str, fault: &[&str]) {
    assert_eq!(
        refusal.status.code(),
        Some(2),
        "stderr:\n{}",
        refusal.stderr
    );
    let stderr = &refusal.stderr;
    assert!(
        stderr.contains(&config.display().to_string()),
        "the message names the file: {stderr}"
    );
    assert!(
        stderr.contains(principal),
        "the message names the principal: {stderr}"
    );
    for part in fault {
        assert!(stderr.contains(part), "the message says {part:?}: {stderr}");
    }
    assert!(
        !stderr.contains("kmsd listening on"),
        "a refused config never serves: {stderr}"
    );
}

#[test]
fn an_unknown_effect_is_refused() {
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"kms:Encrypt","Resource":"*"}]}"#;
    let (_dir, config, refusal) = refuse(&policy_entry(ALICE.arn, document));
    assert_refused(&refusal, &config, ALICE.arn, &["Effect", "Permit"]);
}

#[test]
fn a_document_that_is_not_json_is_refused() {
    let (_dir, config, refusal) = refuse(&policy_entry(BOB.arn, "{\"Version\": \"2012-10-17\","));
    assert_refused(&refusal, &config, BOB.arn, &["JSON"]);
}

#[test]
fn a_principal_in_an_identity_policy_is_refused() {
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]
    });
    let (_dir, config, refusal) = refuse(&policy_entry(ALICE.arn, &document.to_string()));
    assert_refused(&refusal, &config, ALICE.arn, &["Principal"]);
}

#[test]
fn a_bad_action_is_refused_in_the_second_policy_too() {
    let good = identity(json!([{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]));
    let bad = r#"{"Version":"2012-10-17","Statement":{"Sid":"Broken","Effect":"Allow","Action":"Encrypt","Resource":"*"}}"#;
    let extra = format!(
        "{}{}",
        policy_entry(ALICE.arn, &good.to_string()),
        policy_entry(BOB.arn, bad)
    );
    let (_dir, config, refusal) = refuse(&extra);
    assert_refused(&refusal, &config, BOB.arn, &["Encrypt", "Action"]);
    assert!(!refusal.stderr.contains(ALICE.arn), "{}", refusal.stderr);
}

#[test]
fn a_principal_that_is_not_an_iam_arn_is_refused() {
    let good = identity(json!([{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]));
    let (_dir, config, refusal) = refuse(&policy_entry("alice", &good.to_string()));
    assert_refused(&refusal, &config, "alice", &["IAM"]);
}

#[tokio::test]
async fn a_valid_policy_with_several_statements_takes_effect() {
    // A single Statement object, Sid, a NotAction, and a second policy for the same user.
    let world = World::start(&[
        (
            ALICE,
            json!({
                "Version": "2012-10-17",
                "Statement": {"Sid": "All but deletion", "Effect": "Allow",
                              "NotAction": "kms:ScheduleKeyDeletion", "Resource": "*"}
            }),
        ),
        (
            ALICE,
            identity(json!([{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}])),
        ),
    ]);
    let alice = world.client(ALICE);
    let md = common::create_key(&alice).await;
    let arn = md.arn().unwrap();
    let blob = common::authz::ciphertext(&alice, md.key_id()).await;
    common::authz::assert_decrypt_denied(
        &alice,
        &blob,
        ALICE,
        arn,
        common::authz::Why::IdentityDeny,
    )
    .await;
    common::assert_error(
        alice
            .schedule_key_deletion()
            .key_id(md.key_id())
            .send()
            .await,
        "AccessDeniedException",
        &common::authz::denied(
            ALICE,
            "kms:ScheduleKeyDeletion",
            arn,
            common::authz::Why::NoIdentityAllow,
        ),
    );
}
