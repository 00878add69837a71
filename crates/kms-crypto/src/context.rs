//! The canonical encoding of an encryption context (SPEC.md D8).
//!
//! An encryption context enters the ciphertext's associated data, so its encoding must be
//! injective: two different maps must never give the same bytes, or a context could be swapped
//! for another that authenticates alike. The encoding is
//!
//! ```text
//! pair count (u32 BE) | for each pair in byte order of keys:
//!     key length (u32 BE) | key bytes | value length (u32 BE) | value bytes
//! ```
//!
//! A `BTreeMap<String, _>` iterates in byte order of its keys (the `Ord` of `str`), which fixes
//! the order, and the length prefixes fix where each string ends. A count or length of 2^32 - 1
//! or more (never seen in practice: AWS bounds a request far below that) is written as
//! `u32::MAX` followed by the full value as a u64 BE, which keeps the encoding injective
//! without a panic path.

use std::collections::BTreeMap;

/// The canonical, injective byte encoding of an encryption context; the empty map gives the
/// four bytes of a zero count.
pub fn canonical_context(ctx: &BTreeMap<String, String>) -> Vec<u8> {
    // Size the output exactly for the common case, so it is written without reallocation.
    let strings: usize = ctx.iter().map(|(k, v)| k.len() + v.len()).sum();
    let mut out = Vec::with_capacity(4 + 8 * ctx.len() + strings);

    // Write the count, then each pair in map order.
    put_length(&mut out, ctx.len());
    for (key, value) in ctx {
        put_string(&mut out, key);
        put_string(&mut out, value);
    }
    out
}

/// Appends a length-prefixed string.
fn put_string(out: &mut Vec<u8>, text: &str) {
    put_length(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// Appends a length in the encoding of [`length_prefix`].
fn put_length(out: &mut Vec<u8>, len: usize) {
    let (bytes, used) = length_prefix(len);
    out.extend_from_slice(&bytes[..used]);
}

/// A length as u32 BE, or `u32::MAX` and the u64 BE length when it does not fit below
/// `u32::MAX`; returns the buffer and how many of its bytes are used. The encoding is
/// prefix-free, so a reader always knows where the length ends.
pub(crate) fn length_prefix(len: usize) -> ([u8; 12], usize) {
    let mut bytes = [0u8; 12];
    match u32::try_from(len) {
        Ok(short) if short != u32::MAX => {
            bytes[..4].copy_from_slice(&short.to_be_bytes());
            (bytes, 4)
        }
        _ => {
            bytes[..4].copy_from_slice(&u32::MAX.to_be_bytes());
            bytes[4..].copy_from_slice(&(len as u64).to_be_bytes());
            (bytes, 12)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_context_is_a_zero_count() {
        assert_eq!(canonical_context(&BTreeMap::new()), vec![0, 0, 0, 0]);
    }

    #[test]
    fn layout_is_count_then_prefixed_pairs() {
        let bytes = canonical_context(&map(&[("b", "2"), ("a", "xy")]));
        let expected = [
            &[0, 0, 0, 2][..],
            &[0, 0, 0, 1],
            b"a",
            &[0, 0, 0, 2],
            b"xy",
            &[0, 0, 0, 1],
            b"b",
            &[0, 0, 0, 1],
            b"2",
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    #[test]
    fn the_split_between_key_and_value_matters() {
        let a = canonical_context(&map(&[("a", "bc")]));
        let b = canonical_context(&map(&[("ab", "c")]));
        assert_ne!(a, b);
    }

    #[test]
    fn the_split_between_pairs_matters() {
        let a = canonical_context(&map(&[("a", ""), ("b", "")]));
        let b = canonical_context(&map(&[("a", "\0\0\0\u{1}b\0\0\0\0")]));
        assert_ne!(a, b);
    }

    #[test]
    fn an_empty_pair_differs_from_no_pair() {
        assert_ne!(
            canonical_context(&map(&[("", "")])),
            canonical_context(&BTreeMap::new())
        );
    }

    #[test]
    fn order_follows_key_bytes_not_insertion() {
        let mut first = BTreeMap::new();
        first.insert("z".to_string(), "1".to_string());
        first.insert("A".to_string(), "2".to_string());
        let second = map(&[("A", "2"), ("z", "1")]);
        assert_eq!(canonical_context(&first), canonical_context(&second));
        // "A" (0x41) sorts before "z" (0x7a).
        assert_eq!(&canonical_context(&first)[8..9], b"A");
    }

    #[test]
    fn non_ascii_strings_are_length_prefixed_in_bytes() {
        let bytes = canonical_context(&map(&[("é", "")]));
        assert_eq!(&bytes[4..8], &[0, 0, 0, 2]);
    }

    #[test]
    fn huge_lengths_are_escaped() {
        let mut out = Vec::new();
        put_length(&mut out, u32::MAX as usize);
        assert_eq!(
            out,
            [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]
        );
        let mut out = Vec::new();
        put_length(&mut out, (u32::MAX - 1) as usize);
        assert_eq!(out, [0xff, 0xff, 0xff, 0xfe]);
    }
}
