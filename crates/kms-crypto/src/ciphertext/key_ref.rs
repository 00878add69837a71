//! The key reference inside a ciphertext header: which key, of which account (and, for a
//! single-Region key, which Region) a ciphertext belongs to.
//!
//! ```text
//! single-Region: kind = 1 | account (12 ASCII digits) | region length (1) | region | key ID (16)
//! multi-Region:  kind = 2 | account (12 ASCII digits) |                             key ID (16)
//! ```
//!
//! The key ID is stored as its 16 raw bytes: those of the UUID for a single-Region key, those of
//! the 32 hex digits after `mrk-` for a multi-Region key. The kind decides the textual form a
//! parse rebuilds, so a single-Region reference must carry a UUID and a multi-Region reference an
//! `mrk-` ID; any other pairing cannot be encoded. Hex digits of either case encode; a parse
//! always rebuilds lowercase, the form kmsd generates.

use crate::CryptoError;

/// Kind byte of a single-Region reference.
const KIND_SINGLE: u8 = 1;

/// Kind byte of a multi-Region reference.
const KIND_MULTI: u8 = 2;

/// Length of an account ID.
const ACCOUNT_LEN: usize = 12;

/// Length of a key ID in raw bytes.
const KEY_ID_LEN: usize = 16;

/// Prefix of a multi-Region key ID.
const MRK_PREFIX: &str = "mrk-";

/// Who a ciphertext belongs to. `region` is `Some` for a single-Region key and `None` for a
/// multi-Region (`mrk-`) key, whose ciphertexts decrypt under every related key in any Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReference {
    /// The 12-digit account ID that owns the key.
    pub account: String,
    /// The Region of a single-Region key; `None` for a multi-Region key.
    pub region: Option<String>,
    /// The key ID, a UUID or `mrk-` and 32 hex digits.
    pub key_id: String,
}

impl KeyReference {
    /// The number of bytes [`KeyReference::encode`] writes (valid only for an encodable ref).
    pub(super) fn encoded_len(&self) -> usize {
        let region = self.region.as_ref().map_or(0, |r| 1 + r.len());
        1 + ACCOUNT_LEN + region + KEY_ID_LEN
    }

    /// Appends the encoding; a field that cannot be encoded is [`CryptoError::Format`] and
    /// leaves `out` untouched.
    pub(super) fn encode(&self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        // Check every field before writing anything.
        if !is_account(self.account.as_bytes()) {
            return Err(CryptoError::Format);
        }
        let (kind, key_id) = match &self.region {
            Some(region) if is_region(region.as_bytes()) => (KIND_SINGLE, uuid_bytes(&self.key_id)),
            Some(_) => return Err(CryptoError::Format),
            None => (KIND_MULTI, mrk_bytes(&self.key_id)),
        };
        let key_id = key_id.ok_or(CryptoError::Format)?;

        // Write kind, account, the region if any, and the key ID.
        out.push(kind);
        out.extend_from_slice(self.account.as_bytes());
        if let Some(region) = &self.region {
            // `is_region` bounds the length to 255, so it fits the length byte.
            out.push(region.len() as u8);
            out.extend_from_slice(region.as_bytes());
        }
        out.extend_from_slice(&key_id);
        Ok(())
    }

    /// Reads a reference from the start of `bytes`; returns it and the number of bytes used.
    pub(super) fn decode(bytes: &[u8]) -> Result<(KeyReference, usize), CryptoError> {
        // Kind and account.
        let (&kind, rest) = bytes.split_first().ok_or(CryptoError::Format)?;
        let (account, rest) = split(rest, ACCOUNT_LEN)?;
        if !is_account(account) {
            return Err(CryptoError::Format);
        }

        // The region, present for a single-Region key only.
        let (region, rest) = match kind {
            KIND_SINGLE => {
                let (&len, rest) = rest.split_first().ok_or(CryptoError::Format)?;
                let (region, rest) = split(rest, usize::from(len))?;
                if !is_region(region) {
                    return Err(CryptoError::Format);
                }
                (Some(ascii(region)), rest)
            }
            KIND_MULTI => (None, rest),
            _ => return Err(CryptoError::Format),
        };

        // The key ID, rebuilt in the textual form of the kind.
        let (raw_id, rest) = split(rest, KEY_ID_LEN)?;
        let key_id = match region {
            Some(_) => uuid_text(raw_id),
            None => format!("{MRK_PREFIX}{}", hex::encode(raw_id)),
        };
        let used = bytes.len() - rest.len();
        let account = ascii(account);
        Ok((
            KeyReference {
                account,
                region,
                key_id,
            },
            used,
        ))
    }
}

