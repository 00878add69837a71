//! Import tokens: the private half of a wrapping key pair, sealed for the client to hand back
//! with ImportKeyMaterial (SPEC.md A6, A10; ARCHITECTURE.md, "Imported key material").
//!
//! A token is
//!
//! ```text
//! token version = 1 (1 byte) | sealed blob (Sealer, Purpose::ImportToken)
//! ```
//!
//! and the sealed plaintext is
//!
//! ```text
//! token version (1) | algorithm (1) | wrapping key spec (1) | expiry, Unix ms (8, big-endian)
//!   | wrapping private key, DER PKCS #8
//! ```
//!
//! The associated data is a domain label, the token version and the key ARN, so a token opens
//! for the key it was issued for and no other, and no field can be changed or read. Nothing but
//! the version byte (and the sealed blob's own root key ID and nonce) is in the clear. Tokens
//! need no database row: the token is the state.

use std::fmt;

use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
use zeroize::Zeroizing;

use super::{WrappingAlgorithm, WrappingKeyPair, WrappingKeySpec};
use crate::{CryptoError, Purpose, Sealer};

/// Version byte of the token format, outside and inside the sealed blob.
const TOKEN_VERSION: u8 = 1;

/// Domain label at the start of the associated data, so the AAD is no other format's.
const AAD_LABEL: &[u8] = b"kmsd import token\0";

/// Bytes of the sealed plaintext before the PKCS #8 key: version, algorithm, spec, expiry.
const FIELDS_LEN: usize = 1 + 1 + 1 + 8;

/// The largest `ImportToken` the API allows (SPEC.md A6). An RSA-4096 token is under half of it.
pub const MAX_TOKEN_LEN: usize = 6144;

/// What an import token proves once opened: the wrapping parameters it was issued with, and
/// the private key that unwraps material for it. `Debug` leaves the key out.
pub struct OpenedToken {
    /// The wrapping algorithm requested in GetParametersForImport.
    pub algorithm: WrappingAlgorithm,
    /// The size of the wrapping key.
    pub spec: WrappingKeySpec,
    /// When the token and its public key stop being valid, in Unix milliseconds; the caller
    /// compares it with its clock.
    pub expires_at_millis: i64,
    /// The wrapping private key.
    pub(super) private: OaepPrivateDecryptingKey,
}

impl fmt::Debug for OpenedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedToken")
            .field("algorithm", &self.algorithm)
            .field("spec", &self.spec)
            .field("expires_at_millis", &self.expires_at_millis)
            .field("private", &"[redacted]")
            .finish()
    }
}

/// Seals an import token for `key_arn`: opaque to the client, bound to the ARN, carrying the
/// version, the algorithm, the spec, the expiry and the wrapping private key of `pair`, all
/// authenticated under the root key's import-token key.
pub fn issue_token(
    sealer: &Sealer,
    pair: &WrappingKeyPair,
    key_arn: &str,
    algorithm: WrappingAlgorithm,
    expires_at_millis: i64,
) -> Vec<u8> {
    // Lay out the fields and the private key in a buffer that is zeroed on drop.
    let pkcs8 = pair.private_pkcs8();
    let mut plaintext = Zeroizing::new(Vec::with_capacity(FIELDS_LEN + pkcs8.len()));
    plaintext.push(TOKEN_VERSION);
    plaintext.push(algorithm.code());
    plaintext.push(pair.spec().code());
    plaintext.extend_from_slice(&expires_at_millis.to_be_bytes());
    plaintext.extend_from_slice(pkcs8);

    // Seal it bound to the ARN, behind the version byte.
    let sealed = sealer.seal(Purpose::ImportToken, &associated_data(key_arn), &plaintext);
    let mut token = Vec::with_capacity(1 + sealed.len());
    token.push(TOKEN_VERSION);
    token.extend_from_slice(&sealed);
    token
}

/// Opens a token issued for `key_arn`.
///
/// A token of another key, under a root key this sealer does not hold, altered, truncated or
/// not a token at all is [`CryptoError::Authentication`], whichever check failed. Expiry is not
/// checked here.
pub fn open_token(
    sealer: &Sealer,
    token: &[u8],
    key_arn: &str,
) -> Result<OpenedToken, CryptoError> {
    // Check the version byte and open the sealed blob; every failure is the same one.
    let sealed = match token.split_first() {
        Some((&TOKEN_VERSION, sealed)) => sealed,
        _ => return Err(CryptoError::Authentication),
    };
    let plaintext = sealer
        .open(Purpose::ImportToken, &associated_data(key_arn), sealed)
        .map_err(|_| CryptoError::Authentication)?;

    // The blob is authentic, so its fields were written by `issue_token`; parse them anyway
    // rather than trust the layout.
    parse_plaintext(plaintext.expose()).ok_or(CryptoError::Authentication)
}

/// The fields and key of an opened token, or `None` if they do not have the token's layout or
/// the key does not have the token's size.
fn parse_plaintext(plaintext: &[u8]) -> Option<OpenedToken> {
    // Split off the fixed fields.
    if plaintext.len() < FIELDS_LEN || plaintext[0] != TOKEN_VERSION {
        return None;
    }
    let algorithm = WrappingAlgorithm::from_code(plaintext[1])?;
    let spec = WrappingKeySpec::from_code(plaintext[2])?;
    let mut expiry = [0u8; 8];
    expiry.copy_from_slice(&plaintext[3..FIELDS_LEN]);

    // Load the private key and check that it is of the spec the token names.
    let private = PrivateDecryptingKey::from_pkcs8(&plaintext[FIELDS_LEN..]).ok()?;
    if private.key_size_bytes() != spec.modulus_bytes() {
        return None;
    }
    Some(OpenedToken {
        algorithm,
        spec,
        expires_at_millis: i64::from_be_bytes(expiry),
        private: OaepPrivateDecryptingKey::new(private).ok()?,
    })
}

