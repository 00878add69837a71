//! Helpers of the symmetric cryptography suites (`sdk_crypto.rs`, `sdk_data_keys.rs`): an
//! encryption context from pairs, an Encrypt that must succeed, and a key's current material.

use std::collections::HashMap;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::Client;

/// AWS's message when the KeyId of a request is not the key of the ciphertext (SPEC B24).
pub const INCORRECT_KEY: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";

/// An encryption context from the pairs a test writes.
pub fn context(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Encrypt under `key` with the context `ctx`; the ciphertext.
pub async fn encrypt(kms: &Client, key: &str, plaintext: &[u8], ctx: &[(&str, &str)]) -> Blob {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new(plaintext))
        .set_encryption_context(context(ctx))
        .send()
        .await
        .expect("Encrypt")
        .ciphertext_blob
        .expect("CiphertextBlob")
}

/// The key's CurrentKeyMaterialId, from DescribeKey.
pub async fn current_material(kms: &Client, key: &str) -> String {
    let md = kms
        .describe_key()
        .key_id(key)
        .send()
        .await
        .expect("DescribeKey")
        .key_metadata
        .expect("KeyMetadata");
    md.current_key_material_id()
        .expect("CurrentKeyMaterialId")
        .to_string()
}
