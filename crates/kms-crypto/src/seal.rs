//! Sealing stored secrets under the root key (ARCHITECTURE.md, "Key material at rest").
//!
//! A sealed blob is
//!
//! ```text
//! version = 1 (1 byte) | root key ID (8) | nonce (12, random) | AES-256-GCM ciphertext | tag (16)
//! ```
//!
//! The AES key is not the root key itself but one derived from it per [`Purpose`] with
//! HKDF-SHA256 (RFC 5869, empty salt, a distinct info label per purpose), so a sealed import
//! token can never be opened as key material and the other way round. The associated data is
//! the version, the root key ID and the caller's associated data, which names the owner of the
//! secret (key ARN or multi-Region key ID, and material ID): a blob copied onto another record
//! does not open.
//!
//! Nonces are random. Each purpose key of a root key may seal about 2^32 blobs before random
//! 96-bit nonces risk a collision; sealing happens when material is created or imported, far
//! below that, and rotating the root key starts over.
//!
//! Naming the root key in every blob lets the root key rotate without a flag day: a [`Sealer`]
//! holds the current key, which seals, and previous keys, which only open, until a rewrap has
//! moved every blob to the current key.

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, NONCE_LEN};

use crate::kdf::derive_gcm_key;
use crate::root_key::{RootKey, ROOT_KEY_ID_LEN};
use crate::secret::fill_random;
use crate::{CryptoError, SecretBytes};

/// Version byte of the sealed blob format.
const VERSION: u8 = 1;

/// Length of the GCM tag.
const TAG_LEN: usize = 16;

/// Bytes before the GCM ciphertext: version, root key ID, nonce.
const PREFIX_LEN: usize = 1 + ROOT_KEY_ID_LEN + NONCE_LEN;

/// What a sealed secret is; each purpose seals under its own derived key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Key material and other secrets stored in the database.
    KeyMaterial,
    /// Import tokens handed to clients by GetParametersForImport.
    ImportToken,
    /// Secrets sent to a peer deployment during multi-Region replication.
    Replication,
}

impl Purpose {
    /// The HKDF info label of the purpose's key.
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::KeyMaterial => b"kmsd seal v1 key-material",
            Purpose::ImportToken => b"kmsd seal v1 import-token",
            Purpose::Replication => b"kmsd seal v1 replication",
        }
    }
}

/// The three purpose keys derived from one root key, with that root key's ID.
struct PurposeKeys {
    /// ID of the root key the keys come from.
    id: [u8; ROOT_KEY_ID_LEN],
    /// Key of [`Purpose::KeyMaterial`].
    key_material: LessSafeKey,
    /// Key of [`Purpose::ImportToken`].
    import_token: LessSafeKey,
    /// Key of [`Purpose::Replication`].
    replication: LessSafeKey,
}

impl PurposeKeys {
    /// Derives the purpose keys of `root`; the root key bytes are not kept.
    fn derive(root: &RootKey) -> PurposeKeys {
        PurposeKeys {
            id: root.id(),
            key_material: derive_purpose_key(root, Purpose::KeyMaterial),
            import_token: derive_purpose_key(root, Purpose::ImportToken),
            replication: derive_purpose_key(root, Purpose::Replication),
        }
    }

    /// The key of `purpose`.
    fn key(&self, purpose: Purpose) -> &LessSafeKey {
        match purpose {
            Purpose::KeyMaterial => &self.key_material,
            Purpose::ImportToken => &self.import_token,
            Purpose::Replication => &self.replication,
        }
    }
}

/// HKDF-SHA256 of the root key with the purpose's label.
fn derive_purpose_key(root: &RootKey, purpose: Purpose) -> LessSafeKey {
    // Invariant: `derive_gcm_key` fails only when asked for more than 8160 bytes or when the
    // buffer length differs from the request; it always asks for and fills exactly 32.
    #[allow(clippy::expect_used, reason = "fixed 32-byte derivation, see above")]
    derive_gcm_key(&[], root.expose(), &[purpose.label()]).expect("32-byte HKDF output")
}

