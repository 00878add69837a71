//! kms:ResourceAliases: a key policy condition on the key's aliases, looked up only when a
//! policy reads the context (issue 5 condition keys).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::sync::Arc;

use kms_crypto::{RootKey, Sealer};
use kms_model::{AccountId, Caller, ErrorCode, Operation, Region, Timestamp};
use kms_service::{Service, TestClock};
use kms_store::sqlite::SqliteStore;
use serde_json::json;

fn caller(principal: &str) -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: principal.into(),
        access_key_id: "AKID".into(),
        region: Region::parse("us-east-1").unwrap(),
        secure_transport: true,
        source_ip: None,
    }
}

#[tokio::test]
async fn a_key_policy_can_allow_by_the_keys_alias() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let svc = Service::new(store, Sealer::new(RootKey::generate()), clock);
    let root = caller("arn:aws:iam::111122223333:root");
    let alice = caller("arn:aws:iam::111122223333:user/alice");

    // The root keeps full access; alice may encrypt only while the key has alias/prod.
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/prod"}}}
    ]});
    let out = svc
        .call(
            Operation::CreateKey,
            &root,
            json!({"Policy": policy.to_string()}),
        )
        .await
        .unwrap();
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let key = out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let encrypt = json!({"KeyId": key, "Plaintext": "aGk="});

    let err = svc
        .call(Operation::Encrypt, &alice, encrypt.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);
    svc.call(
        Operation::CreateAlias,
        &root,
        json!({"AliasName": "alias/prod", "TargetKeyId": key}),
    )
    .await
    .unwrap();
    svc.call(Operation::Encrypt, &alice, encrypt).await.unwrap();
}
