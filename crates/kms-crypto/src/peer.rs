//! Encryption of secrets to another kmsd deployment (ARCHITECTURE.md, "Multi-Region keys and
//! replication"): key material of a multi-Region key crosses between deployments only
//! encrypted to the receiving deployment's long-term public key.
//!
//! The scheme is ECIES over P-256 in the manner of SEC 1 §5.1 with HKDF (RFC 5869) as its KDF:
//! the sender makes a fresh ephemeral key pair, agrees a secret with the receiver's public key
//! (ECDH), derives an AES-256-GCM key with HKDF-SHA256 over both public keys, and encrypts
//! under it. A blob is
//!
//! ```text
//! version = 1 (1 byte) | ephemeral public key (65, uncompressed) | nonce (12) | ciphertext | tag (16)
//! ```
//!
//! The associated data is the version, the ephemeral key and the caller's bytes, which name the
//! owner of the secret, so a blob moved onto another key or material version does not open.
//!
//! Each deployment's private key lives in its data folder sealed under its root key
//! ([`PeerKeyPair::seal`], [`PeerKeyPair::open_sealed`]); only its public key is ever sent.

use std::fmt;

use aws_lc_rs::aead::{Aad, Nonce, NONCE_LEN};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, ECDH_P256};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};

use crate::kdf::derive_gcm_key;
use crate::secret::fill_random;
use crate::{CryptoError, Purpose, Sealer, SecretBytes};

/// Version byte of the peer blob format.
const VERSION: u8 = 1;

/// Length of an uncompressed P-256 public key.
pub const PUBLIC_KEY_LEN: usize = 65;

/// Length of the GCM tag.
const TAG_LEN: usize = 16;

/// Bytes before the GCM ciphertext: version, ephemeral public key, nonce.
const PREFIX_LEN: usize = 1 + PUBLIC_KEY_LEN + NONCE_LEN;

/// HKDF info label of the blob key.
const LABEL: &[u8] = b"kmsd peer blob v1";

/// Associated data of the sealed private key in the data folder.
const SEALED_AAD: &[u8] = b"kmsd peer private key v1";

/// A deployment's long-term key pair for receiving secrets from its peers.
pub struct PeerKeyPair {
    /// The private key; aws-lc frees (and clears) it on drop.
    private: PrivateKey,
    /// The public key, uncompressed.
    public: Vec<u8>,
}

impl fmt::Debug for PeerKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerKeyPair")
            .field("public", &hex::encode(&self.public))
            .finish_non_exhaustive()
    }
}

impl PeerKeyPair {
    /// A fresh key pair.
    pub fn generate() -> Result<PeerKeyPair, CryptoError> {
        let private = PrivateKey::generate(&ECDH_P256).map_err(|_| CryptoError::Backend)?;
        PeerKeyPair::from_private(private)
    }

    /// The key pair of a private key, with its public key computed.
    fn from_private(private: PrivateKey) -> Result<PeerKeyPair, CryptoError> {
        let public = private
            .compute_public_key()
            .map_err(|_| CryptoError::Backend)?
            .as_ref()
            .to_vec();
        Ok(PeerKeyPair { private, public })
    }

    /// The public key peers encrypt to: an uncompressed P-256 point.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// The private key (PKCS #8) sealed under `sealer`'s root key, for the data folder.
    pub fn seal(&self, sealer: &Sealer) -> Result<Vec<u8>, CryptoError> {
        let der = AsDer::<Pkcs8V1Der>::as_der(&self.private).map_err(|_| CryptoError::Backend)?;
        let der = SecretBytes::new(der.as_ref().to_vec());
        Ok(sealer.seal(Purpose::Replication, SEALED_AAD, der.expose()))
    }

    /// The key pair sealed by [`PeerKeyPair::seal`].
    pub fn open_sealed(sealer: &Sealer, sealed: &[u8]) -> Result<PeerKeyPair, CryptoError> {
        let der = sealer.open(Purpose::Replication, SEALED_AAD, sealed)?;
        let private = PrivateKey::from_private_key_der(&ECDH_P256, der.expose())
            .map_err(|_| CryptoError::Format)?;
        PeerKeyPair::from_private(private)
    }

    /// Opens a blob made by [`encrypt_to`] for this key pair with the same `aad`.
    pub fn decrypt(&self, aad: &[u8], blob: &[u8]) -> Result<SecretBytes, CryptoError> {
        // Check the shape and split off the ephemeral key and the nonce.
        if blob.len() < PREFIX_LEN + TAG_LEN || blob[0] != VERSION {
            return Err(CryptoError::Format);
        }
        let ephemeral = &blob[1..1 + PUBLIC_KEY_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&blob[1 + PUBLIC_KEY_LEN..PREFIX_LEN]);

        // Agree the secret with the sender's ephemeral key and derive the blob key.
        let key = agreement::agree(
            &self.private,
            UnparsedPublicKey::new(&ECDH_P256, ephemeral),
            CryptoError::Format,
            |shared| derive_gcm_key(&[], shared, &[LABEL, ephemeral, &self.public]),
        )?;

        // Decrypt a copy in place; the copy is a secret from the start.
        let full_aad = associated_data(ephemeral, aad);
        let mut opened = SecretBytes::new(blob[PREFIX_LEN..].to_vec());
        let len = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&full_aad),
                opened.buffer_mut(),
            )
            .map_err(|_| CryptoError::Authentication)?
            .len();
        opened.buffer_mut().truncate(len);
        Ok(opened)
    }
}

