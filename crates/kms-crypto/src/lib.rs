//! Every cryptographic primitive of kmsd; the only crate that touches key bytes.
//!
//! - [`SecretBytes`] carries every secret out of the crate: zeroed on drop, redacted in
//!   `Debug`, compared in constant time.
//! - [`RootKey`] and [`Sealer`] seal stored secrets under the deployment's root key, with a key
//!   per [`Purpose`] and the root key named in every blob so it can rotate (ARCHITECTURE.md,
//!   "Key material at rest").
//! - [`ciphertext`] is the private format of symmetric ciphertexts, which binds the key
//!   reference, the material version and the encryption context (ARCHITECTURE.md, "Ciphertext
//!   format"; SPEC.md B22-B23, D8).
//! - [`import`] makes the wrapping key pairs and import tokens of GetParametersForImport and
//!   unwraps the material of ImportKeyMaterial (ARCHITECTURE.md, "Imported key material").
//! - [`peer`] encrypts secrets to another deployment's public key for multi-Region
//!   replication between deployments (ARCHITECTURE.md, "Multi-Region keys and replication").
//! - [`asymmetric`] holds the asymmetric keys of Sign, Verify, RSA Encrypt and Decrypt, and
//!   DeriveSharedSecret: generating, checking imported and publishing key pairs of every AWS
//!   asymmetric key spec.
//! - [`mac`] computes and verifies the HMACs of GenerateMac and VerifyMac.
//! - [`material_id`] names a version of key material without revealing it (SPEC.md A31), and
//!   [`canonical_context`] encodes an encryption context injectively.
//!
//! The primitives come from aws-lc-rs: AES-256-GCM, HKDF-SHA256, SHA-2 and its DRBG, RSA-OAEP,
//! AES key wrap, ECDH, HMAC, and the RSA, ECDSA, Ed25519 and ML-DSA signatures. The two variants
//! it has no safe API for come from RustCrypto crates: Ed25519ph (`ed25519-dalek`) and ML-DSA
//! with an external μ (`ml-dsa`); see [`asymmetric`].

#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a failed step fails the test"
    )
)]

pub mod asymmetric;
pub mod ciphertext;
mod context;
mod error;
pub mod import;
mod kdf;
pub mod mac;
mod material;
pub mod peer;
mod root_key;
mod seal;
mod secret;

pub use crate::context::canonical_context;
pub use crate::error::CryptoError;
pub use crate::material::{material_id, material_id_hex, parse_material_id};
pub use crate::root_key::{RootKey, ROOT_KEY_ID_LEN, ROOT_KEY_LEN};
pub use crate::seal::{sealed_key_id, Purpose, Sealer};
pub use crate::secret::{random_bytes, random_secret, SecretBytes};
