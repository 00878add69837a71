//! The KMS operations that the workloads send: their `X-Amz-Target` names and JSON bodies,
//! as documented in the AWS KMS API reference
//! <https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html>.

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

/// An operation that a workload calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `Encrypt` under a symmetric key.
    Encrypt,
    /// `Decrypt` of a ciphertext made in the set-up.
    Decrypt,
    /// `GenerateDataKey` with `KeySpec` `AES_256`.
    GenerateDataKey,
    /// `CreateKey` of a symmetric key (a durable write).
    CreateKey,
    /// `TagResource` of one tag on an existing key.
    TagResource,
    /// `GetParametersForImport` for a key of origin `EXTERNAL`.
    GetParametersForImport,
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

    /// `CreateKey` of a symmetric key, of origin `EXTERNAL` when `external` is set.
    pub fn create_key(region: &'static str, external: bool) -> Call {
        let body = if external {
            json!({ "Origin": "EXTERNAL", "Description": "kmsd-bench import" }).to_string()
        } else {
            json!({ "Description": "kmsd-bench" }).to_string()
        };
        Call::new(Op::CreateKey, region, body)
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
            Call::create_key("us-east-1", true),
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
