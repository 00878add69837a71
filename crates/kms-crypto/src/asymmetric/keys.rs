//! Asymmetric private keys: fresh ones for CreateKey, the check of imported ones for
//! ImportKeyMaterial (SPEC.md A19-A20), and the public half for GetPublicKey.
//!
//! A key is always DER PKCS #8 `PrivateKeyInfo` (RFC 5208), written as version 1 where the
//! format allows, which is what `openssl genpkey` writes and reads: RSA keys with
//! `rsaEncryption`, EC keys with a named curve (RFC 5915 inside), Ed25519 keys per RFC 8410 and
//! ML-DSA keys per the IETF LAMPS ML-DSA profile (the 32-byte seed, as aws-lc writes it; the
//! expanded and the both-forms encodings of OpenSSL 3.5 are read as well).

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use aws_lc_rs::signature::{
    EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, PqdsaKeyPair,
    PqdsaSigningAlgorithm, RsaKeyPair, ECDSA_P256K1_SHA256_ASN1_SIGNING,
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING,
    ML_DSA_44_SIGNING, ML_DSA_65_SIGNING, ML_DSA_87_SIGNING,
};

use super::AsymmetricSpec;
use crate::{CryptoError, SecretBytes};

/// A private key parsed and checked against its spec.
pub(super) enum KeyPair {
    /// An RSA key of the spec's modulus size.
    Rsa(RsaKeyPair),
    /// An EC key on the spec's curve, bound to the curve's one ECDSA algorithm.
    Ecdsa(EcdsaKeyPair),
    /// An Ed25519 key.
    Ed25519(Ed25519KeyPair),
    /// An ML-DSA key of the spec's parameter set.
    MlDsa(PqdsaKeyPair),
}

impl KeyPair {
    /// The public key in the raw form aws-lc-rs verifies with: PKCS #1 `RSAPublicKey`, an
    /// uncompressed EC point, or the bare Ed25519 or ML-DSA public key.
    pub(super) fn public_bytes(&self) -> &[u8] {
        match self {
            Self::Rsa(pair) => pair.public_key().as_ref(),
            Self::Ecdsa(pair) => pair.public_key().as_ref(),
            Self::Ed25519(pair) => pair.public_key().as_ref(),
            Self::MlDsa(pair) => pair.public_key().as_ref(),
        }
    }

    /// The public key as DER SubjectPublicKeyInfo.
    fn public_der(&self) -> Result<Vec<u8>, CryptoError> {
        let der = match self {
            Self::Rsa(pair) => pair.public_key().as_der(),
            Self::Ecdsa(pair) => pair.public_key().as_der(),
            Self::Ed25519(pair) => pair.public_key().as_der(),
            Self::MlDsa(pair) => pair.public_key().as_der(),
        };
        Ok(der.map_err(|_| CryptoError::Backend)?.as_ref().to_vec())
    }
}

/// The ECDSA algorithm of an EC spec: the curve with the hash AWS pairs it with.
pub(super) fn ecdsa_algorithm(spec: AsymmetricSpec) -> Option<&'static EcdsaSigningAlgorithm> {
    match spec {
        AsymmetricSpec::EccNistP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
        AsymmetricSpec::EccNistP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
        AsymmetricSpec::EccNistP521 => Some(&ECDSA_P521_SHA512_ASN1_SIGNING),
        AsymmetricSpec::EccSecgP256k1 => Some(&ECDSA_P256K1_SHA256_ASN1_SIGNING),
        _ => None,
    }
}

/// The ML-DSA parameter set of an ML-DSA spec.
pub(super) fn ml_dsa_algorithm(spec: AsymmetricSpec) -> Option<&'static PqdsaSigningAlgorithm> {
    match spec {
        AsymmetricSpec::MlDsa44 => Some(&ML_DSA_44_SIGNING),
        AsymmetricSpec::MlDsa65 => Some(&ML_DSA_65_SIGNING),
        AsymmetricSpec::MlDsa87 => Some(&ML_DSA_87_SIGNING),
        _ => None,
    }
}

/// The aws-lc size of an RSA spec.
fn rsa_key_size(spec: AsymmetricSpec) -> Option<KeySize> {
    match spec {
        AsymmetricSpec::Rsa2048 => Some(KeySize::Rsa2048),
        AsymmetricSpec::Rsa3072 => Some(KeySize::Rsa3072),
        AsymmetricSpec::Rsa4096 => Some(KeySize::Rsa4096),
        _ => None,
    }
}

/// A fresh private key of `spec` as DER PKCS #8 v1. RSA-4096 takes up to a few seconds.
pub fn generate_private_key(spec: AsymmetricSpec) -> Result<SecretBytes, CryptoError> {
    // Generate with the family's own type; each encoder hands back a buffer it zeroes on drop,
    // copied here straight into a secret.
    let backend = |_| CryptoError::Backend;
    if let Some(size) = rsa_key_size(spec) {
        let pair = RsaKeyPair::generate(size).map_err(backend)?;
        let der: Pkcs8V1Der = pair.as_der().map_err(backend)?;
        return Ok(SecretBytes::new(der.as_ref().to_vec()));
    }
    let document = if let Some(alg) = ecdsa_algorithm(spec) {
        EcdsaKeyPair::generate(alg).map_err(backend)?.to_pkcs8v1()
    } else if let Some(alg) = ml_dsa_algorithm(spec) {
        PqdsaKeyPair::generate(alg).map_err(backend)?.to_pkcs8v1()
    } else {
        Ed25519KeyPair::generate().map_err(backend)?.to_pkcs8v1()
    };
    Ok(SecretBytes::new(
        document.map_err(backend)?.as_ref().to_vec(),
    ))
}

