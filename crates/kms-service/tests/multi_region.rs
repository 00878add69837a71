//! Multi-Region keys in one process: replicas, shared and independent properties, ciphertexts
//! crossing regions, imported material in every region, rotation, primary change and deletion
//! (SPEC.md §B, A43). Replication is delivered by `Service::tick()`, on the test clock.
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

const US: &str = "us-east-1";
const EU: &str = "eu-west-1";
const AP: &str = "ap-south-1";
const DAY: i64 = 86_400_000;

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    svc: Arc<Service>,
}

fn caller(region: &str) -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        region: Region::parse(region).unwrap(),
        secure_transport: false,
        source_ip: None,
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let svc = Service::new(store, Sealer::new(RootKey::generate()), clock.clone());
    Fixture {
        _dir: dir,
        clock,
        svc,
    }
}

impl Fixture {
    async fn call(&self, region: &str, op: Operation, input: Value) -> Result<Value, KmsError> {
        let body = self.svc.call(op, &caller(region), input).await?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    async fn ok(&self, region: &str, op: Operation, input: Value) -> Value {
        self.call(region, op, input)
            .await
            .unwrap_or_else(|e| panic!("{op:?} in {region}: {e}"))
    }

    async fn err(&self, region: &str, op: Operation, input: Value) -> KmsError {
        self.call(region, op, input)
            .await
            .expect_err("expected an error")
    }

    async fn metadata(&self, region: &str, key: &str) -> Value {
        self.ok(region, Operation::DescribeKey, json!({"KeyId": key}))
            .await["KeyMetadata"]
            .clone()
    }

    async fn primary(&self, origin: &str) -> String {
        let out = self
            .ok(
                US,
                Operation::CreateKey,
                json!({"MultiRegion": true, "Origin": origin}),
            )
            .await;
        out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
    }

    async fn replicate(&self, key: &str, region: &str) -> Value {
        let out = self
            .ok(
                US,
                Operation::ReplicateKey,
                json!({"KeyId": key, "ReplicaRegion": region}),
            )
            .await;
        self.svc.tick().await.unwrap();
        out
    }

    async fn encrypt(&self, region: &str, key: &str, text: &[u8]) -> String {
        let out = self
            .ok(
                region,
                Operation::Encrypt,
                json!({"KeyId": key, "Plaintext": STANDARD.encode(text)}),
            )
            .await;
        out["CiphertextBlob"].as_str().unwrap().to_string()
    }

    async fn decrypt(&self, region: &str, blob: &str) -> Result<Value, KmsError> {
        self.call(region, Operation::Decrypt, json!({"CiphertextBlob": blob}))
            .await
    }

    /// Imports `material` into the key in `region` (RSAES_OAEP_SHA_256), never expiring.
    async fn import(
        &self,
        region: &str,
        key: &str,
        material: &[u8],
        extra: Value,
    ) -> Result<Value, KmsError> {
        let params = self
            .ok(
                region,
                Operation::GetParametersForImport,
                json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
            )
            .await;
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
        let mut req = json!({
            "KeyId": key, "ImportToken": params["ImportToken"],
            "EncryptedKeyMaterial": STANDARD.encode(out),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
        });
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        self.call(region, Operation::ImportKeyMaterial, req).await
    }
}

#[tokio::test]
async fn a_replica_is_created_and_ciphertexts_cross_regions_both_ways() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    assert!(key.starts_with("mrk-") && key.len() == 36, "{key}");
    let md = f.metadata(US, &key).await;
    assert_eq!(md["MultiRegion"], true);
    assert_eq!(
        md["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "PRIMARY"
    );
    assert_eq!(md["MultiRegionConfiguration"]["ReplicaKeys"], json!([]));
    let before = f.encrypt(US, &key, b"made before the replica").await;

    // SPEC B6-B7: the answer describes the new replica, Creating, with its own defaults.
    let out = f
        .ok(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": key, "ReplicaRegion": EU, "Tags": [{"TagKey": "r", "TagValue": "eu"}]}),
        )
        .await;
    let replica = &out["ReplicaKeyMetadata"];
    assert_eq!(replica["KeyState"], "Creating");
    assert_eq!(replica["Enabled"], false);
    assert_eq!(replica["KeyId"], json!(key));
    assert_eq!(
        replica["Arn"],
        json!(format!("arn:aws:kms:{EU}:111122223333:key/{key}"))
    );
    assert_eq!(
        replica["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    assert!(replica.get("CurrentKeyMaterialId").is_none());
    assert!(out["ReplicaPolicy"]
        .as_str()
        .unwrap()
        .contains("key-default-1"));
    assert_eq!(
        out["ReplicaTags"],
        json!([{"TagKey": "r", "TagValue": "eu"}])
    );

    // Then Enabled, and every related key describes the whole set (SPEC B8, B13, B36).
    f.svc.tick().await.unwrap();
    let md = f.metadata(EU, &key).await;
    assert_eq!(md["KeyState"], "Enabled");
    assert_eq!(md["MultiRegionConfiguration"]["PrimaryKey"]["Region"], US);
    let primary_view = f.metadata(US, &key).await;
    assert_eq!(
        primary_view["MultiRegionConfiguration"]["ReplicaKeys"][0]["Region"],
        EU
    );
    assert_eq!(
        md["CurrentKeyMaterialId"],
        primary_view["CurrentKeyMaterialId"]
    );

    // SPEC B12, B22: old and new ciphertexts decrypt in either region without a KeyId.
    let out = f.decrypt(EU, &before).await.unwrap();
    assert_eq!(
        out["Plaintext"],
        STANDARD.encode(b"made before the replica")
    );
    assert_eq!(
        out["KeyId"],
        json!(format!("arn:aws:kms:{EU}:111122223333:key/{key}"))
    );
    let from_eu = f.encrypt(EU, &key, b"from eu").await;
    assert_eq!(
        f.decrypt(US, &from_eu).await.unwrap()["Plaintext"],
        STANDARD.encode(b"from eu")
    );
    // A KeyId naming the related key is not a different key (SPEC B24).
    let out = f
        .ok(
            EU,
            Operation::Decrypt,
            json!({"CiphertextBlob": before, "KeyId": key}),
        )
        .await;
    assert_eq!(
        out["Plaintext"],
        STANDARD.encode(b"made before the replica")
    );

    // A region with no related key: AccessDeniedException (SPEC D9a).
    let err = f.decrypt(AP, &before).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);
}

#[tokio::test]
async fn replicate_key_refuses_what_aws_refuses() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    f.replicate(&key, EU).await;
    let again = f
        .err(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": key, "ReplicaRegion": EU}),
        )
        .await;
    assert_eq!(again.code, ErrorCode::AlreadyExistsException);
    let own = f
        .err(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": key, "ReplicaRegion": US}),
        )
        .await;
    assert_eq!(own.code, ErrorCode::AlreadyExistsException);
    let gov = f
        .err(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": key, "ReplicaRegion": "us-gov-west-1"}),
        )
        .await;
    assert_eq!(gov.code, ErrorCode::ValidationException);
    let from_replica = f
        .err(
            EU,
            Operation::ReplicateKey,
            json!({"KeyId": key, "ReplicaRegion": AP}),
        )
        .await;
    assert_eq!(from_replica.code, ErrorCode::UnsupportedOperationException);
    assert_eq!(
        from_replica.message,
        format!("arn:aws:kms:{EU}:111122223333:key/{key} is not a multi-region primary key.")
    );
    let single = f.ok(US, Operation::CreateKey, json!({})).await["KeyMetadata"]["KeyId"].clone();
    let err = f
        .err(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": single, "ReplicaRegion": EU}),
        )
        .await;
    assert_eq!(err.code, ErrorCode::UnsupportedOperationException);

    // A disabled or pending-import primary cannot be replicated (SPEC B11).
    f.ok(US, Operation::DisableKey, json!({"KeyId": key})).await;
    let err = f
        .err(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": key, "ReplicaRegion": AP}),
        )
        .await;
    assert_eq!(err.code, ErrorCode::DisabledException);
    let external = f.primary("EXTERNAL").await;
    let err = f
        .err(
            US,
            Operation::ReplicateKey,
            json!({"KeyId": external, "ReplicaRegion": AP}),
        )
        .await;
    assert_eq!(err.code, ErrorCode::KMSInvalidStateException);
}

#[tokio::test]
async fn independent_properties_stay_per_key() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    f.replicate(&key, EU).await;
    f.ok(US, Operation::DisableKey, json!({"KeyId": key})).await;
    f.ok(
        US,
        Operation::UpdateKeyDescription,
        json!({"KeyId": key, "Description": "primary"}),
    )
    .await;
    f.ok(
        US,
        Operation::TagResource,
        json!({"KeyId": key, "Tags": [{"TagKey": "a", "TagValue": "1"}]}),
    )
    .await;
    f.svc.tick().await.unwrap();
    // SPEC B17-B18: the replica stays Enabled and usable, with its own description and tags.
    let md = f.metadata(EU, &key).await;
    assert_eq!(md["KeyState"], "Enabled");
    assert_eq!(md["Description"], "");
    let tags = f
        .ok(EU, Operation::ListResourceTags, json!({"KeyId": key}))
        .await;
    assert_eq!(tags["Tags"], json!([]));
    let blob = f.encrypt(EU, &key, b"still works").await;
    assert_eq!(
        f.decrypt(EU, &blob).await.unwrap()["Plaintext"],
        STANDARD.encode(b"still works")
    );
}