/// Seals with the current root key and opens with the current or any previous one.
///
/// The purpose keys are derived once, when the sealer is built; sealing and opening only run
/// AES-GCM. A sealer is `Send + Sync` and meant to be shared behind an `Arc`.
pub struct Sealer {
    /// Keys of the root key that seals.
    current: PurposeKeys,
    /// Keys of older root keys, kept to open blobs not yet rewrapped.
    previous: Vec<PurposeKeys>,
}

impl Sealer {
    /// A sealer with one root key, which both seals and opens.
    pub fn new(current: RootKey) -> Sealer {
        Sealer::with_previous(current, Vec::new())
    }

    /// A sealer that seals with `current` and also opens blobs sealed by any of `previous`.
    pub fn with_previous(current: RootKey, previous: Vec<RootKey>) -> Sealer {
        Sealer {
            current: PurposeKeys::derive(&current),
            previous: previous.iter().map(PurposeKeys::derive).collect(),
        }
    }

    /// The ID of the root key that seals.
    pub fn current_key_id(&self) -> [u8; ROOT_KEY_ID_LEN] {
        self.current.id
    }

    /// Seals `plaintext` for `purpose`, bound to the owner named by `aad`.
    ///
    /// # Panics
    ///
    /// Only if `plaintext` reaches GCM's limit of 64 GiB; stored secrets are a few KiB.
    pub fn seal(&self, purpose: Purpose, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        // Lay out the header, a fresh random nonce and the plaintext to encrypt in place.
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce);
        let mut out = Vec::with_capacity(PREFIX_LEN + plaintext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);

        // Encrypt under the purpose key, authenticating the header and the owner.
        let full_aad = associated_data(&self.current.id, aad);
        let key = self.current.key(purpose);
        let nonce = Nonce::assume_unique_for_key(nonce);
        // Invariant: aws-lc's AES-GCM seal fails only for inputs of 2^36 - 32 bytes or more
        // (the GCM limit), which the panic section above documents.
        #[allow(clippy::expect_used, reason = "only inputs past the GCM limit fail")]
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(&full_aad), &mut out[PREFIX_LEN..])
            .expect("sealed secrets are far below the GCM input limit");

        // Append the tag.
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Opens a blob made by [`Sealer::seal`] with the same purpose and associated data.
    ///
    /// A blob too short or of another version is [`CryptoError::Format`], one naming a root key
    /// this sealer does not hold is [`CryptoError::UnknownRootKey`], and any other change to
    /// the blob, the purpose or `aad` is [`CryptoError::Authentication`].
    pub fn open(
        &self,
        purpose: Purpose,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<SecretBytes, CryptoError> {
        // Check the shape and find the root key the blob names.
        let id = sealed_key_id(sealed).ok_or(CryptoError::Format)?;
        let keys = self.keys_for(&id).ok_or(CryptoError::UnknownRootKey)?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1 + ROOT_KEY_ID_LEN..PREFIX_LEN]);

        // Decrypt a copy in place; the copy is a secret from the start, so a failed attempt
        // leaves nothing behind.
        let full_aad = associated_data(&id, aad);
        let mut opened = SecretBytes::new(sealed[PREFIX_LEN..].to_vec());
        let plaintext_len = keys
            .key(purpose)
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&full_aad),
                opened.buffer_mut(),
            )
            .map_err(|_| CryptoError::Authentication)?
            .len();

        // Drop the tag from the end of the buffer.
        opened.buffer_mut().truncate(plaintext_len);
        Ok(opened)
    }

    /// Opens `sealed` and seals it again under the current root key, for moving blobs off a
    /// previous root key.
    pub fn rewrap(
        &self,
        purpose: Purpose,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let secret = self.open(purpose, aad, sealed)?;
        Ok(self.seal(purpose, aad, secret.expose()))
    }

    /// The keys of the root key with `id`, current first.
    fn keys_for(&self, id: &[u8; ROOT_KEY_ID_LEN]) -> Option<&PurposeKeys> {
        std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|keys| &keys.id == id)
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous: Vec<String> = self.previous.iter().map(|k| hex::encode(k.id)).collect();
        f.debug_struct("Sealer")
            .field("current", &hex::encode(self.current.id))
            .field("previous", &previous)
            .finish()
    }
}

