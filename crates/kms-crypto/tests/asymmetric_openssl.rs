//! Interoperability of the asymmetric keys with the openssl command line, as a client would use
//! it offline: keys from `openssl genpkey` are accepted and publish the SPKI openssl computes,
//! signatures verify both ways with `openssl pkeyutl`, RSA-OAEP ciphertexts decrypt both ways,
//! and ECDH agrees with `openssl pkeyutl -derive`.
//!
//! Each test prints a note and passes when openssl is missing, and skips an algorithm the local
//! openssl lacks (ML-DSA before 3.5, the Ed25519ph instance before 3.2) with a note. ML-DSA is
//! also checked against the OpenSSL inside pyca/cryptography, when Python has it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use kms_crypto::asymmetric::{
    check_private_key, ecdh, public_key_der, rsa_oaep_decrypt, rsa_oaep_encrypt, sign, verify,
    AsymmetricSpec, MessageType, OaepHash, SigningAlgorithm,
};
use kms_crypto::CryptoError;

use common::keys::{allowed, key, message_as, ml_dsa_raw_public, mu, MESSAGE};

// ---- running openssl ----

/// Whether `openssl` can be run; prints a note when it cannot.
fn have_openssl() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok();
    if !found {
        println!("note: openssl is not on PATH; skipping the openssl interop test");
    }
    found
}

/// Runs `openssl` with `args` in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Runs `openssl` with `args` in `dir` and insists it succeeds.
fn openssl(dir: &Path, args: &[&str]) {
    let output = run(dir, args);
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether the local openssl lists `name` among its signature algorithms.
fn openssl_knows(name: &str) -> bool {
    let output = run(Path::new("."), &["list", "-signature-algorithms"]);
    String::from_utf8_lossy(&output.stdout).contains(name)
}

/// Whether the local openssl can sign with the Ed25519ph instance (OpenSSL 3.2 and later).
fn openssl_has_ed25519ph() -> bool {
    static KNOWN: OnceLock<bool> = OnceLock::new();
    *KNOWN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("key.der"),
            key(AsymmetricSpec::EccNistEdwards25519),
        )
        .unwrap();
        std::fs::write(dir.path().join("m.bin"), [0u8; 64]).unwrap();
        let args = [
            "pkeyutl",
            "-sign",
            "-inkey",
            "key.der",
            "-keyform",
            "DER",
            "-rawin",
            "-in",
            "m.bin",
            "-out",
            "s.bin",
            "-pkeyopt",
            "instance:Ed25519ph",
        ];
        let supported = run(dir.path(), &args).status.success();
        if !supported {
            println!("note: this openssl has no Ed25519ph instance; skipping ED25519_PH_SHA_512");
        }
        supported
    })
}

/// The `openssl genpkey` options of a spec, or `None` if the local openssl cannot make one.
fn genpkey_options(spec: AsymmetricSpec) -> Option<Vec<&'static str>> {
    let ec = |curve| Some(vec!["-algorithm", "EC", "-pkeyopt", curve]);
    match spec {
        AsymmetricSpec::Rsa2048 => Some(vec![
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ]),
        AsymmetricSpec::Rsa3072 => Some(vec![
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
        ]),
        AsymmetricSpec::Rsa4096 => Some(vec![
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:4096",
        ]),
        AsymmetricSpec::EccNistP256 => ec("ec_paramgen_curve:P-256"),
        AsymmetricSpec::EccNistP384 => ec("ec_paramgen_curve:P-384"),
        AsymmetricSpec::EccNistP521 => ec("ec_paramgen_curve:P-521"),
        AsymmetricSpec::EccSecgP256k1 => ec("ec_paramgen_curve:secp256k1"),
        AsymmetricSpec::EccNistEdwards25519 => Some(vec!["-algorithm", "ED25519"]),
        AsymmetricSpec::MlDsa44 => ml_dsa_options("ML-DSA-44"),
        AsymmetricSpec::MlDsa65 => ml_dsa_options("ML-DSA-65"),
        AsymmetricSpec::MlDsa87 => ml_dsa_options("ML-DSA-87"),
    }
}

