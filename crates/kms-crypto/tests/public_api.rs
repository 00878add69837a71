//! The public API as other crates use it: every name at its documented path, and no secret in
//! any `Debug` output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

use std::collections::BTreeMap;

use kms_crypto::ciphertext::{self, KeyReference, Parsed};
use kms_crypto::{
    canonical_context, material_id, material_id_hex, parse_material_id, random_bytes,
    random_secret, CryptoError, Purpose, RootKey, Sealer, SecretBytes,
};

const KEY_HEX: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

#[test]
fn debug_output_holds_no_key_bytes() {
    let root = RootKey::from_hex(KEY_HEX).unwrap();
    let sealer = Sealer::new(root.clone());
    let secret = SecretBytes::new(vec![0x5e; 32]);
    for shown in [
        format!("{root:?}"),
        format!("{sealer:?}"),
        format!("{secret:?}"),
    ] {
        assert!(!shown.contains("5e5e"), "{shown}");
        assert!(!shown.contains("94, 94"), "{shown}");
        assert!(!shown.contains("0x5e"), "{shown}");
    }
    assert_eq!(format!("{secret:#?}"), "[redacted]");
}

#[test]
fn errors_display_without_detail() {
    assert_eq!(CryptoError::Format.to_string(), "malformed input");
    assert_eq!(
        CryptoError::Authentication.to_string(),
        "authentication failed"
    );
    assert_eq!(CryptoError::UnknownRootKey.to_string(), "unknown root key");
    assert_eq!(CryptoError::Backend.to_string(), "crypto backend failure");
}

#[test]
fn a_data_key_flows_through_every_layer() {
    // Generate material, name it, seal it for storage and open it again.
    let material = random_secret(32);
    let key_ref = KeyReference {
        account: "111122223333".into(),
        region: Some("ap-southeast-2".into()),
        key_id: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
    };
    let id = material_id(&key_ref.key_id, &material);
    assert_eq!(parse_material_id(&material_id_hex(&id)), Some(id));
    let sealer = Sealer::new(RootKey::generate());
    let owner = format!("{}:{}", key_ref.key_id, material_id_hex(&id));
    let stored = sealer.seal(Purpose::KeyMaterial, owner.as_bytes(), material.expose());
    let loaded = sealer
        .open(Purpose::KeyMaterial, owner.as_bytes(), &stored)
        .unwrap();
    assert_eq!(loaded, material);

    // Encrypt a generated data key under it with a context, and decrypt it.
    let mut ctx = BTreeMap::new();
    ctx.insert("tenant".to_string(), "blue".to_string());
    let ctx = canonical_context(&ctx);
    let data_key = random_bytes(32);
    let blob = ciphertext::encrypt(&loaded, &key_ref, &id, &ctx, &data_key).unwrap();
    let parsed: Parsed = ciphertext::parse(&blob).unwrap();
    assert_eq!(parsed.key_ref, key_ref);
    let plain = ciphertext::decrypt(&loaded, &parsed, &ctx).unwrap();
    assert_eq!(plain.expose(), data_key.as_slice());
}