/// Splits `len` bytes off the front, or [`CryptoError::Format`] when there are fewer.
fn split(bytes: &[u8], len: usize) -> Result<(&[u8], &[u8]), CryptoError> {
    if bytes.len() < len {
        return Err(CryptoError::Format);
    }
    Ok(bytes.split_at(len))
}

/// A string from bytes already checked to be ASCII.
fn ascii(bytes: &[u8]) -> String {
    bytes.iter().copied().map(char::from).collect()
}

/// Whether `bytes` is a 12-digit account ID.
fn is_account(bytes: &[u8]) -> bool {
    bytes.len() == ACCOUNT_LEN && bytes.iter().all(u8::is_ascii_digit)
}

/// Whether `bytes` can be a Region name here: 1 to 255 of lowercase ASCII letters, digits and
/// hyphens. The model crate checks the full AWS shape; this only keeps the header well formed.
fn is_region(bytes: &[u8]) -> bool {
    (1..=255).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The 16 bytes of a UUID in `8-4-4-4-12` form (hex digits of either case).
fn uuid_bytes(text: &str) -> Option<[u8; KEY_ID_LEN]> {
    let t = text.as_bytes();
    let dashes = t.len() == 36 && [8, 13, 18, 23].iter().all(|&i| t[i] == b'-');
    if !dashes {
        return None;
    }
    // The five groups' digits side by side, then decoded as one run of 32.
    let mut digits = [0u8; 2 * KEY_ID_LEN];
    for (to, from) in [
        (0, 0..8),
        (8, 9..13),
        (12, 14..18),
        (16, 19..23),
        (20, 24..36),
    ] {
        digits[to..to + from.len()].copy_from_slice(&t[from]);
    }
    hex16(&digits)
}

/// The 16 bytes of an `mrk-` ID's 32 hex digits (either case).
fn mrk_bytes(text: &str) -> Option<[u8; KEY_ID_LEN]> {
    hex16(text.strip_prefix(MRK_PREFIX)?.as_bytes())
}

/// The 16 bytes of 32 hex digits of either case. Each digit is checked and decoded with
/// arithmetic, not a branch per digit, which would mispredict on every request for a key the
/// CPU has not just seen (a million keys in use).
fn hex16(digits: &[u8]) -> Option<[u8; KEY_ID_LEN]> {
    if digits.len() != 2 * KEY_ID_LEN {
        return None;
    }
    let mut out = [0u8; KEY_ID_LEN];
    let mut valid = true;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        for &c in pair {
            valid &= (c.wrapping_sub(b'0') < 10) | ((c | 0x20).wrapping_sub(b'a') < 6);
            *byte = (*byte << 4) | ((c & 0x0f) + 9 * (c >> 6));
        }
    }
    valid.then_some(out)
}

