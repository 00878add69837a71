//! The one error type of the crate.
//!
//! The variants are deliberately coarse: a caller learns whether the input was malformed, failed
//! authentication, named a root key this process does not hold or did not fit the key spec, and
//! nothing about which byte or which check. The service maps every variant of a ciphertext
//! failure to `InvalidCiphertextException`, so the distinction only helps logs and tests.

/// Why a cryptographic operation failed. No variant carries key bytes or plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The input does not have the shape of the format (wrong length, version or field).
    #[error("malformed input")]
    Format,
    /// The input has the right shape but its tag does not verify under the given key, context
    /// or associated data.
    #[error("authentication failed")]
    Authentication,
    /// A sealed blob names a root key that is neither the current nor a previous one.
    #[error("unknown root key")]
    UnknownRootKey,
    /// Private key material is not a valid key of the key spec: not PKCS #8, another algorithm,
    /// curve or modulus size, or bytes after the DER (SPEC.md A20).
    #[error("key material does not match the key spec")]
    KeyMismatch,
    /// The key spec does not offer the operation (RSA-OAEP with an EC key, ECDH with an RSA
    /// key or a curve other than the NIST ones).
    #[error("operation not offered by the key spec")]
    UnsupportedKeySpec,
    /// aws-lc refused an operation that should not fail on valid input.
    #[error("crypto backend failure")]
    Backend,
}