/// `genpkey` options for an ML-DSA parameter set, if the local openssl has ML-DSA.
fn ml_dsa_options(name: &'static str) -> Option<Vec<&'static str>> {
    static KNOWN: OnceLock<bool> = OnceLock::new();
    let known = *KNOWN.get_or_init(|| {
        let known = openssl_knows("ML-DSA-44");
        if !known {
            println!("note: this openssl has no ML-DSA; skipping the ML-DSA specs");
        }
        known
    });
    known.then(|| vec!["-algorithm", name])
}

/// Makes a key with `openssl genpkey` and converts it to DER PKCS #8 the way the AWS guide
/// does (`openssl pkcs8 -topk8 -nocrypt -outform DER`); returns its bytes.
fn genpkey(options: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["genpkey", "-out", "key.pem"];
    args.extend_from_slice(options);
    openssl(dir.path(), &args);
    let convert = [
        "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der",
    ];
    openssl(dir.path(), &convert);
    std::fs::read(dir.path().join("key.der")).unwrap()
}

/// One openssl-made key per spec the local openssl supports, made once per test binary.
fn openssl_key(spec: AsymmetricSpec) -> Option<&'static [u8]> {
    static KEYS: [OnceLock<Option<Vec<u8>>>; 11] = [const { OnceLock::new() }; 11];
    let index = AsymmetricSpec::ALL.iter().position(|s| *s == spec).unwrap();
    KEYS[index]
        .get_or_init(|| genpkey_options(spec).map(|options| genpkey(&options)))
        .as_deref()
}

/// What `openssl pkey -pubout -outform DER` prints for the private key `pkcs8`.
fn openssl_spki(pkcs8: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.der"), pkcs8).unwrap();
    let args = [
        "pkey", "-in", "key.der", "-inform", "DER", "-pubout", "-outform", "DER", "-out", "pub.der",
    ];
    openssl(dir.path(), &args);
    std::fs::read(dir.path().join("pub.der")).unwrap()
}

// ---- keys ----

#[test]
fn openssl_keys_are_accepted_and_publish_the_same_spki() {
    if !have_openssl() {
        return;
    }
    for spec in AsymmetricSpec::ALL {
        let Some(theirs) = openssl_key(spec) else {
            continue;
        };
        check_private_key(spec, theirs).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        assert_eq!(
            public_key_der(spec, theirs).unwrap(),
            openssl_spki(theirs),
            "{spec:?}"
        );
        for other in AsymmetricSpec::ALL.into_iter().filter(|o| *o != spec) {
            let err = check_private_key(other, theirs).unwrap_err();
            assert_eq!(err, CryptoError::KeyMismatch, "{spec:?} as {other:?}");
        }
    }
}

#[test]
fn openssl_reads_our_keys_and_computes_the_same_spki() {
    if !have_openssl() {
        return;
    }
    for spec in AsymmetricSpec::ALL {
        if genpkey_options(spec).is_none() {
            continue;
        }
        let ours = key(spec);
        assert_eq!(
            public_key_der(spec, ours).unwrap(),
            openssl_spki(ours),
            "{spec:?}"
        );
    }
}

#[test]
fn rsa_keys_of_other_sizes_are_refused() {
    if !have_openssl() {
        return;
    }
    for bits in [
        "rsa_keygen_bits:2047",
        "rsa_keygen_bits:2056",
        "rsa_keygen_bits:1024",
    ] {
        let key = genpkey(&["-algorithm", "RSA", "-pkeyopt", bits]);
        let err = check_private_key(AsymmetricSpec::Rsa2048, &key).unwrap_err();
        assert_eq!(err, CryptoError::KeyMismatch, "{bits}");
    }
}

// ---- signatures ----

/// The openssl digest name of an algorithm's hash.
fn md(alg: SigningAlgorithm) -> &'static str {
    let name = alg.as_str();
    if name.ends_with("256") {
        "sha256"
    } else if name.ends_with("384") {
        "sha384"
    } else {
        "sha512"
    }
}

