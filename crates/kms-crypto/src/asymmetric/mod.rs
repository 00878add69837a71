//! Asymmetric KMS keys: signing (Sign, Verify), RSA encryption (Encrypt, Decrypt with an RSA
//! key), key agreement (DeriveSharedSecret) and the key pairs behind them (CreateKey,
//! ImportKeyMaterial, GetPublicKey).
//!
//! The AWS pages implemented are "Asymmetric key specs" (symm-asymm-choose-key-spec), "Signing
//! algorithms" (the `SigningAlgorithm` and `MessageType` members of the Sign API) and "Key
//! agreement" (DeriveSharedSecret). This crate does not depend on kms-model, so the key specs
//! and algorithms it serves have their own enums here, named on the wire exactly as AWS names
//! them.
//!
//! A private key travels as DER PKCS #8 `PrivateKeyInfo` (RFC 5208), which is both how it is
//! stored and how a client imports it (SPEC.md A19); every operation parses it again and checks
//! it is of the key's spec. Public keys leave as DER `SubjectPublicKeyInfo` (RFC 5280).
//!
//! Almost everything is aws-lc-rs: RSA PKCS #1 v1.5 and PSS (RFC 8017), ECDSA on P-256, P-384,
//! P-521 and secp256k1 with DER signatures, Ed25519 (RFC 8032), ML-DSA (FIPS 204), RSA-OAEP and
//! ECDH. Two variants aws-lc-rs has no safe API for come from RustCrypto crates instead:
//!
//! - Ed25519ph (RFC 8032 §5.1, empty context) from `ed25519-dalek`, keyed by the seed aws-lc-rs
//!   parsed from the PKCS #8.
//! - ML-DSA with an external μ (FIPS 204 §6.2, `MessageType` `EXTERNAL_MU`) from `ml-dsa`,
//!   keyed by the seed-form PKCS #8 aws-lc-rs writes of the same key, with the public keys
//!   compared before use. A key imported without its seed (expanded form only) has no seed to
//!   give, so EXTERNAL_MU answers [`SignError::Unsupported`] for it.
//!
//! kmsd accepts exactly the message types AWS documents: RAW for every algorithm except
//! `ED25519_PH_SHA_512`; DIGEST for RSA, ECDSA and `ED25519_PH_SHA_512` (whose 64 bytes are then
//! the Ed25519ph message, hashed once more inside it, as `openssl pkeyutl -rawin -pkeyopt
//! instance:Ed25519ph` does); EXTERNAL_MU for ML-DSA alone.

mod agreement;
mod ed25519ph;
mod external_mu;
mod keys;
mod rsa_oaep;
mod sign;

pub use self::agreement::ecdh;
pub use self::keys::{check_private_key, generate_private_key, public_key_der};
pub use self::rsa_oaep::{rsa_oaep_decrypt, rsa_oaep_encrypt, rsa_oaep_max_plaintext};
pub use self::sign::{digest_len, sign, verify};

use crate::CryptoError;

/// The key spec of an asymmetric KMS key (the asymmetric members of `KeySpec`, without the
/// China-only `SM2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsymmetricSpec {
    /// `RSA_2048`: an RSA key with a 2048-bit modulus.
    Rsa2048,
    /// `RSA_3072`: an RSA key with a 3072-bit modulus.
    Rsa3072,
    /// `RSA_4096`: an RSA key with a 4096-bit modulus.
    Rsa4096,
    /// `ECC_NIST_P256`: NIST P-256 (secp256r1).
    EccNistP256,
    /// `ECC_NIST_P384`: NIST P-384 (secp384r1).
    EccNistP384,
    /// `ECC_NIST_P521`: NIST P-521 (secp521r1).
    EccNistP521,
    /// `ECC_SECG_P256K1`: secp256k1, signing only.
    EccSecgP256k1,
    /// `ECC_NIST_EDWARDS25519`: Ed25519, signing only.
    EccNistEdwards25519,
    /// `ML_DSA_44`: ML-DSA-44 (FIPS 204), signing only.
    MlDsa44,
    /// `ML_DSA_65`: ML-DSA-65 (FIPS 204), signing only.
    MlDsa65,
    /// `ML_DSA_87`: ML-DSA-87 (FIPS 204), signing only.
    MlDsa87,
}

