//! Time-dependent behaviour on the injectable clock: deletion windows, automatic rotation,
//! last-use tracking; and key material at rest never in the clear.
//!
//! The service runs in-process over a SQLite store in a temporary folder; the test moves a
//! `TestClock` and calls `Service::tick()` where the background task would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::sync::Arc;

use base64::Engine as _;
use kms_crypto::{Purpose, RootKey, Sealer};
use kms_model::{AccountId, Caller, ErrorCode, KmsError, Operation, Region, Timestamp};
use kms_service::{Service, TestClock};
use kms_store::sqlite::SqliteStore;
use kms_store::Store;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    root_hex: String,
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
    svc: Arc<Service>,
    caller: Caller,
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

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kmsd.sqlite3");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).unwrap());
    let root = RootKey::generate();
    let root_hex = root.to_hex().to_string();
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let svc = Service::new(Arc::clone(&store), Sealer::new(root), clock.clone());
    Fixture {
        _dir: dir,
        db,
        root_hex,
        store,
        clock,
        svc,
        caller: caller(),
    }
}

impl Fixture {
    async fn call(&self, op: Operation, input: Value) -> Result<Value, KmsError> {
        let body = self.svc.call(op, &self.caller, input).await?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    async fn create_key(&self) -> String {
        let out = self.call(Operation::CreateKey, json!({})).await.unwrap();
        out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn key_and_aliases_disappear_when_the_deletion_window_ends() {
    let f = fixture();
    let key = f.create_key().await;
    f.call(
        Operation::CreateAlias,
        json!({"AliasName": "alias/doomed", "TargetKeyId": key}),
    )
    .await
    .unwrap();
    let out = f
        .call(
            Operation::ScheduleKeyDeletion,
            json!({"KeyId": key, "PendingWindowInDays": 7}),
        )
        .await
        .unwrap();
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(
        out["DeletionDate"].as_f64().unwrap() as i64,
        1_800_000_000 + 7 * 86_400
    );

    // Six days on, the key is still there (and still pending deletion).
    f.clock.advance_millis(6 * DAY);
    f.svc.tick().await.unwrap();
    let described = f
        .call(Operation::DescribeKey, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(described["KeyMetadata"]["KeyState"], "PendingDeletion");

    // Past the date: gone, with its alias, from the store itself.
    f.clock.advance_millis(DAY + 1);
    f.svc.tick().await.unwrap();
    let err = f
        .call(Operation::DescribeKey, json!({"KeyId": key}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFoundException);
    assert!(f
        .store
        .get_key("111122223333", "us-east-1", &key)
        .await
        .unwrap()
        .is_none());
    let aliases = f.call(Operation::ListAliases, json!({})).await.unwrap();
    assert_eq!(aliases["Aliases"], json!([]));
    let err = f
        .call(Operation::DescribeKey, json!({"KeyId": "alias/doomed"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFoundException);
}

#[tokio::test]
async fn a_key_past_its_deletion_date_is_unusable_before_the_scheduler_runs() {
    let f = fixture();
    let key = f.create_key().await;
    let ct = f
        .call(
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": b64(b"x")}),
        )
        .await
        .unwrap();
    f.call(
        Operation::ScheduleKeyDeletion,
        json!({"KeyId": key, "PendingWindowInDays": 7}),
    )
    .await
    .unwrap();
    f.clock.advance_millis(7 * DAY);
    // No tick: the cryptographic path checks the date itself.
    let err = f
        .call(
            Operation::Decrypt,
            json!({"CiphertextBlob": ct["CiphertextBlob"]}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);
    let err = f
        .call(
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": b64(b"x")}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFoundException);
}

#[tokio::test]
async fn cancelled_deletion_keeps_the_key_disabled() {
    let f = fixture();
    let key = f.create_key().await;
    f.call(Operation::ScheduleKeyDeletion, json!({"KeyId": key}))
        .await
        .unwrap();
    f.clock.advance_millis(29 * DAY);
    f.call(Operation::CancelKeyDeletion, json!({"KeyId": key}))
        .await
        .unwrap();
    f.clock.advance_millis(5 * DAY);
    f.svc.tick().await.unwrap();
    let described = f
        .call(Operation::DescribeKey, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(described["KeyMetadata"]["KeyState"], "Disabled");
    assert!(described["KeyMetadata"].get("DeletionDate").is_none());
}

#[tokio::test]
async fn automatic_rotation_happens_when_due_and_old_ciphertexts_still_decrypt() {
    let f = fixture();
    let key = f.create_key().await;
    let before = f
        .call(
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": b64(b"old")}),
        )
        .await
        .unwrap();
    f.call(
        Operation::EnableKeyRotation,
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await
    .unwrap();
    let status = f
        .call(Operation::GetKeyRotationStatus, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 90);
    assert_eq!(
        status["NextRotationDate"].as_f64().unwrap() as i64,
        1_800_000_000 + 90 * 86_400
    );

    // Not yet due.
    f.clock.advance_millis(89 * DAY);
    f.svc.tick().await.unwrap();
    let rotations = f
        .call(Operation::ListKeyRotations, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(rotations["Rotations"], json!([]));

    // Due: one automatic rotation, the next one 90 days later.
    f.clock.advance_millis(DAY + 1);
    f.svc.tick().await.unwrap();
    let rotations = f
        .call(Operation::ListKeyRotations, json!({"KeyId": key}))
        .await
        .unwrap();
    let list = rotations["Rotations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["RotationType"], "AUTOMATIC");
    assert_eq!(list[0]["KeyMaterialState"], "CURRENT");
    let described = f
        .call(Operation::DescribeKey, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(
        described["KeyMetadata"]["CurrentKeyMaterialId"],
        list[0]["KeyMaterialId"]
    );

    let plain = f
        .call(
            Operation::Decrypt,
            json!({"CiphertextBlob": before["CiphertextBlob"]}),
        )
        .await
        .unwrap();
    assert_eq!(plain["Plaintext"], b64(b"old"));
    let all = f
        .call(
            Operation::ListKeyRotations,
            json!({"KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
        )
        .await
        .unwrap();
    assert_eq!(all["Rotations"].as_array().unwrap().len(), 2);
    assert_eq!(plain["KeyMaterialId"], all["Rotations"][0]["KeyMaterialId"]);
}

#[tokio::test]
async fn a_disabled_key_does_not_rotate_until_it_is_enabled_again() {
    let f = fixture();
    let key = f.create_key().await;
    f.call(
        Operation::EnableKeyRotation,
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await
    .unwrap();
    f.call(Operation::DisableKey, json!({"KeyId": key}))
        .await
        .unwrap();
    f.clock.advance_millis(100 * DAY);
    f.svc.tick().await.unwrap();
    let rotations = f
        .call(Operation::ListKeyRotations, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(rotations["Rotations"], json!([]));

    // The overdue rotation happens as the key is enabled.
    f.call(Operation::EnableKey, json!({"KeyId": key}))
        .await
        .unwrap();
    let rotations = f
        .call(Operation::ListKeyRotations, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn on_demand_rotation_conflicts_with_a_due_automatic_one_and_has_a_quota() {
    let f = fixture();
    let key = f.create_key().await;
    f.call(
        Operation::EnableKeyRotation,
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await
    .unwrap();
    f.clock.advance_millis(90 * DAY - 10 * 60 * 1000);
    let err = f
        .call(Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ConflictException);
    f.call(Operation::DisableKeyRotation, json!({"KeyId": key}))
        .await
        .unwrap();
    for _ in 0..25 {
        f.call(Operation::RotateKeyOnDemand, json!({"KeyId": key}))
            .await
            .unwrap();
    }
    let err = f
        .call(Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::LimitExceededException);
    assert!(err
        .message
        .starts_with("The on-demand rotations limit has been reached"));
}

#[tokio::test]
async fn last_usage_reaches_the_store() {
    let f = fixture();
    let key = f.create_key().await;
    let none = f
        .call(Operation::GetKeyLastUsage, json!({"KeyId": key}))
        .await
        .unwrap();
    assert!(none.get("KeyLastUsage").is_none());
    f.clock.advance_millis(1000);
    f.call(
        Operation::Encrypt,
        json!({"KeyId": key, "Plaintext": b64(b"x")}),
    )
    .await
    .unwrap();
    f.svc.tick().await.unwrap();
    let record = f
        .store
        .get_key("111122223333", "us-east-1", &key)
        .await
        .unwrap()
        .unwrap();
    let usage = record.last_usage.unwrap();
    assert_eq!(usage.operation, "Encrypt");
    assert_eq!(usage.timestamp, Timestamp::from_secs(1_800_000_001));
    let out = f
        .call(Operation::GetKeyLastUsage, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(out["KeyLastUsage"]["Operation"], "Encrypt");
}

/// Key material the test knows (it holds the root key) appears nowhere in the database files.
#[tokio::test]
async fn database_files_hold_no_key_material_in_the_clear() {
    let f = fixture();
    let mut keys = Vec::new();
    for _ in 0..20 {
        let key = f.create_key().await;
        f.call(Operation::RotateKeyOnDemand, json!({"KeyId": key}))
            .await
            .unwrap();
        keys.push(key);
    }

    // Open every stored material version with the root key, as only the server can.
    let sealer = Sealer::new(RootKey::from_hex(&f.root_hex).unwrap());
    let mut secrets = Vec::new();
    for key in &keys {
        let record = f
            .store
            .get_key("111122223333", "us-east-1", key)
            .await
            .unwrap()
            .unwrap();
        for m in &record.materials {
            let aad = kms_service::keys::material_aad(&record.arn(), &m.id);
            secrets.push(
                sealer
                    .open(Purpose::KeyMaterial, &aad, &m.sealed.0)
                    .unwrap(),
            );
        }
    }
    assert_eq!(secrets.len(), 40);

    // Neither the material nor the root key is in the database or its WAL.
    let root = hex::decode(&f.root_hex).unwrap();
    let mut scanned = 0;
    for entry in std::fs::read_dir(f.db.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        for s in &secrets {
            assert!(
                !contains(&bytes, s.expose()),
                "key material found in the clear"
            );
            assert!(!contains(&bytes, hex::encode(s.expose()).as_bytes()));
            assert!(!contains(&bytes, b64(s.expose()).as_bytes()));
        }
        assert!(!contains(&bytes, &root));
    }
    assert!(scanned > 0);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