/// The `pkeyutl` options that make openssl sign or verify like `alg` with a `kind` message, or
/// `None` when the local openssl cannot.
fn pkeyutl_options(alg: SigningAlgorithm, kind: MessageType) -> Option<Vec<String>> {
    let name = alg.as_str();
    let mut options: Vec<String> = match (kind, name) {
        (MessageType::Digest, "ED25519_PH_SHA_512") => {
            if !openssl_has_ed25519ph() {
                return None;
            }
            vec![
                "-rawin".into(),
                "-pkeyopt".into(),
                "instance:Ed25519ph".into(),
            ]
        }
        (MessageType::Raw, "ED25519_SHA_512" | "ML_DSA_SHAKE_256") => vec!["-rawin".into()],
        (MessageType::Raw, _) => vec!["-rawin".into(), "-digest".into(), md(alg).into()],
        (MessageType::Digest, _) => vec!["-pkeyopt".into(), format!("digest:{}", md(alg))],
        (MessageType::ExternalMu, _) => return None,
    };
    if name.starts_with("RSASSA_PSS") {
        for option in ["rsa_padding_mode:pss", "rsa_pss_saltlen:digest"] {
            options.extend(["-pkeyopt".into(), option.into()]);
        }
    }
    Some(options)
}

/// Every (spec, algorithm, message type) the local openssl can sign and verify.
fn openssl_cases() -> Vec<(AsymmetricSpec, SigningAlgorithm, MessageType, Vec<String>)> {
    let mut cases = Vec::new();
    for spec in AsymmetricSpec::ALL {
        if genpkey_options(spec).is_none() {
            continue;
        }
        for &alg in spec.signing_algorithms() {
            for kind in MessageType::ALL.into_iter().filter(|k| allowed(alg, *k)) {
                if let Some(options) = pkeyutl_options(alg, kind) {
                    cases.push((spec, alg, kind, options));
                }
            }
        }
    }
    cases
}

/// `openssl pkeyutl -verify` of `sig.bin` over `msg.bin` with the public key `pub.der` in `dir`.
fn openssl_verifies(dir: &Path, options: &[String]) -> bool {
    let mut args: Vec<&str> = vec![
        "pkeyutl", "-verify", "-pubin", "-inkey", "pub.der", "-keyform", "DER", "-in", "msg.bin",
        "-sigfile", "sig.bin",
    ];
    args.extend(options.iter().map(String::as_str));
    run(dir, &args).status.success()
}

#[test]
fn openssl_verifies_our_signatures() {
    if !have_openssl() {
        return;
    }
    // RSA (3 sizes, 6 algorithms, RAW and DIGEST), ECDSA (4 curves, both) and Ed25519 at least.
    let cases = openssl_cases();
    let least = 3 * 12 + 4 * 2 + 1;
    assert!(cases.len() >= least, "{} cases", cases.len());
    for (spec, alg, kind, options) in cases {
        let case = format!("{spec:?} {alg:?} {kind:?}");
        let dir = tempfile::tempdir().unwrap();
        let message = message_as(spec, alg, kind);
        let signature = sign(spec, key(spec), alg, kind, &message).unwrap();
        std::fs::write(
            dir.path().join("pub.der"),
            public_key_der(spec, key(spec)).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("msg.bin"), &message).unwrap();
        std::fs::write(dir.path().join("sig.bin"), &signature).unwrap();
        assert!(openssl_verifies(dir.path(), &options), "{case}");

        // The same signature over another message does not verify.
        let mut other = message.clone();
        other[0] ^= 1;
        std::fs::write(dir.path().join("msg.bin"), &other).unwrap();
        assert!(!openssl_verifies(dir.path(), &options), "{case}");
    }
}

#[test]
fn we_verify_openssl_signatures() {
    if !have_openssl() {
        return;
    }
    for (spec, alg, kind, options) in openssl_cases() {
        let case = format!("{spec:?} {alg:?} {kind:?}");
        let theirs = openssl_key(spec).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("key.der"), theirs).unwrap();
        let message = message_as(spec, alg, kind);
        std::fs::write(dir.path().join("msg.bin"), &message).unwrap();
        let mut args: Vec<&str> = vec![
            "pkeyutl", "-sign", "-inkey", "key.der", "-keyform", "DER", "-in", "msg.bin", "-out",
            "sig.bin",
        ];
        args.extend(options.iter().map(String::as_str));
        openssl(dir.path(), &args);
        let signature = std::fs::read(dir.path().join("sig.bin")).unwrap();
        assert!(
            verify(spec, theirs, alg, kind, &message, &signature).unwrap(),
            "{case}"
        );
        let mut other = signature.clone();
        other[signature.len() / 2] ^= 1;
        assert!(
            !verify(spec, theirs, alg, kind, &message, &other).unwrap(),
            "{case}"
        );
    }
}

