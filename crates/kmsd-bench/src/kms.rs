//! The KMS operations that the workloads send: their `X-Amz-Target` names and JSON bodies,
//! as documented in the AWS KMS API reference
//! <https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html>, and the kinds of
//! key they run on (the key specs and usages of "Key spec reference",
//! <https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html>).

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use serde_json::json;

/// The regions that `--regions N` spreads keys over: the chosen region, then others in order.
pub const REGIONS: [&str; 16] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-2",
    "us-east-2",
    "us-west-1",
    "eu-west-2",
    "eu-north-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-northeast-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-3",
];

/// The ECDSA algorithm that the `sign` and `verify` workloads use with `ECC_NIST_P256` keys.
pub const ECDSA_SHA_256: &str = "ECDSA_SHA_256";

/// The RSA-PSS algorithm that the `sign-rsa` workload uses with `RSA_2048` keys.
pub const RSASSA_PSS_SHA_256: &str = "RSASSA_PSS_SHA_256";

/// A kind of KMS key that the set-up creates: its origin, key spec and key usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `SYMMETRIC_DEFAULT` for `ENCRYPT_DECRYPT`, the CreateKey default.
    Symmetric,
    /// `SYMMETRIC_DEFAULT` of origin `EXTERNAL`, waiting for imported material.
    External,
    /// `ECC_NIST_P256` for `SIGN_VERIFY`.
    EccSigning,
    /// `RSA_2048` for `SIGN_VERIFY`.
    RsaSigning,
    /// `HMAC_256` for `GENERATE_VERIFY_MAC`.
    Hmac,
}

impl KeyKind {
    /// The CreateKey body of a key of this kind.
    fn create_key_body(self) -> serde_json::Value {
        let spec_and_usage = |spec: &str, usage: &str| json!({ "KeySpec": spec, "KeyUsage": usage, "Description": "kmsd-bench" });
        match self {
            KeyKind::Symmetric => json!({ "Description": "kmsd-bench" }),
            KeyKind::External => {
                json!({ "Origin": "EXTERNAL", "Description": "kmsd-bench import" })
            }
            KeyKind::EccSigning => spec_and_usage("ECC_NIST_P256", "SIGN_VERIFY"),
            KeyKind::RsaSigning => spec_and_usage("RSA_2048", "SIGN_VERIFY"),
            KeyKind::Hmac => spec_and_usage("HMAC_256", "GENERATE_VERIFY_MAC"),
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Symmetric => "symmetric",
            KeyKind::External => "EXTERNAL",
            KeyKind::EccSigning => "ECC_NIST_P256 signing",
            KeyKind::RsaSigning => "RSA_2048 signing",
            KeyKind::Hmac => "HMAC_256",
        })
    }
}

/// An operation that a workload calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `Encrypt` under a symmetric key.
    Encrypt,
    /// `Decrypt` of a ciphertext made in the set-up.
    Decrypt,
    /// `GenerateDataKey` with `KeySpec` `AES_256`.
    GenerateDataKey,
    /// `CreateKey` (a durable write).
    CreateKey,
    /// `TagResource` of one tag on an existing key.
    TagResource,
    /// `GetParametersForImport` for a key of origin `EXTERNAL`.
    GetParametersForImport,
    /// `Sign` of a raw message with an asymmetric key.
    Sign,
    /// `Verify` of a signature made in the set-up.
    Verify,
    /// `GenerateMac` of a message with an HMAC key.
    GenerateMac,
}

impl Op {
    /// The `X-Amz-Target` header of the operation.
    pub fn target(self) -> &'static str {
        match self {
            Op::Encrypt => "TrentService.Encrypt",
            Op::Decrypt => "TrentService.Decrypt",
            Op::GenerateDataKey => "TrentService.GenerateDataKey",
            Op::CreateKey => "TrentService.CreateKey",
            Op::TagResource => "TrentService.TagResource",
            Op::GetParametersForImport => "TrentService.GetParametersForImport",
            Op::Sign => "TrentService.Sign",
            Op::Verify => "TrentService.Verify",
            Op::GenerateMac => "TrentService.GenerateMac",
        }
    }
}

/// One request ready to sign: the operation, its region and its body.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation.
    pub op: Op,
    /// The region that the request is signed for.
    pub region: &'static str,
    /// The JSON body.
    pub body: Bytes,
}

