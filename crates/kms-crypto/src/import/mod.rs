//! Importing key material: the RSA wrapping key pairs and import tokens of
//! GetParametersForImport, and the unwrapping of ImportKeyMaterial (ARCHITECTURE.md, "Imported
//! key material"; SPEC.md A6-A20).
//!
//! The AWS guide pages implemented are "Download the public key and import token"
//! (importing-keys-get-public-key-and-token) and "Encrypt key material"
//! (importing-keys-encrypt-key-material). The wrapping constructions are RSA-OAEP (RFC 8017,
//! section 7.1) and, for `RSA_AES_KEY_WRAP_*`, the PKCS #11 `CKM_RSA_AES_KEY_WRAP` mechanism:
//! RSA-OAEP of an ephemeral AES key followed by AES Key Wrap with Padding (RFC 5649).
//!
//! - [`WrappingKeyPair`] is one fresh RSA key pair; [`KeyPairPool`] keeps a few of each size
//!   ready, because RSA generation is too slow to do while a client waits.
//! - [`issue_token`] seals the private half, with everything the import needs, into an opaque
//!   token bound to one key ARN; [`open_token`] gives it back as an [`OpenedToken`].
//! - [`OpenedToken::unwrap_material`] recovers the plaintext material, and fails the same way
//!   and with the same work whatever went wrong, so a token is no decryption oracle.

mod kwp;
mod pair;
mod pool;
mod token;
mod unwrap;

pub use self::pair::WrappingKeyPair;
pub use self::pool::KeyPairPool;
pub use self::token::{issue_token, open_token, OpenedToken, MAX_TOKEN_LEN};

use aws_lc_rs::rsa::{KeySize, OaepAlgorithm, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256};

/// The size of an RSA wrapping key (the `WrappingKeySpec` of GetParametersForImport).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrappingKeySpec {
    /// `RSA_2048`: a 2048-bit modulus.
    Rsa2048,
    /// `RSA_3072`: a 3072-bit modulus.
    Rsa3072,
    /// `RSA_4096`: a 4096-bit modulus.
    Rsa4096,
}

impl WrappingKeySpec {
    /// Every wrapping key spec, smallest first.
    pub const ALL: [Self; 3] = [Self::Rsa2048, Self::Rsa3072, Self::Rsa4096];

    /// The length of the modulus in bytes, which is also the length of an RSA ciphertext.
    pub fn modulus_bytes(self) -> usize {
        match self {
            Self::Rsa2048 => 256,
            Self::Rsa3072 => 384,
            Self::Rsa4096 => 512,
        }
    }

    /// The name on the wire, such as `RSA_2048`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
        }
    }

    /// The spec with the wire name `name`, or `None` for any other (such as `SM2`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.name() == name)
    }

    /// The aws-lc key size to generate.
    fn key_size(self) -> KeySize {
        match self {
            Self::Rsa2048 => KeySize::Rsa2048,
            Self::Rsa3072 => KeySize::Rsa3072,
            Self::Rsa4096 => KeySize::Rsa4096,
        }
    }

    /// The byte that stands for the spec inside an import token.
    fn code(self) -> u8 {
        match self {
            Self::Rsa2048 => 1,
            Self::Rsa3072 => 2,
            Self::Rsa4096 => 3,
        }
    }

    /// The spec a token byte stands for.
    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.code() == code)
    }
}

/// How the client wrapped the material (the `WrappingAlgorithm` of GetParametersForImport,
/// without the retired `RSAES_PKCS1_V1_5` and the China-only `SM2PKE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappingAlgorithm {
    /// `RSAES_OAEP_SHA_1`: RSA-OAEP with SHA-1 as OAEP and MGF1 hash.
    RsaesOaepSha1,
    /// `RSAES_OAEP_SHA_256`: RSA-OAEP with SHA-256 as OAEP and MGF1 hash.
    RsaesOaepSha256,
    /// `RSA_AES_KEY_WRAP_SHA_1`: RSA-OAEP (SHA-1) of an AES key, then RFC 5649 key wrap.
    RsaAesKeyWrapSha1,
    /// `RSA_AES_KEY_WRAP_SHA_256`: RSA-OAEP (SHA-256) of an AES key, then RFC 5649 key wrap.
    RsaAesKeyWrapSha256,
}

impl WrappingAlgorithm {
    /// Every supported wrapping algorithm.
    pub const ALL: [Self; 4] = [
        Self::RsaesOaepSha1,
        Self::RsaesOaepSha256,
        Self::RsaAesKeyWrapSha1,
        Self::RsaAesKeyWrapSha256,
    ];

    /// The name on the wire, such as `RSAES_OAEP_SHA_256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            Self::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        }
    }

    /// The algorithm with the wire name `name`, or `None` for any other.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// Whether the material is key-wrapped under an RSA-wrapped AES key (`RSA_AES_KEY_WRAP_*`)
    /// rather than RSA-encrypted itself.
    pub fn uses_key_wrap(self) -> bool {
        matches!(self, Self::RsaAesKeyWrapSha1 | Self::RsaAesKeyWrapSha256)
    }

    /// The OAEP parameters: OAEP hash and MGF1 hash are the same function.
    fn oaep(self) -> &'static OaepAlgorithm {
        match self {
            Self::RsaesOaepSha1 | Self::RsaAesKeyWrapSha1 => &OAEP_SHA1_MGF1SHA1,
            Self::RsaesOaepSha256 | Self::RsaAesKeyWrapSha256 => &OAEP_SHA256_MGF1SHA256,
        }
    }

    /// The byte that stands for the algorithm inside an import token.
    fn code(self) -> u8 {
        match self {
            Self::RsaesOaepSha1 => 1,
            Self::RsaesOaepSha256 => 2,
            Self::RsaAesKeyWrapSha1 => 3,
            Self::RsaAesKeyWrapSha256 => 4,
        }
    }

    /// The algorithm a token byte stands for.
    fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_their_modulus() {
        let bytes: Vec<usize> = WrappingKeySpec::ALL
            .iter()
            .map(|s| s.modulus_bytes())
            .collect();
        assert_eq!(bytes, [256, 384, 512]);
        for spec in WrappingKeySpec::ALL {
            assert_eq!(spec.key_size().len(), spec.modulus_bytes());
            assert_eq!(WrappingKeySpec::from_name(spec.name()), Some(spec));
            assert_eq!(WrappingKeySpec::from_code(spec.code()), Some(spec));
        }
        assert_eq!(WrappingKeySpec::from_name("SM2"), None);
        assert_eq!(WrappingKeySpec::from_code(0), None);
    }

    #[test]
    fn algorithms_round_trip_names_and_codes() {
        for alg in WrappingAlgorithm::ALL {
            assert_eq!(WrappingAlgorithm::from_name(alg.name()), Some(alg));
            assert_eq!(WrappingAlgorithm::from_code(alg.code()), Some(alg));
        }
        assert_eq!(WrappingAlgorithm::from_name("RSAES_PKCS1_V1_5"), None);
        assert_eq!(WrappingAlgorithm::from_name("SM2PKE"), None);
        assert_eq!(WrappingAlgorithm::from_code(5), None);
        assert!(WrappingAlgorithm::RsaAesKeyWrapSha1.uses_key_wrap());
        assert!(!WrappingAlgorithm::RsaesOaepSha256.uses_key_wrap());
    }
}
