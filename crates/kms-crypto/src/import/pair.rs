//! One RSA wrapping key pair, as GetParametersForImport hands it out (SPEC.md A9-A10).
//!
//! The public half is returned to the client as a DER X.509 SubjectPublicKeyInfo (RFC 5280,
//! section 4.1), the form `openssl pkeyutl -keyform DER -pubin` and `load_der_public_key` read.
//! The private half never leaves the crate except sealed inside an import token.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::PrivateDecryptingKey;
use zeroize::Zeroizing;

use super::WrappingKeySpec;
use crate::CryptoError;

/// A fresh RSA wrapping key pair (GetParametersForImport).
///
/// The private key is held as its PKCS #8 encoding, zeroed on drop, ready to be sealed into a
/// token. `Debug` shows the spec only.
pub struct WrappingKeyPair {
    /// The size of the key.
    spec: WrappingKeySpec,
    /// The private key as DER PKCS #8 (v1, RFC 5208).
    private_pkcs8: Zeroizing<Vec<u8>>,
    /// The public key as DER SubjectPublicKeyInfo.
    public_der: Vec<u8>,
}

impl WrappingKeyPair {
    /// Generates a new key pair of `spec` (public exponent 65537). RSA-4096 takes a large
    /// fraction of a second; [`super::KeyPairPool`] does it ahead of time.
    pub fn generate(spec: WrappingKeySpec) -> Result<WrappingKeyPair, CryptoError> {
        // Generate the private key; aws-lc checks it and zeroes its own copy when it is dropped
        // at the end of this function.
        let private =
            PrivateDecryptingKey::generate(spec.key_size()).map_err(|_| CryptoError::Backend)?;

        // Encode both halves now, so that issuing a token cannot fail later. aws-lc-rs zeroes
        // its PKCS #8 buffer on drop; the copy kept here is zeroed on drop too.
        let pkcs8 = private.as_der().map_err(|_| CryptoError::Backend)?;
        let private_pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let public_der = private
            .public_key()
            .as_der()
            .map_err(|_| CryptoError::Backend)?
            .as_ref()
            .to_vec();
        Ok(WrappingKeyPair {
            spec,
            private_pkcs8,
            public_der,
        })
    }

    /// The size of the key.
    pub fn spec(&self) -> WrappingKeySpec {
        self.spec
    }

    /// The public key as DER X.509 SubjectPublicKeyInfo, the `PublicKey` of the response.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_der
    }

    /// The private key as DER PKCS #8 (v1), for sealing into a token.
    pub(super) fn private_pkcs8(&self) -> &[u8] {
        &self.private_pkcs8
    }
}

impl fmt::Debug for WrappingKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappingKeyPair")
            .field("spec", &self.spec)
            .field("private", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rsa::PublicEncryptingKey;

    use super::*;

    #[test]
    fn generates_keys_of_the_asked_size() {
        for spec in [WrappingKeySpec::Rsa2048, WrappingKeySpec::Rsa3072] {
            let pair = WrappingKeyPair::generate(spec).unwrap();
            assert_eq!(pair.spec(), spec);
            let public = PublicEncryptingKey::from_der(pair.public_key_der()).unwrap();
            assert_eq!(public.key_size_bytes(), spec.modulus_bytes());
            let private = PrivateDecryptingKey::from_pkcs8(pair.private_pkcs8()).unwrap();
            assert_eq!(private.key_size_bytes(), spec.modulus_bytes());
        }
    }

    #[test]
    fn every_pair_is_new() {
        let a = WrappingKeyPair::generate(WrappingKeySpec::Rsa2048).unwrap();
        let b = WrappingKeyPair::generate(WrappingKeySpec::Rsa2048).unwrap();
        assert_ne!(a.public_key_der(), b.public_key_der());
    }

    #[test]
    fn debug_shows_the_spec_only() {
        let pair = WrappingKeyPair::generate(WrappingKeySpec::Rsa2048).unwrap();
        let shown = format!("{pair:?}");
        assert_eq!(
            shown,
            "WrappingKeyPair { spec: Rsa2048, private: \"[redacted]\", .. }"
        );
    }
}