// ---- RSA-OAEP ----

/// The openssl digest name of an OAEP hash.
fn oaep_md(hash: OaepHash) -> &'static str {
    match hash {
        OaepHash::Sha1 => "sha1",
        OaepHash::Sha256 => "sha256",
    }
}

/// `openssl pkeyutl` RSA-OAEP of `input` to `output` in `dir`: encryption to `pub.der`, or
/// decryption with `key.der`, the options as the AWS guide writes them.
fn pkeyutl_oaep(dir: &Path, decrypt: bool, hash: OaepHash, input: &str, output: &str) {
    let oaep = format!("rsa_oaep_md:{}", oaep_md(hash));
    let mgf1 = format!("rsa_mgf1_md:{}", oaep_md(hash));
    let mut args = vec!["pkeyutl", "-in", input, "-out", output, "-keyform", "DER"];
    if decrypt {
        args.extend(["-decrypt", "-inkey", "key.der"]);
    } else {
        args.extend(["-encrypt", "-pubin", "-inkey", "pub.der"]);
    }
    args.extend([
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        &oaep,
        "-pkeyopt",
        &mgf1,
    ]);
    openssl(dir, &args);
}

#[test]
fn oaep_ciphertexts_decrypt_both_ways() {
    if !have_openssl() {
        return;
    }
    for spec in AsymmetricSpec::ALL.into_iter().filter(|s| s.is_rsa()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("key.der"), key(spec)).unwrap();
        std::fs::write(
            dir.path().join("pub.der"),
            public_key_der(spec, key(spec)).unwrap(),
        )
        .unwrap();
        for hash in OaepHash::ALL {
            // openssl encrypts to our public key; we decrypt.
            std::fs::write(dir.path().join("plain.bin"), b"from openssl").unwrap();
            pkeyutl_oaep(dir.path(), false, hash, "plain.bin", "c.bin");
            let ciphertext = std::fs::read(dir.path().join("c.bin")).unwrap();
            let opened = rsa_oaep_decrypt(spec, key(spec), hash, &ciphertext).unwrap();
            assert_eq!(opened.expose(), b"from openssl", "{spec:?} {hash:?}");

            // We encrypt; openssl decrypts with the private key.
            let ciphertext = rsa_oaep_encrypt(spec, key(spec), hash, b"from kmsd").unwrap();
            std::fs::write(dir.path().join("ours.bin"), &ciphertext).unwrap();
            pkeyutl_oaep(dir.path(), true, hash, "ours.bin", "opened.bin");
            let opened = std::fs::read(dir.path().join("opened.bin")).unwrap();
            assert_eq!(opened, b"from kmsd", "{spec:?} {hash:?}");
        }
    }
}

// ---- ECDH ----

#[test]
fn ecdh_agrees_with_openssl_derive() {
    if !have_openssl() {
        return;
    }
    for spec in AsymmetricSpec::ALL.into_iter().filter(|s| s.is_nist_ecc()) {
        let theirs = openssl_key(spec).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("theirs.der"), theirs).unwrap();
        std::fs::write(
            dir.path().join("ours.pub"),
            public_key_der(spec, key(spec)).unwrap(),
        )
        .unwrap();
        let args = [
            "pkeyutl",
            "-derive",
            "-inkey",
            "theirs.der",
            "-keyform",
            "DER",
            "-peerkey",
            "ours.pub",
            "-peerform",
            "DER",
            "-out",
            "secret.bin",
        ];
        openssl(dir.path(), &args);
        let expected = std::fs::read(dir.path().join("secret.bin")).unwrap();
        let their_public = public_key_der(spec, theirs).unwrap();
        let ours = ecdh(spec, key(spec), &their_public).unwrap();
        assert_eq!(ours.expose(), expected, "{spec:?}");
        assert_eq!(ecdh(spec, theirs, &openssl_spki(key(spec))).unwrap(), ours);
    }
}

