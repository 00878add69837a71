//! Encrypt and Decrypt with an RSA key: RSAES-OAEP (RFC 8017 §7.1) with SHA-1 or SHA-256 as
//! both OAEP and MGF1 hash and an empty label (`RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256`).
//!
//! Encryption uses the public half of the stored pair, exactly as a client holding the
//! GetPublicKey output would. Every decryption failure is the same
//! [`CryptoError::Authentication`]; aws-lc checks the OAEP padding in constant time.

use aws_lc_rs::rsa::{
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
};

use super::keys::is_one_der_element;
use super::{AsymmetricSpec, OaepHash};
use crate::{CryptoError, SecretBytes};

/// The aws-lc-rs parameters of a hash.
fn oaep(hash: OaepHash) -> &'static OaepAlgorithm {
    match hash {
        OaepHash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        OaepHash::Sha256 => &OAEP_SHA256_MGF1SHA256,
    }
}

/// The output length of a hash in bytes.
fn hash_len(hash: OaepHash) -> usize {
    match hash {
        OaepHash::Sha1 => 20,
        OaepHash::Sha256 => 32,
    }
}

/// The longest plaintext an RSA key of `spec` encrypts with `hash` (k - 2 hLen - 2 bytes:
/// 214 and 190 for RSA_2048, 342 and 318 for RSA_3072, 470 and 446 for RSA_4096), or `None`
/// for a spec that is not RSA.
pub fn rsa_oaep_max_plaintext(spec: AsymmetricSpec, hash: OaepHash) -> Option<usize> {
    let modulus_bytes = spec.rsa_bits()? / 8;
    Some(modulus_bytes - 2 * hash_len(hash) - 2)
}

/// Encrypts `plaintext` to the public key of the pair `pkcs8` of `spec`.
///
/// A plaintext longer than [`rsa_oaep_max_plaintext`] is [`CryptoError::Format`]; a spec that
/// is not RSA is [`CryptoError::UnsupportedKeySpec`].
pub fn rsa_oaep_encrypt(
    spec: AsymmetricSpec,
    pkcs8: &[u8],
    hash: OaepHash,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    // Parse the pair, then refuse a plaintext too long for the modulus.
    let private = load(spec, pkcs8)?;
    let max = rsa_oaep_max_plaintext(spec, hash).ok_or(CryptoError::UnsupportedKeySpec)?;
    if plaintext.len() > max {
        return Err(CryptoError::Format);
    }

    // Encrypt under the public half into a buffer of the modulus length.
    let public =
        OaepPublicEncryptingKey::new(private.public_key()).map_err(|_| CryptoError::Backend)?;
    let mut ciphertext = vec![0u8; public.ciphertext_size()];
    let len = public
        .encrypt(oaep(hash), plaintext, &mut ciphertext, None)
        .map_err(|_| CryptoError::Backend)?
        .len();
    ciphertext.truncate(len);
    Ok(ciphertext)
}

/// Decrypts `ciphertext` with the private key `pkcs8` of `spec`.
///
/// A ciphertext not of the modulus length is [`CryptoError::Format`]; one that does not decrypt
/// under the key and hash is [`CryptoError::Authentication`].
pub fn rsa_oaep_decrypt(
    spec: AsymmetricSpec,
    pkcs8: &[u8],
    hash: OaepHash,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    // Parse the key and check the ciphertext is exactly one modulus long.
    let private = load(spec, pkcs8)?;
    let modulus_bytes = private.key_size_bytes();
    if ciphertext.len() != modulus_bytes {
        return Err(CryptoError::Format);
    }

    // Decrypt into a secret buffer and keep the plaintext part.
    let private = OaepPrivateDecryptingKey::new(private).map_err(|_| CryptoError::Backend)?;
    let mut plaintext = SecretBytes::new(vec![0u8; modulus_bytes]);
    let len = private
        .decrypt(oaep(hash), ciphertext, plaintext.buffer_mut(), None)
        .map_err(|_| CryptoError::Authentication)?
        .len();
    plaintext.buffer_mut().truncate(len);
    Ok(plaintext)
}

/// Parses `pkcs8` as an RSA private key of exactly the modulus size of `spec`.
fn load(spec: AsymmetricSpec, pkcs8: &[u8]) -> Result<PrivateDecryptingKey, CryptoError> {
    let bits = spec.rsa_bits().ok_or(CryptoError::UnsupportedKeySpec)?;
    if !is_one_der_element(pkcs8) {
        return Err(CryptoError::KeyMismatch);
    }
    let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| CryptoError::KeyMismatch)?;
    if key.key_size_bits() != bits {
        return Err(CryptoError::KeyMismatch);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_those_aws_lists() {
        let limits: Vec<Option<usize>> = [
            AsymmetricSpec::Rsa2048,
            AsymmetricSpec::Rsa3072,
            AsymmetricSpec::Rsa4096,
            AsymmetricSpec::EccNistP256,
        ]
        .iter()
        .flat_map(|spec| OaepHash::ALL.map(|hash| rsa_oaep_max_plaintext(*spec, hash)))
        .collect();
        assert_eq!(
            limits,
            [
                Some(214),
                Some(190),
                Some(342),
                Some(318),
                Some(470),
                Some(446),
                None,
                None
            ]
        );
    }

    #[test]
    fn a_non_rsa_spec_is_refused() {
        assert_eq!(
            rsa_oaep_encrypt(
                AsymmetricSpec::EccNistP256,
                &[0x30, 0],
                OaepHash::Sha1,
                b"x"
            )
            .unwrap_err(),
            CryptoError::UnsupportedKeySpec
        );
        assert_eq!(
            rsa_oaep_decrypt(AsymmetricSpec::MlDsa44, &[], OaepHash::Sha256, &[]).unwrap_err(),
            CryptoError::UnsupportedKeySpec
        );
    }
}
