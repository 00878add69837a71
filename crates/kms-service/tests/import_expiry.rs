//! Imported material on the test clock: expiry while running and while down, expired import
//! tokens, and reimport bringing old ciphertexts back (SPEC.md A10, A36-A38).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::sync::Arc;

use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_crypto::{RootKey, Sealer};
use kms_model::{AccountId, Caller, ErrorCode, KmsError, Operation, Region, Timestamp};
use kms_service::{Service, TestClock};
use kms_store::sqlite::SqliteStore;
use kms_store::Store;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;
const START: i64 = 1_800_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    root_hex: String,
    clock: Arc<TestClock>,
    svc: Arc<Service>,
}

fn caller() -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        region: Region::parse("eu-west-1").unwrap(),
        secure_transport: false,
        source_ip: None,
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let root = RootKey::generate();
    let root_hex = root.to_hex().to_string();
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(START)));
    let svc = Service::new(Arc::clone(&store), Sealer::new(root), clock.clone());
    Fixture {
        _dir: dir,
        store,
        root_hex,
        clock,
        svc,
    }
}

impl Fixture {
    async fn call(&self, op: Operation, input: Value) -> Result<Value, KmsError> {
        let body = self.svc.call(op, &caller(), input).await?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    /// A service restarted over the same store and root key (the old one is gone).
    fn restart(&mut self) {
        let sealer = Sealer::new(RootKey::from_hex(&self.root_hex).unwrap());
        self.svc = Service::new(Arc::clone(&self.store), sealer, self.clock.clone());
    }

    /// GetParametersForImport + the wrapping a client does (RSAES_OAEP_SHA_256, RSA_2048).
    async fn wrapped(&self, key: &str, material: &[u8]) -> (String, String) {
        let params = self
            .call(
                Operation::GetParametersForImport,
                json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
            )
            .await
            .unwrap();
        let der = STANDARD
            .decode(params["PublicKey"].as_str().unwrap())
            .unwrap();
        let public =
            OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&der).unwrap()).unwrap();
        let mut out = vec![0u8; public.ciphertext_size()];
        let n = public
            .encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut out, None)
            .unwrap()
            .len();
        out.truncate(n);
        (
            params["ImportToken"].as_str().unwrap().to_string(),
            STANDARD.encode(out),
        )
    }

    async fn import(
        &self,
        key: &str,
        material: &[u8],
        valid_to_secs: Option<i64>,
    ) -> Result<Value, KmsError> {
        let (token, wrapped) = self.wrapped(key, material).await;
        let mut req = json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped});
        match valid_to_secs {
            Some(t) => req["ValidTo"] = json!(t),
            None => req["ExpirationModel"] = json!("KEY_MATERIAL_DOES_NOT_EXPIRE"),
        }
        self.call(Operation::ImportKeyMaterial, req).await
    }

    async fn external_key(&self) -> String {
        let out = self
            .call(Operation::CreateKey, json!({"Origin": "EXTERNAL"}))
            .await
            .unwrap();
        assert_eq!(out["KeyMetadata"]["KeyState"], "PendingImport");
        out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
    }

    async fn state(&self, key: &str) -> Value {
        self.call(Operation::DescribeKey, json!({"KeyId": key}))
            .await
            .unwrap()["KeyMetadata"]
            .clone()
    }
}