#[tokio::test]
async fn rotation_reaches_every_replica_before_new_material_is_used() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    f.replicate(&key, EU).await;
    let old = f.encrypt(US, &key, b"old").await;
    let first = f.metadata(US, &key).await["CurrentKeyMaterialId"].clone();

    // Rotation is the primary's alone (SPEC B20).
    let err = f
        .err(EU, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
    assert_eq!(err.code, ErrorCode::UnsupportedOperationException);
    assert!(
        err.message
            .contains(&format!("arn:aws:kms:{US}:111122223333:key/{key}")),
        "{}",
        err.message
    );
    for op in [Operation::EnableKeyRotation, Operation::DisableKeyRotation] {
        assert_eq!(
            f.err(EU, op, json!({"KeyId": key})).await.code,
            ErrorCode::UnsupportedOperationException
        );
    }

    // Until the replica has the new material, nothing is encrypted under it.
    f.ok(US, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
    let dk = f
        .ok(
            US,
            Operation::GenerateDataKey,
            json!({"KeyId": key, "KeySpec": "AES_256"}),
        )
        .await;
    assert_eq!(dk["KeyMaterialId"], first);

    // Delivered: both regions use the new material; the old ciphertext still decrypts in both.
    f.svc.tick().await.unwrap();
    let now_us = f.metadata(US, &key).await["CurrentKeyMaterialId"].clone();
    assert_ne!(now_us, first);
    assert_eq!(f.metadata(EU, &key).await["CurrentKeyMaterialId"], now_us);
    let dk = f
        .ok(
            EU,
            Operation::GenerateDataKey,
            json!({"KeyId": key, "KeySpec": "AES_256"}),
        )
        .await;
    assert_eq!(dk["KeyMaterialId"], now_us);
    assert_eq!(f.decrypt(EU, &old).await.unwrap()["KeyMaterialId"], first);
    assert_eq!(
        f.decrypt(EU, dk["CiphertextBlob"].as_str().unwrap())
            .await
            .unwrap()["KeyMaterialId"],
        now_us
    );

    // Automatic rotation settings are shared too (SPEC B16).
    f.ok(
        US,
        Operation::EnableKeyRotation,
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await;
    f.svc.tick().await.unwrap();
    let status = f
        .ok(EU, Operation::GetKeyRotationStatus, json!({"KeyId": key}))
        .await;
    assert_eq!(status["KeyRotationEnabled"], true);
    assert_eq!(status["RotationPeriodInDays"], 90);
}

#[tokio::test]
async fn an_automatic_rotation_reaches_every_replica_and_then_becomes_current() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    f.replicate(&key, EU).await;
    let first = f.metadata(US, &key).await["CurrentKeyMaterialId"].clone();
    f.ok(
        US,
        Operation::EnableKeyRotation,
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    )
    .await;
    f.svc.tick().await.unwrap();

    // The scheduler rotates the primary; the replica gets the material, then both use it.
    f.clock.advance_days(90);
    f.svc.tick().await.unwrap();
    let now_us = f.metadata(US, &key).await["CurrentKeyMaterialId"].clone();
    assert_ne!(now_us, first);
    assert_eq!(f.metadata(EU, &key).await["CurrentKeyMaterialId"], now_us);
    let status = f
        .ok(EU, Operation::GetKeyRotationStatus, json!({"KeyId": key}))
        .await;
    let next = Timestamp::from_secs(1_800_000_000).plus_days(180).millis() / 1000;
    assert_eq!(status["NextRotationDate"].as_f64().unwrap() as i64, next);
}

#[tokio::test]
async fn imported_material_must_be_imported_identically_into_every_replica() {
    let f = fixture();
    let key = f.primary("EXTERNAL").await;
    let material = [42u8; 32];
    f.import(US, &key, &material, json!({})).await.unwrap();
    f.replicate(&key, EU).await;

    // SPEC B12: an EXTERNAL replica starts without material.
    let md = f.metadata(EU, &key).await;
    assert_eq!(md["KeyState"], "PendingImport");
    let blob = f.encrypt(US, &key, b"byok").await;
    let err = f.decrypt(EU, &blob).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::KMSInvalidStateException);

    // Other material is refused; the same material enables it, and ciphertexts cross.
    let other = f.import(EU, &key, &[1u8; 32], json!({})).await.unwrap_err();
    assert_eq!(other.code, ErrorCode::IncorrectKeyMaterialException);
    let out = f.import(EU, &key, &material, json!({})).await.unwrap();
    assert_eq!(
        out["KeyMaterialId"],
        f.metadata(US, &key).await["CurrentKeyMaterialId"]
    );
    assert_eq!(f.metadata(EU, &key).await["KeyState"], "Enabled");
    assert_eq!(
        f.decrypt(EU, &blob).await.unwrap()["Plaintext"],
        STANDARD.encode(b"byok")
    );

    // A single-Region key with the same material cannot read it (SPEC B23).
    let single = f
        .ok(EU, Operation::CreateKey, json!({"Origin": "EXTERNAL"}))
        .await["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    f.import(EU, &single, &material, json!({})).await.unwrap();
    let err = f
        .err(
            EU,
            Operation::Decrypt,
            json!({"CiphertextBlob": blob, "KeyId": single}),
        )
        .await;
    assert_eq!(err.code, ErrorCode::IncorrectKeyException);

    // Each key keeps its own material: deleting the replica's leaves the primary's (SPEC B17).
    f.ok(
        EU,
        Operation::DeleteImportedKeyMaterial,
        json!({"KeyId": key}),
    )
    .await;
    f.svc.tick().await.unwrap();
    assert_eq!(f.metadata(EU, &key).await["KeyState"], "PendingImport");
    assert_eq!(f.metadata(US, &key).await["KeyState"], "Enabled");
}

#[tokio::test]
async fn new_imported_material_rotates_only_once_every_replica_has_it() {
    let f = fixture();
    let key = f.primary("EXTERNAL").await;
    f.import(US, &key, &[1u8; 32], json!({})).await.unwrap();
    f.replicate(&key, EU).await;
    f.import(EU, &key, &[1u8; 32], json!({})).await.unwrap();

    // New material enters through the primary only (SPEC A43).
    let err = f
        .import(
            EU,
            &key,
            &[2u8; 32],
            json!({"ImportType": "NEW_KEY_MATERIAL"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedOperationException);
    let new = f
        .import(
            US,
            &key,
            &[2u8; 32],
            json!({"ImportType": "NEW_KEY_MATERIAL"}),
        )
        .await
        .unwrap();
    let new_id = new["KeyMaterialId"].clone();
    f.svc.tick().await.unwrap();
    let states = |rotations: Value| -> Vec<String> {
        rotations["Rotations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["KeyMaterialState"].as_str().unwrap().to_string())
            .collect()
    };
    let all = json!({"KeyId": key, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"});
    assert_eq!(
        states(f.ok(US, Operation::ListKeyRotations, all.clone()).await),
        vec!["CURRENT", "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"]
    );
    let err = f
        .err(US, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
    assert_eq!(err.code, ErrorCode::KMSInvalidStateException);

    // The replica imports it as existing material; then the primary may rotate.
    let out = f
        .import(
            EU,
            &key,
            &[2u8; 32],
            json!({"ImportType": "EXISTING_KEY_MATERIAL"}),
        )
        .await
        .unwrap();
    assert_eq!(out["KeyMaterialId"], new_id);
    f.svc.tick().await.unwrap();
    assert_eq!(
        states(f.ok(US, Operation::ListKeyRotations, all.clone()).await),
        vec!["CURRENT", "PENDING_ROTATION"]
    );
    let old = f.encrypt(EU, &key, b"before").await;
    f.ok(US, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
    f.svc.tick().await.unwrap();
    assert_eq!(f.metadata(EU, &key).await["CurrentKeyMaterialId"], new_id);
    assert_eq!(f.metadata(US, &key).await["CurrentKeyMaterialId"], new_id);
    assert_eq!(
        f.decrypt(US, &old).await.unwrap()["Plaintext"],
        STANDARD.encode(b"before")
    );
}

#[tokio::test]
async fn update_primary_region_moves_the_primary() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    f.replicate(&key, EU).await;
    f.replicate(&key, AP).await;
    let missing = f
        .err(
            US,
            Operation::UpdatePrimaryRegion,
            json!({"KeyId": key, "PrimaryRegion": "ca-central-1"}),
        )
        .await;
    assert_eq!(missing.code, ErrorCode::NotFoundException);

    // SPEC B29: Updating while the change is delivered; crypto keeps working.
    f.ok(
        US,
        Operation::UpdatePrimaryRegion,
        json!({"KeyId": key, "PrimaryRegion": EU}),
    )
    .await;
    assert_eq!(f.metadata(US, &key).await["KeyState"], "Updating");
    let blob = f.encrypt(US, &key, b"during").await;
    let err = f
        .err(US, Operation::DisableKey, json!({"KeyId": key}))
        .await;
    assert!(err.message.ends_with("is updating."), "{}", err.message);

    // Delivered: EU is primary everywhere, US a replica, back to its state (SPEC B26).
    f.svc.tick().await.unwrap();
    for region in [US, EU, AP] {
        let md = f.metadata(region, &key).await;
        assert_eq!(
            md["MultiRegionConfiguration"]["PrimaryKey"]["Region"], EU,
            "{region}"
        );
        assert_eq!(md["KeyState"], "Enabled", "{region}");
    }
    assert_eq!(
        f.metadata(US, &key).await["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    assert_eq!(
        f.decrypt(AP, &blob).await.unwrap()["Plaintext"],
        STANDARD.encode(b"during")
    );
    f.ok(EU, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
        .await;
    assert_eq!(
        f.err(US, Operation::RotateKeyOnDemand, json!({"KeyId": key}))
            .await
            .code,
        ErrorCode::UnsupportedOperationException
    );
}

#[tokio::test]
async fn a_primary_waits_for_its_last_replica_before_its_deletion_window() {
    let f = fixture();
    let key = f.primary("AWS_KMS").await;
    f.replicate(&key, EU).await;

    // SPEC B31: PendingReplicaDeletion, with no DeletionDate.
    let out = f
        .ok(
            US,
            Operation::ScheduleKeyDeletion,
            json!({"KeyId": key, "PendingWindowInDays": 7}),
        )
        .await;
    assert_eq!(out["KeyState"], "PendingReplicaDeletion");
    assert!(out.get("DeletionDate").is_none());
    assert_eq!(out["PendingWindowInDays"], 7);
    let md = f.metadata(US, &key).await;
    assert_eq!(md["PendingDeletionWindowInDays"], 7);
    assert!(md.get("DeletionDate").is_none());

    // A related key pending deletion still blocks its region (SPEC B9).
    f.ok(
        EU,
        Operation::ScheduleKeyDeletion,
        json!({"KeyId": key, "PendingWindowInDays": 7}),
    )
    .await;
    f.clock.advance_millis(7 * DAY);
    f.svc.tick().await.unwrap();

    // SPEC B32: the replica is gone; the primary's own window starts now.
    let err = f
        .err(EU, Operation::DescribeKey, json!({"KeyId": key}))
        .await;
    assert_eq!(err.code, ErrorCode::NotFoundException);
    let md = f.metadata(US, &key).await;
    assert_eq!(md["KeyState"], "PendingDeletion");
    assert_eq!(md["MultiRegionConfiguration"]["ReplicaKeys"], json!([]));
    assert_eq!(
        md["DeletionDate"].as_f64().unwrap() as i64,
        1_800_000_000 + 14 * 86_400
    );
    f.clock.advance_millis(7 * DAY);
    f.svc.tick().await.unwrap();
    assert_eq!(
        f.err(US, Operation::DescribeKey, json!({"KeyId": key}))
            .await
            .code,
        ErrorCode::NotFoundException
    );
}
