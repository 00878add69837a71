//! The root key: the 256-bit secret that seals every stored secret of a deployment.
//!
//! It is read from a file or an environment variable as 64 hex characters and is named by an
//! 8-byte ID derived from it, so a sealed blob can say which root key made it (and the root key
//! can be rotated) without revealing anything about the key.

use std::fmt;

use zeroize::Zeroizing;

use crate::kdf::sha256;
use crate::secret::fill_random;
use crate::CryptoError;

/// Length of a root key in bytes.
pub const ROOT_KEY_LEN: usize = 32;

/// Length of a root key ID in bytes.
pub const ROOT_KEY_ID_LEN: usize = 8;

/// Domain label of the root key ID hash, so the ID is no other hash of the key.
const ID_LABEL: &[u8] = b"kmsd root key id v1\0";

/// A 256-bit root key and its ID. The key bytes are zeroed on drop and never printed.
#[derive(Clone)]
pub struct RootKey {
    /// The key bytes.
    bytes: Zeroizing<[u8; ROOT_KEY_LEN]>,
    /// The public name of the key, derived from the bytes.
    id: [u8; ROOT_KEY_ID_LEN],
}

impl RootKey {
    /// A fresh random root key.
    pub fn generate() -> RootKey {
        let mut bytes = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        fill_random(bytes.as_mut());
        RootKey::from_array(bytes)
    }

    /// A root key from its 32 raw bytes; any other length is [`CryptoError::Format`].
    pub fn from_bytes(bytes: &[u8]) -> Result<RootKey, CryptoError> {
        let mut array = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        if bytes.len() != ROOT_KEY_LEN {
            return Err(CryptoError::Format);
        }
        array.copy_from_slice(bytes);
        Ok(RootKey::from_array(array))
    }

    /// A root key from 64 hex characters (either case); surrounding whitespace, such as the
    /// newline at the end of a key file, is ignored.
    pub fn from_hex(text: &str) -> Result<RootKey, CryptoError> {
        let mut array = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        hex::decode_to_slice(text.trim(), array.as_mut()).map_err(|_| CryptoError::Format)?;
        Ok(RootKey::from_array(array))
    }

    /// The key as 64 lowercase hex characters, for writing the root key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        // Reserve the full length first so the string never reallocates and leaves a copy.
        let mut text = Zeroizing::new(String::with_capacity(2 * ROOT_KEY_LEN));
        for byte in self.bytes.iter() {
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        text
    }

    /// The key's ID: a labelled SHA-256 of the key, truncated to 8 bytes. It names the key in
    /// sealed blobs and logs without revealing it.
    pub fn id(&self) -> [u8; ROOT_KEY_ID_LEN] {
        self.id
    }

    /// The key bytes, for deriving the purpose keys.
    pub(crate) fn expose(&self) -> &[u8; ROOT_KEY_LEN] {
        &self.bytes
    }

    /// Builds the key and computes its ID.
    fn from_array(bytes: Zeroizing<[u8; ROOT_KEY_LEN]>) -> RootKey {
        let digest = sha256(&[ID_LABEL, bytes.as_ref()]);
        let mut id = [0u8; ROOT_KEY_ID_LEN];
        id.copy_from_slice(&digest[..ROOT_KEY_ID_LEN]);
        RootKey { bytes, id }
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootKey")
            .field("id", &hex::encode(self.id))
            .field("bytes", &format_args!("[redacted]"))
            .finish()
    }
}

/// The lowercase hex digit of a nibble (0..=15).
fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn hex_round_trips_and_ignores_surrounding_whitespace() {
        let key = RootKey::from_hex(&format!("  {HEX}\n")).unwrap();
        assert_eq!(key.to_hex().as_str(), HEX);
        let upper = RootKey::from_hex(&HEX.to_uppercase()).unwrap();
        assert_eq!(upper.id(), key.id());
    }

    #[test]
    fn hex_of_the_wrong_shape_is_refused() {
        assert_eq!(RootKey::from_hex("").unwrap_err(), CryptoError::Format);
        assert_eq!(
            RootKey::from_hex(&HEX[2..]).unwrap_err(),
            CryptoError::Format
        );
        assert_eq!(
            RootKey::from_hex(&format!("{HEX}00")).unwrap_err(),
            CryptoError::Format
        );
        let bad = format!("zz{}", &HEX[2..]);
        assert_eq!(RootKey::from_hex(&bad).unwrap_err(), CryptoError::Format);
        let inner_space = format!("{} {}", &HEX[..32], &HEX[32..]);
        assert_eq!(
            RootKey::from_hex(&inner_space).unwrap_err(),
            CryptoError::Format
        );
    }

    #[test]
    fn bytes_must_be_exactly_32() {
        assert!(RootKey::from_bytes(&[7u8; 32]).is_ok());
        assert_eq!(
            RootKey::from_bytes(&[7u8; 31]).unwrap_err(),
            CryptoError::Format
        );
        assert_eq!(
            RootKey::from_bytes(&[7u8; 33]).unwrap_err(),
            CryptoError::Format
        );
    }

    #[test]
    fn bytes_and_hex_agree() {
        let raw: Vec<u8> = (0u8..32).collect();
        let a = RootKey::from_bytes(&raw).unwrap();
        let b = RootKey::from_hex(HEX).unwrap();
        assert_eq!(a.id(), b.id());
        assert_eq!(a.expose(), b.expose());
    }

    #[test]
    fn id_is_stable_distinct_and_not_a_prefix_of_the_key() {
        let a = RootKey::from_bytes(&[1u8; 32]).unwrap();
        assert_eq!(a.id(), RootKey::from_bytes(&[1u8; 32]).unwrap().id());
        assert_ne!(a.id(), RootKey::from_bytes(&[2u8; 32]).unwrap().id());
        assert_ne!(a.id(), [1u8; 8]);
    }

    #[test]
    fn generated_keys_differ() {
        let a = RootKey::generate();
        let b = RootKey::generate();
        assert_ne!(a.id(), b.id());
        assert_eq!(a.to_hex().len(), 64);
        assert_eq!(RootKey::from_hex(&a.to_hex()).unwrap().id(), a.id());
    }

    #[test]
    fn debug_shows_the_id_and_no_key_bytes() {
        let key = RootKey::from_hex(HEX).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("[redacted]"));
        assert!(shown.contains(&hex::encode(key.id())));
        assert!(!shown.contains("0a0b0c"));
        assert!(!shown.contains("10, 11, 12"));
    }
}
