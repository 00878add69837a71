//! Key material IDs (SPEC.md A31).
//!
//! A material ID names one version of a key's material. It is a domain-separated SHA-256 of
//! the key ID and the material, so the same material in two keys gets two IDs, the ID reveals
//! nothing about the material, and related multi-Region keys (which share their key ID) give
//! the same material the same ID in every Region: a replica can check that it holds the
//! primary's material by comparing IDs, without the material ever moving.

use crate::context::length_prefix;
use crate::kdf::sha256;
use crate::SecretBytes;

/// Domain label of the material ID hash.
const LABEL: &[u8] = b"kmsd material id v1\0";

/// The material ID of `material` in the key `key_id`:
/// SHA-256(label | u32 BE length of the key ID | key ID | material).
///
/// The length prefix (the encoding of [`canonical_context`](crate::canonical_context)) makes
/// the split between key ID and material unambiguous.
pub fn material_id(key_id: &str, material: &SecretBytes) -> [u8; 32] {
    let key_id = key_id.as_bytes();
    let (len, used) = length_prefix(key_id.len());
    sha256(&[LABEL, &len[..used], key_id, material.expose()])
}

/// The 64 lowercase hex characters of a material ID, as the API shows it.
pub fn material_id_hex(id: &[u8; 32]) -> String {
    hex::encode(id)
}

/// A material ID from its 64 lowercase hex characters, the only form the API shows and accepts
/// (`^[a-f0-9]+$`, SPEC.md A21); `None` for anything else, uppercase included.
pub fn parse_material_id(hex: &str) -> Option<[u8; 32]> {
    let lowercase = hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !lowercase {
        return None;
    }
    let mut id = [0u8; 32];
    hex::decode_to_slice(hex, &mut id).ok()?;
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const KEY_B: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

    fn material(fill: u8) -> SecretBytes {
        SecretBytes::new(vec![fill; 32])
    }

    #[test]
    fn same_key_and_material_give_the_same_id() {
        assert_eq!(
            material_id(KEY_A, &material(1)),
            material_id(KEY_A, &material(1))
        );
    }

    #[test]
    fn id_depends_on_key_and_material() {
        let base = material_id(KEY_A, &material(1));
        assert_ne!(base, material_id(KEY_B, &material(1)));
        assert_ne!(base, material_id(KEY_A, &material(2)));
    }

    #[test]
    fn split_between_key_id_and_material_is_unambiguous() {
        let a = material_id("ab", &SecretBytes::new(b"c".to_vec()));
        let b = material_id("a", &SecretBytes::new(b"bc".to_vec()));
        assert_ne!(a, b);
    }

    #[test]
    fn id_is_no_plain_hash_of_the_material() {
        let m = material(1);
        assert_ne!(material_id(KEY_A, &m), sha256(&[m.expose()]));
        assert_ne!(
            material_id(KEY_A, &m),
            sha256(&[KEY_A.as_bytes(), m.expose()])
        );
    }

    #[test]
    fn hex_round_trips() {
        let id = material_id(KEY_A, &material(1));
        let text = material_id_hex(&id);
        assert_eq!(text.len(), 64);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(parse_material_id(&text), Some(id));
        assert_eq!(parse_material_id(&text.to_uppercase()), None);
    }

    #[test]
    fn parse_refuses_other_shapes() {
        let text = material_id_hex(&[7u8; 32]);
        assert_eq!(parse_material_id(""), None);
        assert_eq!(parse_material_id(&text[1..]), None);
        assert_eq!(parse_material_id(&format!("{text}0")), None);
        assert_eq!(parse_material_id(&format!("{text}00")), None);
        assert_eq!(parse_material_id(&format!("g{}", &text[1..])), None);
        assert_eq!(parse_material_id(&format!(" {}", &text[1..])), None);
    }
}
