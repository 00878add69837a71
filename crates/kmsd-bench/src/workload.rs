//! The workloads: what each one prepares in the set-up and which call it sends next.
//!
//! Each workload runs on keys of one kind (symmetric, ECC or RSA signing, HMAC), and `--keys N`
//! means N keys of that kind.

use std::fmt;

use crate::kms::{random_plaintext_b64, Call, KeyKind, ECDSA_SHA_256, RSASSA_PSS_SHA_256};
use crate::target::{Fixture, Key, SetupOptions, Target};

/// The RSA sizes of the wrapping keys that GetParametersForImport is measured with.
pub const WRAPPING_KEY_SIZES: [u32; 3] = [2048, 3072, 4096];

/// A benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Encrypt of a 64 B plaintext.
    Encrypt64,
    /// Encrypt of a 4 KiB plaintext.
    Encrypt4k,
    /// Decrypt of ciphertexts made in the set-up.
    Decrypt,
    /// GenerateDataKey with key spec AES_256.
    GenerateDataKey,
    /// Sign of a 64 B message with an `ECC_NIST_P256` key, `ECDSA_SHA_256`.
    Sign,
    /// Verify of `ECDSA_SHA_256` signatures made in the set-up.
    Verify,
    /// Sign of a 64 B message with an `RSA_2048` key, `RSASSA_PSS_SHA_256`.
    SignRsa,
    /// GenerateMac of a 64 B message with an `HMAC_256` key, `HMAC_SHA_256`.
    GenerateMac,
    /// 90 % reads (Encrypt and Decrypt, evenly) and 10 % writes (CreateKey and TagResource).
    Mixed,
    /// GetParametersForImport with an RSA wrapping key of this many bits.
    ImportParameters(u32),
    /// CreateKey, a durable write.
    CreateKey,
}

impl Workload {
    /// Every workload, in the order `all` runs them.
    pub fn all() -> Vec<Workload> {
        let mut all = vec![
            Workload::Encrypt64,
            Workload::Encrypt4k,
            Workload::Decrypt,
            Workload::GenerateDataKey,
            Workload::Sign,
            Workload::Verify,
            Workload::SignRsa,
            Workload::GenerateMac,
            Workload::Mixed,
        ];
        all.extend(WRAPPING_KEY_SIZES.map(Workload::ImportParameters));
        all.push(Workload::CreateKey);
        all
    }

    /// The workloads that one `--workload` value names (`all` and
    /// `get-parameters-for-import` name several).
    pub fn parse(name: &str) -> Result<Vec<Workload>, String> {
        // The names that stand for several workloads.
        match name {
            "all" => return Ok(Workload::all()),
            "get-parameters-for-import" => {
                return Ok(WRAPPING_KEY_SIZES.map(Workload::ImportParameters).to_vec())
            }
            _ => {}
        }

        // Otherwise exactly one workload of that name.
        Workload::all()
            .into_iter()
            .find(|w| w.to_string() == name)
            .map(|w| vec![w])
            .ok_or_else(|| {
                let names: Vec<String> = Workload::all().iter().map(|w| w.to_string()).collect();
                format!(
                    "unknown workload {name:?}; expected all, get-parameters-for-import or one of {}",
                    names.join(", ")
                )
            })
    }

    /// The kind of the existing keys that the workload's calls pick from (none for CreateKey).
    pub fn key_kind(self) -> Option<KeyKind> {
        match self {
            Workload::CreateKey => None,
            Workload::Sign | Workload::Verify => Some(KeyKind::EccSigning),
            Workload::SignRsa => Some(KeyKind::RsaSigning),
            Workload::GenerateMac => Some(KeyKind::Hmac),
            Workload::Encrypt64
            | Workload::Encrypt4k
            | Workload::Decrypt
            | Workload::GenerateDataKey
            | Workload::Mixed
            | Workload::ImportParameters(_) => Some(KeyKind::Symmetric),
        }
    }

    /// Creates what the workload picks from: keys, ciphertexts, signatures, `EXTERNAL` keys.
    pub async fn prepare(
        self,
        target: &Target,
        fixture: &mut Fixture,
        keys: usize,
        opts: SetupOptions,
    ) {
        // Every workload but CreateKey works on `keys` existing keys of its kind.
        if let Some(kind) = self.key_kind() {
            fixture.ensure_keys(target, kind, keys, opts).await;
        }

        // Decrypt needs ciphertexts, Verify signatures, GetParametersForImport keys without
        // material.
        match self {
            Workload::Decrypt | Workload::Mixed => fixture.ensure_ciphertexts(target, opts).await,
            Workload::Verify => fixture.ensure_signatures(target, opts).await,
            Workload::ImportParameters(_) => fixture.ensure_external(target, opts).await,
            _ => {}
        }
    }

