//! `ML_DSA_SHAKE_256` with `MessageType` `EXTERNAL_MU`: ML-DSA signing and verifying of a
//! caller-supplied message representative μ (FIPS 204 §6.2, Algorithm 7 line 6 computed
//! outside), which aws-lc-rs does not expose, from the RustCrypto `ml-dsa` crate.
//!
//! The caller computes μ = SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || M, 64) for pure ML-DSA
//! with an empty context, so a signature made here verifies as a RAW signature of M and the
//! other way round.
//!
//! Both libraries must hold the same key. aws-lc-rs parses the stored PKCS #8 (seed, expanded
//! or both forms) and writes it again in seed form, which `ml-dsa` reads; the public key `ml-dsa`
//! derives from the seed must equal aws-lc's. A key that aws-lc-rs parsed from the expanded
//! form alone has no seed to write, and `ml-dsa` reads no expanded key without the risk of a
//! panic on bad input, so such a key answers [`SignError::Unsupported`] for EXTERNAL_MU.
//! Verifying needs only the public key and always works.

use std::convert::Infallible;

use aws_lc_rs::signature::{KeyPair as _, PqdsaKeyPair};
use ml_dsa::pkcs8::DecodePrivateKey;
use ml_dsa::{
    EncodedSignature, EncodedVerifyingKey, Keypair as _, MlDsa44, MlDsa65, MlDsa87, MlDsaParams,
    Signature, SigningKey, VerifyingKey,
};
use rand_core::{TryCryptoRng, TryRng};

use super::{AsymmetricSpec, SignError};
use crate::secret::fill_random;
use crate::CryptoError;

/// The ML-DSA signature of the 64-byte `mu` by `pair` of `spec` (hedged: with fresh randomness).
pub(super) fn sign(
    spec: AsymmetricSpec,
    pair: &PqdsaKeyPair,
    mu: &[u8],
) -> Result<Vec<u8>, SignError> {
    match spec {
        AsymmetricSpec::MlDsa44 => sign_with::<MlDsa44>(pair, mu),
        AsymmetricSpec::MlDsa65 => sign_with::<MlDsa65>(pair, mu),
        AsymmetricSpec::MlDsa87 => sign_with::<MlDsa87>(pair, mu),
        _ => Err(SignError::IncompatibleAlgorithm),
    }
}

/// Whether `signature` is an ML-DSA signature of `mu` under the raw public key `public` of
/// `spec`; false for malformed signatures.
pub(super) fn verify(spec: AsymmetricSpec, public: &[u8], mu: &[u8], signature: &[u8]) -> bool {
    match spec {
        AsymmetricSpec::MlDsa44 => verify_with::<MlDsa44>(public, mu, signature),
        AsymmetricSpec::MlDsa65 => verify_with::<MlDsa65>(public, mu, signature),
        AsymmetricSpec::MlDsa87 => verify_with::<MlDsa87>(public, mu, signature),
        _ => false,
    }
}

/// [`sign`] for the parameter set `P`.
fn sign_with<P>(pair: &PqdsaKeyPair, mu: &[u8]) -> Result<Vec<u8>, SignError>
where
    P: MlDsaParams,
    SigningKey<P>: DecodePrivateKey,
{
    // The seed form of the key; aws-lc-rs cannot write it for a key that came without a seed.
    let seed_form = pair.to_pkcs8v1().map_err(|_| SignError::Unsupported)?;
    let key =
        SigningKey::<P>::from_pkcs8_der(seed_form.as_ref()).map_err(|_| SignError::Unsupported)?;

    // The same key in both libraries, or no signature.
    if key.verifying_key().encode().as_slice() != pair.public_key().as_ref() {
        return Err(CryptoError::Backend.into());
    }

    // Sign μ with randomness from aws-lc's DRBG.
    let mu = mu.try_into().map_err(|_| SignError::InvalidDigestLength)?;
    let signature = key
        .expanded_key()
        .sign_mu_randomized(&mu, &mut SystemRng)
        .map_err(|_| CryptoError::Backend)?;
    Ok(signature.encode().as_slice().to_vec())
}

/// [`verify`] for the parameter set `P`.
fn verify_with<P: MlDsaParams>(public: &[u8], mu: &[u8], signature: &[u8]) -> bool {
    // Decode the key (from aws-lc, so well-formed), the signature and μ; any failure is false.
    let Ok(public) = EncodedVerifyingKey::<P>::try_from(public) else {
        return false;
    };
    let Ok(encoded) = EncodedSignature::<P>::try_from(signature) else {
        return false;
    };
    let Some(signature) = Signature::<P>::decode(&encoded) else {
        return false;
    };
    let Ok(mu) = mu.try_into() else {
        return false;
    };

    // Check μ against it.
    VerifyingKey::<P>::decode(&public).verify_mu(&mu, &signature)
}

/// aws-lc's DRBG as the `rand_core` generator `ml-dsa` draws the signing randomness from.
struct SystemRng;

impl TryRng for SystemRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        fill_random(&mut bytes);
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        fill_random(&mut bytes);
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill_random(dst);
        Ok(())
    }
}

impl TryCryptoRng for SystemRng {}
