//! AES Key Wrap with Padding, unwrapping only (RFC 5649, section 4.2; NIST SP 800-38F KWP-AD).
//!
//! AES-128 and AES-256 keys go to aws-lc's own KWP. aws-lc-rs exposes no AES-192 key wrap, so
//! for a 24-byte key (which PKCS #11 `CKM_RSA_AES_KEY_WRAP` allows, though AWS documents only
//! 32 bytes) the RFC's unwrapping process runs here over aws-lc's raw AES-192 block decryption.

use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, UnboundCipherKey, AES_192};
use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded, AES_128, AES_256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::SecretBytes;

/// The alternative initial value's fixed half (RFC 5649, section 3).
const AIV: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];

/// Length of a semiblock, the unit of key wrap.
const SEMIBLOCK: usize = 8;

/// The AES key lengths accepted for the ephemeral key.
pub(super) const KEY_LENS: [usize; 3] = [16, 24, 32];

/// The shortest wrapped output: one AES block.
pub(super) const MIN_WRAPPED_LEN: usize = 16;

/// Unwraps `wrapped` under the AES key `key` (16, 24 or 32 bytes), or `None` if the key has
/// another length, the input is not of a KWP length, or the integrity check fails.
pub(super) fn unwrap_padded(key: &[u8], wrapped: &[u8]) -> Option<SecretBytes> {
    // Unwrap into a secret buffer as long as the input, which is more than enough.
    let mut out = SecretBytes::new(vec![0u8; wrapped.len()]);
    let len = match key.len() {
        16 => unwrap_with_aws_lc(&AES_128, key, wrapped, out.buffer_mut())?,
        24 => unwrap_with_blocks(key, wrapped, out.buffer_mut())?,
        32 => unwrap_with_aws_lc(&AES_256, key, wrapped, out.buffer_mut())?,
        _ => return None,
    };

    // Keep the unpadded plaintext only.
    out.buffer_mut().truncate(len);
    Some(out)
}

/// aws-lc's KWP for AES-128 and AES-256; the key copy inside `AesKek` is zeroed on drop.
fn unwrap_with_aws_lc(
    cipher: &'static aws_lc_rs::key_wrap::AesBlockCipher,
    key: &[u8],
    wrapped: &[u8],
    out: &mut [u8],
) -> Option<usize> {
    let kek = AesKek::new(cipher, key).ok()?;
    kek.unwrap_with_padding(wrapped, out)
        .ok()
        .map(|plain| plain.len())
}

/// RFC 5649 section 4.2 over AES-192 blocks: undo the wrapping, then check the AIV, the
/// message length indicator and the zero padding. Writes the plaintext to the start of `out`.
fn unwrap_with_blocks(key: &[u8], wrapped: &[u8], out: &mut [u8]) -> Option<usize> {
    // The input is n + 1 semiblocks, n >= 1.
    #[allow(
        clippy::manual_is_multiple_of,
        reason = "the workspace's rust-version 1.85 predates is_multiple_of"
    )]
    if wrapped.len() < MIN_WRAPPED_LEN || wrapped.len() % SEMIBLOCK != 0 {
        return None;
    }
    let cipher = DecryptingKey::ecb(UnboundCipherKey::new(&AES_192, key).ok()?).ok()?;
    let n = wrapped.len() / SEMIBLOCK - 1;

    // Recover the integrity register A and the padded plaintext R.
    let mut register = [0u8; SEMIBLOCK];
    let mut padded = Zeroizing::new(wrapped[SEMIBLOCK..].to_vec());
    register.copy_from_slice(&wrapped[..SEMIBLOCK]);
    if n == 1 {
        decrypt_block(&cipher, &mut register, &mut padded)?;
    } else {
        unwind(&cipher, n, &mut register, &mut padded)?;
    }

    // Check the AIV, that the length fits the last semiblock, and that the padding is zero.
    let mli = usize::try_from(u32::from_be_bytes([
        register[4],
        register[5],
        register[6],
        register[7],
    ]))
    .ok()?;
    let aiv_ok = bool::from(register[..4].ct_eq(&AIV));
    if !aiv_ok || mli <= SEMIBLOCK * (n - 1) || mli > SEMIBLOCK * n {
        return None;
    }
    let padding = padded[mli..].iter().fold(0u8, |acc, byte| acc | byte);
    if padding != 0 {
        return None;
    }

    // Hand out the plaintext.
    out[..mli].copy_from_slice(&padded[..mli]);
    Some(mli)
}