/// Checks that `pkcs8`, imported DER PKCS #8 `PrivateKeyInfo`, is a valid private key of
/// exactly `spec`: the modulus size, the curve or the ML-DSA parameter set must match, and
/// nothing may follow the DER. The caller stores the input bytes themselves, since AWS binds an
/// asymmetric key to byte-identical material (SPEC.md A27).
///
/// Anything else is [`CryptoError::KeyMismatch`], whatever was wrong with it.
pub fn check_private_key(spec: AsymmetricSpec, pkcs8: &[u8]) -> Result<(), CryptoError> {
    // Parse as the spec's family; aws-lc checks the key's consistency while parsing.
    load(spec, pkcs8)?;

    // An RSA modulus must have exactly the spec's bit length, not merely its byte length.
    if let Some(bits) = spec.rsa_bits() {
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| CryptoError::KeyMismatch)?;
        if key.key_size_bits() != bits {
            return Err(CryptoError::KeyMismatch);
        }
    }
    Ok(())
}

/// The public key of the private key `pkcs8` of `spec`, as DER SubjectPublicKeyInfo (the
/// `PublicKey` of GetPublicKey).
pub fn public_key_der(spec: AsymmetricSpec, pkcs8: &[u8]) -> Result<Vec<u8>, CryptoError> {
    load(spec, pkcs8)?.public_der()
}

/// Parses `pkcs8` as a private key of `spec`; [`CryptoError::KeyMismatch`] if it is not one.
pub(super) fn load(spec: AsymmetricSpec, pkcs8: &[u8]) -> Result<KeyPair, CryptoError> {
    // aws-lc reads the first DER element and ignores what follows; kmsd refuses trailing bytes.
    if !is_one_der_element(pkcs8) {
        return Err(CryptoError::KeyMismatch);
    }

    // Parse with the family's type, which also checks the curve or parameter set.
    let mismatch = |_| CryptoError::KeyMismatch;
    let pair = if let Some(size) = rsa_key_size(spec) {
        let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(mismatch)?;
        if pair.public_modulus_len() != size.len() {
            return Err(CryptoError::KeyMismatch);
        }
        KeyPair::Rsa(pair)
    } else if let Some(alg) = ecdsa_algorithm(spec) {
        KeyPair::Ecdsa(EcdsaKeyPair::from_pkcs8(alg, pkcs8).map_err(mismatch)?)
    } else if let Some(alg) = ml_dsa_algorithm(spec) {
        KeyPair::MlDsa(PqdsaKeyPair::from_pkcs8(alg, pkcs8).map_err(mismatch)?)
    } else {
        KeyPair::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(mismatch)?)
    };
    Ok(pair)
}

/// Whether `der` is exactly one DER element with a definite length (X.690 §8.1.3), with
/// nothing after it.
pub(super) fn is_one_der_element(der: &[u8]) -> bool {
    // The identifier octet, then the first length octet.
    let Some(&first_len) = der.get(1) else {
        return false;
    };

    // Short form: the length itself. Long form: 1 to 4 octets that hold it, big-endian.
    let (header, len) = if first_len < 0x80 {
        (2, usize::from(first_len))
    } else {
        let octets = usize::from(first_len & 0x7f);
        if octets == 0 || octets > 4 {
            return false;
        }
        let Some(bytes) = der.get(2..2 + octets) else {
            return false;
        };
        let len = bytes
            .iter()
            .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
        (2 + octets, len)
    };
    header.checked_add(len) == Some(der.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_element_lengths() {
        assert!(is_one_der_element(&[0x30, 0x00]));
        assert!(is_one_der_element(&[0x30, 0x01, 0x05]));
        assert!(!is_one_der_element(&[0x30, 0x01, 0x05, 0x00]));
        assert!(!is_one_der_element(&[0x30, 0x02, 0x05]));
        assert!(!is_one_der_element(&[0x30]));
        assert!(!is_one_der_element(&[]));
        let mut long = vec![0x30, 0x82, 0x01, 0x00];
        long.resize(4 + 256, 0);
        assert!(is_one_der_element(&long));
        long.push(0);
        assert!(!is_one_der_element(&long));
        assert!(!is_one_der_element(&[0x30, 0x80, 0x00, 0x00]));
        assert!(!is_one_der_element(&[0x30, 0x85, 1, 1, 1, 1, 1]));
        assert!(!is_one_der_element(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]));
    }

    #[test]
    fn a_generated_key_checks_and_others_do_not() {
        let p256 = generate_private_key(AsymmetricSpec::EccNistP256).unwrap();
        check_private_key(AsymmetricSpec::EccNistP256, p256.expose()).unwrap();
        for other in [
            AsymmetricSpec::EccNistP384,
            AsymmetricSpec::EccSecgP256k1,
            AsymmetricSpec::EccNistEdwards25519,
            AsymmetricSpec::Rsa2048,
            AsymmetricSpec::MlDsa44,
        ] {
            let err = check_private_key(other, p256.expose()).unwrap_err();
            assert_eq!(err, CryptoError::KeyMismatch, "{other:?}");
        }
        let mut longer = p256.expose().to_vec();
        longer.push(0);
        assert_eq!(
            check_private_key(AsymmetricSpec::EccNistP256, &longer).unwrap_err(),
            CryptoError::KeyMismatch
        );
    }
}
