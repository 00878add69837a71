//! The import contract end to end: tokens bound to one key, every algorithm with every wrapping
//! key size, the openssl command lines of the AWS guide, uniform failures, and the pool.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use kms_crypto::import::{
    issue_token, open_token, KeyPairPool, OpenedToken, WrappingAlgorithm, WrappingKeyPair,
    WrappingKeySpec, MAX_TOKEN_LEN,
};
use kms_crypto::{random_bytes, CryptoError};

use common::{client_wrap, kwp_wrap, pair, rsa_encrypt, sealer, ARN};

/// Opens a fresh token of `spec` and `algorithm` for [`ARN`].
fn opened(spec: WrappingKeySpec, algorithm: WrappingAlgorithm) -> OpenedToken {
    let token = issue_token(sealer(), pair(spec), ARN, algorithm, 1_000);
    open_token(sealer(), &token, ARN).unwrap()
}

/// An RSA-2048 PKCS #8 private key, the largest kind of material there is to import.
fn rsa_private_material() -> Vec<u8> {
    use aws_lc_rs::encoding::AsDer;
    let key =
        aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    key.as_der().unwrap().as_ref().to_vec()
}

// ---- tokens ----

#[test]
fn a_token_opens_for_its_arn_only() {
    let token = issue_token(
        sealer(),
        pair(WrappingKeySpec::Rsa2048),
        ARN,
        WrappingAlgorithm::RsaesOaepSha256,
        1_700_000_000_000,
    );
    let opened = open_token(sealer(), &token, ARN).unwrap();
    assert_eq!(opened.algorithm, WrappingAlgorithm::RsaesOaepSha256);
    assert_eq!(opened.spec, WrappingKeySpec::Rsa2048);
    assert_eq!(opened.expires_at_millis, 1_700_000_000_000);

    let other = ARN.replace("0f1e2d3c", "0f1e2d3d");
    let err = open_token(sealer(), &token, &other).unwrap_err();
    assert_eq!(err, CryptoError::Authentication);
}

#[test]
fn every_flipped_byte_and_every_truncation_fails() {
    let token = issue_token(
        sealer(),
        pair(WrappingKeySpec::Rsa2048),
        ARN,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        7,
    );
    for index in 0..token.len() {
        let mut bad = token.clone();
        bad[index] ^= 0x01;
        let err = open_token(sealer(), &bad, ARN).unwrap_err();
        assert_eq!(err, CryptoError::Authentication, "byte {index}");
    }
    for len in 0..token.len() {
        let err = open_token(sealer(), &token[..len], ARN).unwrap_err();
        assert_eq!(err, CryptoError::Authentication, "length {len}");
    }
    let mut longer = token.clone();
    longer.push(0);
    assert_eq!(
        open_token(sealer(), &longer, ARN).unwrap_err(),
        CryptoError::Authentication
    );
}

#[test]
fn every_token_fits_the_api_limit() {
    for spec in WrappingKeySpec::ALL {
        let token = issue_token(
            sealer(),
            pair(spec),
            ARN,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            i64::MAX,
        );
        println!("{spec:?} token: {} bytes", token.len());
        assert!(token.len() <= MAX_TOKEN_LEN);
    }
    assert_eq!(MAX_TOKEN_LEN, 6144);
}

#[test]
fn tokens_of_the_same_pair_differ_and_hide_the_key() {
    let pair = pair(WrappingKeySpec::Rsa2048);
    let a = issue_token(sealer(), pair, ARN, WrappingAlgorithm::RsaesOaepSha1, 1);
    let b = issue_token(sealer(), pair, ARN, WrappingAlgorithm::RsaesOaepSha1, 1);
    assert_ne!(a, b);
    // The modulus, which is in the public key, appears in no token.
    let modulus_part = &pair.public_key_der()[40..72];
    assert!(!a.windows(modulus_part.len()).any(|w| w == modulus_part));
}

// ---- round trips with aws-lc-rs as the client ----