/// Encrypts `plaintext` to the deployment whose public key is `recipient`, bound to `aad`.
///
/// A public key that is not a valid P-256 point is [`CryptoError::Format`].
pub fn encrypt_to(recipient: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    // A fresh ephemeral key pair for this blob alone.
    let ephemeral = PrivateKey::generate(&ECDH_P256).map_err(|_| CryptoError::Backend)?;
    let ephemeral_public = ephemeral
        .compute_public_key()
        .map_err(|_| CryptoError::Backend)?;
    let ephemeral_public = ephemeral_public.as_ref();

    // Agree a secret with the recipient and derive the blob key from it and both public keys.
    if recipient.len() != PUBLIC_KEY_LEN {
        return Err(CryptoError::Format);
    }
    let key = agreement::agree(
        &ephemeral,
        UnparsedPublicKey::new(&ECDH_P256, recipient),
        CryptoError::Format,
        |shared| derive_gcm_key(&[], shared, &[LABEL, ephemeral_public, recipient]),
    )?;

    // Lay out the header and encrypt the plaintext in place behind it.
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce);
    let mut out = Vec::with_capacity(PREFIX_LEN + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(ephemeral_public);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let full_aad = associated_data(ephemeral_public, aad);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&full_aad),
            &mut out[PREFIX_LEN..],
        )
        .map_err(|_| CryptoError::Backend)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// The associated data of a blob: version, ephemeral public key, then the caller's bytes.
fn associated_data(ephemeral: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + ephemeral.len() + aad.len());
    out.push(VERSION);
    out.extend_from_slice(ephemeral);
    out.extend_from_slice(aad);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootKey;

    fn sealer(fill: u8) -> Sealer {
        Sealer::new(RootKey::from_bytes(&[fill; 32]).unwrap())
    }

    #[test]
    fn a_blob_opens_for_its_recipient_with_its_owner() {
        let pair = PeerKeyPair::generate().unwrap();
        let blob = encrypt_to(pair.public_key(), b"owner", b"the material").unwrap();
        assert_eq!(
            pair.decrypt(b"owner", &blob).unwrap().expose(),
            b"the material"
        );
        assert!(!blob.windows(12).any(|w| w == b"the material"));
    }

    #[test]
    fn another_owner_or_recipient_or_a_changed_byte_does_not_open() {
        let pair = PeerKeyPair::generate().unwrap();
        let other = PeerKeyPair::generate().unwrap();
        let blob = encrypt_to(pair.public_key(), b"owner", b"secret").unwrap();
        assert_eq!(
            pair.decrypt(b"other owner", &blob).unwrap_err(),
            CryptoError::Authentication
        );
        assert_eq!(
            other.decrypt(b"owner", &blob).unwrap_err(),
            CryptoError::Authentication
        );
        for i in [0, 5, PREFIX_LEN, blob.len() - 1] {
            let mut changed = blob.clone();
            changed[i] ^= 1;
            assert!(pair.decrypt(b"owner", &changed).is_err(), "byte {i}");
        }
        assert_eq!(
            pair.decrypt(b"owner", &blob[..20]).unwrap_err(),
            CryptoError::Format
        );
    }

    #[test]
    fn two_blobs_of_one_secret_differ() {
        let pair = PeerKeyPair::generate().unwrap();
        let a = encrypt_to(pair.public_key(), b"o", b"same").unwrap();
        let b = encrypt_to(pair.public_key(), b"o", b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_bad_public_key_is_refused() {
        assert_eq!(
            encrypt_to(&[4u8; PUBLIC_KEY_LEN], b"o", b"x").unwrap_err(),
            CryptoError::Format
        );
        assert_eq!(
            encrypt_to(&[4u8; 10], b"o", b"x").unwrap_err(),
            CryptoError::Format
        );
    }

    #[test]
    fn the_sealed_private_key_opens_only_under_its_root_key() {
        let pair = PeerKeyPair::generate().unwrap();
        let sealed = pair.seal(&sealer(1)).unwrap();
        let again = PeerKeyPair::open_sealed(&sealer(1), &sealed).unwrap();
        assert_eq!(again.public_key(), pair.public_key());
        let blob = encrypt_to(pair.public_key(), b"o", b"m").unwrap();
        assert_eq!(again.decrypt(b"o", &blob).unwrap().expose(), b"m");
        assert!(PeerKeyPair::open_sealed(&sealer(2), &sealed).is_err());
        assert!(!format!("{pair:?}").contains("private"));
    }
}
