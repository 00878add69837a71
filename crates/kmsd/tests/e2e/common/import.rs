//! Imported key material on the test side (SPEC §A): material is wrapped by the `openssl`
//! command line, the way a user wraps it, never by the crypto code under test. RSAES_OAEP_*
//! is one `pkeyutl -encrypt` (SPEC A13); RSA_AES_KEY_WRAP_* is an OAEP-wrapped ephemeral
//! AES-256 key followed by the RFC 5649 wrap of the material (SPEC A15).

use std::path::Path;
use std::process::Command;

use aws_sdk_kms::operation::get_parameters_for_import::GetParametersForImportOutput;
use aws_sdk_kms::operation::import_key_material::builders::ImportKeyMaterialFluentBuilder;
use aws_sdk_kms::operation::import_key_material::ImportKeyMaterialOutput;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, KeyMetadata, OriginType, WrappingKeySpec,
};
use aws_sdk_kms::Client;

use super::now_secs;

/// The four wrapping algorithms kmsd must accept (SPEC A7).
pub const ALGORITHMS: [AlgorithmSpec; 4] = [
    AlgorithmSpec::RsaesOaepSha1,
    AlgorithmSpec::RsaesOaepSha256,
    AlgorithmSpec::RsaAesKeyWrapSha1,
    AlgorithmSpec::RsaAesKeyWrapSha256,
];

/// The three RSA wrapping key specs and their modulus sizes in bits (SPEC A7, A9).
pub const SPECS: [(WrappingKeySpec, u32); 3] = [
    (WrappingKeySpec::Rsa2048, 2048),
    (WrappingKeySpec::Rsa3072, 3072),
    (WrappingKeySpec::Rsa4096, 4096),
];

/// The DER of the rsaEncryption OID (1.2.840.113549.1.1.1), as it appears in the
/// AlgorithmIdentifier of an RSA SubjectPublicKeyInfo.
const RSA_ENCRYPTION_OID: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// Runs `openssl` in `dir`, fails the test on a non-zero exit, and returns stdout.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (it must be on PATH)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `openssl pkeyutl` RSA-OAEP encryption of file `input` in `dir` to `output`, with OAEP
/// and MGF1 both using `md` ("sha1" or "sha256") and an empty label.
fn oaep_encrypt(dir: &Path, md: &str, input: &str, output: &str) {
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

/// The EncryptedKeyMaterial for `material` under the DER SPKI `public_key` with `algorithm`,
/// produced by the openssl command line in a temp dir.
pub fn wrap(public_key: &[u8], algorithm: &AlgorithmSpec, material: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    std::fs::write(path.join("pub.der"), public_key).unwrap();
    std::fs::write(path.join("material.bin"), material).unwrap();
    let (md, key_wrap) = match algorithm {
        AlgorithmSpec::RsaesOaepSha1 => ("sha1", false),
        AlgorithmSpec::RsaesOaepSha256 => ("sha256", false),
        AlgorithmSpec::RsaAesKeyWrapSha1 => ("sha1", true),
        AlgorithmSpec::RsaAesKeyWrapSha256 => ("sha256", true),
        other => panic!("no openssl wrapping for {other:?}"),
    };
    if !key_wrap {
        oaep_encrypt(path, md, "material.bin", "wrapped.bin");
        return std::fs::read(path.join("wrapped.bin")).unwrap();
    }

    // SPEC A15: an ephemeral AES-256 key, RFC 5649 wrap of the material under it, the AES key
    // OAEP-wrapped under the public key; the RSA part goes first.
    let aes_hex = String::from_utf8(openssl(path, &["rand", "-hex", "32"])).unwrap();
    let aes_hex = aes_hex.trim();
    std::fs::write(path.join("aes.bin"), hex::decode(aes_hex).unwrap()).unwrap();
    openssl(
        path,
        &[
            "enc",
            "-id-aes256-wrap-pad",
            "-K",
            aes_hex,
            "-iv",
            "A65959A6",
            "-in",
            "material.bin",
            "-out",
            "kwp.bin",
        ],
    );
    oaep_encrypt(path, md, "aes.bin", "rsa.bin");
    let mut wrapped = std::fs::read(path.join("rsa.bin")).unwrap();
    wrapped.extend(std::fs::read(path.join("kwp.bin")).unwrap());
    wrapped
}

/// The modulus size in bits of the RSA key in a DER SubjectPublicKeyInfo, as openssl reads it.
/// Fails the test unless openssl parses it as SPKI and re-encodes it to the same bytes.
pub fn spki_rsa_bits(public_key: &[u8]) -> u32 {
    assert!(
        public_key
            .windows(RSA_ENCRYPTION_OID.len())
            .any(|w| w == RSA_ENCRYPTION_OID),
        "PublicKey carries no rsaEncryption AlgorithmIdentifier (SPEC A9)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pub.der"), public_key).unwrap();
    let reencoded = openssl(
        dir.path(),
        &[
            "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-outform", "DER",
        ],
    );
    assert_eq!(reencoded, public_key, "PublicKey is not canonical DER SPKI");
    let text = String::from_utf8(openssl(
        dir.path(),
        &[
            "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-text", "-noout",
        ],
    ))
    .unwrap();
    let bits = text
        .split("Public-Key: (")
        .nth(1)
        .and_then(|rest| rest.split(" bit").next())
        .unwrap_or_else(|| panic!("no modulus size in openssl's text:\n{text}"));
    bits.parse().unwrap()
}

