//! Key policies and rotation through `aws-sdk-kms`: the default policy, PutKeyPolicy and its
//! errors, ListKeyPolicies, automatic rotation settings, RotateKeyOnDemand and
//! ListKeyRotations (issue 2, SPEC A44-A45).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::{assert_code, assert_error, create_key, is_hex64, now_secs, Server, ACCOUNT_A};
use aws_sdk_kms::types::{IncludeKeyMaterial, KeyMaterialState, RotationType};
use serde_json::{json, Value};

const REGION: &str = "us-east-1";

fn root_policy(sid: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Id": "custom-policy",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_A}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
}

#[tokio::test]
async fn default_key_policy() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    let out = kms
        .get_key_policy()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let policy: Value =
        serde_json::from_str(out.policy().expect("Policy")).expect("policy is JSON");
    assert_eq!(policy["Id"], "key-default-1");
    assert_eq!(policy["Version"], "2012-10-17");
    let statements = policy["Statement"].as_array().expect("Statement list");
    let iam = statements
        .iter()
        .find(|s| s["Sid"] == "Enable IAM User Permissions")
        .expect("the Enable IAM User Permissions statement");
    assert_eq!(iam["Effect"], "Allow");
    assert_eq!(
        iam["Principal"]["AWS"],
        format!("arn:aws:iam::{ACCOUNT_A}:root")
    );
    assert_eq!(iam["Action"], "kms:*");
    assert_eq!(iam["Resource"], "*");

    // PolicyName defaults to "default", and that is the only policy there is.
    let named = kms
        .get_key_policy()
        .key_id(md.key_id())
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(named.policy(), out.policy());
    let names = kms
        .list_key_policies()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(names.policy_names(), &["default".to_string()]);
    assert!(!names.truncated());
}

#[tokio::test]
async fn put_and_create_with_a_key_policy() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    let policy = root_policy("Replaced");
    kms.put_key_policy()
        .key_id(md.key_id())
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let got = kms
        .get_key_policy()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(got.policy().unwrap()).unwrap(),
        policy
    );

    let at_create = root_policy("AtCreate");
    let created = kms
        .create_key()
        .policy(at_create.to_string())
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let got = kms
        .get_key_policy()
        .key_id(created.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(got.policy().unwrap()).unwrap(),
        at_create
    );
}

#[tokio::test]
async fn malformed_key_policies_are_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();

    // Issue 2: not JSON, or JSON without the policy structure.
    for bad in [
        "this is not json",
        "{\"Version\": \"2012-10-17\"",
        "[1, 2, 3]",
        "{\"Version\": \"2012-10-17\"}",
    ] {
        let result = kms.put_key_policy().key_id(id).policy(bad).send().await;
        assert_code(result, "MalformedPolicyDocumentException");
    }
    let create = kms.create_key().policy("not json either").send().await;
    assert_code(create, "MalformedPolicyDocumentException");

    // Over 32 KB: LimitExceededException.
    let mut huge = root_policy("Big");
    huge["Statement"][0]["Sid"] = Value::String("a".repeat(33 * 1024));
    let result = kms
        .put_key_policy()
        .key_id(id)
        .policy(huge.to_string())
        .send()
        .await;
    assert_code(result, "LimitExceededException");

    // The default policy is still in place.
    let out = kms.get_key_policy().key_id(id).send().await.unwrap();
    let policy: Value = serde_json::from_str(out.policy().unwrap()).unwrap();
    assert_eq!(policy["Id"], "key-default-1");
}

// ---- rotation -------------------------------------------------------------------------------

