//! GenerateMac and VerifyMac: HMAC (RFC 2104) with SHA-224, SHA-256, SHA-384 or SHA-512, one
//! algorithm per HMAC key spec (`HMAC_224` offers `HMAC_SHA_224`, and so on).
//!
//! The MAC is the full tag, never truncated, and verification compares in constant time.
//! [`hmac_key_lengths`] gives the key lengths ImportKeyMaterial accepts for each spec (SPEC.md
//! A18: from the digest size up to the block size); keys kmsd generates are digest-sized.

use aws_lc_rs::hmac;

/// A MAC algorithm of GenerateMac and VerifyMac (`MacAlgorithmSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// `HMAC_SHA_224`.
    HmacSha224,
    /// `HMAC_SHA_256`.
    HmacSha256,
    /// `HMAC_SHA_384`.
    HmacSha384,
    /// `HMAC_SHA_512`.
    HmacSha512,
}

impl MacAlgorithm {
    /// Every MAC algorithm, in the order of the `MacAlgorithmSpec` enum.
    pub const ALL: [Self; 4] = [
        Self::HmacSha224,
        Self::HmacSha256,
        Self::HmacSha384,
        Self::HmacSha512,
    ];

    /// The algorithm with the wire name `aws_name`, or `None` for any other.
    pub fn parse(aws_name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == aws_name)
    }

    /// The name on the wire, such as `HMAC_SHA_256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::HmacSha224 => "HMAC_SHA_224",
            Self::HmacSha256 => "HMAC_SHA_256",
            Self::HmacSha384 => "HMAC_SHA_384",
            Self::HmacSha512 => "HMAC_SHA_512",
        }
    }

    /// The digest size in bits, which names the key spec offering the algorithm (224 for
    /// `HMAC_224`).
    pub fn bits(&self) -> u32 {
        match self {
            Self::HmacSha224 => 224,
            Self::HmacSha256 => 256,
            Self::HmacSha384 => 384,
            Self::HmacSha512 => 512,
        }
    }

    /// The algorithm of the HMAC key spec of `bits` (224, 256, 384 or 512).
    pub fn for_key_bits(bits: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.bits() == bits)
    }

    /// The length of a MAC in bytes.
    pub fn mac_len(&self) -> usize {
        self.hmac().digest_algorithm().output_len()
    }

    /// The aws-lc-rs algorithm.
    fn hmac(&self) -> hmac::Algorithm {
        match self {
            Self::HmacSha224 => hmac::HMAC_SHA224,
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }
}

/// The HMAC of `message` under `key` with `alg`, full length.
pub fn mac(alg: MacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(alg.hmac(), key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// Whether `mac` is the HMAC of `message` under `key` with `alg`, compared in constant time
/// (only the length may be compared early).
pub fn verify_mac(alg: MacAlgorithm, key: &[u8], message: &[u8], mac: &[u8]) -> bool {
    let key = hmac::Key::new(alg.hmac(), key);
    hmac::verify(&key, message, mac).is_ok()
}

/// The shortest and longest key, in bytes, an HMAC key spec of `spec_bits` accepts as imported
/// material: 28-64 for `HMAC_224`, 32-64 for `HMAC_256`, 48-128 for `HMAC_384` and 64-128 for
/// `HMAC_512`; `None` for any other size.
pub fn hmac_key_lengths(spec_bits: u32) -> Option<(usize, usize)> {
    match spec_bits {
        224 => Some((28, 64)),
        256 => Some((32, 64)),
        384 => Some((48, 128)),
        512 => Some((64, 128)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sizes() {
        for alg in MacAlgorithm::ALL {
            assert_eq!(MacAlgorithm::parse(alg.as_str()), Some(alg));
            assert_eq!(MacAlgorithm::for_key_bits(alg.bits()), Some(alg));
            assert_eq!(alg.mac_len() * 8, alg.bits() as usize);
            let (min, max) = hmac_key_lengths(alg.bits()).unwrap();
            assert_eq!(min, alg.mac_len());
            assert!(max >= min);
        }
        assert_eq!(MacAlgorithm::parse("HMAC_SHA_1"), None);
        assert_eq!(MacAlgorithm::for_key_bits(128), None);
        assert_eq!(hmac_key_lengths(0), None);
    }

    #[test]
    fn a_mac_verifies_and_a_changed_one_does_not() {
        let tag = mac(MacAlgorithm::HmacSha256, b"key", b"message");
        assert!(verify_mac(
            MacAlgorithm::HmacSha256,
            b"key",
            b"message",
            &tag
        ));
        assert!(!verify_mac(
            MacAlgorithm::HmacSha256,
            b"key",
            b"messagf",
            &tag
        ));
        assert!(!verify_mac(
            MacAlgorithm::HmacSha384,
            b"key",
            b"message",
            &tag
        ));
        assert!(!verify_mac(
            MacAlgorithm::HmacSha256,
            b"key",
            b"message",
            &tag[..31]
        ));
    }
}