    /// The plaintext (base64) that this workload's Encrypt calls carry, and the message of its
    /// Sign and GenerateMac calls.
    pub fn plaintext(self) -> String {
        match self {
            Workload::Encrypt4k => random_plaintext_b64(4096),
            _ => random_plaintext_b64(64),
        }
    }

    /// The next call, on a random key of `fixture`.
    ///
    /// `plaintext` is [`Workload::plaintext`]; `regions` are the regions in use, picked from
    /// where a call names no existing key. Returns `None` when the fixture lacks what the call needs.
    pub fn next_call(
        self,
        fixture: &Fixture,
        plaintext: &str,
        regions: &'static [&'static str],
        rng: &mut fastrand::Rng,
    ) -> Option<Call> {
        match self {
            Workload::Encrypt64 | Workload::Encrypt4k => encrypt(fixture, plaintext, rng),
            Workload::Decrypt => decrypt(fixture, rng),
            Workload::GenerateDataKey => {
                let key = pick(&fixture.keys, rng)?;
                Some(Call::generate_data_key(key.region, &key.id))
            }
            Workload::Sign => sign(&fixture.ecc_signing, ECDSA_SHA_256, plaintext, rng),
            Workload::Verify => verify(fixture, rng),
            Workload::SignRsa => sign(&fixture.rsa_signing, RSASSA_PSS_SHA_256, plaintext, rng),
            Workload::GenerateMac => {
                let key = pick(&fixture.hmac, rng)?;
                Some(Call::generate_mac(key.region, &key.id, plaintext))
            }
            Workload::Mixed => mixed(fixture, plaintext, regions, rng),
            Workload::ImportParameters(bits) => {
                let key = pick(&fixture.external, rng)?;
                Some(Call::get_parameters_for_import(key.region, &key.id, bits))
            }
            Workload::CreateKey => Some(Call::create_key(
                pick_region(regions, rng),
                KeyKind::Symmetric,
            )),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Workload::Encrypt64 => f.write_str("encrypt-64"),
            Workload::Encrypt4k => f.write_str("encrypt-4k"),
            Workload::Decrypt => f.write_str("decrypt"),
            Workload::GenerateDataKey => f.write_str("generate-data-key"),
            Workload::Sign => f.write_str("sign"),
            Workload::Verify => f.write_str("verify"),
            Workload::SignRsa => f.write_str("sign-rsa"),
            Workload::GenerateMac => f.write_str("generate-mac"),
            Workload::Mixed => f.write_str("mixed"),
            Workload::ImportParameters(bits) => write!(f, "get-parameters-for-import-{bits}"),
            Workload::CreateKey => f.write_str("create-key"),
        }
    }
}

/// Encrypt of `plaintext` under a random key.
fn encrypt(fixture: &Fixture, plaintext: &str, rng: &mut fastrand::Rng) -> Option<Call> {
    let key = pick(&fixture.keys, rng)?;
    Some(Call::encrypt(key.region, &key.id, plaintext))
}

/// Decrypt of a random ciphertext of the set-up.
fn decrypt(fixture: &Fixture, rng: &mut fastrand::Rng) -> Option<Call> {
    let ciphertext = pick(&fixture.ciphertexts, rng)?;
    let key = fixture.keys.get(ciphertext.key)?;
    Some(Call::decrypt(key.region, &key.id, &ciphertext.blob))
}

/// Sign of the raw `message` with a random one of `keys`.
fn sign(keys: &[Key], algorithm: &str, message: &str, rng: &mut fastrand::Rng) -> Option<Call> {
    let key = pick(keys, rng)?;
    Some(Call::sign(key.region, &key.id, algorithm, message))
}

/// Verify of a random signature of the set-up.
fn verify(fixture: &Fixture, rng: &mut fastrand::Rng) -> Option<Call> {
    let signed = pick(&fixture.signatures, rng)?;
    let key = fixture.ecc_signing.get(signed.key)?;
    let (message, signature) = (&signed.message, &signed.signature);
    Some(Call::verify(
        key.region,
        &key.id,
        ECDSA_SHA_256,
        message,
        signature,
    ))
}

