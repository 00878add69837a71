//! Request validation: AWS's message forms (SPEC.md D30), serialization errors, null removal,
//! and a property test that no body makes the validator panic, for every operation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use serde_json::{json, Value};

use kms_api::validate::{validate_body, validate_input};
use kms_model::generated::constraints;
use kms_model::wire::ShapeDef;
use kms_model::{ErrorCode, Operation};

/// The error message of a body that must fail with `code`.
fn failure(op: Operation, body: &str, code: ErrorCode) -> String {
    let err = validate_body(op, body.as_bytes()).expect_err(body);
    assert_eq!(err.code, code, "{body}: {}", err.message);
    err.message
}

const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

#[test]
fn one_violation_in_aws_form() {
    let message = failure(
        Operation::GenerateRandom,
        r#"{"NumberOfBytes":0}"#,
        ErrorCode::ValidationException,
    );
    assert_eq!(
        message,
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
}

#[test]
fn several_violations_in_member_order() {
    let body = json!({ "KeySpec": "AES_512", "NumberOfBytes": 2000 }).to_string();
    let message = failure(
        Operation::GenerateDataKey,
        &body,
        ErrorCode::ValidationException,
    );
    assert_eq!(
        message,
        "3 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member \
         must not be null; Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member \
         must have value less than or equal to 1024; Value 'AES_512' at 'keySpec' failed to \
         satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
    );
}

#[test]
fn blobs_are_never_echoed_and_measured_decoded() {
    let big = base64_of(&vec![7u8; 4097]);
    let body = json!({ "KeyId": KEY, "Plaintext": big }).to_string();
    let message = failure(Operation::Encrypt, &body, ErrorCode::ValidationException);
    assert_eq!(
        message,
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member \
         must have length less than or equal to 4096"
    );
    let fits = json!({ "KeyId": KEY, "Plaintext": base64_of(&vec![7u8; 4096]) }).to_string();
    assert!(validate_body(Operation::Encrypt, fits.as_bytes()).is_ok());
}

#[test]
fn list_elements_have_one_based_paths() {
    let body = json!({
        "KeyId": KEY,
        "Tags": [{ "TagKey": "ok", "TagValue": "v" }, { "TagKey": "", "TagValue": "v" }]
    })
    .to_string();
    let message = failure(
        Operation::TagResource,
        &body,
        ErrorCode::ValidationException,
    );
    assert_eq!(
        message,
        "1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy \
         constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn list_sizes_print_the_list() {
    let tokens: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let body = json!({ "KeyId": KEY, "Plaintext": "AA==", "GrantTokens": tokens }).to_string();
    let message = failure(Operation::Encrypt, &body, ErrorCode::ValidationException);
    assert_eq!(
        message,
        "1 validation error detected: Value '[t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10]' at \
         'grantTokens' failed to satisfy constraint: Member must have length less than or equal \
         to 10"
    );
}

#[test]
fn patterns_are_matched_whole() {
    let body = json!({ "KeyId": KEY, "PolicyName": "bad name" }).to_string();
    let message = failure(
        Operation::GetKeyPolicy,
        &body,
        ErrorCode::ValidationException,
    );
    assert_eq!(
        message,
        "1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w]+"
    );
    let ok = json!({ "KeyId": KEY, "PolicyName": "default" }).to_string();
    assert!(validate_body(Operation::GetKeyPolicy, ok.as_bytes()).is_ok());
}

#[test]
fn wrong_types_are_serialization_errors() {
    let cases = [
        (
            Operation::GenerateRandom,
            r#"{"NumberOfBytes":"32"}"#,
            "numberOfBytes",
        ),
        (Operation::DescribeKey, r#"{"KeyId":5}"#, "keyId"),
        (
            Operation::Encrypt,
            r#"{"KeyId":"k","Plaintext":"not base64!"}"#,
            "plaintext",
        ),
        (
            Operation::Encrypt,
            r#"{"KeyId":"k","Plaintext":"AA==","GrantTokens":{}}"#,
            "grantTokens",
        ),
        (
            Operation::Encrypt,
            r#"{"KeyId":"k","Plaintext":"AA==","DryRun":"yes"}"#,
            "dryRun",
        ),
        (
            Operation::TagResource,
            r#"{"KeyId":"k","Tags":[5]}"#,
            "tags.1.member",
        ),
    ];
    for (op, body, member) in cases {
        let message = failure(op, body, ErrorCode::SerializationException);
        assert!(
            message.contains(&format!("'{member}'")),
            "{body}: {message}"
        );
    }
}

#[test]
fn bodies_that_are_not_json_objects() {
    failure(
        Operation::ListKeys,
        "{not json",
        ErrorCode::SerializationException,
    );
    failure(Operation::ListKeys, "[]", ErrorCode::SerializationException);
    failure(
        Operation::ListKeys,
        "\"text\"",
        ErrorCode::SerializationException,
    );
    assert_eq!(validate_body(Operation::ListKeys, b"").unwrap(), json!({}));
}

#[test]
fn null_members_are_removed_and_unknown_ones_kept() {
    let body = json!({ "KeyId": KEY, "Description": null, "Extra": 1 }).to_string();
    let cleaned = validate_body(Operation::UpdateKeyDescription, body.as_bytes());
    let message = cleaned.expect_err("Description is required").message;
    assert!(message.contains("Value null at 'description'"), "{message}");

    let body = json!({ "Limit": null, "Marker": null, "Other": "x" }).to_string();
    let cleaned = validate_body(Operation::ListKeys, body.as_bytes()).unwrap();
    assert_eq!(cleaned, json!({ "Other": "x" }));
}

#[test]
fn every_model_pattern_compiles() {
    let mut seen = Vec::new();
    for op in Operation::ALL {
        collect_patterns(op.input_shape(), &mut seen, &mut Vec::new());
    }
    assert!(!seen.is_empty());
    for pattern in seen {
        assert!(kms_api::validate::pattern_compiles(pattern), "{pattern}");
    }
}

/// Every pattern reachable from `shape`.
fn collect_patterns(shape: &str, out: &mut Vec<&'static str>, visited: &mut Vec<String>) {
    if visited.iter().any(|v| v == shape) {
        return;
    }
    visited.push(shape.to_string());
    match constraints::shape(shape) {
        Some(ShapeDef::Structure { members }) => {
            for m in *members {
                collect_patterns(m.shape, out, visited);
            }
        }
        Some(ShapeDef::String {
            pattern: Some(p), ..
        }) => out.push(p),
        Some(ShapeDef::List { member, .. }) => collect_patterns(member, out, visited),
        Some(ShapeDef::Map { key, value, .. }) => {
            collect_patterns(key, out, visited);
            collect_patterns(value, out, visited);
        }
        _ => {}
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Member names that occur in many input shapes, so random objects reach deep checks.
const NAMES: &[&str] = &[
    "KeyId",
    "Plaintext",
    "CiphertextBlob",
    "NumberOfBytes",
    "KeySpec",
    "Tags",
    "TagKey",
    "TagValue",
    "GrantTokens",
    "EncryptionContext",
    "Limit",
    "Marker",
    "Policy",
    "PolicyName",
    "Description",
    "DryRun",
    "ValidTo",
    "Constraints",
    "Operations",
    "KeyUsage",
    "ReplicaRegion",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "[A-Za-z0-9+/=]{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(NAMES), inner), 0..6).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #[test]
    fn validation_never_panics_on_any_value(value in json_value()) {
        for op in Operation::ALL {
            let _ = validate_input(*op, value.clone());
        }
    }

    #[test]
    fn validation_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for op in Operation::ALL {
            let _ = validate_body(*op, &bytes);
        }
    }
}