impl Call {
    /// `Encrypt` of the plaintext whose base64 form is `plaintext_b64` under `key_id`.
    pub fn encrypt(region: &'static str, key_id: &str, plaintext_b64: &str) -> Call {
        let body = format!(r#"{{"KeyId":"{key_id}","Plaintext":"{plaintext_b64}"}}"#);
        Call::new(Op::Encrypt, region, body)
    }

    /// `Decrypt` of `blob_b64` (a `CiphertextBlob` as the server returned it) under `key_id`.
    pub fn decrypt(region: &'static str, key_id: &str, blob_b64: &str) -> Call {
        let body = format!(r#"{{"KeyId":"{key_id}","CiphertextBlob":"{blob_b64}"}}"#);
        Call::new(Op::Decrypt, region, body)
    }

    /// `GenerateDataKey` of an AES-256 data key under `key_id`.
    pub fn generate_data_key(region: &'static str, key_id: &str) -> Call {
        let body = format!(r#"{{"KeyId":"{key_id}","KeySpec":"AES_256"}}"#);
        Call::new(Op::GenerateDataKey, region, body)
    }

    /// `CreateKey` of a key of `kind`.
    pub fn create_key(region: &'static str, kind: KeyKind) -> Call {
        Call::new(Op::CreateKey, region, kind.create_key_body().to_string())
    }

    /// `TagResource` setting tag `tag_key` to `value` on `key_id`.
    pub fn tag_resource(region: &'static str, key_id: &str, tag_key: &str, value: &str) -> Call {
        let body = json!({
            "KeyId": key_id,
            "Tags": [{ "TagKey": tag_key, "TagValue": value }],
        });
        Call::new(Op::TagResource, region, body.to_string())
    }

    /// `GetParametersForImport` with an RSA wrapping key of `bits` and OAEP SHA-256.
    pub fn get_parameters_for_import(region: &'static str, key_id: &str, bits: u32) -> Call {
        let body = json!({
            "KeyId": key_id,
            "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
            "WrappingKeySpec": format!("RSA_{bits}"),
        });
        Call::new(Op::GetParametersForImport, region, body.to_string())
    }

    /// `Sign` of the raw message whose base64 form is `message_b64` with `algorithm`.
    pub fn sign(region: &'static str, key_id: &str, algorithm: &str, message_b64: &str) -> Call {
        let body = json!({
            "KeyId": key_id,
            "Message": message_b64,
            "MessageType": "RAW",
            "SigningAlgorithm": algorithm,
        });
        Call::new(Op::Sign, region, body.to_string())
    }

    /// `Verify` of `signature_b64` over the raw message `message_b64` with `algorithm`.
    pub fn verify(
        region: &'static str,
        key_id: &str,
        algorithm: &str,
        message_b64: &str,
        signature_b64: &str,
    ) -> Call {
        let body = json!({
            "KeyId": key_id,
            "Message": message_b64,
            "MessageType": "RAW",
            "Signature": signature_b64,
            "SigningAlgorithm": algorithm,
        });
        Call::new(Op::Verify, region, body.to_string())
    }

    /// `GenerateMac` with `HMAC_SHA_256` of the message whose base64 form is `message_b64`.
    pub fn generate_mac(region: &'static str, key_id: &str, message_b64: &str) -> Call {
        let body = json!({
            "KeyId": key_id,
            "Message": message_b64,
            "MacAlgorithm": "HMAC_SHA_256",
        });
        Call::new(Op::GenerateMac, region, body.to_string())
    }

    /// A call of `op` with `body`.
    fn new(op: Op, region: &'static str, body: String) -> Call {
        Call {
            op,
            region,
            body: Bytes::from(body),
        }
    }
}

/// The base64 form of `len` random bytes.
pub fn random_plaintext_b64(len: usize) -> String {
    let bytes: Vec<u8> = std::iter::repeat_with(|| fastrand::u8(..))
        .take(len)
        .collect();
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json() {
        let calls = [
            Call::encrypt("us-east-1", "k", &random_plaintext_b64(64)),
            Call::decrypt("us-east-1", "k", "AAAA"),
            Call::generate_data_key("us-east-1", "k"),
            Call::create_key("us-east-1", KeyKind::External),
            Call::create_key("us-east-1", KeyKind::Hmac),
            Call::sign("us-east-1", "k", ECDSA_SHA_256, "AAAA"),
            Call::verify("us-east-1", "k", ECDSA_SHA_256, "AAAA", "AAAA"),
            Call::generate_mac("us-east-1", "k", "AAAA"),
            Call::tag_resource("us-east-1", "k", "t", "v"),
            Call::get_parameters_for_import("us-east-1", "k", 2048),
        ];
        for call in calls {
            let value: serde_json::Value =
                serde_json::from_slice(&call.body).unwrap_or(serde_json::Value::Null);
            assert!(value.is_object(), "{:?}", call.op);
            assert!(call.op.target().starts_with("TrentService."));
        }
    }
}