// ---- ML-DSA through pyca/cryptography ----

/// The Python side of the ML-DSA check, run in a folder with `msg.bin`: `make` writes a fresh
/// key (`key.der`, `pub.der`) and its signature of the message (`theirs.sig`); `check` verifies
/// `raw.sig` and `mu.sig` over the message with `pub.der`, failing on a bad one.
const PYCA_ML_DSA: &str = r#"
import pathlib, sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import mldsa
folder, name, step = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
message = (folder / "msg.bin").read_bytes()
if step == "make":
    key = getattr(mldsa, name + "PrivateKey").generate()
    der = key.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())
    (folder / "key.der").write_bytes(der)
    spki = key.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
    (folder / "pub.der").write_bytes(spki)
    (folder / "theirs.sig").write_bytes(key.sign(message))
else:
    public = s.load_der_public_key((folder / "pub.der").read_bytes())
    for signature in ("raw.sig", "mu.sig"):
        public.verify((folder / signature).read_bytes(), message)
"#;

/// Runs [`PYCA_ML_DSA`] for `step` with the parameter set `name` in `dir`; whether it succeeded.
fn pyca(dir: &Path, name: &str, step: &str) -> bool {
    let folder = dir.to_str().unwrap();
    let args = ["-c", PYCA_ML_DSA, folder, name, step];
    match Command::new("python3").args(args).output() {
        Ok(output) => output.status.success(),
        Err(_) => false,
    }
}

/// Whether Python has pyca/cryptography with ML-DSA; prints a note when it does not.
fn have_pyca_ml_dsa() -> bool {
    let probe = "from cryptography.hazmat.primitives.asymmetric import mldsa";
    let found = Command::new("python3")
        .args(["-c", probe])
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        println!("note: python3 has no pyca/cryptography with ML-DSA; skipping that check");
    }
    found
}

#[test]
fn ml_dsa_interoperates_with_pyca_cryptography() {
    if !have_pyca_ml_dsa() {
        return;
    }
    let alg = SigningAlgorithm::MlDsaShake256;
    for (spec, name) in [
        (AsymmetricSpec::MlDsa44, "MLDSA44"),
        (AsymmetricSpec::MlDsa65, "MLDSA65"),
        (AsymmetricSpec::MlDsa87, "MLDSA87"),
    ] {
        // Python makes a key and signs; the key is accepted and its SPKI is the same.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("msg.bin"), MESSAGE).unwrap();
        assert!(pyca(dir.path(), name, "make"), "{spec:?}");
        let theirs = std::fs::read(dir.path().join("key.der")).unwrap();
        let spki = std::fs::read(dir.path().join("pub.der")).unwrap();
        check_private_key(spec, &theirs).unwrap();
        assert_eq!(public_key_der(spec, &theirs).unwrap(), spki, "{spec:?}");

        // Its signature verifies as RAW and, through μ, as EXTERNAL_MU.
        let signature = std::fs::read(dir.path().join("theirs.sig")).unwrap();
        let mu = mu(&ml_dsa_raw_public(spec, &spki), MESSAGE);
        assert!(verify(spec, &theirs, alg, MessageType::Raw, MESSAGE, &signature).unwrap());
        let by_mu = verify(spec, &theirs, alg, MessageType::ExternalMu, &mu, &signature);
        assert!(by_mu.unwrap(), "{spec:?}");

        // Our RAW and EXTERNAL_MU signatures with its key verify in Python.
        let raw = sign(spec, &theirs, alg, MessageType::Raw, MESSAGE).unwrap();
        let by_mu = sign(spec, &theirs, alg, MessageType::ExternalMu, &mu).unwrap();
        std::fs::write(dir.path().join("raw.sig"), &raw).unwrap();
        std::fs::write(dir.path().join("mu.sig"), &by_mu).unwrap();
        assert!(pyca(dir.path(), name, "check"), "{spec:?}");

        // A changed signature does not.
        std::fs::write(dir.path().join("mu.sig"), flipped_copy(&by_mu)).unwrap();
        assert!(!pyca(dir.path(), name, "check"), "{spec:?}");
    }
}

/// A copy of `bytes` with its first bit flipped.
fn flipped_copy(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[0] ^= 1;
    out
}