/// Creates a symmetric key with Origin=EXTERNAL (SPEC A1).
pub async fn create_external(kms: &Client) -> KeyMetadata {
    kms.create_key()
        .origin(OriginType::External)
        .send()
        .await
        .expect("CreateKey Origin=EXTERNAL")
        .key_metadata
        .expect("KeyMetadata")
}

/// DescribeKey's metadata.
pub async fn describe(kms: &Client, key: &str) -> KeyMetadata {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .expect("DescribeKey")
        .key_metadata
        .expect("KeyMetadata")
}

/// A successful GetParametersForImport.
pub async fn parameters(
    kms: &Client,
    key: &str,
    algorithm: AlgorithmSpec,
    spec: WrappingKeySpec,
) -> GetParametersForImportOutput {
    kms.get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(algorithm.clone())
        .wrapping_key_spec(spec.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetParametersForImport {algorithm:?} {spec:?}: {e:?}"))
}

/// The token of a parameters answer.
pub fn token_of(params: &GetParametersForImportOutput) -> Vec<u8> {
    params
        .import_token()
        .expect("ImportToken")
        .as_ref()
        .to_vec()
}

/// The public key (DER SPKI) of a parameters answer.
pub fn public_key_of(params: &GetParametersForImportOutput) -> Vec<u8> {
    params.public_key().expect("PublicKey").as_ref().to_vec()
}

/// Fresh parameters for `key`, and `material` wrapped under them: (token, encrypted material).
pub async fn wrap_for(
    kms: &Client,
    key: &str,
    algorithm: AlgorithmSpec,
    spec: WrappingKeySpec,
    material: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let params = parameters(kms, key, algorithm.clone(), spec).await;
    let wrapped = wrap(&public_key_of(&params), &algorithm, material);
    (token_of(&params), wrapped)
}

/// An ImportKeyMaterial request for `key` with a fresh token and `material` wrapped with
/// `algorithm` / `spec`; expiry settings and ImportType are left to the caller.
pub async fn import_request_with(
    kms: &Client,
    key: &str,
    material: &[u8],
    algorithm: AlgorithmSpec,
    spec: WrappingKeySpec,
) -> ImportKeyMaterialFluentBuilder {
    let (token, wrapped) = wrap_for(kms, key, algorithm, spec, material).await;
    kms.import_key_material()
        .key_id(key)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(wrapped))
}

/// [`import_request_with`] with RSAES_OAEP_SHA_256 and RSA_2048, the quickest pair.
pub async fn import_request(
    kms: &Client,
    key: &str,
    material: &[u8],
) -> ImportKeyMaterialFluentBuilder {
    import_request_with(
        kms,
        key,
        material,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )
    .await
}

/// Imports `material` into `key` with KEY_MATERIAL_DOES_NOT_EXPIRE and the default ImportType.
pub async fn import_forever(kms: &Client, key: &str, material: &[u8]) -> ImportKeyMaterialOutput {
    import_request(kms, key, material)
        .await
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .expect("ImportKeyMaterial KEY_MATERIAL_DOES_NOT_EXPIRE")
}

/// Imports `material` into `key`, expiring at `valid_to` (epoch seconds).
pub async fn import_until(
    kms: &Client,
    key: &str,
    material: &[u8],
    valid_to: i64,
) -> ImportKeyMaterialOutput {
    import_request(kms, key, material)
        .await
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(DateTime::from_secs(valid_to))
        .send()
        .await
        .expect("ImportKeyMaterial KEY_MATERIAL_EXPIRES")
}

/// Epoch seconds `days` from now.
pub fn days_ahead(days: i64) -> i64 {
    now_secs() + days * 86_400
}

/// SPEC A5 / C5 [5]: the message of every cryptographic operation on a key without material.
pub fn pending_import(arn: &str) -> String {
    format!("{arn} is pending import.")
}

/// Encrypts `plaintext` under `key` and returns the ciphertext.
pub async fn encrypt(kms: &Client, key: &str, plaintext: &[u8]) -> Vec<u8> {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new(plaintext))
        .send()
        .await
        .expect("Encrypt")
        .ciphertext_blob()
        .expect("CiphertextBlob")
        .as_ref()
        .to_vec()
}

/// Decrypts `ciphertext` and returns (plaintext, KeyMaterialId).
pub async fn decrypt(kms: &Client, ciphertext: &[u8]) -> (Vec<u8>, Option<String>) {
    let out = kms
        .decrypt()
        .ciphertext_blob(Blob::new(ciphertext))
        .send()
        .await
        .expect("Decrypt");
    (
        out.plaintext().expect("Plaintext").as_ref().to_vec(),
        out.key_material_id().map(str::to_string),
    )
}