impl AsymmetricSpec {
    /// Every asymmetric spec, in the order of the `KeySpec` enum.
    pub const ALL: [Self; 11] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EccNistP256,
        Self::EccNistP384,
        Self::EccNistP521,
        Self::EccSecgP256k1,
        Self::EccNistEdwards25519,
        Self::MlDsa44,
        Self::MlDsa65,
        Self::MlDsa87,
    ];

    /// The spec with the wire name `aws_name` (such as `ECC_NIST_P256`), or `None` for any other
    /// name, symmetric and HMAC specs included.
    pub fn parse(aws_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.as_str() == aws_name)
    }

    /// The name on the wire, such as `RSA_2048`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EccNistP256 => "ECC_NIST_P256",
            Self::EccNistP384 => "ECC_NIST_P384",
            Self::EccNistP521 => "ECC_NIST_P521",
            Self::EccSecgP256k1 => "ECC_SECG_P256K1",
            Self::EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
            Self::MlDsa44 => "ML_DSA_44",
            Self::MlDsa65 => "ML_DSA_65",
            Self::MlDsa87 => "ML_DSA_87",
        }
    }

    /// Whether this is an RSA spec, the only kind that can be an ENCRYPT_DECRYPT key.
    pub fn is_rsa(&self) -> bool {
        self.rsa_bits().is_some()
    }

    /// Whether this is a NIST prime curve (P-256, P-384, P-521), the only kind that can be a
    /// KEY_AGREEMENT key.
    pub fn is_nist_ecc(&self) -> bool {
        matches!(
            self,
            Self::EccNistP256 | Self::EccNistP384 | Self::EccNistP521
        )
    }

    /// The modulus size in bits of an RSA spec.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// The signing algorithms a SIGN_VERIFY key of this spec offers, in the order DescribeKey
    /// lists them.
    pub fn signing_algorithms(&self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm as A;
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[
                A::RsassaPkcs1V15Sha256,
                A::RsassaPkcs1V15Sha384,
                A::RsassaPkcs1V15Sha512,
                A::RsassaPssSha256,
                A::RsassaPssSha384,
                A::RsassaPssSha512,
            ],
            Self::EccNistP256 | Self::EccSecgP256k1 => &[A::EcdsaSha256],
            Self::EccNistP384 => &[A::EcdsaSha384],
            Self::EccNistP521 => &[A::EcdsaSha512],
            Self::EccNistEdwards25519 => &[A::Ed25519Sha512, A::Ed25519PhSha512],
            Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => &[A::MlDsaShake256],
        }
    }
}

/// A signing algorithm of Sign and Verify (`SigningAlgorithmSpec`, without the China-only
/// `SM2DSA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// `RSASSA_PSS_SHA_256`: RSASSA-PSS, SHA-256, MGF1 with SHA-256, 32-byte salt.
    RsassaPssSha256,
    /// `RSASSA_PSS_SHA_384`: RSASSA-PSS, SHA-384, MGF1 with SHA-384, 48-byte salt.
    RsassaPssSha384,
    /// `RSASSA_PSS_SHA_512`: RSASSA-PSS, SHA-512, MGF1 with SHA-512, 64-byte salt.
    RsassaPssSha512,
    /// `RSASSA_PKCS1_V1_5_SHA_256`: RSASSA-PKCS1-v1_5 with SHA-256.
    RsassaPkcs1V15Sha256,
    /// `RSASSA_PKCS1_V1_5_SHA_384`: RSASSA-PKCS1-v1_5 with SHA-384.
    RsassaPkcs1V15Sha384,
    /// `RSASSA_PKCS1_V1_5_SHA_512`: RSASSA-PKCS1-v1_5 with SHA-512.
    RsassaPkcs1V15Sha512,
    /// `ECDSA_SHA_256`: ECDSA with SHA-256, DER signature.
    EcdsaSha256,
    /// `ECDSA_SHA_384`: ECDSA with SHA-384, DER signature.
    EcdsaSha384,
    /// `ECDSA_SHA_512`: ECDSA with SHA-512, DER signature.
    EcdsaSha512,
    /// `ML_DSA_SHAKE_256`: ML-DSA (FIPS 204) with an empty context.
    MlDsaShake256,
    /// `ED25519_SHA_512`: PureEdDSA Ed25519.
    Ed25519Sha512,
    /// `ED25519_PH_SHA_512`: HashEdDSA Ed25519ph with an empty context.
    Ed25519PhSha512,
}

impl SigningAlgorithm {
    /// Every signing algorithm, in the order of the `SigningAlgorithmSpec` enum.
    pub const ALL: [Self; 12] = [
        Self::RsassaPssSha256,
        Self::RsassaPssSha384,
        Self::RsassaPssSha512,
        Self::RsassaPkcs1V15Sha256,
        Self::RsassaPkcs1V15Sha384,
        Self::RsassaPkcs1V15Sha512,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
        Self::EcdsaSha512,
        Self::MlDsaShake256,
        Self::Ed25519Sha512,
        Self::Ed25519PhSha512,
    ];

    /// The algorithm with the wire name `aws_name`, or `None` for any other (such as `SM2DSA`).
    pub fn parse(aws_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == aws_name)
    }

    /// The name on the wire, such as `RSASSA_PSS_SHA_256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RsassaPssSha256 => "RSASSA_PSS_SHA_256",
            Self::RsassaPssSha384 => "RSASSA_PSS_SHA_384",
            Self::RsassaPssSha512 => "RSASSA_PSS_SHA_512",
            Self::RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
            Self::RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
            Self::RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
            Self::EcdsaSha256 => "ECDSA_SHA_256",
            Self::EcdsaSha384 => "ECDSA_SHA_384",
            Self::EcdsaSha512 => "ECDSA_SHA_512",
            Self::MlDsaShake256 => "ML_DSA_SHAKE_256",
            Self::Ed25519Sha512 => "ED25519_SHA_512",
            Self::Ed25519PhSha512 => "ED25519_PH_SHA_512",
        }
    }
}

