//! The ciphertext format of symmetric keys (ARCHITECTURE.md, "Ciphertext format").
//!
//! ```text
//! version = 1 (1 byte) | key reference | key material ID (32) | salt (32, random)
//!     | AES-256-GCM ciphertext | tag (16)
//! ```
//!
//! Everything before the GCM ciphertext is the header. The key reference (see [`KeyReference`])
//! names the account, the Region of a single-Region key and the key ID; the material ID says
//! which version of the key's material encrypted the message, so Decrypt still finds it after
//! rotations.
//!
//! Each message gets its own data key, HKDF-SHA256 (RFC 5869) with the key material as input
//! keying material, the salt as salt and `"kmsd ciphertext v1"` followed by the header as info.
//! Since that key encrypts one message only, GCM runs with a nonce of twelve zero bytes, and no
//! key ever nears the message limits of random GCM nonces.
//!
//! The associated data is the whole header followed by the canonical encryption context (see
//! [`canonical_context`](crate::canonical_context)). Rewriting any header byte (a downgrade of
//! the version, another key reference, another material ID) or presenting another context makes
//! authentication fail. A multi-Region reference carries no Region, so its ciphertexts decrypt
//! under every related multi-Region key; a single-Region key holding the same material still
//! cannot decrypt them, because its reference differs.

mod key_ref;

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, Tag, NONCE_LEN};
use zeroize::Zeroize;

pub use self::key_ref::KeyReference;
use crate::kdf::derive_gcm_key;
use crate::secret::fill_random;
use crate::{CryptoError, SecretBytes};

/// Version byte of the ciphertext format.
const VERSION: u8 = 1;

/// Length of the key material ID.
const MATERIAL_ID_LEN: usize = 32;

/// Length of the random HKDF salt.
const SALT_LEN: usize = 32;

/// Length of the GCM tag.
const TAG_LEN: usize = 16;

/// HKDF info label of the one-time data key; the header follows it.
const INFO_LABEL: &[u8] = b"kmsd ciphertext v1";

/// A ciphertext whose header has been read but not yet authenticated.
///
/// `key_ref` and `material_id` tell the caller which key and material to load; until
/// [`decrypt`] succeeds they are claims, not facts.
#[derive(Clone)]
pub struct Parsed {
    /// The key the ciphertext claims to belong to.
    pub key_ref: KeyReference,
    /// The material version the ciphertext claims to be encrypted under.
    pub material_id: [u8; 32],
    /// The whole ciphertext.
    blob: Vec<u8>,
    /// Length of the header, which ends with the salt.
    header_len: usize,
}

impl Parsed {
    /// The header: version, key reference, material ID and salt.
    fn header(&self) -> &[u8] {
        &self.blob[..self.header_len]
    }

    /// The GCM ciphertext followed by the tag.
    fn body_and_tag(&self) -> &[u8] {
        &self.blob[self.header_len..]
    }
}

impl fmt::Debug for Parsed {
    /// Shows the claims and the sizes, never the ciphertext bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("key_ref", &self.key_ref)
            .field("material_id", &hex::encode(self.material_id))
            .field("len", &self.blob.len())
            .finish_non_exhaustive()
    }
}

