//! Asymmetric, HMAC and key agreement keys on the test side: what each key spec must offer
//! (the algorithm lists of DescribeKey and GetPublicKey), the calls the suites repeat, and the
//! openssl command line as an outside referee for public keys, signatures, RSA-OAEP
//! ciphertexts and ECDH secrets (AWS KMS Developer Guide, "Key spec reference").
//!
//! openssl never runs the code under test, so a check it makes cannot share a mistake with
//! kmsd. A machine without openssl still runs every check that needs only kmsd: [`Openssl::new`]
//! answers `None` and prints a note, and the caller skips the outside check.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use aws_sdk_kms::error::SdkError;
use aws_sdk_kms::operation::import_key_material::{
    ImportKeyMaterialError, ImportKeyMaterialOutput,
};
use aws_sdk_kms::operation::verify::{VerifyError, VerifyOutput};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    AlgorithmSpec, EncryptionAlgorithmSpec, ExpirationModelType, KeyMetadata, KeySpec,
    KeyUsageType, MacAlgorithmSpec, MessageType, OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};
use aws_sdk_kms::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::import::import_request_with;

/// The NIST curves, the only specs with KEY_AGREEMENT.
pub const AGREEMENT_SPECS: [KeySpec; 3] = [
    KeySpec::EccNistP256,
    KeySpec::EccNistP384,
    KeySpec::EccNistP521,
];

/// The signing algorithms DescribeKey lists for a SIGN_VERIFY key of `spec`, in AWS's order.
pub fn signing_algorithms(spec: &KeySpec) -> Vec<SigningAlgorithmSpec> {
    use SigningAlgorithmSpec::*;
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => vec![
            RsassaPkcs1V15Sha256,
            RsassaPkcs1V15Sha384,
            RsassaPkcs1V15Sha512,
            RsassaPssSha256,
            RsassaPssSha384,
            RsassaPssSha512,
        ],
        KeySpec::EccNistP256 | KeySpec::EccSecgP256K1 => vec![EcdsaSha256],
        KeySpec::EccNistP384 => vec![EcdsaSha384],
        KeySpec::EccNistP521 => vec![EcdsaSha512],
        KeySpec::EccNistEdwards25519 => vec![Ed25519Sha512, Ed25519PhSha512],
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => vec![MlDsaShake256],
        other => panic!("{other:?} does not sign"),
    }
}

/// The MAC algorithm of an HMAC spec and the length of its tags in bytes.
pub fn mac_algorithm(spec: &KeySpec) -> (MacAlgorithmSpec, usize) {
    match spec {
        KeySpec::Hmac224 => (MacAlgorithmSpec::HmacSha224, 28),
        KeySpec::Hmac256 => (MacAlgorithmSpec::HmacSha256, 32),
        KeySpec::Hmac384 => (MacAlgorithmSpec::HmacSha384, 48),
        KeySpec::Hmac512 => (MacAlgorithmSpec::HmacSha512, 64),
        other => panic!("{other:?} is no HMAC spec"),
    }
}

/// The HMAC of `message` under `key` with the hash of the HMAC spec `spec`, computed by the
/// `hmac` crate as the reference kmsd's tags must equal (RFC 2104).
pub fn reference_mac(spec: &KeySpec, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn tag<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match spec {
        KeySpec::Hmac224 => tag::<Hmac<Sha224>>(key, message),
        KeySpec::Hmac256 => tag::<Hmac<Sha256>>(key, message),
        KeySpec::Hmac384 => tag::<Hmac<Sha384>>(key, message),
        KeySpec::Hmac512 => tag::<Hmac<Sha512>>(key, message),
        other => panic!("{other:?} is no HMAC spec"),
    }
}

/// The digest a DIGEST-type Sign of `algorithm` expects for `message`: SHA-256, -384 or -512
/// as the algorithm's name says (Ed25519ph prehashes with SHA-512).
pub fn digest(algorithm: &SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    let name = algorithm.as_str();
    if name.ends_with("SHA_256") {
        Sha256::digest(message).to_vec()
    } else if name.ends_with("SHA_384") {
        Sha384::digest(message).to_vec()
    } else if name.ends_with("SHA_512") {
        Sha512::digest(message).to_vec()
    } else {
        panic!("{name} takes no digest")
    }
}