#[tokio::test]
async fn automatic_rotation_settings() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();

    let off = kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    assert!(!off.key_rotation_enabled());
    assert!(off.next_rotation_date().is_none());

    // Issue 2: default period 365 days; NextRotationDate follows from it.
    kms.enable_key_rotation().key_id(id).send().await.unwrap();
    let on = kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    assert!(on.key_rotation_enabled());
    assert_eq!(on.rotation_period_in_days(), Some(365));
    let next = on.next_rotation_date().expect("NextRotationDate").secs();
    let expected = now_secs() + 365 * 86_400;
    assert!(
        (next - expected).abs() < 86_400 + 600,
        "NextRotationDate {next}, expected ~{expected}"
    );

    // RotationPeriodInDays 90..2560.
    for days in [89, 2561, 0] {
        let result = kms
            .enable_key_rotation()
            .key_id(id)
            .rotation_period_in_days(days)
            .send()
            .await;
        assert_code(result, "ValidationException");
    }
    for days in [90, 2560] {
        kms.enable_key_rotation()
            .key_id(id)
            .rotation_period_in_days(days)
            .send()
            .await
            .unwrap();
        let status = kms
            .get_key_rotation_status()
            .key_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(status.rotation_period_in_days(), Some(days));
    }

    kms.disable_key_rotation().key_id(id).send().await.unwrap();
    let off = kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    assert!(!off.key_rotation_enabled());
    assert!(off.next_rotation_date().is_none());

    // SPEC C4 [1] for a Disabled key.
    kms.disable_key().key_id(id).send().await.unwrap();
    let message = format!("{} is disabled.", md.arn().unwrap());
    assert_error(
        kms.enable_key_rotation().key_id(id).send().await,
        "DisabledException",
        &message,
    );
    assert_error(
        kms.disable_key_rotation().key_id(id).send().await,
        "DisabledException",
        &message,
    );
}

#[tokio::test]
async fn rotate_on_demand_and_list_rotations() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;
    let id = md.key_id();
    let first = md.current_key_material_id().unwrap().to_string();

    let none = kms.list_key_rotations().key_id(id).send().await.unwrap();
    assert!(none.rotations().is_empty());
    assert!(!none.truncated());

    // SPEC D5: the response KeyId is the ARN; A44: a new current material.
    let before = now_secs();
    let out = kms.rotate_key_on_demand().key_id(id).send().await.unwrap();
    assert_eq!(out.key_id(), md.arn());
    let after = kms
        .describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let second = after.current_key_material_id().unwrap().to_string();
    assert_ne!(second, first);
    assert!(is_hex64(&second));

    // SPEC A45: ROTATIONS_ONLY by default.
    let listed = kms.list_key_rotations().key_id(id).send().await.unwrap();
    assert_eq!(listed.rotations().len(), 1, "{listed:?}");
    let entry = &listed.rotations()[0];
    assert!(
        entry.key_id() == Some(id) || entry.key_id() == md.arn(),
        "{entry:?}"
    );
    assert_eq!(entry.key_material_id(), Some(second.as_str()));
    assert_eq!(entry.key_material_state(), Some(&KeyMaterialState::Current));
    assert_eq!(entry.rotation_type(), Some(&RotationType::OnDemand));
    let at = entry.rotation_date().expect("RotationDate").secs();
    assert!((before - 5..=now_secs() + 5).contains(&at));
    // Fields for imported material only are absent (AWS_KMS origin).
    assert!(entry.import_state().is_none() && entry.expiration_model().is_none());

    // ALL_KEY_MATERIAL adds the first material, without rotation date or type.
    let all = kms
        .list_key_rotations()
        .key_id(id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    assert_eq!(all.rotations().len(), 2, "{all:?}");
    let original = all
        .rotations()
        .iter()
        .find(|r| r.key_material_id() == Some(first.as_str()))
        .expect("the first material");
    assert_eq!(
        original.key_material_state(),
        Some(&KeyMaterialState::NonCurrent)
    );
    assert!(original.rotation_date().is_none() && original.rotation_type().is_none());

    // Pagination over three rotations.
    kms.rotate_key_on_demand().key_id(id).send().await.unwrap();
    kms.rotate_key_on_demand().key_id(id).send().await.unwrap();
    let page = kms
        .list_key_rotations()
        .key_id(id)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.rotations().len(), 2);
    assert!(page.truncated());
    let rest = kms
        .list_key_rotations()
        .key_id(id)
        .limit(2)
        .marker(page.next_marker().expect("NextMarker"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.rotations().len(), 1);
    assert!(!rest.truncated());

    // SPEC C6: RotateKeyOnDemand on a Disabled key.
    kms.disable_key().key_id(id).send().await.unwrap();
    let message = format!("{} is disabled.", md.arn().unwrap());
    assert_error(
        kms.rotate_key_on_demand().key_id(id).send().await,
        "DisabledException",
        &message,
    );
}