#[test]
fn every_algorithm_with_every_spec_round_trips() {
    let symmetric = random_bytes(32);
    for spec in WrappingKeySpec::ALL {
        for algorithm in WrappingAlgorithm::ALL {
            let opened = opened(spec, algorithm);
            let encrypted = client_wrap(pair(spec).public_key_der(), algorithm, &symmetric);
            let material = opened.unwrap_material(&encrypted).unwrap();
            assert_eq!(material.expose(), symmetric, "{spec:?} {algorithm:?}");
        }
    }
}

#[test]
fn key_wrap_carries_private_keys_and_accepts_every_aes_size() {
    let material = rsa_private_material();
    for spec in WrappingKeySpec::ALL {
        for algorithm in [
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
        ] {
            let opened = opened(spec, algorithm);
            for aes_len in [16, 32] {
                let aes_key = random_bytes(aes_len);
                let mut encrypted = rsa_encrypt(pair(spec).public_key_der(), algorithm, &aes_key);
                encrypted.extend(kwp_wrap(&aes_key, &material));
                let unwrapped = opened.unwrap_material(&encrypted).unwrap();
                assert_eq!(unwrapped.expose(), material);
            }
        }
    }
}

#[test]
fn oaep_carries_up_to_its_limit() {
    // RFC 8017: at most k - 2 * hLen - 2 bytes.
    for (algorithm, hash_len) in [
        (WrappingAlgorithm::RsaesOaepSha1, 20),
        (WrappingAlgorithm::RsaesOaepSha256, 32),
    ] {
        let spec = WrappingKeySpec::Rsa2048;
        let largest = random_bytes(spec.modulus_bytes() - 2 * hash_len - 2);
        let encrypted = rsa_encrypt(pair(spec).public_key_der(), algorithm, &largest);
        let unwrapped = opened(spec, algorithm).unwrap_material(&encrypted).unwrap();
        assert_eq!(unwrapped.expose(), largest);
        let empty = rsa_encrypt(pair(spec).public_key_der(), algorithm, &[]);
        assert!(opened(spec, algorithm)
            .unwrap_material(&empty)
            .unwrap()
            .is_empty());
    }
}

// ---- interoperability with the openssl command line ----

/// Whether `openssl` can be run; prints a note when it cannot.
fn have_openssl() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok();
    if !found {
        println!("note: openssl is not on PATH; skipping the openssl interop test");
    }
    found
}

/// Runs `openssl` with `args` in `dir` and insists it succeeds.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `openssl pkeyutl` RSA-OAEP encryption of `input` to `output` with the hash `md`, exactly as
/// the AWS guide writes it.
fn pkeyutl_encrypt(dir: &Path, input: &str, output: &str, md: &str) {
    let oaep_md = format!("rsa_oaep_md:{md}");
    let mgf1_md = format!("rsa_mgf1_md:{md}");
    openssl(
        dir,
        &[
            "pkeyutl",
            "-encrypt",
            "-in",
            input,
            "-out",
            output,
            "-inkey",
            "pub.der",
            "-keyform",
            "DER",
            "-pubin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &oaep_md,
            "-pkeyopt",
            &mgf1_md,
        ],
    );
}

/// The openssl digest name of an algorithm.
fn md_of(algorithm: WrappingAlgorithm) -> &'static str {
    match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 | WrappingAlgorithm::RsaAesKeyWrapSha1 => "sha1",
        _ => "sha256",
    }
}

