//! The server end to end over raw HTTP/1.1: routes, authentication errors, target mapping,
//! validation, the body limit, panics in the backend, and the headers on every response.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{signed_post, Signing, TestServer, ACCOUNT};

use kms_api::MAX_BODY_BYTES;

const HOST: &str = "localhost";

/// Every response carries a request ID (a UUID) and a Date.
fn assert_common_headers(reply: &common::Reply) {
    let id = reply.header("x-amzn-requestid").expect("x-amzn-RequestId");
    assert_eq!(id.len(), 36, "{id}");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert!(reply.header("date").is_some_and(|d| d.ends_with(" GMT")));
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;

    let reply = conn
        .send(b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), serde_json::json!({ "status": "ok" }));
    assert_common_headers(&reply);

    let reply = conn
        .send(b"GET /nothing HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await;
    assert_eq!(reply.status, 404);
    assert_common_headers(&reply);
    server.stop().await;
}

#[tokio::test]
async fn a_signed_request_reaches_the_backend() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;
    let body = br#"{"KeyId":"alias/test","Description":null}"#;
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.DescribeKey"),
            body,
            &Signing::default(),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_common_headers(&reply);
    let echo = reply.json();
    assert_eq!(echo["Operation"], "DescribeKey");
    assert_eq!(echo["Account"], ACCOUNT);
    assert_eq!(echo["Principal"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(echo["Region"], "us-east-1");
    assert_eq!(echo["Input"], serde_json::json!({ "KeyId": "alias/test" }));

    // An empty body is an empty input.
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"",
            &Signing::default(),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["Input"], serde_json::json!({}));
    server.stop().await;
}

#[tokio::test]
async fn authentication_failures() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;

    // No Authorization header at all.
    let unsigned = b"POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: TrentService.ListKeys\r\ncontent-length: 2\r\n\r\n{}";
    let reply = conn.send(unsigned).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_type(), "MissingAuthenticationTokenException");
    assert_eq!(reply.message(), "Missing Authentication Token");
    assert_common_headers(&reply);

    // The wrong secret.
    let wrong = Signing {
        secret: "not-the-secret",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &wrong,
        ))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_type(), "InvalidSignatureException");
    assert!(reply
        .message()
        .starts_with("The request signature we calculated does not match"));

    // An access key the server does not know.
    let unknown = Signing {
        access_key: "AKIAUNKNOWN",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &unknown,
        ))
        .await;
    assert_eq!(reply.error_type(), "UnrecognizedClientException");
    assert_eq!(
        reply.message(),
        "The security token included in the request is invalid."
    );

    // A signature ten minutes old.
    let old = Signing {
        time: kms_api::time::now_secs() - 600,
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &old,
        ))
        .await;
    assert_eq!(reply.error_type(), "InvalidSignatureException");
    assert!(
        reply.message().starts_with("Signature expired: "),
        "{}",
        reply.message()
    );

    // Signed for another service.
    let s3 = Signing {
        service: "s3",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &s3,
        ))
        .await;
    assert_eq!(
        reply.message(),
        "Credential should be scoped to correct service: 'kms'. "
    );
    server.stop().await;
}

#[tokio::test]
async fn regions_of_the_scope() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;

    let eu = Signing {
        region: "eu-west-3",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &eu,
        ))
        .await;
    assert_eq!(reply.json()["Region"], "eu-west-3");

    let gov = Signing {
        region: "us-gov-west-1",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &gov,
        ))
        .await;
    assert_eq!(
        reply.json()["Principal"],
        format!("arn:aws-us-gov:iam::{ACCOUNT}:root")
    );

    let cn = Signing {
        region: "cn-north-1",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &cn,
        ))
        .await;
    assert_eq!(reply.error_type(), "UnsupportedOperationException");
    assert_eq!(
        reply.message(),
        "The aws-cn partition (region cn-north-1) is not supported by kmsd: its symmetric keys are SM4."
    );

    let bad = Signing {
        region: "moon",
        ..Signing::default()
    };
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &bad,
        ))
        .await;
    assert_eq!(
        reply.message(),
        "Credential should be scoped to a valid region. "
    );
    server.stop().await;
}

#[tokio::test]
async fn targets_json_and_validation() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;
    let sign = Signing::default();

    for target in [
        None,
        Some("TrentService.NoSuchThing"),
        Some("KmsService.ListKeys"),
        Some("ListKeys"),
    ] {
        let reply = conn.send(&signed_post(HOST, target, b"{}", &sign)).await;
        assert_eq!(reply.status, 400, "{target:?}");
        assert_eq!(
            reply.error_type(),
            "UnknownOperationException",
            "{target:?}"
        );
    }

    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{\"Limit\":",
            &sign,
        ))
        .await;
    assert_eq!(reply.error_type(), "SerializationException");

    let body = br#"{"NumberOfBytes":0}"#;
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.GenerateDataKey"),
            body,
            &sign,
        ))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_type(), "ValidationException");
    assert_eq!(
        reply.message(),
        "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: \
         Member must not be null; Value '0' at 'numberOfBytes' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_oversized_body_gets_an_answer() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            &body,
            &Signing::default(),
        ))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_type(), "ValidationException");
    assert!(reply.message().contains("1048576"), "{}", reply.message());
    assert_common_headers(&reply);

    // The body was drained, so the connection still serves requests.
    let reply = conn
        .send(b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await;
    assert_eq!(reply.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_panicking_backend_answers_500_and_the_connection_survives() {
    let server = TestServer::start().await;
    let mut conn = server.connect().await;
    let sign = Signing::default();

    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.GenerateRandom"),
            b"{}",
            &sign,
        ))
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error_type(), "KMSInternalException");
    assert!(
        !reply.message().contains("deliberate"),
        "the panic detail stays in the log"
    );
    assert_common_headers(&reply);
    let first_id = reply.header("x-amzn-requestid").unwrap().to_string();

    let reply = conn
        .send(&signed_post(
            HOST,
            Some("TrentService.ListKeys"),
            b"{}",
            &sign,
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_ne!(
        reply.header("x-amzn-requestid").unwrap(),
        first_id,
        "a fresh ID per request"
    );
    server.stop().await;
}

#[tokio::test]
async fn http2_requests_sign_the_authority_as_host() {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let server = TestServer::start().await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);

    // Sign for the authority; HTTP/2 carries it as `:authority`, not as a Host header.
    let authority = server.addr.to_string();
    let body = br#"{"KeyId":"alias/h2"}"#;
    let headers = common::signed_headers(
        &authority,
        Some("TrentService.DescribeKey"),
        body,
        &Signing::default(),
    );
    let mut request = http::Request::post(format!("http://{authority}/"));
    for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(bytes::Bytes::from_static(body)))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let echo: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(echo["Operation"], "DescribeKey");
    drop(sender);
    server.stop().await;
}