/// The message of InvalidKeyUsageException when a key's usage does not allow `operation`.
pub fn usage_error(arn: &str, usage: &KeyUsageType, operation: &str) -> String {
    format!(
        "{arn} key usage is {} which is not valid for {operation}.",
        usage.as_str()
    )
}

/// The message of InvalidKeyUsageException when `spec` does not offer `algorithm`.
pub fn incompatible(algorithm: &str, spec: &KeySpec) -> String {
    format!(
        "Algorithm {algorithm} is incompatible with key spec {}.",
        spec.as_str()
    )
}

/// The constraint message of a Message member longer than 4096 bytes.
pub const MESSAGE_TOO_LONG: &str = "1 validation error detected: Value at 'message' failed to \
     satisfy constraint: Member must have length less than or equal to 4096";

/// Creates a key of `spec` and `usage` with the given origin, single- or multi-Region.
pub async fn create_with(
    kms: &Client,
    spec: KeySpec,
    usage: KeyUsageType,
    origin: OriginType,
    multi_region: bool,
) -> KeyMetadata {
    kms.create_key()
        .key_spec(spec.clone())
        .key_usage(usage.clone())
        .origin(origin.clone())
        .multi_region(multi_region)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateKey {spec:?} {usage:?} {origin:?}: {e:?}"))
        .key_metadata
        .expect("KeyMetadata")
}

/// Creates a single-Region AWS_KMS key of `spec` and `usage`.
pub async fn create(kms: &Client, spec: KeySpec, usage: KeyUsageType) -> KeyMetadata {
    create_with(kms, spec, usage, OriginType::AwsKms, false).await
}