/// Wraps `material.bin` in `dir` with the openssl command line and returns the
/// `EncryptedKeyMaterial`; `aes_len` is the ephemeral key's length for `RSA_AES_KEY_WRAP_*`.
fn openssl_wrap(dir: &Path, algorithm: WrappingAlgorithm, aes_len: usize) -> Vec<u8> {
    let md = md_of(algorithm);
    if !algorithm.uses_key_wrap() {
        pkeyutl_encrypt(dir, "material.bin", "wrapped.bin", md);
        return std::fs::read(dir.join("wrapped.bin")).unwrap();
    }
    let bits = aes_len * 8;
    openssl(dir, &["rand", "-out", "aes.bin", &aes_len.to_string()]);
    let aes_hex = hex::encode(std::fs::read(dir.join("aes.bin")).unwrap());
    let cipher = format!("-id-aes{bits}-wrap-pad");
    openssl(
        dir,
        &[
            "enc",
            &cipher,
            "-K",
            &aes_hex,
            "-iv",
            "A65959A6",
            "-in",
            "material.bin",
            "-out",
            "kwp.bin",
        ],
    );
    pkeyutl_encrypt(dir, "aes.bin", "rsa.bin", md);
    let mut encrypted = std::fs::read(dir.join("rsa.bin")).unwrap();
    encrypted.extend(std::fs::read(dir.join("kwp.bin")).unwrap());
    encrypted
}

#[test]
fn material_wrapped_by_the_openssl_command_line_unwraps() {
    if !have_openssl() {
        return;
    }
    let symmetric = random_bytes(32);
    let private_key = rsa_private_material();
    for spec in WrappingKeySpec::ALL {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pub.der"), pair(spec).public_key_der()).unwrap();
        for algorithm in WrappingAlgorithm::ALL {
            let opened = opened(spec, algorithm);
            let cases: &[(&[u8], usize)] = if algorithm.uses_key_wrap() {
                &[
                    (&symmetric, 32),
                    (&private_key, 32),
                    (&symmetric, 24),
                    (&symmetric, 16),
                ]
            } else {
                &[(&symmetric, 0)]
            };
            for (material, aes_len) in cases {
                std::fs::write(dir.path().join("material.bin"), material).unwrap();
                let encrypted = openssl_wrap(dir.path(), algorithm, *aes_len);
                let unwrapped = opened
                    .unwrap_material(&encrypted)
                    .unwrap_or_else(|e| panic!("{spec:?} {algorithm:?} AES-{}: {e}", aes_len * 8));
                assert_eq!(unwrapped.expose(), *material);
            }
        }
    }
}