#[tokio::test]
async fn material_expires_at_valid_to_and_returns_with_a_reimport() {
    let f = fixture();
    let key = f.external_key().await;
    let material = [7u8; 32];
    let valid_to = START + 10 * 86_400;
    f.import(&key, &material, Some(valid_to)).await.unwrap();
    let md = f.state(&key).await;
    assert_eq!(md["KeyState"], "Enabled");
    assert_eq!(md["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert_eq!(md["ValidTo"], json!(valid_to));
    let ct = f
        .call(
            Operation::Encrypt,
            json!({"KeyId": key, "Plaintext": STANDARD.encode(b"hi")}),
        )
        .await
        .unwrap();

    // At ValidTo the cryptographic path refuses the material before any scheduler runs.
    f.clock.advance_millis(10 * DAY);
    let err = f
        .call(
            Operation::Decrypt,
            json!({"CiphertextBlob": ct["CiphertextBlob"]}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::KMSInvalidStateException);
    assert!(
        err.message.ends_with("is pending import."),
        "{}",
        err.message
    );

    // The scheduler deletes it: PendingImport, no expiration settings, the ID kept (SPEC A40).
    f.svc.tick().await.unwrap();
    let md = f.state(&key).await;
    assert_eq!(md["KeyState"], "PendingImport");
    assert_eq!(md["Enabled"], false);
    assert!(md.get("ExpirationModel").is_none() && md.get("ValidTo").is_none());
    assert!(md["CurrentKeyMaterialId"].is_string());

    // The same material again: the old ciphertext decrypts (SPEC A38).
    f.import(&key, &material, None).await.unwrap();
    let out = f
        .call(
            Operation::Decrypt,
            json!({"CiphertextBlob": ct["CiphertextBlob"]}),
        )
        .await
        .unwrap();
    assert_eq!(out["Plaintext"], STANDARD.encode(b"hi"));
    assert_eq!(
        f.state(&key).await["ExpirationModel"],
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    );
}

#[tokio::test]
async fn material_that_expired_while_the_server_was_down_is_gone_at_start() {
    let mut f = fixture();
    let key = f.external_key().await;
    f.import(&key, &[9u8; 32], Some(START + 86_400))
        .await
        .unwrap();
    f.call(
        Operation::CreateAlias,
        json!({"AliasName": "alias/byok", "TargetKeyId": key}),
    )
    .await
    .unwrap();

    // Down across ValidTo; the first tick after start applies the expiry.
    f.clock.advance_millis(2 * DAY);
    f.restart();
    let err = f
        .call(
            Operation::Encrypt,
            json!({"KeyId": "alias/byok", "Plaintext": "aGk="}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::KMSInvalidStateException);
    f.svc.tick().await.unwrap();
    assert_eq!(f.state(&key).await["KeyState"], "PendingImport");

    // Aliases, policy and tags remain (SPEC A36).
    assert_eq!(f.state("alias/byok").await["KeyId"], json!(key));
}

#[tokio::test]
async fn an_import_token_expires_after_24_hours() {
    let f = fixture();
    let key = f.external_key().await;
    let (token, wrapped) = f.wrapped(&key, &[1u8; 32]).await;
    f.clock.advance_millis(DAY);
    let err = f
        .call(
            Operation::ImportKeyMaterial,
            json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped,
                   "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ExpiredImportTokenException);
}

#[tokio::test]
async fn valid_to_must_be_ahead_and_within_365_days() {
    let f = fixture();
    let key = f.external_key().await;
    let past = f
        .import(&key, &[1u8; 32], Some(START - 1))
        .await
        .unwrap_err();
    assert_eq!(past.code, ErrorCode::ValidationException);
    let far = f
        .import(&key, &[1u8; 32], Some(START + 366 * 86_400))
        .await
        .unwrap_err();
    assert_eq!(far.code, ErrorCode::ValidationException);
    f.import(&key, &[1u8; 32], Some(START + 365 * 86_400))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_earliest_permanent_expiry_is_the_keys_valid_to() {
    let f = fixture();
    let key = f.external_key().await;
    f.import(&key, &[1u8; 32], Some(START + 100 * 86_400))
        .await
        .unwrap();
    // New material pending rotation does not count (SPEC A39), then does once current.
    let (token, wrapped) = f.wrapped(&key, &[2u8; 32]).await;
    f.call(
        Operation::ImportKeyMaterial,
        json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped,
               "ImportType": "NEW_KEY_MATERIAL", "ValidTo": START + 50 * 86_400}),
    )
    .await
    .unwrap();
    assert_eq!(f.state(&key).await["ValidTo"], json!(START + 100 * 86_400));
    f.call(Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await
        .unwrap();
    assert_eq!(f.state(&key).await["ValidTo"], json!(START + 50 * 86_400));

    // When the older one expires, the key waits for it again (SPEC A37).
    f.clock.advance_millis(50 * DAY);
    f.svc.tick().await.unwrap();
    let md = f.state(&key).await;
    assert_eq!(md["KeyState"], "PendingImport");
    let rotations = f
        .call(
            Operation::ListKeyRotations,
            json!({"KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
        )
        .await
        .unwrap();
    let states: Vec<&str> = rotations["Rotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ImportState"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["IMPORTED", "PENDING_IMPORT"]);
}