/// What the `Message` of Sign or Verify is (`MessageType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `RAW`: the message itself; the algorithm hashes it (the default on the wire).
    Raw,
    /// `DIGEST`: the message is already the algorithm's hash of the real message.
    Digest,
    /// `EXTERNAL_MU`: the message is the 64-byte ML-DSA message representative μ.
    ExternalMu,
}

impl MessageType {
    /// Every message type, in the order of the `MessageType` enum.
    pub const ALL: [Self; 3] = [Self::Raw, Self::Digest, Self::ExternalMu];

    /// The message type with the wire name `aws_name`, or `None` for any other.
    pub fn parse(aws_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == aws_name)
    }

    /// The name on the wire, such as `DIGEST`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Raw => "RAW",
            Self::Digest => "DIGEST",
            Self::ExternalMu => "EXTERNAL_MU",
        }
    }
}

/// The hash of an RSA-OAEP encryption algorithm; OAEP and MGF1 use the same one and the label
/// is empty (`RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OaepHash {
    /// `RSAES_OAEP_SHA_1`.
    Sha1,
    /// `RSAES_OAEP_SHA_256`.
    Sha256,
}

impl OaepHash {
    /// Both hashes, in the order DescribeKey lists the encryption algorithms of an RSA key.
    pub const ALL: [Self; 2] = [Self::Sha1, Self::Sha256];

    /// The hash of the encryption algorithm with the wire name `aws_name`, or `None` for any
    /// other (`SYMMETRIC_DEFAULT`, `SM2PKE`).
    pub fn parse(aws_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|hash| hash.as_str() == aws_name)
    }

    /// The wire name of the encryption algorithm, such as `RSAES_OAEP_SHA_256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Sha1 => "RSAES_OAEP_SHA_1",
            Self::Sha256 => "RSAES_OAEP_SHA_256",
        }
    }
}

/// Why Sign or Verify refused. Every variant but [`SignError::Crypto`] is a fault of the request,
/// found before the key is touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key's spec does not offer the signing algorithm.
    #[error("signing algorithm not offered by the key spec")]
    IncompatibleAlgorithm,
    /// The message type cannot be used with the signing algorithm (DIGEST with
    /// `ED25519_SHA_512` or ML-DSA, RAW with `ED25519_PH_SHA_512`, EXTERNAL_MU with anything but
    /// ML-DSA).
    #[error("message type not allowed with the signing algorithm")]
    MessageTypeNotAllowed,
    /// A DIGEST message is not of the algorithm's hash length, or an EXTERNAL_MU message is not
    /// 64 bytes.
    #[error("message length does not match the signing algorithm")]
    InvalidDigestLength,
    /// The combination is valid but kmsd cannot compute it for this key (EXTERNAL_MU with an
    /// ML-DSA key stored without its seed).
    #[error("not supported for this key")]
    Unsupported,
    /// The key material is not a key of the spec, or the backend failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for spec in AsymmetricSpec::ALL {
            assert_eq!(AsymmetricSpec::parse(spec.as_str()), Some(spec));
        }
        for alg in SigningAlgorithm::ALL {
            assert_eq!(SigningAlgorithm::parse(alg.as_str()), Some(alg));
        }
        for kind in MessageType::ALL {
            assert_eq!(MessageType::parse(kind.as_str()), Some(kind));
        }
        for hash in OaepHash::ALL {
            assert_eq!(OaepHash::parse(hash.as_str()), Some(hash));
        }
        assert_eq!(AsymmetricSpec::parse("SM2"), None);
        assert_eq!(AsymmetricSpec::parse("SYMMETRIC_DEFAULT"), None);
        assert_eq!(SigningAlgorithm::parse("SM2DSA"), None);
        assert_eq!(MessageType::parse("raw"), None);
        assert_eq!(OaepHash::parse("SM2PKE"), None);
    }

    #[test]
    fn every_algorithm_belongs_to_some_spec() {
        for alg in SigningAlgorithm::ALL {
            let owners = AsymmetricSpec::ALL
                .iter()
                .filter(|spec| spec.signing_algorithms().contains(&alg))
                .count();
            assert!(owners > 0, "{alg:?}");
        }
    }

    #[test]
    fn kinds_of_spec() {
        let rsa: Vec<_> = AsymmetricSpec::ALL.iter().filter(|s| s.is_rsa()).collect();
        assert_eq!(rsa.len(), 3);
        let nist: Vec<_> = AsymmetricSpec::ALL
            .iter()
            .filter(|s| s.is_nist_ecc())
            .collect();
        assert_eq!(nist.len(), 3);
        assert!(!AsymmetricSpec::EccSecgP256k1.is_nist_ecc());
        assert_eq!(AsymmetricSpec::Rsa3072.rsa_bits(), Some(3072));
        assert_eq!(AsymmetricSpec::MlDsa44.rsa_bits(), None);
    }
}