#[test]
fn the_public_key_is_what_openssl_reads_as_rsa() {
    if !have_openssl() {
        return;
    }
    for spec in WrappingKeySpec::ALL {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pub.der"), pair(spec).public_key_der()).unwrap();
        let output = Command::new("openssl")
            .args([
                "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-noout", "-text",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        let text = String::from_utf8_lossy(&output.stdout);
        let bits = spec.modulus_bytes() * 8;
        assert!(
            text.contains(&format!("Public-Key: ({bits} bit)")),
            "{text}"
        );
        assert!(text.contains("Exponent: 65537"), "{text}");
    }
}

// ---- uniform failures ----

/// The ways an `EncryptedKeyMaterial` can be wrong, each from a valid one.
fn failure_kinds(
    spec: WrappingKeySpec,
    algorithm: WrappingAlgorithm,
    valid: &[u8],
) -> Vec<(&'static str, Vec<u8>)> {
    let modulus = spec.modulus_bytes();
    let mut corrupt_rsa = valid.to_vec();
    corrupt_rsa[modulus / 2] ^= 0x10;
    let mut kinds = vec![
        ("corrupted RSA part", corrupt_rsa),
        ("one byte short", valid[..valid.len() - 1].to_vec()),
        ("one byte long", [valid, &[0]].concat()),
        ("empty", Vec::new()),
    ];
    if algorithm.uses_key_wrap() {
        let mut corrupt_kwp = valid.to_vec();
        corrupt_kwp[modulus + 3] ^= 0x10;
        kinds.push(("corrupted KWP part", corrupt_kwp));
        kinds.push(("RSA part only", valid[..modulus].to_vec()));
        let mut odd_key = rsa_encrypt(pair(spec).public_key_der(), algorithm, &[7u8; 31]);
        odd_key.extend_from_slice(&valid[modulus..]);
        kinds.push(("31-byte AES key", odd_key));
    }
    kinds
}

#[test]
fn every_failure_is_the_same_error() {
    let material = random_bytes(32);
    for spec in WrappingKeySpec::ALL {
        for algorithm in WrappingAlgorithm::ALL {
            let opened = opened(spec, algorithm);
            let valid = client_wrap(pair(spec).public_key_der(), algorithm, &material);
            for (kind, input) in failure_kinds(spec, algorithm, &valid) {
                let err = opened.unwrap_material(&input).unwrap_err();
                assert_eq!(
                    err,
                    CryptoError::Authentication,
                    "{spec:?} {algorithm:?} {kind}"
                );
            }
            // The right bytes under a token of the other hash.
            let err = opened_for_other_hash(spec, algorithm)
                .unwrap_material(&valid)
                .unwrap_err();
            assert_eq!(err, CryptoError::Authentication);
            // Material wrapped for another pair of the same size.
            let foreign = client_wrap(stranger(spec).public_key_der(), algorithm, &material);
            let err = opened.unwrap_material(&foreign).unwrap_err();
            assert_eq!(err, CryptoError::Authentication);
        }
    }
}

/// A second pair of `spec`, that no token of these tests holds.
fn stranger(spec: WrappingKeySpec) -> &'static WrappingKeyPair {
    static PAIRS: [OnceLock<WrappingKeyPair>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = WrappingKeySpec::ALL
        .iter()
        .position(|s| *s == spec)
        .unwrap();
    PAIRS[index].get_or_init(|| WrappingKeyPair::generate(spec).unwrap())
}

/// Mean and median time of `unwrap_material` per input kind, interleaved so that noise falls on all
/// kinds alike. Printed for the record, not asserted: timing on a shared machine is noisy.
fn print_failure_timings(spec: WrappingKeySpec, algorithm: WrappingAlgorithm, tries: u32) {
    let material = random_bytes(32);
    let opened = opened(spec, algorithm);
    let valid = client_wrap(pair(spec).public_key_der(), algorithm, &material);
    let other = opened_for_other_hash(spec, algorithm);
    let mut kinds = vec![("success", valid.clone())];
    kinds.extend(failure_kinds(spec, algorithm, &valid));
    let mut samples = vec![Vec::new(); kinds.len() + 1];
    for round in 0..tries as usize {
        // Rotate the order each round, so no kind always runs first.
        for step in 0..=kinds.len() {
            let index = (round + step) % (kinds.len() + 1);
            let (token, input) = match kinds.get(index) {
                Some((_, input)) => (&opened, input),
                None => (&other, &valid),
            };
            let start = Instant::now();
            let _ = std::hint::black_box(token.unwrap_material(input));
            samples[index].push(start.elapsed());
        }
    }
    let names = kinds.iter().map(|(name, _)| *name);
    for (name, mut times) in names.chain(["wrong algorithm"]).zip(samples) {
        times.sort();
        let mean = times.iter().sum::<Duration>() / tries;
        let median = times[times.len() / 2];
        println!(
            "timing {spec:?} {algorithm:?} {name:>20}: mean {:>7.1} us, median {:>7.1} us",
            mean.as_secs_f64() * 1e6,
            median.as_secs_f64() * 1e6,
        );
    }
}

/// A token of the same pair that names the other hash.
fn opened_for_other_hash(spec: WrappingKeySpec, algorithm: WrappingAlgorithm) -> OpenedToken {
    let other = match algorithm {
        WrappingAlgorithm::RsaesOaepSha1 => WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaesOaepSha256 => WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => WrappingAlgorithm::RsaAesKeyWrapSha1,
    };
    opened(spec, other)
}

#[test]
fn failure_timings_are_printed() {
    print_failure_timings(
        WrappingKeySpec::Rsa2048,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        200,
    );
    print_failure_timings(
        WrappingKeySpec::Rsa2048,
        WrappingAlgorithm::RsaesOaepSha256,
        200,
    );
    print_failure_timings(
        WrappingKeySpec::Rsa4096,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        200,
    );
}

// ---- the pool ----

/// Waits until `done` holds, for at most two minutes.
fn wait_for(what: &str, done: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out: {what}"
        );
        thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

#[test]
fn the_pool_hands_out_distinct_pairs_and_refills() {
    let pool = KeyPairPool::new(2);
    let full = |pool: &Arc<KeyPairPool>| WrappingKeySpec::ALL.iter().all(|s| pool.ready(*s) == 2);
    let filled_in = wait_for("first fill", || full(&pool));
    println!("pool of 2 per size filled in {filled_in:?}");

    // Drain every size, one more than is ready, and check that no pair comes twice.
    let mut seen = HashSet::new();
    for spec in WrappingKeySpec::ALL {
        for _ in 0..3 {
            let pair = pool.take(spec).unwrap();
            assert_eq!(pair.spec(), spec);
            assert!(
                seen.insert(pair.public_key_der().to_vec()),
                "a pair came twice"
            );
        }
    }

    // The thread tops the pool up again, and those pairs are new as well.
    let refilled_in = wait_for("refill", || full(&pool));
    println!("pool refilled in {refilled_in:?}");
    for spec in WrappingKeySpec::ALL {
        let pair = pool.take(spec).unwrap();
        assert!(seen.insert(pair.public_key_der().to_vec()));
    }
}

#[test]
fn an_empty_pool_still_answers() {
    let pool = KeyPairPool::new(0);
    for spec in WrappingKeySpec::ALL {
        let pair = pool.take(spec).unwrap();
        assert_eq!(pair.spec(), spec);
        assert_eq!(pool.ready(spec), 0);
    }
}

#[test]
fn takes_from_many_threads_are_distinct() {
    let pool = KeyPairPool::new(3);
    wait_for("fill", || pool.ready(WrappingKeySpec::Rsa2048) == 3);
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                pool.take(WrappingKeySpec::Rsa2048)
                    .unwrap()
                    .public_key_der()
                    .to_vec()
            })
        })
        .collect();
    let keys: HashSet<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(keys.len(), 6);
}