/// The lowercase `8-4-4-4-12` text of 16 UUID bytes.
fn uuid_text(raw: &[u8]) -> String {
    let digits = hex::encode(raw);
    let mut out = String::with_capacity(36);
    for (at, digit) in digits.chars().enumerate() {
        if matches!(at, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const MRK: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

    fn single() -> KeyReference {
        KeyReference {
            account: "111122223333".into(),
            region: Some("us-east-1".into()),
            key_id: UUID.into(),
        }
    }

    fn multi() -> KeyReference {
        KeyReference {
            account: "111122223333".into(),
            region: None,
            key_id: MRK.into(),
        }
    }

    fn round_trip(key_ref: &KeyReference) -> KeyReference {
        let mut out = Vec::new();
        key_ref.encode(&mut out).unwrap();
        assert_eq!(out.len(), key_ref.encoded_len());
        let (back, used) = KeyReference::decode(&out).unwrap();
        assert_eq!(used, out.len());
        back
    }

    #[test]
    fn both_kinds_round_trip() {
        assert_eq!(round_trip(&single()), single());
        assert_eq!(round_trip(&multi()), multi());
    }

    #[test]
    fn layouts_match_the_format() {
        let mut out = Vec::new();
        single().encode(&mut out).unwrap();
        assert_eq!(out[0], KIND_SINGLE);
        assert_eq!(&out[1..13], b"111122223333");
        assert_eq!(out[13], 9);
        assert_eq!(&out[14..23], b"us-east-1");
        assert_eq!(hex::encode(&out[23..]), UUID.replace('-', ""));

        let mut out = Vec::new();
        multi().encode(&mut out).unwrap();
        assert_eq!(out[0], KIND_MULTI);
        assert_eq!(hex::encode(&out[13..]), &MRK[4..]);
    }

    #[test]
    fn uppercase_ids_come_back_lowercase() {
        let mut upper = single();
        upper.key_id = UUID.to_uppercase();
        assert_eq!(round_trip(&upper), single());
        let mut upper = multi();
        upper.key_id = format!("mrk-{}", MRK[4..].to_uppercase());
        assert_eq!(round_trip(&upper), multi());
    }

    #[test]
    fn unencodable_fields_are_refused() {
        let cases = [
            KeyReference {
                account: "12345678901".into(),
                ..single()
            },
            KeyReference {
                account: "11112222333a".into(),
                ..single()
            },
            KeyReference {
                region: Some(String::new()),
                ..single()
            },
            KeyReference {
                region: Some("US-EAST-1".into()),
                ..single()
            },
            KeyReference {
                region: Some("a".repeat(256)),
                ..single()
            },
            KeyReference {
                key_id: MRK.into(),
                ..single()
            },
            KeyReference {
                key_id: UUID.into(),
                ..multi()
            },
            KeyReference {
                key_id: UUID.replace('-', ""),
                ..single()
            },
            KeyReference {
                key_id: format!("{UUID}0"),
                ..single()
            },
            KeyReference {
                key_id: UUID.replacen('1', "g", 1),
                ..single()
            },
            KeyReference {
                key_id: "mrk-".into(),
                ..multi()
            },
            KeyReference {
                key_id: "MRK-1234abcd12ab34cd56ef1234567890ab".into(),
                ..multi()
            },
            KeyReference {
                key_id: "mrk-+234abcd12ab34cd56ef1234567890ab".into(),
                ..multi()
            },
        ];
        for case in cases {
            let mut out = vec![7];
            assert_eq!(case.encode(&mut out), Err(CryptoError::Format), "{case:?}");
            assert_eq!(out, vec![7], "{case:?}");
        }
    }

    #[test]
    fn every_byte_value_is_a_digit_exactly_when_ascii_hex() {
        for c in 0..=255u8 {
            let mut digits = *b"1234abcd12ab34cd56ef1234567890ab";
            digits[5] = c;
            let decoded = hex16(&digits);
            assert_eq!(decoded.is_some(), c.is_ascii_hexdigit(), "byte {c:#04x}");
            if let Some(bytes) = decoded {
                let value = char::from(c).to_digit(16).unwrap() as u8;
                assert_eq!(bytes[2] & 0x0f, value, "byte {c:#04x}");
            }
        }
    }

    #[test]
    fn a_region_of_255_bytes_is_the_longest() {
        let key_ref = KeyReference {
            region: Some("a".repeat(255)),
            ..single()
        };
        assert_eq!(round_trip(&key_ref), key_ref);
    }

    #[test]
    fn truncations_and_bad_bytes_are_malformed() {
        let mut out = Vec::new();
        single().encode(&mut out).unwrap();
        for len in 0..out.len() {
            assert_eq!(
                KeyReference::decode(&out[..len]).unwrap_err(),
                CryptoError::Format
            );
        }
        for (index, value) in [(0, 0u8), (0, 3), (1, b'x'), (13, 0), (14, b'A')] {
            let mut bad = out.clone();
            bad[index] = value;
            assert_eq!(KeyReference::decode(&bad).unwrap_err(), CryptoError::Format);
        }
    }
}
