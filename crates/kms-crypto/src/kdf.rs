//! HKDF-SHA256 (RFC 5869) and SHA-256 helpers shared by sealing and the ciphertext format.
//!
//! Keys derived here never pass through an unzeroed buffer of this crate: the output lands in a
//! `Zeroizing` array and goes straight into an AES-256-GCM key.

use aws_lc_rs::aead::{LessSafeKey, UnboundKey, AES_256_GCM};
use aws_lc_rs::digest::{Context, SHA256};
use aws_lc_rs::hkdf::{KeyType, Salt, HKDF_SHA256};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Length of every derived key: AES-256.
const KEY_LEN: usize = 32;

/// The output length asked of HKDF-Expand.
struct KeyLen;

impl KeyType for KeyLen {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

/// HKDF-SHA256 of `ikm` with `salt`, expanded with the concatenation of `info` into an
/// AES-256-GCM key.
///
/// The only failures aws-lc-rs can report here are an output longer than 255 hash lengths and
/// a length mismatch between the request and the buffer; both are fixed at 32 bytes, so an
/// error means the backend misbehaved.
pub(crate) fn derive_gcm_key(
    salt: &[u8],
    ikm: &[u8],
    info: &[&[u8]],
) -> Result<LessSafeKey, CryptoError> {
    // Extract a pseudorandom key from the input keying material.
    let prk = Salt::new(HKDF_SHA256, salt).extract(ikm);

    // Expand it under the info into a zeroed-on-drop buffer.
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(info, KeyLen)
        .and_then(|okm| okm.fill(key.as_mut()))
        .map_err(|_| CryptoError::Backend)?;

    // Turn the bytes into an AES-256-GCM key; the buffer is zeroed when it drops.
    let unbound = UnboundKey::new(&AES_256_GCM, key.as_ref()).map_err(|_| CryptoError::Backend)?;
    Ok(LessSafeKey::new(unbound))
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut context = Context::new(&SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::aead::{Aad, Nonce};

    use super::*;

    /// Seals one fixed message so keys can be compared by their output.
    fn fingerprint(key: &LessSafeKey) -> Vec<u8> {
        let mut data = b"fixed".to_vec();
        let nonce = Nonce::assume_unique_for_key([0u8; 12]);
        key.seal_in_place_append_tag(nonce, Aad::empty(), &mut data)
            .unwrap();
        data
    }

    #[test]
    fn derivation_depends_on_every_input() {
        let base = fingerprint(&derive_gcm_key(b"s", b"k", &[b"i"]).unwrap());
        let again = fingerprint(&derive_gcm_key(b"s", b"k", &[b"i"]).unwrap());
        assert_eq!(base, again);
        assert_ne!(
            base,
            fingerprint(&derive_gcm_key(b"t", b"k", &[b"i"]).unwrap())
        );
        assert_ne!(
            base,
            fingerprint(&derive_gcm_key(b"s", b"l", &[b"i"]).unwrap())
        );
        assert_ne!(
            base,
            fingerprint(&derive_gcm_key(b"s", b"k", &[b"j"]).unwrap())
        );
    }

    #[test]
    fn info_parts_are_concatenated() {
        let whole = fingerprint(&derive_gcm_key(b"s", b"k", &[b"ab"]).unwrap());
        let split = fingerprint(&derive_gcm_key(b"s", b"k", &[b"a", b"b"]).unwrap());
        assert_eq!(whole, split);
    }

    #[test]
    fn sha256_matches_the_known_vector() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(hex::encode(sha256(&[b"a", b"bc"])), expected);
    }
}