#[test]
fn generation_time_per_size_is_printed() {
    for spec in WrappingKeySpec::ALL {
        let tries = 3;
        let start = Instant::now();
        for _ in 0..tries {
            WrappingKeyPair::generate(spec).unwrap();
        }
        println!(
            "generation {spec:?}: {:?} mean over {tries}",
            start.elapsed() / tries
        );
    }
}

// ---- the public surface ----

#[test]
fn debug_output_holds_no_private_key() {
    let pair = pair(WrappingKeySpec::Rsa3072);
    let shown_pair = format!("{pair:?}");
    assert!(shown_pair.contains("Rsa3072") && shown_pair.contains("[redacted]"));
    let opened = opened(
        WrappingKeySpec::Rsa3072,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
    );
    let shown = format!("{opened:#?}");
    assert!(shown.contains("RsaAesKeyWrapSha1") && shown.contains("[redacted]"));
    // No run of digits or hex long enough to be key bytes.
    for text in [shown_pair, shown] {
        assert!(text.len() < 200, "{text}");
    }
    let material = opened
        .unwrap_material(&client_wrap(
            pair.public_key_der(),
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            &[0xAB; 32],
        ))
        .unwrap();
    assert_eq!(format!("{material:?}"), "[redacted]");
}

#[test]
fn specs_and_algorithms_carry_their_wire_names() {
    let names: Vec<&str> = WrappingKeySpec::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["RSA_2048", "RSA_3072", "RSA_4096"]);
    let names: Vec<&str> = WrappingAlgorithm::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(
        names,
        [
            "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256",
            "RSA_AES_KEY_WRAP_SHA_1",
            "RSA_AES_KEY_WRAP_SHA_256"
        ]
    );
    assert_eq!(
        WrappingKeySpec::from_name("RSA_4096"),
        Some(WrappingKeySpec::Rsa4096)
    );
    assert_eq!(WrappingAlgorithm::from_name("RSAES_PKCS1_V1_5"), None);
}

#[test]
fn the_types_can_be_shared_between_request_tasks() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KeyPairPool>();
    assert_send_sync::<WrappingKeyPair>();
    assert_send_sync::<OpenedToken>();
}