/// The inverse of the RFC 3394 wrapping function W: six rounds over the n semiblocks of
/// `padded`, last to first, each undoing one block encryption keyed by the step counter.
fn unwind(
    cipher: &DecryptingKey,
    n: usize,
    register: &mut [u8; SEMIBLOCK],
    padded: &mut [u8],
) -> Option<()> {
    for round in (0..6).rev() {
        for index in (1..=n).rev() {
            // A ^ t, with t = n * round + index as a 64-bit big-endian counter.
            let step = u64::try_from(n * round + index).ok()?;
            for (a, t) in register.iter_mut().zip(step.to_be_bytes()) {
                *a ^= t;
            }
            let semiblock = &mut padded[(index - 1) * SEMIBLOCK..index * SEMIBLOCK];
            decrypt_block(cipher, register, semiblock)?;
        }
    }
    Some(())
}

/// Decrypts the block `high || low` in place: `high` becomes its first half, `low` its second.
fn decrypt_block(cipher: &DecryptingKey, high: &mut [u8; SEMIBLOCK], low: &mut [u8]) -> Option<()> {
    let mut block = Zeroizing::new([0u8; 2 * SEMIBLOCK]);
    block[..SEMIBLOCK].copy_from_slice(high);
    block[SEMIBLOCK..].copy_from_slice(low);
    cipher
        .decrypt(block.as_mut(), DecryptionContext::None)
        .ok()?;
    high.copy_from_slice(&block[..SEMIBLOCK]);
    low.copy_from_slice(&block[SEMIBLOCK..]);
    Some(())
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext};

    use super::*;

    /// RFC 5649 section 6, first example: 20 octets under a 192-bit KEK.
    const RFC_KEK: &str = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8";
    const RFC_WRAPPED_20: &str = "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a";
    const RFC_PLAIN_20: &str = "c37b7e6492584340bed12207808941155068f738";
    /// RFC 5649 section 6, second example: 7 octets under the same KEK.
    const RFC_WRAPPED_7: &str = "afbeb0f07dfbf5419200f2ccb50bb24f";
    const RFC_PLAIN_7: &str = "466f7250617369";

    fn hex(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }

    /// RFC 5649 wrapping over ECB, for checking the unwrap against aws-lc with other key sizes.
    fn wrap_with_blocks(
        alg: &'static aws_lc_rs::cipher::Algorithm,
        key: &[u8],
        plain: &[u8],
    ) -> Vec<u8> {
        let mut padded = plain.to_vec();
        padded.resize(plain.len().div_ceil(8) * 8, 0);
        wrap_raw(alg, key, u32::try_from(plain.len()).unwrap(), padded)
    }

    /// The wrapping with any length indicator over any padded semiblocks, to forge bad inputs.
    fn wrap_raw(
        alg: &'static aws_lc_rs::cipher::Algorithm,
        key: &[u8],
        mli: u32,
        mut padded: Vec<u8>,
    ) -> Vec<u8> {
        let cipher = EncryptingKey::ecb(UnboundCipherKey::new(alg, key).unwrap()).unwrap();
        let mut register = [0u8; 8];
        register[..4].copy_from_slice(&AIV);
        register[4..].copy_from_slice(&mli.to_be_bytes());
        let n = padded.len() / 8;
        let mut block = [0u8; 16];
        if n == 1 {
            block[..8].copy_from_slice(&register);
            block[8..].copy_from_slice(&padded);
            cipher
                .less_safe_encrypt(&mut block, EncryptionContext::None)
                .unwrap();
            return block.to_vec();
        }
        for round in 0..6 {
            for index in 1..=n {
                block[..8].copy_from_slice(&register);
                block[8..].copy_from_slice(&padded[(index - 1) * 8..index * 8]);
                cipher
                    .less_safe_encrypt(&mut block, EncryptionContext::None)
                    .unwrap();
                let step = ((n * round + index) as u64).to_be_bytes();
                for (a, (b, t)) in register.iter_mut().zip(block[..8].iter().zip(step)) {
                    *a = b ^ t;
                }
                padded[(index - 1) * 8..index * 8].copy_from_slice(&block[8..]);
            }
        }
        let mut out = register.to_vec();
        out.extend(padded);
        out
    }

    #[test]
    fn rfc_5649_vectors_unwrap() {
        let kek = hex(RFC_KEK);
        let plain = unwrap_padded(&kek, &hex(RFC_WRAPPED_20)).unwrap();
        assert_eq!(plain.expose(), hex(RFC_PLAIN_20));
        let plain = unwrap_padded(&kek, &hex(RFC_WRAPPED_7)).unwrap();
        assert_eq!(plain.expose(), hex(RFC_PLAIN_7));
    }

    #[test]
    fn block_unwrap_agrees_with_aws_lc_for_128_and_256() {
        for len in [1, 7, 8, 9, 16, 20, 32, 33, 64, 250] {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for key in [vec![3u8; 16], vec![4u8; 32]] {
                let mut out = vec![0u8; len + 15];
                let cipher = if key.len() == 16 { &AES_128 } else { &AES_256 };
                let kek = AesKek::new(cipher, &key).unwrap();
                let wrapped = kek.wrap_with_padding(&plain, &mut out).unwrap().to_vec();
                let alg = if key.len() == 16 {
                    &aws_lc_rs::cipher::AES_128
                } else {
                    &aws_lc_rs::cipher::AES_256
                };
                assert_eq!(wrap_with_blocks(alg, &key, &plain), wrapped, "len {len}");
                assert_eq!(unwrap_padded(&key, &wrapped).unwrap().expose(), plain);
            }
            let key = [5u8; 24];
            let wrapped = wrap_with_blocks(&aws_lc_rs::cipher::AES_192, &key, &plain);
            assert_eq!(unwrap_padded(&key, &wrapped).unwrap().expose(), plain);
        }
    }

    #[test]
    fn every_altered_byte_fails_for_every_key_size() {
        let plain = [9u8; 21];
        for key_len in KEY_LENS {
            let key = vec![6u8; key_len];
            let alg = match key_len {
                16 => &aws_lc_rs::cipher::AES_128,
                24 => &aws_lc_rs::cipher::AES_192,
                _ => &aws_lc_rs::cipher::AES_256,
            };
            let wrapped = wrap_with_blocks(alg, &key, &plain);
            for index in 0..wrapped.len() {
                let mut bad = wrapped.clone();
                bad[index] ^= 0x40;
                assert!(unwrap_padded(&key, &bad).is_none(), "{key_len} {index}");
            }
            for len in 0..wrapped.len() {
                assert!(unwrap_padded(&key, &wrapped[..len]).is_none());
            }
            let other = vec![7u8; key_len];
            assert!(unwrap_padded(&other, &wrapped).is_none());
        }
    }

    #[test]
    fn bad_length_indicators_and_padding_fail() {
        let key = [1u8; 24];
        let alg = &aws_lc_rs::cipher::AES_192;
        let good = wrap_raw(alg, &key, 5, vec![1, 2, 3, 4, 5, 0, 0, 0]);
        assert_eq!(
            unwrap_padded(&key, &good).unwrap().expose(),
            [1, 2, 3, 4, 5]
        );
        let cases = [
            (5, vec![1, 2, 3, 4, 5, 0, 0, 7]),
            (0, vec![0; 8]),
            (9, vec![0; 8]),
            (8, vec![0; 16]),
            (17, vec![0; 16]),
            (u32::MAX, vec![0; 16]),
        ];
        for (mli, padded) in cases {
            let wrapped = wrap_raw(alg, &key, mli, padded);
            assert!(unwrap_padded(&key, &wrapped).is_none(), "mli {mli}");
        }
        assert!(unwrap_padded(&key, &[]).is_none());
        assert!(unwrap_padded(&[1u8; 15], &[0u8; 16]).is_none());
        assert!(unwrap_padded(&[], &[0u8; 16]).is_none());
        assert!(unwrap_padded(&key, &[0u8; 17]).is_none());
    }
}