/// The associated data of a token for `key_arn`: label, version, ARN (last, so no two ARNs give
/// the same bytes).
fn associated_data(key_arn: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 1 + key_arn.len());
    aad.extend_from_slice(AAD_LABEL);
    aad.push(TOKEN_VERSION);
    aad.extend_from_slice(key_arn.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::RootKey;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn sealer() -> Sealer {
        Sealer::new(RootKey::from_bytes(&[7; 32]).unwrap())
    }

    fn pair() -> &'static WrappingKeyPair {
        static PAIR: OnceLock<WrappingKeyPair> = OnceLock::new();
        PAIR.get_or_init(|| WrappingKeyPair::generate(WrappingKeySpec::Rsa2048).unwrap())
    }

    #[test]
    fn round_trips_every_field() {
        let sealer = sealer();
        for algorithm in WrappingAlgorithm::ALL {
            for expiry in [0, -1, 1_700_000_000_000, i64::MAX, i64::MIN] {
                let token = issue_token(&sealer, pair(), ARN, algorithm, expiry);
                let opened = open_token(&sealer, &token, ARN).unwrap();
                assert_eq!(opened.algorithm, algorithm);
                assert_eq!(opened.spec, WrappingKeySpec::Rsa2048);
                assert_eq!(opened.expires_at_millis, expiry);
                assert_eq!(opened.private.key_size_bytes(), 256);
            }
        }
    }

    #[test]
    fn only_the_version_byte_is_fixed() {
        let sealer = sealer();
        let token = issue_token(&sealer, pair(), ARN, WrappingAlgorithm::RsaesOaepSha1, 5);
        assert_eq!(token[0], TOKEN_VERSION);
        // The body is a sealed blob of the fields and the key, nothing else.
        assert_eq!(
            token.len(),
            1 + 1 + 8 + 12 + FIELDS_LEN + pair().private_pkcs8().len() + 16
        );
        let pkcs8 = pair().private_pkcs8();
        assert!(!token.windows(16).any(|w| pkcs8.windows(16).any(|k| k == w)));
    }

    #[test]
    fn another_arn_fails() {
        let sealer = sealer();
        let token = issue_token(&sealer, pair(), ARN, WrappingAlgorithm::RsaesOaepSha1, 5);
        for other in ["", &ARN[..ARN.len() - 1], &format!("{ARN}x")] {
            let err = open_token(&sealer, &token, other).unwrap_err();
            assert_eq!(err, CryptoError::Authentication);
        }
    }

    #[test]
    fn another_root_key_fails_as_authentication() {
        let token = issue_token(&sealer(), pair(), ARN, WrappingAlgorithm::RsaesOaepSha1, 5);
        let other = Sealer::new(RootKey::from_bytes(&[8; 32]).unwrap());
        let err = open_token(&other, &token, ARN).unwrap_err();
        assert_eq!(err, CryptoError::Authentication);
    }

    #[test]
    fn fields_are_checked_after_opening() {
        let sealer = sealer();
        let aad = associated_data(ARN);
        let good = {
            let token = issue_token(&sealer, pair(), ARN, WrappingAlgorithm::RsaesOaepSha1, 5);
            sealer
                .open(Purpose::ImportToken, &aad, &token[1..])
                .unwrap()
        };
        // Reseal altered plaintexts: each must be refused although the seal is valid.
        let mut bad_version = good.expose().to_vec();
        bad_version[0] = 2;
        let mut bad_algorithm = good.expose().to_vec();
        bad_algorithm[1] = 9;
        let mut bad_spec = good.expose().to_vec();
        bad_spec[2] = WrappingKeySpec::Rsa4096.code();
        let short = good.expose()[..FIELDS_LEN - 1].to_vec();
        let no_key = good.expose()[..FIELDS_LEN].to_vec();
        for plaintext in [bad_version, bad_algorithm, bad_spec, short, no_key] {
            let mut token = vec![TOKEN_VERSION];
            token.extend(sealer.seal(Purpose::ImportToken, &aad, &plaintext));
            let err = open_token(&sealer, &token, ARN).unwrap_err();
            assert_eq!(err, CryptoError::Authentication);
        }
    }

    #[test]
    fn empty_and_foreign_versions_fail() {
        let sealer = sealer();
        let mut token = issue_token(&sealer, pair(), ARN, WrappingAlgorithm::RsaesOaepSha1, 5);
        assert_eq!(
            open_token(&sealer, &[], ARN).unwrap_err(),
            CryptoError::Authentication
        );
        token[0] = 2;
        assert_eq!(
            open_token(&sealer, &token, ARN).unwrap_err(),
            CryptoError::Authentication
        );
    }

    #[test]
    fn debug_leaves_the_key_out() {
        let sealer = sealer();
        let token = issue_token(&sealer, pair(), ARN, WrappingAlgorithm::RsaesOaepSha256, 42);
        let opened = open_token(&sealer, &token, ARN).unwrap();
        assert_eq!(
            format!("{opened:?}"),
            "OpenedToken { algorithm: RsaesOaepSha256, spec: Rsa2048, \
             expires_at_millis: 42, private: \"[redacted]\" }"
        );
    }
}