/// One call of the 90/10 mix: Encrypt 45 %, Decrypt 45 %, CreateKey 5 %, TagResource 5 %.
fn mixed(
    fixture: &Fixture,
    plaintext: &str,
    regions: &'static [&'static str],
    rng: &mut fastrand::Rng,
) -> Option<Call> {
    match rng.u32(0..100) {
        0..45 => encrypt(fixture, plaintext, rng),
        45..90 => decrypt(fixture, rng),
        90..95 => Some(Call::create_key(
            pick_region(regions, rng),
            KeyKind::Symmetric,
        )),
        _ => {
            // A handful of tag keys, so that tags on a key overwrite rather than pile up.
            let key = pick(&fixture.keys, rng)?;
            let tag_key = format!("bench-{}", rng.u8(0..4));
            let value = rng.u64(..).to_string();
            Some(Call::tag_resource(key.region, &key.id, &tag_key, &value))
        }
    }
}

/// A random element of `items`, or `None` when it is empty.
fn pick<'a, T>(items: &'a [T], rng: &mut fastrand::Rng) -> Option<&'a T> {
    if items.is_empty() {
        return None;
    }
    items.get(rng.usize(..items.len()))
}

/// A random one of `regions` (`us-east-1` when there are none).
fn pick_region(regions: &'static [&'static str], rng: &mut fastrand::Rng) -> &'static str {
    pick(regions, rng).copied().unwrap_or("us-east-1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for workload in Workload::all() {
            assert_eq!(Workload::parse(&workload.to_string()), Ok(vec![workload]));
        }
        assert_eq!(
            Workload::parse("get-parameters-for-import").map(|w| w.len()),
            Ok(3)
        );
        assert!(Workload::parse("encrypt").is_err());
    }

    #[test]
    fn asymmetric_and_mac_workloads_use_keys_of_their_kind() {
        // One key of each kind, and one signature by the ECC key.
        let key = |id: &str| crate::target::Key {
            id: id.into(),
            region: "us-east-1",
        };
        let fixture = Fixture {
            keys: vec![key("symmetric")],
            ecc_signing: vec![key("ecc")],
            rsa_signing: vec![key("rsa")],
            hmac: vec![key("hmac")],
            signatures: vec![crate::target::Signature {
                key: 0,
                message: "AA".into(),
                signature: "BB".into(),
            }],
            ..Fixture::default()
        };

        // Each call names the key of its kind and the workload's algorithm.
        let mut rng = fastrand::Rng::with_seed(7);
        let cases = [
            (Workload::Sign, "ecc", "ECDSA_SHA_256"),
            (Workload::Verify, "ecc", "ECDSA_SHA_256"),
            (Workload::SignRsa, "rsa", "RSASSA_PSS_SHA_256"),
            (Workload::GenerateMac, "hmac", "HMAC_SHA_256"),
        ];
        for (workload, key_id, algorithm) in cases {
            let call = workload.next_call(&fixture, "AA", &["us-east-1"], &mut rng);
            let body: serde_json::Value = call
                .map(|c| serde_json::from_slice(&c.body).unwrap_or_default())
                .unwrap_or_default();
            assert_eq!(body["KeyId"], key_id, "{workload}");
            let named = body.get("SigningAlgorithm").or(body.get("MacAlgorithm"));
            assert_eq!(
                named.and_then(|a| a.as_str()),
                Some(algorithm),
                "{workload}"
            );
        }

        // Without a signature there is nothing to verify.
        let empty = Fixture::default();
        assert!(Workload::Verify
            .next_call(&empty, "AA", &["us-east-1"], &mut rng)
            .is_none());
    }

    #[test]
    fn mixed_is_about_ninety_percent_reads() {
        let fixture = Fixture {
            keys: vec![crate::target::Key {
                id: "k".into(),
                region: "us-east-1",
            }],
            ciphertexts: vec![crate::target::Ciphertext {
                key: 0,
                blob: "AA".into(),
            }],
            ..Fixture::default()
        };
        let mut rng = fastrand::Rng::with_seed(7);
        let reads = (0..10_000)
            .filter_map(|_| Workload::Mixed.next_call(&fixture, "AA", &["us-east-1"], &mut rng))
            .filter(|c| matches!(c.op, crate::kms::Op::Encrypt | crate::kms::Op::Decrypt))
            .count();
        assert!((8_800..9_200).contains(&reads), "{reads}");
    }
}
