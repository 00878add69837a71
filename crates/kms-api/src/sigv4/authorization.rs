//! The `Authorization` header of AWS Signature Version 4, "Add the signature to the request" in
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>:
//! `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
//! SignedHeaders=<h1;h2>, Signature=<hex>`.

use kms_model::{ErrorCode, KmsError};

/// The only signing algorithm kmsd accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope: `<date>/<region>/<service>/<terminator>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope<'a> {
    /// `YYYYMMDD`.
    pub date: &'a str,
    /// The region the request is signed for.
    pub region: &'a str,
    /// The service the request is signed for (`kms`).
    pub service: &'a str,
    /// Always `aws4_request` in a valid scope.
    pub terminator: &'a str,
}

/// A parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key ID that signed the request.
    pub access_key_id: &'a str,
    /// The credential scope.
    pub scope: Scope<'a>,
    /// The signed header names, lowercase, in the order the header lists them.
    pub signed_headers: Vec<&'a str>,
    /// The signature, as the client sent it (hex).
    pub signature: &'a str,
}

/// The three parameters of the header, each present or not.
#[derive(Default)]
struct Fields<'a> {
    credential: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
}

/// `IncompleteSignatureException` with this message.
fn incomplete(message: impl Into<String>) -> KmsError {
    KmsError::new(ErrorCode::IncompleteSignatureException, message)
}

/// At most `max` characters of a client-supplied value, for an error message.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Parses the header. `has_date` tells whether the request carries `X-Amz-Date` or `Date`, so
/// that a missing date is reported in the same message as missing parameters, as AWS does.
pub fn parse_authorization(value: &str, has_date: bool) -> Result<Authorization<'_>, KmsError> {
    // The algorithm comes first, separated from the parameters by whitespace.
    let value = value.trim();
    let (algorithm, params) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{}'.",
            clip(algorithm, 64)
        )));
    }

    // Collect the comma-separated `name=value` parameters, then require all three.
    let fields = scan(params);
    let mut missing = String::new();
    for (name, present) in [
        ("Credential", fields.credential.is_some()),
        ("Signature", fields.signature.is_some()),
        ("SignedHeaders", fields.signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) = (
        fields.credential,
        fields.signed_headers,
        fields.signature,
        missing.is_empty(),
    ) else {
        return Err(incomplete(missing.trim_end().to_string()));
    };

    // The credential has exactly five slash-separated elements.
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{}'",
            clip(credential, 256)
        )));
    };
    let signed_headers: Vec<&str> = signed_headers.split(';').collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return Err(incomplete(
            "Authorization header's 'SignedHeaders' parameter is malformed.",
        ));
    }
    Ok(Authorization {
        access_key_id,
        scope: Scope {
            date,
            region,
            service,
            terminator,
        },
        signed_headers,
        signature,
    })
}

/// Splits the parameters at commas and picks the three known ones; others are ignored.
fn scan(params: &str) -> Fields<'_> {
    let mut fields = Fields::default();
    for param in params.split(',') {
        let Some((name, value)) = param.trim().split_once('=') else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            "Credential" => fields.credential = Some(value),
            "SignedHeaders" => fields.signed_headers = Some(value),
            "Signature" => fields.signature = Some(value),
            _ => {}
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";

    #[test]
    fn parses_a_well_formed_header() {
        let auth = parse_authorization(HEADER, true).expect("well formed");
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.scope.date, "20150830");
        assert_eq!(auth.scope.region, "us-east-1");
        assert_eq!(auth.scope.service, "kms");
        assert_eq!(auth.scope.terminator, "aws4_request");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(auth.signature, "abcd");
    }

    #[test]
    fn names_every_missing_part() {
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/e", false)
            .expect_err("incomplete");
        assert_eq!(err.code, ErrorCode::IncompleteSignatureException);
        assert_eq!(
            err.message,
            "Authorization header requires 'Signature' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization header requires existence of either a \
             'X-Amz-Date' or a 'Date' header."
        );
    }

    #[test]
    fn rejects_a_short_credential_and_other_algorithms() {
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830, SignedHeaders=host, Signature=00",
            true,
        )
        .expect_err("short");
        assert!(
            err.message.starts_with("Credential must have exactly 5"),
            "{}",
            err.message
        );
        let err = parse_authorization("Bearer abc", true).expect_err("algorithm");
        assert_eq!(err.message, "Unsupported AWS 'algorithm': 'Bearer'.");
    }
}
