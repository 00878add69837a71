//! The verifier against AWS's published SigV4 test suite (aws-sig-v4-test-suite, as carried by
//! aws-c-auth's `aws-signing-test-suite/v4`): credentials AKIDEXAMPLE, service `service`,
//! region us-east-1, time 20150830T123600Z. Each vector's canonical request and signature are
//! the suite's; the table below holds them as data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use zeroize::Zeroizing;

use kms_api::sigv4::{canonical_request, parse_authorization, RequestParts, Verifier};
use kms_api::AccessKey;
use kms_model::{AccountId, ErrorCode};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_TIME: i64 = 1_440_938_160; // 20150830T123600Z
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const FORM_HASH: &str = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";

/// One vector of the suite.
struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    /// Headers besides `X-Amz-Date: 20150830T123600Z`, in the order sent.
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    signed_headers: &'static str,
    canonical: &'static str,
    signature: &'static str,
}

const HOST: (&str, &str) = ("Host", "example.amazonaws.com");

const VECTORS: &[Vector] = &[
    Vector {
        name: "get-vanilla",
        method: "GET",
        path: "/",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path: "/",
        query: "Param2=value2&Param1=value1",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "get-vanilla-query-order-encoded",
        method: "GET",
        path: "/",
        query: "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
    },
    Vector {
        name: "get-vanilla-query-unreserved",
        method: "GET",
        path: "/",
        query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    },
    Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        path: "/",
        query: "ሴ=bar",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        path: "/",
        query: "",
        headers: &[HOST, ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    Vector {
        name: "get-header-value-order",
        method: "GET",
        path: "/",
        query: "",
        headers: &[
            HOST,
            ("My-Header1", "value4"),
            ("My-Header1", "value1"),
            ("My-Header1", "value3"),
            ("My-Header1", "value2"),
        ],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    Vector {
        name: "get-header-value-trim",
        method: "GET",
        path: "/",
        query: "",
        headers: &[HOST, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        body: "",
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    Vector {
        name: "get-utf8",
        method: "GET",
        path: "/ሴ",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    },
    Vector {
        name: "get-unreserved",
        method: "GET",
        path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    Vector {
        name: "get-space-normalized",
        method: "GET",
        path: "/example space/",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    },
    Vector {
        name: "get-relative-relative-normalized",
        method: "GET",
        path: "/example1/example2/../..",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slash-pointless-dot-normalized",
        method: "GET",
        path: "/./example",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
    },
    Vector {
        name: "get-slashes-normalized",
        method: "GET",
        path: "//example//",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    },
    Vector {
        name: "get-vanilla-with-session-token",
        method: "GET",
        path: "/",
        query: "",
        headers: &[
            HOST,
            ("X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        ],
        body: "",
        signed_headers: "host;x-amz-date;x-amz-security-token",
        canonical: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    },
    Vector {
        name: "post-vanilla",
        method: "POST",
        path: "/",
        query: "",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-vanilla-query",
        method: "POST",
        path: "/",
        query: "Param1=value1",
        headers: &[HOST],
        body: "",
        signed_headers: "host;x-amz-date",
        canonical: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-header-key-sort",
        method: "POST",
        path: "/",
        query: "",
        headers: &[HOST, ("My-Header1", "value1")],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        canonical: "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    },
    Vector {
        name: "post-header-value-case",
        method: "POST",
        path: "/",
        query: "",
        headers: &[HOST, ("My-Header1", "VALUE1")],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        canonical: "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    },
    Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            HOST,
            ("Content-Length", "13"),
            ("X-Amz-Content-Sha256", FORM_HASH),
        ],
        body: "Param1=value1",
        signed_headers: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        canonical: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
    },
    Vector {
        name: "post-x-www-form-urlencoded-parameters",
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            HOST,
            ("Content-Length", "13"),
            ("X-Amz-Content-Sha256", FORM_HASH),
        ],
        body: "Param1=value1",
        signed_headers: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        canonical: "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        signature: "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
    },
];

fn suite_key() -> AccessKey {
    AccessKey {
        id: "AKIDEXAMPLE".into(),
        secret: Zeroizing::new(SECRET.into()),
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: None,
    }
}

/// The vector's headers plus its date, and an Authorization header with `signature`.
fn headers_of(v: &Vector, signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in v.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        headers.append(name, HeaderValue::from_str(value).unwrap());
    }
    headers.append("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders={}, Signature={signature}",
        v.signed_headers
    );
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    headers
}

fn parts<'a>(v: &'a Vector, headers: &'a HeaderMap) -> RequestParts<'a> {
    RequestParts {
        method: v.method,
        path: v.path,
        query: v.query,
        headers,
        body: v.body.as_bytes(),
    }
}

#[test]
fn canonical_requests_match_the_suite() {
    for v in VECTORS {
        let headers = headers_of(v, v.signature);
        let signed: Vec<&str> = v.signed_headers.split(';').collect();
        let hash = if v.body.is_empty() {
            EMPTY_HASH
        } else {
            FORM_HASH
        };
        let canonical = canonical_request(&parts(v, &headers), &signed, hash);
        assert_eq!(
            String::from_utf8(canonical).unwrap(),
            v.canonical,
            "{}",
            v.name
        );
    }
}

#[test]
fn suite_signatures_verify() {
    let verifier = Verifier::new([suite_key()], "service");
    for v in VECTORS {
        let headers = headers_of(v, v.signature);
        let identity = verifier
            .verify(&parts(v, &headers), SUITE_TIME)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(identity.access_key_id, "AKIDEXAMPLE");
        assert_eq!(identity.region.as_str(), "us-east-1");
        assert_eq!(identity.principal_arn, "arn:aws:iam::111122223333:root");
    }
}

#[test]
fn a_changed_signature_or_body_fails() {
    let verifier = Verifier::new([suite_key()], "service");
    let vanilla = &VECTORS[0];
    let wrong = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30";
    let headers = headers_of(vanilla, wrong);
    let err = verifier
        .verify(&parts(vanilla, &headers), SUITE_TIME)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidSignatureException);
    assert!(err
        .message
        .starts_with("The request signature we calculated does not match"));

    // The form vector with a different body: the claimed content hash no longer matches.
    let form = VECTORS
        .iter()
        .find(|v| v.name == "post-x-www-form-urlencoded")
        .unwrap();
    let headers = headers_of(form, form.signature);
    let mut request = parts(form, &headers);
    request.body = b"Param1=value2";
    let err = verifier.verify(&request, SUITE_TIME).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidSignatureException);
}

#[test]
fn scope_and_time_errors_have_aws_texts() {
    let vanilla = &VECTORS[0];
    let headers = headers_of(vanilla, vanilla.signature);

    // The suite signs for service "service"; a kms verifier refuses the scope.
    let kms = Verifier::new([suite_key()], "kms");
    let err = kms
        .verify(&parts(vanilla, &headers), SUITE_TIME)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidSignatureException);
    assert_eq!(
        err.message,
        "Credential should be scoped to correct service: 'kms'. "
    );

    // Fifteen minutes later the signature has expired.
    let verifier = Verifier::new([suite_key()], "service");
    let err = verifier
        .verify(&parts(vanilla, &headers), SUITE_TIME + 900)
        .unwrap_err();
    assert_eq!(
        err.message,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z \
         (20150830T125100Z - 5 min.)"
    );

    // An unknown access key.
    let other = Verifier::new(Vec::<AccessKey>::new(), "service");
    let err = other
        .verify(&parts(vanilla, &headers), SUITE_TIME)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UnrecognizedClientException);
    assert_eq!(
        err.message,
        "The security token included in the request is invalid."
    );
}

#[test]
fn malformed_scopes_are_refused() {
    let verifier = Verifier::new([suite_key()], "service");
    let vanilla = &VECTORS[0];
    let cases = [
        (
            "AKIDEXAMPLE/20150830/us-east-1/service/aws5_request",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.",
        ),
        ("AKIDEXAMPLE/20150830/moon/service/aws4_request", "Credential should be scoped to a valid region. "),
        (
            "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '20150831' != '20150830', from '20150830T123600Z'.",
        ),
    ];
    for (credential, message) in cases {
        let mut headers = headers_of(vanilla, vanilla.signature);
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature={}",
            vanilla.signature
        );
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        let err = verifier
            .verify(&parts(vanilla, &headers), SUITE_TIME)
            .unwrap_err();
        assert_eq!(
            err.code,
            ErrorCode::InvalidSignatureException,
            "{credential}"
        );
        assert_eq!(err.message, message);
    }
}

#[test]
fn missing_header_and_date() {
    let verifier = Verifier::new([suite_key()], "service");
    let vanilla = &VECTORS[0];
    let mut headers = headers_of(vanilla, vanilla.signature);
    headers.remove("x-amz-date");
    let err = verifier
        .verify(&parts(vanilla, &headers), SUITE_TIME)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::IncompleteSignatureException);
    assert!(
        err.message.contains("'X-Amz-Date' or a 'Date' header"),
        "{}",
        err.message
    );

    headers.remove("authorization");
    let err = verifier
        .verify(&parts(vanilla, &headers), SUITE_TIME)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::MissingAuthenticationTokenException);
    assert_eq!(err.message, "Missing Authentication Token");
}

proptest! {
    #[test]
    fn the_authorization_parser_never_panics(header in ".{0,300}", has_date in any::<bool>()) {
        let _ = parse_authorization(&header, has_date);
    }

    #[test]
    fn near_miss_headers_never_panic(
        credential in "[A-Za-z0-9/_-]{0,60}",
        signed in "[a-z;-]{0,40}",
        signature in "[0-9a-f]{0,70}",
    ) {
        let header = format!(
            "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={signature}"
        );
        let _ = parse_authorization(&header, true);
    }
}