/// The DER SubjectPublicKeyInfo GetPublicKey answers for `key`.
pub async fn public_key(kms: &Client, key: &str) -> Vec<u8> {
    kms.get_public_key()
        .key_id(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetPublicKey {key}: {e:?}"))
        .public_key()
        .expect("PublicKey")
        .as_ref()
        .to_vec()
}

/// A successful Sign; answers the signature.
pub async fn sign(
    kms: &Client,
    key: &str,
    algorithm: &SigningAlgorithmSpec,
    message_type: &MessageType,
    message: &[u8],
) -> Vec<u8> {
    kms.sign()
        .key_id(key)
        .signing_algorithm(algorithm.clone())
        .message_type(message_type.clone())
        .message(Blob::new(message))
        .send()
        .await
        .unwrap_or_else(|e| panic!("Sign {algorithm:?} {message_type:?}: {e:?}"))
        .signature()
        .expect("Signature")
        .as_ref()
        .to_vec()
}

/// A Verify call, answered as it came back.
pub async fn verify(
    kms: &Client,
    key: &str,
    algorithm: &SigningAlgorithmSpec,
    message_type: &MessageType,
    message: &[u8],
    signature: &[u8],
) -> Result<VerifyOutput, SdkError<VerifyError, HttpResponse>> {
    kms.verify()
        .key_id(key)
        .signing_algorithm(algorithm.clone())
        .message_type(message_type.clone())
        .message(Blob::new(message))
        .signature(Blob::new(signature))
        .send()
        .await
}

/// Asserts that kmsd's Verify accepts `signature`.
pub async fn assert_verifies(
    kms: &Client,
    key: &str,
    algorithm: &SigningAlgorithmSpec,
    message_type: &MessageType,
    message: &[u8],
    signature: &[u8],
) {
    let out = verify(kms, key, algorithm, message_type, message, signature)
        .await
        .unwrap_or_else(|e| panic!("Verify {algorithm:?} {message_type:?}: {e:?}"));
    assert!(out.signature_valid(), "{algorithm:?} {message_type:?}");
    assert_eq!(out.signing_algorithm(), Some(algorithm));
}

/// Creates an EXTERNAL key of `spec` and `usage`, waiting for its material.
pub async fn create_external(kms: &Client, spec: KeySpec, usage: KeyUsageType) -> KeyMetadata {
    create_with(kms, spec, usage, OriginType::External, false).await
}

/// Imports DER PKCS#8 (or raw HMAC) `material` into `key`, wrapped by openssl with
/// RSA_AES_KEY_WRAP_SHA_256 under an RSA_2048 wrapping key (the one pair that fits every
/// asymmetric spec), without expiry.
pub async fn import_material(
    kms: &Client,
    key: &str,
    material: &[u8],
) -> Result<ImportKeyMaterialOutput, SdkError<ImportKeyMaterialError, HttpResponse>> {
    import_request_with(
        kms,
        key,
        material,
        AlgorithmSpec::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa2048,
    )
    .await
    .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
    .send()
    .await
}

/// Whether `openssl version` runs; asked once per test binary.
fn openssl_on_path() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// The openssl command line, run in a scratch directory of its own.
pub struct Openssl {
    dir: tempfile::TempDir,
}

impl Openssl {
    /// A scratch directory for openssl, or `None` with a note naming the check `what` that
    /// the caller then skips.
    pub fn new(what: &str) -> Option<Openssl> {
        if !openssl_on_path() {
            eprintln!("note: openssl is not on PATH; skipping the openssl check of {what}");
            return None;
        }
        Some(Openssl {
            dir: tempfile::tempdir().unwrap(),
        })
    }

    /// Like [`Openssl::new`], but also `None` (with a note) when this openssl has no ML-DSA.
    pub fn with_ml_dsa(what: &str) -> Option<Openssl> {
        let ossl = Openssl::new(what)?;
        if !ossl.has_ml_dsa() {
            eprintln!(
                "note: this openssl has no ML-DSA (3.5+); skipping the openssl check of {what}"
            );
            return None;
        }
        Some(ossl)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` to file `name` of the scratch directory.
    pub fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path().join(name), bytes).unwrap();
    }

    /// The bytes of file `name` of the scratch directory.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path().join(name)).unwrap()
    }

    /// Runs openssl with `args` and answers what it did.
    pub fn output(&self, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("run openssl")
    }

    /// Runs openssl with `args`, fails the test on a non-zero exit, and answers stdout.
    pub fn run(&self, args: &[&str]) -> Vec<u8> {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Whether this openssl knows ML-DSA (3.5 and later do).
    pub fn has_ml_dsa(&self) -> bool {
        let listed = self.run(&["list", "-signature-algorithms"]);
        String::from_utf8_lossy(&listed).contains("ML-DSA")
    }

    /// Whether this openssl signs Ed25519ph (`instance:Ed25519ph`, 3.2 and later).
    pub fn has_ed25519ph(&self) -> bool {
        let key = self.generate(&KeySpec::EccNistEdwards25519);
        self.write("probe.der", &key);
        self.write("probe.msg", b"probe");
        let args = [
            "pkeyutl",
            "-sign",
            "-rawin",
            "-inkey",
            "probe.der",
            "-keyform",
            "DER",
            "-in",
            "probe.msg",
            "-pkeyopt",
            "instance:Ed25519ph",
        ];
        self.output(&args).status.success()
    }

    /// A fresh private key of `spec` from `openssl genpkey`, as DER PKCS#8.
    pub fn generate(&self, spec: &KeySpec) -> Vec<u8> {
        let options: &[&str] = match spec {
            KeySpec::Rsa2048 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            KeySpec::Rsa3072 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
            KeySpec::Rsa4096 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
            KeySpec::EccNistP256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeySpec::EccNistP384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeySpec::EccNistP521 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            KeySpec::EccSecgP256K1 => &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:secp256k1",
            ],
            KeySpec::EccNistEdwards25519 => &["-algorithm", "ED25519"],
            other => panic!("no openssl genpkey for {other:?}"),
        };
        let mut args = vec!["genpkey"];
        args.extend_from_slice(options);
        args.extend_from_slice(&["-out", "generated.pem"]);
        self.run(&args);

        // `genpkey -outform DER` writes RSA and EC keys in their traditional form (PKCS #1,
        // SEC 1); `pkcs8 -topk8` gives the PrivateKeyInfo that import expects.
        self.run(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "generated.pem",
            "-outform",
            "DER",
            "-out",
            "generated.der",
        ]);
        self.read("generated.der")
    }

    /// The DER SPKI of the DER PKCS#8 private key `private_key`.
    pub fn public_of(&self, private_key: &[u8]) -> Vec<u8> {
        self.write("private.der", private_key);
        self.run(&[
            "pkey",
            "-inform",
            "DER",
            "-in",
            "private.der",
            "-pubout",
            "-outform",
            "DER",
        ])
    }

    /// Parses the DER SPKI `spki` and answers it re-encoded by openssl.
    pub fn reencode_public(&self, spki: &[u8]) -> Vec<u8> {
        self.write("spki.der", spki);
        self.run(&[
            "pkey", "-pubin", "-inform", "DER", "-in", "spki.der", "-outform", "DER",
        ])
    }

    /// openssl's description of the DER SPKI `spki` (`pkey -text`).
    pub fn describe_public(&self, spki: &[u8]) -> String {
        self.write("spki.der", spki);
        let text = self.run(&[
            "pkey", "-pubin", "-inform", "DER", "-in", "spki.der", "-text", "-noout",
        ]);
        String::from_utf8(text).unwrap()
    }

    /// Whether `signature` over `message` (of `message_type`) checks out under the DER SPKI
    /// `spki` with `algorithm`, by `openssl pkeyutl -verify`.
    pub fn verifies(
        &self,
        spki: &[u8],
        algorithm: &SigningAlgorithmSpec,
        message_type: &MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        self.write("verify.pub", spki);
        self.write("verify.sig", signature);
        self.write(
            "verify.in",
            &openssl_input(algorithm, message_type, message),
        );
        let mut args = vec![
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "verify.pub",
            "-keyform",
            "DER",
            "-in",
            "verify.in",
            "-sigfile",
            "verify.sig",
        ];
        args.extend(pkeyutl_options(algorithm));
        self.output(&args).status.success()
    }

    /// A signature over the RAW `message` by the DER PKCS#8 `private_key` with `algorithm`,
    /// made by `openssl pkeyutl -sign`.
    pub fn sign(
        &self,
        private_key: &[u8],
        algorithm: &SigningAlgorithmSpec,
        message: &[u8],
    ) -> Vec<u8> {
        self.write("sign.der", private_key);
        self.write(
            "sign.in",
            &openssl_input(algorithm, &MessageType::Raw, message),
        );
        let mut args = vec![
            "pkeyutl", "-sign", "-inkey", "sign.der", "-keyform", "DER", "-in", "sign.in", "-out",
            "sign.sig",
        ];
        args.extend(pkeyutl_options(algorithm));
        self.run(&args);
        self.read("sign.sig")
    }

    /// RSA-OAEP encryption of `plaintext` under the DER SPKI `spki`, OAEP and MGF1 with `md`
    /// ("sha1" or "sha256").
    pub fn oaep_encrypt(&self, spki: &[u8], md: &str, plaintext: &[u8]) -> Vec<u8> {
        self.write("oaep.pub", spki);
        self.write("oaep.in", plaintext);
        let (oaep_md, mgf1_md) = (format!("rsa_oaep_md:{md}"), format!("rsa_mgf1_md:{md}"));
        self.run(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "oaep.pub",
            "-keyform",
            "DER",
            "-in",
            "oaep.in",
            "-out",
            "oaep.out",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &oaep_md,
            "-pkeyopt",
            &mgf1_md,
        ]);
        self.read("oaep.out")
    }

    /// RSA-OAEP decryption of `ciphertext` by the DER PKCS#8 `private_key`, OAEP and MGF1
    /// with `md`.
    pub fn oaep_decrypt(&self, private_key: &[u8], md: &str, ciphertext: &[u8]) -> Vec<u8> {
        self.write("oaep.der", private_key);
        self.write("oaep.ct", ciphertext);
        let (oaep_md, mgf1_md) = (format!("rsa_oaep_md:{md}"), format!("rsa_mgf1_md:{md}"));
        self.run(&[
            "pkeyutl",
            "-decrypt",
            "-inkey",
            "oaep.der",
            "-keyform",
            "DER",
            "-in",
            "oaep.ct",
            "-out",
            "oaep.pt",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &oaep_md,
            "-pkeyopt",
            &mgf1_md,
        ]);
        self.read("oaep.pt")
    }

    /// The ECDH secret of the DER PKCS#8 `private_key` and the DER SPKI `peer`.
    pub fn derive(&self, private_key: &[u8], peer: &[u8]) -> Vec<u8> {
        self.write("derive.der", private_key);
        self.write("derive.peer", peer);
        self.run(&[
            "pkeyutl",
            "-derive",
            "-inkey",
            "derive.der",
            "-keyform",
            "DER",
            "-peerkey",
            "derive.peer",
            "-peerform",
            "DER",
            "-out",
            "derive.out",
        ]);
        self.read("derive.out")
    }

    /// The 64-byte SHAKE256 of `input`, as FIPS 204 uses it to hash public keys and messages.
    pub fn shake256_64(&self, input: &[u8]) -> Vec<u8> {
        self.write("shake.in", input);
        self.run(&[
            "dgst",
            "-shake256",
            "-xoflen",
            "64",
            "-binary",
            "-out",
            "shake.out",
            "shake.in",
        ]);
        self.read("shake.out")
    }
}

/// What openssl is handed for `message`: the digest for RSA and ECDSA (which sign a digest),
/// the bytes as given for Ed25519, Ed25519ph and ML-DSA (which openssl reads with `-rawin`).
fn openssl_input(
    algorithm: &SigningAlgorithmSpec,
    message_type: &MessageType,
    message: &[u8],
) -> Vec<u8> {
    match (pkeyutl_options(algorithm).first(), message_type) {
        (Some(&"-rawin"), _) | (_, MessageType::Digest) => message.to_vec(),
        _ => digest(algorithm, message),
    }
}

/// The `pkeyutl` options that select `algorithm`'s padding and digest.
fn pkeyutl_options(algorithm: &SigningAlgorithmSpec) -> Vec<&'static str> {
    use SigningAlgorithmSpec::*;
    let md = match algorithm.as_str() {
        name if name.ends_with("SHA_256") => "digest:sha256",
        name if name.ends_with("SHA_384") => "digest:sha384",
        _ => "digest:sha512",
    };
    let pss = [
        "-pkeyopt",
        "rsa_padding_mode:pss",
        "-pkeyopt",
        "rsa_pss_saltlen:digest",
    ];
    match algorithm {
        RsassaPkcs1V15Sha256 | RsassaPkcs1V15Sha384 | RsassaPkcs1V15Sha512 => {
            vec!["-pkeyopt", md]
        }
        RsassaPssSha256 | RsassaPssSha384 | RsassaPssSha512 => {
            let mut options = pss.to_vec();
            options.extend(["-pkeyopt", md]);
            options
        }
        EcdsaSha256 | EcdsaSha384 | EcdsaSha512 => vec!["-pkeyopt", md],
        Ed25519Sha512 | MlDsaShake256 => vec!["-rawin"],
        Ed25519PhSha512 => vec!["-rawin", "-pkeyopt", "instance:Ed25519ph"],
        other => panic!("no openssl options for {other:?}"),
    }
}

/// Whether a DER SPKI names the algorithm with DER-encoded OID `oid`.
pub fn spki_has_oid(spki: &[u8], oid: &[u8]) -> bool {
    spki.windows(oid.len()).any(|w| w == oid)
}

/// The encryption algorithms DescribeKey lists for an RSA ENCRYPT_DECRYPT key.
pub fn rsa_encryption_algorithms() -> Vec<EncryptionAlgorithmSpec> {
    vec![
        EncryptionAlgorithmSpec::RsaesOaepSha1,
        EncryptionAlgorithmSpec::RsaesOaepSha256,
    ]
}