/// Encrypts `plaintext` under `material` for the key `key_ref`, bound to `context` (the
/// output of [`canonical_context`](crate::canonical_context)).
///
/// A reference that cannot be encoded and empty material are [`CryptoError::Format`].
pub fn encrypt(
    material: &SecretBytes,
    key_ref: &KeyReference,
    material_id: &[u8; 32],
    context: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    // Write the header: version, key reference, material ID and a fresh salt.
    if material.is_empty() {
        return Err(CryptoError::Format);
    }
    let header_len = 1 + key_ref.encoded_len() + MATERIAL_ID_LEN + SALT_LEN;
    let mut out = Vec::with_capacity(header_len + context.len() + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    key_ref.encode(&mut out)?;
    out.extend_from_slice(material_id);
    out.resize(header_len, 0);
    fill_random(&mut out[header_len - SALT_LEN..]);

    // Derive the one-time data key from the material, the salt and the header.
    let key = data_key(material, &out[..header_len])?;

    // Lay out header | context | plaintext, so the associated data is one slice, and encrypt
    // the plaintext in place.
    out.extend_from_slice(context);
    out.extend_from_slice(plaintext);
    let tag = match seal_after(&key, &mut out, header_len + context.len()) {
        Ok(tag) => tag,
        Err(err) => {
            out.zeroize();
            return Err(err);
        }
    };

    // Move the ciphertext over the context, which is not part of the message, and add the tag.
    out.copy_within(header_len + context.len().., header_len);
    out.truncate(header_len + plaintext.len());
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Reads the header of a ciphertext. Any input that is not a well-formed version 1 ciphertext
/// is [`CryptoError::Format`]; no input panics.
pub fn parse(blob: &[u8]) -> Result<Parsed, CryptoError> {
    // Version, then the key reference.
    let (&version, rest) = blob.split_first().ok_or(CryptoError::Format)?;
    if version != VERSION {
        return Err(CryptoError::Format);
    }
    let (key_ref, ref_len) = KeyReference::decode(rest)?;

    // Material ID and salt complete the header; at least a tag must follow.
    let id_start = 1 + ref_len;
    let header_len = id_start + MATERIAL_ID_LEN + SALT_LEN;
    if blob.len() < header_len + TAG_LEN {
        return Err(CryptoError::Format);
    }
    let mut material_id = [0u8; MATERIAL_ID_LEN];
    material_id.copy_from_slice(&blob[id_start..id_start + MATERIAL_ID_LEN]);

    Ok(Parsed {
        key_ref,
        material_id,
        blob: blob.to_vec(),
        header_len,
    })
}

/// Decrypts a parsed ciphertext with `material` under `context`.
///
/// Wrong material, another context or any changed byte is [`CryptoError::Authentication`];
/// empty material is [`CryptoError::Format`].
pub fn decrypt(
    material: &SecretBytes,
    parsed: &Parsed,
    context: &[u8],
) -> Result<SecretBytes, CryptoError> {
    // Derive the data key the message was encrypted with.
    if material.is_empty() {
        return Err(CryptoError::Format);
    }
    let key = data_key(material, parsed.header())?;

    // Lay out header | context | ciphertext | tag in one secret buffer, so the associated data
    // is one slice and a failed open leaves nothing readable behind.
    let aad_len = parsed.header_len + context.len();
    let body = parsed.body_and_tag();
    let mut opened = SecretBytes::new(Vec::with_capacity(aad_len + body.len()));
    let buffer = opened.buffer_mut();
    buffer.extend_from_slice(parsed.header());
    buffer.extend_from_slice(context);
    buffer.extend_from_slice(body);

    // Authenticate and decrypt in place.
    let (aad, in_out) = buffer.split_at_mut(aad_len);
    let plaintext_len = key
        .open_in_place(zero_nonce(), Aad::from(&*aad), in_out)
        .map_err(|_| CryptoError::Authentication)?
        .len();

    // Keep only the plaintext.
    buffer.copy_within(aad_len..aad_len + plaintext_len, 0);
    buffer.truncate(plaintext_len);
    Ok(opened)
}

/// The one-time data key of a message with `header` (which ends with the salt).
fn data_key(material: &SecretBytes, header: &[u8]) -> Result<LessSafeKey, CryptoError> {
    let salt = &header[header.len() - SALT_LEN..];
    derive_gcm_key(salt, material.expose(), &[INFO_LABEL, header])
}

/// Encrypts `buffer[aad_len..]` in place, authenticating `buffer[..aad_len]`.
fn seal_after(key: &LessSafeKey, buffer: &mut [u8], aad_len: usize) -> Result<Tag, CryptoError> {
    let (aad, in_out) = buffer.split_at_mut(aad_len);
    key.seal_in_place_separate_tag(zero_nonce(), Aad::from(&*aad), in_out)
        .map_err(|_| CryptoError::Backend)
}

/// The fixed all-zero nonce: every data key encrypts exactly one message.
fn zero_nonce() -> Nonce {
    Nonce::assume_unique_for_key([0u8; NONCE_LEN])
}

#[cfg(test)]
mod tests;
