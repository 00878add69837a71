//! DeriveSharedSecret: ECDH (SEC 1 §3.3.1, `ECDH` key agreement algorithm) between a
//! KEY_AGREEMENT key on a NIST curve and a peer's public key.
//!
//! AWS takes the peer's key only as DER SubjectPublicKeyInfo and returns the raw shared secret,
//! the x-coordinate of the shared point, without a KDF; so does this module. A bare or
//! compressed point, a key on another curve or any byte after the DER is refused.

use aws_lc_rs::agreement::{
    self, Algorithm, ParsedPublicKey, ParsedPublicKeyFormat, PrivateKey, UnparsedPublicKey,
    ECDH_P256, ECDH_P384, ECDH_P521,
};

use super::keys::{is_one_der_element, load};
use super::AsymmetricSpec;
use crate::{CryptoError, SecretBytes};

/// The aws-lc-rs agreement algorithm of a NIST curve spec.
fn ecdh_algorithm(spec: AsymmetricSpec) -> Option<&'static Algorithm> {
    match spec {
        AsymmetricSpec::EccNistP256 => Some(&ECDH_P256),
        AsymmetricSpec::EccNistP384 => Some(&ECDH_P384),
        AsymmetricSpec::EccNistP521 => Some(&ECDH_P521),
        _ => None,
    }
}

/// The raw ECDH shared secret of the private key `pkcs8` of `spec` and the peer's public key
/// `peer_spki_der` (DER SubjectPublicKeyInfo).
///
/// A spec that is not a NIST curve is [`CryptoError::UnsupportedKeySpec`]; a private key not of
/// the spec is [`CryptoError::KeyMismatch`]; a peer key that is not a valid SPKI point on the
/// same curve is [`CryptoError::Format`].
pub fn ecdh(
    spec: AsymmetricSpec,
    pkcs8: &[u8],
    peer_spki_der: &[u8],
) -> Result<SecretBytes, CryptoError> {
    // Check our key as every operation does (PKCS #8 only, on the spec's curve), then parse
    // it again as an agreement key, which would also have read a bare RFC 5915 key.
    let alg = ecdh_algorithm(spec).ok_or(CryptoError::UnsupportedKeySpec)?;
    load(spec, pkcs8)?;
    let private =
        PrivateKey::from_private_key_der(alg, pkcs8).map_err(|_| CryptoError::KeyMismatch)?;

    // Parse the peer's key; aws-lc also reads bare points, which AWS does not accept.
    if !is_one_der_element(peer_spki_der) {
        return Err(CryptoError::Format);
    }
    let peer = ParsedPublicKey::try_from(UnparsedPublicKey::new(alg, peer_spki_der))
        .map_err(|_| CryptoError::Format)?;
    if peer.format() != ParsedPublicKeyFormat::X509 {
        return Err(CryptoError::Format);
    }

    // Agree, copying the secret straight into a buffer that is zeroed on drop.
    agreement::agree(&private, peer, CryptoError::Format, |shared| {
        Ok(SecretBytes::new(shared.to_vec()))
    })
}
