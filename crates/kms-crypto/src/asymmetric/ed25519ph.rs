//! `ED25519_PH_SHA_512`: HashEdDSA Ed25519ph (RFC 8032 §5.1, phflag 1, empty context), which
//! aws-lc-rs does not expose, from `ed25519-dalek`.
//!
//! The key is the one aws-lc-rs parsed from the PKCS #8: its 32-byte seed goes to dalek, and
//! the public key dalek derives must equal aws-lc's before anything is signed. The message (the
//! 64-byte DIGEST of the request) is the Ed25519ph input M, so PH(M) = SHA-512(M) is computed
//! here, as `openssl pkeyutl -rawin -pkeyopt instance:Ed25519ph` computes it over the same
//! bytes.

use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use ed25519_dalek::{Digest, Sha512, Signature, SigningKey, VerifyingKey, SECRET_KEY_LENGTH};
use zeroize::Zeroizing;

use crate::CryptoError;

/// The Ed25519ph signature of `message` by `pair`.
pub(super) fn sign(pair: &Ed25519KeyPair, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    // Copy the seed out of aws-lc into a buffer that is zeroed on drop.
    let seed = pair
        .seed()
        .and_then(|seed| seed.as_be_bytes())
        .map_err(|_| CryptoError::Backend)?;
    let mut secret = Zeroizing::new([0u8; SECRET_KEY_LENGTH]);
    if seed.as_ref().len() != SECRET_KEY_LENGTH {
        return Err(CryptoError::Backend);
    }
    secret.copy_from_slice(seed.as_ref());

    // The same key in both libraries, or no signature.
    let key = SigningKey::from_bytes(&secret);
    if key.verifying_key().as_bytes().as_slice() != pair.public_key().as_ref() {
        return Err(CryptoError::Backend);
    }

    // Sign the SHA-512 prehash of the message.
    let signature = key
        .sign_prehashed(Sha512::new_with_prefix(message), None)
        .map_err(|_| CryptoError::Backend)?;
    Ok(signature.to_bytes().to_vec())
}

/// Whether `signature` is an Ed25519ph signature of `message` under the 32-byte public key
/// `public`; false for malformed keys and signatures.
pub(super) fn verify(public: &[u8], message: &[u8], signature: &[u8]) -> bool {
    // Decode the point and the signature; either failing means no valid signature.
    let Ok(public) = <[u8; 32]>::try_from(public) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };

    // Check the prehashed message against it.
    key.verify_prehashed(Sha512::new_with_prefix(message), None, &signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.3, the Ed25519ph test vector: the key, the message "abc" and its signature.
    const SEED: &str = "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42";
    const PUBLIC: &str = "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
    const SIGNATURE: &str = "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41\
                             31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";

    /// The RFC's key as an aws-lc-rs key pair.
    fn rfc_pair() -> Ed25519KeyPair {
        let seed = hex::decode(SEED).unwrap();
        let public = hex::decode(PUBLIC).unwrap();
        Ed25519KeyPair::from_seed_and_public_key(&seed, &public).unwrap()
    }

    #[test]
    fn the_rfc_8032_vector_signs_and_verifies() {
        let signature = sign(&rfc_pair(), b"abc").unwrap();
        assert_eq!(hex::encode(&signature), SIGNATURE);
        let public = hex::decode(PUBLIC).unwrap();
        assert!(verify(&public, b"abc", &signature));
        assert!(!verify(&public, b"abd", &signature));
    }

    #[test]
    fn malformed_inputs_do_not_verify() {
        let public = hex::decode(PUBLIC).unwrap();
        let signature = hex::decode(SIGNATURE).unwrap();
        assert!(!verify(&public[..31], b"abc", &signature));
        assert!(!verify(&public, b"abc", &signature[..63]));
        assert!(!verify(&[0xff; 32], b"abc", &signature));
        let mut high_s = signature.clone();
        high_s[63] = 0xff;
        assert!(!verify(&public, b"abc", &high_s));
    }
}
