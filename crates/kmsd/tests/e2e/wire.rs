//! The wire contract, seen as raw HTTP: SigV4 verification and its errors, AWS JSON 1.1
//! decoding errors, the error body and headers, regions and partitions (SPEC D26-D33,
//! issue 2 "The wire").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::raw::{self, kms_headers, send, signed_call, RawResponse, Signer};
use crate::common::{assert_error, kms_error, Server, ACCESS_A, ACCOUNT_A, SECRET_A};
use serde_json::{json, Value};

const SIGNER: Signer<'static> = Signer {
    access: ACCESS_A,
    secret: SECRET_A,
    region: "us-east-1",
    service: "kms",
};
const UNRECOGNIZED: &str = "The security token included in the request is invalid.";
const BAD_SIGNATURE: &str =
    "The request signature we calculated does not match the signature you provided.";

/// Every error: HTTP 400, the bare exception name (D28), JSON 1.1, a request ID (D27).
#[track_caller]
fn assert_error_response(response: &RawResponse, code: &str) {
    assert_eq!(
        (response.status, response.error_type().as_str()),
        (400, code),
        "body {:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(
        response
            .header("x-amzn-requestid")
            .is_some_and(|v| !v.is_empty()),
        "{response:?}"
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
}

#[test]
fn signer_reproduces_the_aws_post_vanilla_vector() {
    // AWS's published SigV4 suite, case post-vanilla: 2015-08-30T12:36:00Z, no body.
    let signer = Signer {
        access: "AKIDEXAMPLE",
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region: "us-east-1",
        service: "service",
    };
    let headers = signer.sign("example.amazonaws.com", &[], b"", 1_440_938_160);
    let authorization = &headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .unwrap()
        .1;
    assert_eq!(
        authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
    assert_eq!(raw::amz_dates(0).1, "19700101T000000Z");
    assert_eq!(raw::amz_dates(951_782_400).0, "20000229");
}

#[test]
fn health_needs_no_signature() {
    let server = Server::shared();
    let response = send(server.addr(), "GET", "/health", &[], b"");
    assert_eq!(response.status, 200);
    assert!(
        response.header("x-amzn-requestid").is_some(),
        "{response:?}"
    );
}

#[test]
fn a_correctly_signed_request_succeeds() {
    let server = Server::shared();
    let response = signed_call(server.addr(), SIGNER, "ListKeys", b"{}");
    assert_eq!(
        response.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    // SPEC D27.
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert!(response
        .header("x-amzn-requestid")
        .is_some_and(|v| !v.is_empty()));
    let body = response.json();
    assert!(
        body["Keys"].is_array() && body["Truncated"].is_boolean(),
        "{body}"
    );

    // Two responses never share a request ID.
    let other = signed_call(server.addr(), SIGNER, "ListKeys", b"{}");
    assert_ne!(
        response.header("x-amzn-requestid"),
        other.header("x-amzn-requestid")
    );
}

#[test]
fn unsigned_post_is_missing_authentication_token() {
    let server = Server::shared();
    let response = send(server.addr(), "POST", "/", &kms_headers("ListKeys"), b"{}");
    assert_error_response(&response, "MissingAuthenticationTokenException");
}

#[test]
fn malformed_authorization_is_an_incomplete_signature() {
    let server = Server::shared();
    let mut headers = kms_headers("ListKeys");
    headers.push(("x-amz-date".into(), raw::amz_dates(raw::now()).1));
    headers.push((
        "authorization".into(),
        "AWS4-HMAC-SHA256 Credential=nonsense".into(),
    ));
    let response = send(server.addr(), "POST", "/", &headers, b"{}");
    assert_error_response(&response, "IncompleteSignatureException");
}

#[test]
fn wrong_secret_is_an_invalid_signature() {
    let server = Server::shared();
    let signer = Signer {
        secret: "not-the-secret-at-all-000000000000000000",
        ..SIGNER
    };
    let response = signed_call(server.addr(), signer, "ListKeys", b"{}");
    assert_error_response(&response, "InvalidSignatureException");
    assert!(
        response.error_message().starts_with(BAD_SIGNATURE),
        "{:?}",
        response.error_message()
    );
}

#[test]
fn a_body_changed_after_signing_is_an_invalid_signature() {
    let server = Server::shared();
    let headers = SIGNER.sign(server.addr(), &kms_headers("ListKeys"), b"{}", raw::now());
    let response = send(server.addr(), "POST", "/", &headers, b"{\"Limit\": 1}");
    assert_error_response(&response, "InvalidSignatureException");
}

#[test]
fn unknown_access_key_is_unrecognized() {
    let server = Server::shared();
    let signer = Signer {
        access: "AKIANOTKNOWNTOKMSD00",
        ..SIGNER
    };
    let response = signed_call(server.addr(), signer, "ListKeys", b"{}");
    assert_error_response(&response, "UnrecognizedClientException");
    assert_eq!(response.error_message(), UNRECOGNIZED);
}

#[test]
fn request_time_must_be_within_five_minutes() {
    let server = Server::shared();
    let body = b"{}";
    for (offset, start) in [
        (-600, "Signature expired: "),
        (600, "Signature not yet current: "),
    ] {
        let headers = SIGNER.sign(
            server.addr(),
            &kms_headers("ListKeys"),
            body,
            raw::now() + offset,
        );
        let response = send(server.addr(), "POST", "/", &headers, body);
        assert_error_response(&response, "InvalidSignatureException");
        assert!(
            response.error_message().starts_with(start),
            "{:?}",
            response.error_message()
        );
    }
    // Four minutes off is still fine.
    let headers = SIGNER.sign(
        server.addr(),
        &kms_headers("ListKeys"),
        body,
        raw::now() - 240,
    );
    assert_eq!(send(server.addr(), "POST", "/", &headers, body).status, 200);
}

#[test]
fn the_credential_scope_must_name_kms() {
    let server = Server::shared();
    let signer = Signer {
        service: "s3",
        ..SIGNER
    };
    let response = signed_call(server.addr(), signer, "ListKeys", b"{}");
    assert_eq!(response.status, 400);
    assert!(
        ["InvalidSignatureException", "IncompleteSignatureException"]
            .contains(&response.error_type().as_str()),
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
}

#[test]
fn unknown_target_is_an_unknown_operation() {
    let server = Server::shared();
    for operation in ["MakeCoffee", "listkeys"] {
        let response = signed_call(server.addr(), SIGNER, operation, b"{}");
        assert_error_response(&response, "UnknownOperationException");
    }
}

#[test]
fn bodies_that_do_not_decode_are_serialization_errors() {
    let server = Server::shared();
    let key = signed_call(server.addr(), SIGNER, "CreateKey", b"{}").json();
    let key_id = key["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("CreateKey answered a key")
        .to_string();

    // Issue 2: malformed JSON, a member of the wrong type, invalid base64.
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("ListKeys", b"{not json".to_vec()),
        ("ListKeys", b"{\"Limit\": 10".to_vec()),
        ("ListKeys", b"[1, 2]".to_vec()),
        ("ListKeys", b"{\"Limit\": \"ten\"}".to_vec()),
        ("DescribeKey", b"{\"KeyId\": 5}".to_vec()),
        (
            "Encrypt",
            json!({"KeyId": key_id, "Plaintext": "not base64!!"})
                .to_string()
                .into_bytes(),
        ),
        (
            "Encrypt",
            json!({"KeyId": key_id, "Plaintext": ["x"]})
                .to_string()
                .into_bytes(),
        ),
        (
            "Encrypt",
            json!({"KeyId": key_id, "Plaintext": "aGk=", "EncryptionContext": {"a": 1}})
                .to_string()
                .into_bytes(),
        ),
        ("CreateKey", b"{\"MultiRegion\": \"yes\"}".to_vec()),
    ];
    for (operation, body) in bodies {
        let response = signed_call(server.addr(), SIGNER, operation, &body);
        assert_error_response(&response, "SerializationException");
    }

    // Random bytes as a body: a 400, never a 500 or a dropped connection. Seeded.
    let mut rng = fastrand::Rng::with_seed(26);
    for len in [1, 7, 64, 999] {
        let junk: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let response = signed_call(server.addr(), SIGNER, "Encrypt", &junk);
        assert_eq!(
            response.status,
            400,
            "{:?}",
            String::from_utf8_lossy(&response.body)
        );
    }
}

#[test]
fn unknown_members_are_ignored_and_null_is_absent() {
    let server = Server::shared();
    let body = json!({"Description": null, "NotAMember": {"x": 1}, "Tags": null}).to_string();
    let response = signed_call(server.addr(), SIGNER, "CreateKey", body.as_bytes());
    assert_eq!(
        response.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.json()["KeyMetadata"]["KeyState"], "Enabled");
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(members) => members.values().any(has_null),
        _ => false,
    }
}

#[test]
fn describe_key_json_leaves_out_absent_members() {
    let server = Server::shared();
    let created = signed_call(server.addr(), SIGNER, "CreateKey", b"{}").json();
    let id = created["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"KeyId": id}).to_string();
    let response = signed_call(server.addr(), SIGNER, "DescribeKey", body.as_bytes());
    assert_eq!(response.status, 200);
    let json = response.json();
    let md = &json["KeyMetadata"];

    // SPEC 1.9: no nulls; members without a value are absent.
    assert!(!has_null(&json), "{json}");
    for absent in [
        "MultiRegionConfiguration",
        "SigningAlgorithms",
        "MacAlgorithms",
        "DeletionDate",
        "ValidTo",
    ] {
        assert!(md.get(absent).is_none(), "{absent} present in {md}");
    }
    assert_eq!(md["MultiRegion"], false);
    assert_eq!(md["AWSAccountId"], ACCOUNT_A);
    // SPEC D31: timestamps are epoch-second numbers.
    assert!(md["CreationDate"].is_number(), "{md}");
}

#[test]
fn error_names_are_bare() {
    let server = Server::shared();
    let body = json!({"KeyId": "fake-key-id"}).to_string();
    let response = signed_call(server.addr(), SIGNER, "DescribeKey", body.as_bytes());
    // SPEC D28, 1.4.
    assert_error_response(&response, "NotFoundException");
    assert_eq!(response.error_message(), "Invalid keyId 'fake-key-id'");
}

#[test]
fn custom_key_store_operations_are_unsupported() {
    let server = Server::shared();
    let calls = [
        ("DescribeCustomKeyStores", json!({})),
        ("CreateCustomKeyStore", json!({"CustomKeyStoreName": "cks"})),
    ];
    for (operation, body) in calls {
        let response = signed_call(
            server.addr(),
            SIGNER,
            operation,
            body.to_string().as_bytes(),
        );
        assert_error_response(&response, "UnsupportedOperationException");
        assert!(
            response.error_message().contains(operation),
            "{:?}",
            response.error_message()
        );
    }
}

#[tokio::test]
async fn sdk_clients_with_bad_credentials_get_the_same_answers() {
    let server = Server::shared();
    let wrong_secret = server.client_with(
        "us-east-1",
        ACCESS_A,
        "definitely/not/the/right/secret0000000",
    );
    let err = kms_error(wrong_secret.list_keys().send().await);
    assert_eq!(
        (err.status, err.code.as_str()),
        (400, "InvalidSignatureException"),
        "{err:?}"
    );
    assert!(err.message.starts_with(BAD_SIGNATURE), "{err:?}");

    let unknown = server.client_with("us-east-1", "AKIAUNKNOWNUNKNOWN00", SECRET_A);
    assert_error(
        unknown.list_keys().send().await,
        "UnrecognizedClientException",
        UNRECOGNIZED,
    );
}

#[tokio::test]
async fn regions_and_partitions() {
    let server = Server::shared();

    // Issue 2: the partition comes from the region prefix.
    let gov = server.client("us-gov-west-1");
    let md = common::create_key(&gov).await;
    assert_eq!(
        md.arn(),
        Some(
            format!(
                "arn:aws-us-gov:kms:us-gov-west-1:{ACCOUNT_A}:key/{}",
                md.key_id()
            )
            .as_str()
        )
    );
    // Three-part names are regions too.
    let three = server.client("ap-southeast-east-9");
    let md = common::create_key(&three).await;
    assert!(md
        .arn()
        .unwrap()
        .starts_with("arn:aws:kms:ap-southeast-east-9:"));

    // China regions are not supported yet.
    let cn = server.client("cn-north-1");
    let err = kms_error(cn.create_key().send().await);
    assert_eq!(
        (err.status, err.code.as_str()),
        (400, "UnsupportedOperationException"),
        "{err:?}"
    );
}

#[test]
fn constraint_violations_use_the_aws_validation_message() {
    let server = Server::shared();

    // SPEC D30: enum violations list the allowed values.
    let response = signed_call(
        server.addr(),
        SIGNER,
        "CreateKey",
        br#"{"KeyUsage": "BOGUS"}"#,
    );
    assert_error_response(&response, "ValidationException");
    let message = response.error_message();
    assert!(
        message.starts_with(
            "1 validation error detected: Value 'BOGUS' at 'keyUsage' failed to satisfy \
             constraint: Member must satisfy enum value set: ["
        ),
        "{message:?}"
    );
    assert!(message.contains("ENCRYPT_DECRYPT"), "{message:?}");

    // A length violation of a string member (Description is 0..8192).
    let body = json!({"Description": "d".repeat(8193)}).to_string();
    let response = signed_call(server.addr(), SIGNER, "CreateKey", body.as_bytes());
    assert_error_response(&response, "ValidationException");
    assert!(
        response
            .error_message()
            .starts_with("1 validation error detected: Value '"),
        "{:?}",
        response.error_message()
    );
    assert!(
        response
            .error_message()
            .ends_with("at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192"),
        "{:?}",
        response.error_message()
    );
}

#[test]
fn a_huge_body_is_refused_with_a_400() {
    let server = Server::shared();
    // Issue 2: huge values get a 400 with an exception name, not a 500 or a dropped connection.
    let body = json!({"KeyId": "alias/x", "Plaintext": "QUFB".repeat(512 * 1024)}).to_string();
    let response = signed_call(server.addr(), SIGNER, "Encrypt", body.as_bytes());
    assert_eq!(
        response.status,
        400,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(!response.error_type().is_empty());
}
