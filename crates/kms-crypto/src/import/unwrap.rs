//! Unwrapping `EncryptedKeyMaterial` with an opened import token (SPEC.md A13, A15).
//!
//! - `RSAES_OAEP_SHA_*`: the input is RSA-OAEP (RFC 8017, section 7.1; OAEP and MGF1 hash the
//!   same, empty label) of the material.
//! - `RSA_AES_KEY_WRAP_SHA_*` (PKCS #11 `CKM_RSA_AES_KEY_WRAP`): the first modulus-length bytes
//!   are RSA-OAEP of an ephemeral AES key, the rest is RFC 5649 key wrap of the material under
//!   that key.
//!
//! A token is valid for a day and may be tried any number of times, so unwrapping must be no
//! oracle (Bleichenbacher, Manger): every failure is the same [`CryptoError::Authentication`],
//! and every input does the same steps. An input of the wrong length is decrypted anyway as a
//! stand-in of the right length, and when the RSA step fails the key-wrap step still runs, under
//! a random key, over the same bytes. What remains visible is what the sender already knows:
//! the input's length and, because aws-lc refuses it before exponentiation, an RSA part
//! numerically not below the public modulus.

use std::borrow::Cow;

use aws_lc_rs::rsa::OaepPrivateDecryptingKey;
use zeroize::Zeroizing;

use super::kwp::{unwrap_padded, KEY_LENS, MIN_WRAPPED_LEN};
use super::{OpenedToken, WrappingAlgorithm};
use crate::secret::fill_random;
use crate::{CryptoError, SecretBytes};

/// The byte that fills a stand-in RSA ciphertext: any value below every modulus will do.
const STAND_IN_BYTE: u8 = 0x01;

/// Length of the random key that stands in for an AES key that did not decrypt (AWS's size).
const STAND_IN_KEY_LEN: usize = 32;

impl OpenedToken {
    /// Unwraps `EncryptedKeyMaterial` with the token's private key and algorithm.
    ///
    /// Every failure (RSA or OAEP padding, a wrong length, the key-wrap integrity check) is the
    /// same [`CryptoError::Authentication`] after the same work; no input makes it panic. The
    /// caller still checks the material against the key spec (SPEC.md A20).
    pub fn unwrap_material(&self, encrypted: &[u8]) -> Result<SecretBytes, CryptoError> {
        // The algorithm comes from the token, not the input, so branching on it reveals nothing.
        let material = if self.algorithm.uses_key_wrap() {
            self.unwrap_key_wrapped(encrypted)
        } else {
            self.unwrap_direct(encrypted)
        };
        material.ok_or(CryptoError::Authentication)
    }

    /// `RSAES_OAEP_*`: one RSA-OAEP decryption of the whole input.
    fn unwrap_direct(&self, encrypted: &[u8]) -> Option<SecretBytes> {
        // An input of the wrong length is replaced by a stand-in, so it costs a decryption too.
        let modulus = self.spec.modulus_bytes();
        let shape_ok = encrypted.len() == modulus;
        let input = rsa_input(encrypted, modulus);

        // Decrypt into a secret buffer and keep the plaintext part.
        let mut material = SecretBytes::new(vec![0u8; modulus]);
        let decrypted = rsa_decrypt(&self.private, self.algorithm, &input, &mut material);
        let len = decrypted.filter(|_| shape_ok)?;
        material.buffer_mut().truncate(len);
        Some(material)
    }

    /// `RSA_AES_KEY_WRAP_*`: RSA-OAEP of the AES key, then key unwrap of the material.
    fn unwrap_key_wrapped(&self, encrypted: &[u8]) -> Option<SecretBytes> {
        // Split at the modulus length; missing parts are replaced by stand-ins of their shape.
        let modulus = self.spec.modulus_bytes();
        let shape_ok = encrypted.len() >= modulus + MIN_WRAPPED_LEN;
        let rsa_part = rsa_input(&encrypted[..encrypted.len().min(modulus)], modulus);
        let wrapped = &encrypted[encrypted.len().min(modulus)..];

        // Decrypt the AES key; only the lengths PKCS #11 allows count as success.
        let mut key = SecretBytes::new(vec![0u8; modulus]);
        let key_len = rsa_decrypt(&self.private, self.algorithm, &rsa_part, &mut key)
            .filter(|len| KEY_LENS.contains(len));

        // Draw the stand-in key every time, and unwrap under it when the RSA step failed, so
        // the key-wrap step runs over the same bytes whatever happened.
        let mut stand_in = Zeroizing::new([0u8; STAND_IN_KEY_LEN]);
        fill_random(stand_in.as_mut());
        let aes_key = match key_len {
            Some(len) => &key.expose()[..len],
            None => stand_in.as_ref(),
        };
        let material = unwrap_padded(aes_key, wrapped);

        // Succeed only if every step did.
        material.filter(|_| shape_ok && key_len.is_some())
    }
}

/// The RSA ciphertext to decrypt: the input when it has the modulus length, else a stand-in of
/// that length.
fn rsa_input(encrypted: &[u8], modulus: usize) -> Cow<'_, [u8]> {
    if encrypted.len() == modulus {
        Cow::Borrowed(encrypted)
    } else {
        Cow::Owned(vec![STAND_IN_BYTE; modulus])
    }
}

/// RSA-OAEP decryption (empty label) of `input` into `out`, which is modulus-long; the length
/// of the plaintext, or `None` on any failure.
fn rsa_decrypt(
    key: &OaepPrivateDecryptingKey,
    algorithm: WrappingAlgorithm,
    input: &[u8],
    out: &mut SecretBytes,
) -> Option<usize> {
    key.decrypt(algorithm.oaep(), input, out.buffer_mut(), None)
        .ok()
        .map(|plain| plain.len())
}