/// The root key ID a sealed blob names, or `None` when the blob does not have the sealed
/// format at all; a rewrap uses it to find blobs that are not under the current key.
pub fn sealed_key_id(sealed: &[u8]) -> Option<[u8; ROOT_KEY_ID_LEN]> {
    if sealed.len() < PREFIX_LEN + TAG_LEN || sealed[0] != VERSION {
        return None;
    }
    let mut id = [0u8; ROOT_KEY_ID_LEN];
    id.copy_from_slice(&sealed[1..1 + ROOT_KEY_ID_LEN]);
    Some(id)
}

/// The associated data of a blob: version, root key ID, then the caller's bytes.
fn associated_data(id: &[u8; ROOT_KEY_ID_LEN], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + ROOT_KEY_ID_LEN + aad.len());
    out.push(VERSION);
    out.extend_from_slice(id);
    out.extend_from_slice(aad);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(fill: u8) -> RootKey {
        RootKey::from_bytes(&[fill; 32]).unwrap()
    }

    const ALL: [Purpose; 3] = [
        Purpose::KeyMaterial,
        Purpose::ImportToken,
        Purpose::Replication,
    ];

    #[test]
    fn round_trips_for_every_purpose() {
        let sealer = Sealer::new(root(1));
        for purpose in ALL {
            let blob = sealer.seal(purpose, b"owner", b"secret");
            let opened = sealer.open(purpose, b"owner", &blob).unwrap();
            assert_eq!(opened.expose(), b"secret");
        }
    }

    #[test]
    fn empty_plaintext_and_aad_round_trip() {
        let sealer = Sealer::new(root(1));
        let blob = sealer.seal(Purpose::KeyMaterial, b"", b"");
        assert_eq!(blob.len(), PREFIX_LEN + TAG_LEN);
        assert!(sealer
            .open(Purpose::KeyMaterial, b"", &blob)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn layout_is_version_id_nonce_body_tag() {
        let key = root(1);
        let sealer = Sealer::new(key.clone());
        let blob = sealer.seal(Purpose::KeyMaterial, b"a", b"12345");
        assert_eq!(blob[0], 1);
        assert_eq!(&blob[1..9], &key.id());
        assert_eq!(blob.len(), 1 + 8 + 12 + 5 + 16);
        assert_eq!(sealed_key_id(&blob), Some(key.id()));
        assert_eq!(sealer.current_key_id(), key.id());
    }

    #[test]
    fn nonces_are_fresh() {
        let sealer = Sealer::new(root(1));
        let a = sealer.seal(Purpose::KeyMaterial, b"a", b"same");
        let b = sealer.seal(Purpose::KeyMaterial, b"a", b"same");
        assert_ne!(a, b);
    }

    #[test]
    fn other_aad_fails() {
        let sealer = Sealer::new(root(1));
        let blob = sealer.seal(Purpose::KeyMaterial, b"key-a", b"secret");
        let err = sealer
            .open(Purpose::KeyMaterial, b"key-b", &blob)
            .unwrap_err();
        assert_eq!(err, CryptoError::Authentication);
        let err = sealer.open(Purpose::KeyMaterial, b"", &blob).unwrap_err();
        assert_eq!(err, CryptoError::Authentication);
    }

    #[test]
    fn other_purpose_fails() {
        let sealer = Sealer::new(root(1));
        for sealed_as in ALL {
            let blob = sealer.seal(sealed_as, b"a", b"secret");
            for opened_as in ALL.into_iter().filter(|p| *p != sealed_as) {
                let err = sealer.open(opened_as, b"a", &blob).unwrap_err();
                assert_eq!(err, CryptoError::Authentication);
            }
        }
    }

    #[test]
    fn every_flipped_bit_after_the_version_fails() {
        let sealer = Sealer::new(root(1));
        let blob = sealer.seal(Purpose::KeyMaterial, b"a", b"secret");
        for index in 0..blob.len() {
            for bit in 0..8 {
                let mut bad = blob.clone();
                bad[index] ^= 1 << bit;
                let err = sealer.open(Purpose::KeyMaterial, b"a", &bad).unwrap_err();
                let expected = match index {
                    0 => CryptoError::Format,
                    1..=8 => CryptoError::UnknownRootKey,
                    _ => CryptoError::Authentication,
                };
                assert_eq!(err, expected, "byte {index} bit {bit}");
            }
        }
    }

    #[test]
    fn short_blobs_are_malformed() {
        let sealer = Sealer::new(root(1));
        let blob = sealer.seal(Purpose::KeyMaterial, b"a", b"");
        for len in 0..blob.len() {
            let err = sealer
                .open(Purpose::KeyMaterial, b"a", &blob[..len])
                .unwrap_err();
            assert_eq!(err, CryptoError::Format);
        }
    }

    #[test]
    fn another_root_key_is_unknown() {
        let blob = Sealer::new(root(1)).seal(Purpose::KeyMaterial, b"a", b"secret");
        let err = Sealer::new(root(2))
            .open(Purpose::KeyMaterial, b"a", &blob)
            .unwrap_err();
        assert_eq!(err, CryptoError::UnknownRootKey);
    }

    #[test]
    fn rotation_opens_old_blobs_and_seals_with_the_new_key() {
        let old = Sealer::new(root(1));
        let old_blob = old.seal(Purpose::ImportToken, b"a", b"secret");

        let rotated = Sealer::with_previous(root(2), vec![root(1)]);
        assert_eq!(
            rotated
                .open(Purpose::ImportToken, b"a", &old_blob)
                .unwrap()
                .expose(),
            b"secret"
        );
        let new_blob = rotated.seal(Purpose::ImportToken, b"a", b"secret");
        assert_eq!(sealed_key_id(&new_blob), Some(root(2).id()));

        // The old sealer does not know the new key.
        let err = old.open(Purpose::ImportToken, b"a", &new_blob).unwrap_err();
        assert_eq!(err, CryptoError::UnknownRootKey);
    }

    #[test]
    fn rewrap_moves_a_blob_to_the_current_key() {
        let old_blob = Sealer::new(root(1)).seal(Purpose::KeyMaterial, b"a", b"secret");
        let rotated = Sealer::with_previous(root(2), vec![root(1)]);
        let moved = rotated
            .rewrap(Purpose::KeyMaterial, b"a", &old_blob)
            .unwrap();
        assert_eq!(sealed_key_id(&moved), Some(root(2).id()));
        let only_new = Sealer::new(root(2));
        assert_eq!(
            only_new
                .open(Purpose::KeyMaterial, b"a", &moved)
                .unwrap()
                .expose(),
            b"secret"
        );
    }

    #[test]
    fn debug_names_key_ids_only() {
        let sealer = Sealer::with_previous(root(0xAB), vec![root(0xCD)]);
        let shown = format!("{sealer:?}");
        assert!(shown.contains(&hex::encode(root(0xAB).id())));
        assert!(shown.contains(&hex::encode(root(0xCD).id())));
        assert!(!shown.contains("abab"));
        assert!(!shown.contains("cdcd"));
    }

    #[test]
    fn sealer_is_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Sealer>();
    }
}
