//! Secret bytes and the system random source.
//!
//! Every key, every unwrapped material and every decrypted plaintext leaves this crate as a
//! [`SecretBytes`], so the rest of kmsd cannot log it by accident (its `Debug` is redacted),
//! cannot leave it in freed memory (it is zeroed on drop) and cannot compare it in a way that
//! leaks timing (equality is constant-time).

use std::fmt;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret byte string: zeroed on drop, redacted in `Debug`, compared in constant time.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they will be zeroed when the value is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }

    /// The secret bytes, for handing to a primitive or to the response encoder.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The number of secret bytes (a length is not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no secret bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The buffer itself, for in-place decryption inside the crate.
    pub(crate) fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        SecretBytes::new(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for SecretBytes {
    /// Constant-time in the contents; only the lengths may be compared early.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for SecretBytes {}

/// Fills `out` from aws-lc's DRBG.
pub(crate) fn fill_random(out: &mut [u8]) {
    // Invariant: aws-lc's `RAND_bytes` returns 1 or calls `abort()` (include/openssl/rand.h says
    // so), and aws-lc-rs maps only a return other than 1 to an error, so this cannot fail.
    #[allow(clippy::expect_used, reason = "RAND_bytes cannot fail, see above")]
    SystemRandom::new()
        .fill(out)
        .expect("aws-lc RAND_bytes never returns failure");
}

/// `n` random bytes from the system random source, for values that are not secret (salts,
/// nonces, IDs).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    fill_random(&mut out);
    out
}

/// `n` random bytes from the system random source, held as a secret (new key material).
pub fn random_secret(n: usize) -> SecretBytes {
    let mut secret = SecretBytes::new(vec![0u8; n]);
    fill_random(secret.buffer_mut());
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = SecretBytes::new(vec![0xAB; 4]);
        let shown = format!("{secret:?}");
        assert_eq!(shown, "[redacted]");
        assert!(!shown.to_lowercase().contains("ab"));
    }

    #[test]
    fn equality_compares_contents_and_length() {
        let a = SecretBytes::new(vec![1, 2, 3]);
        assert_eq!(a, SecretBytes::new(vec![1, 2, 3]));
        assert_ne!(a, SecretBytes::new(vec![1, 2, 4]));
        assert_ne!(a, SecretBytes::new(vec![1, 2]));
        assert_eq!(SecretBytes::default(), SecretBytes::new(Vec::new()));
    }

    #[test]
    fn accessors_report_contents() {
        let a = SecretBytes::new(vec![9, 8]);
        assert_eq!(a.expose(), &[9, 8]);
        assert_eq!(a.len(), 2);
        assert!(!a.is_empty());
        assert!(SecretBytes::new(Vec::new()).is_empty());
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn random_values_have_the_asked_length_and_differ() {
        assert_eq!(random_bytes(0).len(), 0);
        assert_eq!(random_bytes(33).len(), 33);
        assert_ne!(random_bytes(32), random_bytes(32));
        let secret = random_secret(32);
        assert_eq!(secret.len(), 32);
        assert_ne!(secret, random_secret(32));
    }
}
