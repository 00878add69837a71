//! A server under test, and the keys, ciphertexts and signatures created on it before a
//! measurement.
//!
//! The set-up sends its CreateKey, Encrypt and Sign calls over many connections at once, so
//! that preparing 100,000 keys takes seconds on a fast server; on a slow one it stops at a time
//! budget and says how far it got. A server that refuses a kind of key leaves that list empty
//! with a note, and the workload then counts one `SetupIncomplete` error per attempt instead
//! of stopping the run.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{Client, Endpoint};
use crate::kms::{random_plaintext_b64, Call, KeyKind, ECDSA_SHA_256};
use crate::sigv4::Credentials;

/// A server under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// The short name that reports use, such as `kmsd` or `moto`.
    pub name: String,
    /// Where it listens.
    pub endpoint: Endpoint,
    /// The credentials that sign requests to it.
    pub credentials: Credentials,
    /// Its process ID when it runs on this machine, for memory samples.
    pub pid: Option<u32>,
}

impl Target {
    /// A new client of this server.
    pub fn client(&self) -> Client {
        Client::new(self.endpoint.clone(), self.credentials.clone())
    }
}

/// A key created in the set-up.
#[derive(Debug, Clone)]
pub struct Key {
    /// Its key ID.
    pub id: String,
    /// The region it lives in.
    pub region: &'static str,
}

/// A ciphertext made in the set-up.
#[derive(Debug, Clone)]
pub struct Ciphertext {
    /// The index of its key in [`Fixture::keys`].
    pub key: usize,
    /// The `CiphertextBlob`, base64 as the server sent it.
    pub blob: String,
}

/// A signature made in the set-up, for Verify.
#[derive(Debug, Clone)]
pub struct Signature {
    /// The index of its key in [`Fixture::ecc_signing`].
    pub key: usize,
    /// The signed message, base64.
    pub message: String,
    /// The `Signature` (`ECDSA_SHA_256`), base64 as the server sent it.
    pub signature: String,
}

/// Everything the workloads pick from, grown on demand.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// Symmetric keys, spread round-robin over the regions (as are the keys of every kind).
    pub keys: Vec<Key>,
    /// Ciphertexts of 64 B plaintexts, one per key up to [`CIPHERTEXT_POOL`].
    pub ciphertexts: Vec<Ciphertext>,
    /// Keys of origin `EXTERNAL`, for GetParametersForImport.
    pub external: Vec<Key>,
    /// `ECC_NIST_P256` signing keys.
    pub ecc_signing: Vec<Key>,
    /// Signatures of 64 B messages, one per ECC signing key up to [`CIPHERTEXT_POOL`].
    pub signatures: Vec<Signature>,
    /// `RSA_2048` signing keys.
    pub rsa_signing: Vec<Key>,
    /// `HMAC_256` keys.
    pub hmac: Vec<Key>,
    /// What the set-up could not do, in words.
    pub notes: Vec<String>,
}

/// The most ciphertexts (and signatures) that the set-up makes (Decrypt and Verify pick among
/// them at random).
pub const CIPHERTEXT_POOL: usize = 10_000;

/// The number of `EXTERNAL` keys that GetParametersForImport spreads over.
pub const EXTERNAL_KEYS: usize = 16;

/// Settings of the set-up.
#[derive(Debug, Clone, Copy)]
pub struct SetupOptions {
    /// Calls in flight at once.
    pub concurrency: usize,
    /// The regions keys are spread over.
    pub regions: &'static [&'static str],
    /// How long creating keys may take before the set-up stops short.
    pub budget: Duration,
}

impl Fixture {
    /// The keys of `kind` created so far.
    pub fn keys_of(&self, kind: KeyKind) -> &[Key] {
        match kind {
            KeyKind::Symmetric => &self.keys,
            KeyKind::External => &self.external,
            KeyKind::EccSigning => &self.ecc_signing,
            KeyKind::RsaSigning => &self.rsa_signing,
            KeyKind::Hmac => &self.hmac,
        }
    }

    /// The list that keys of `kind` are kept in.
    fn keys_of_mut(&mut self, kind: KeyKind) -> &mut Vec<Key> {
        match kind {
            KeyKind::Symmetric => &mut self.keys,
            KeyKind::External => &mut self.external,
            KeyKind::EccSigning => &mut self.ecc_signing,
            KeyKind::RsaSigning => &mut self.rsa_signing,
            KeyKind::Hmac => &mut self.hmac,
        }
    }

    /// Creates keys of `kind` until there are `count` (or the time budget runs out).
    pub async fn ensure_keys(
        &mut self,
        target: &Target,
        kind: KeyKind,
        count: usize,
        opts: SetupOptions,
    ) {
        // Nothing to do when enough keys exist.
        let have = self.keys_of(kind).len();
        if have >= count {
            return;
        }

        // Create the missing keys, key i in region i mod the region count.
        let regions = opts.regions;
        let calls = (have..count).map(|i| Call::create_key(regions[i % regions.len()], kind));
        let started = Instant::now();
        let results = run_calls(target, calls.collect(), opts).await;

        // Keep the keys that were created; note failures and a stop at the budget.
        let mut failures = Failures::default();
        let keys = self.keys_of_mut(kind);
        for (_, call, result) in results {
            match result.and_then(|v| key_id(&v)) {
                Ok(id) => keys.push(Key {
                    id,
                    region: call.region,
                }),
                Err(e) => failures.add(e),
            }
        }
        let made = keys.len();
        if made < count {
            self.notes.push(format!(
                "set-up created {made} of {count} {kind} keys in {:.0} s ({})",
                started.elapsed().as_secs_f64(),
                failures.describe()
            ));
        }
    }

    /// Encrypts a 64 B plaintext under each key, up to [`CIPHERTEXT_POOL`] ciphertexts.
    pub async fn ensure_ciphertexts(&mut self, target: &Target, opts: SetupOptions) {
        // One ciphertext per key, for the keys that have none yet.
        let want = self.keys.len().min(CIPHERTEXT_POOL);
        let have = self.ciphertexts.len();
        if have >= want {
            return;
        }
        let plaintext = random_plaintext_b64(64);
        let encrypt = |key: &Key| Call::encrypt(key.region, &key.id, &plaintext);

        // Keep what came back, in key order.
        let (blobs, failures) = field_per_key(
            target,
            &self.keys,
            have..want,
            encrypt,
            "CiphertextBlob",
            opts,
        )
        .await;
        let made = blobs
            .into_iter()
            .map(|(key, blob)| Ciphertext { key, blob });
        self.ciphertexts.extend(made);
        if self.ciphertexts.len() < want {
            let made = self.ciphertexts.len();
            let why = failures.describe();
            self.notes
                .push(format!("set-up made {made} of {want} ciphertexts ({why})"));
        }
    }

    /// Signs a 64 B message (`ECDSA_SHA_256`) with each ECC signing key, up to
    /// [`CIPHERTEXT_POOL`] signatures.
    pub async fn ensure_signatures(&mut self, target: &Target, opts: SetupOptions) {
        // One signature per key, for the keys that have none yet.
        let want = self.ecc_signing.len().min(CIPHERTEXT_POOL);
        let have = self.signatures.len();
        if have >= want {
            return;
        }
        let message = random_plaintext_b64(64);
        let sign = |key: &Key| Call::sign(key.region, &key.id, ECDSA_SHA_256, &message);

        // Keep what came back, in key order.
        let (signed, failures) = field_per_key(
            target,
            &self.ecc_signing,
            have..want,
            sign,
            "Signature",
            opts,
        )
        .await;
        let made = signed.into_iter().map(|(key, signature)| Signature {
            key,
            message: message.clone(),
            signature,
        });
        self.signatures.extend(made);
        if self.signatures.len() < want {
            let made = self.signatures.len();
            let why = failures.describe();
            self.notes
                .push(format!("set-up made {made} of {want} signatures ({why})"));
        }
    }

    /// Creates the `EXTERNAL` keys that GetParametersForImport needs.
    ///
    /// When the server cannot create them, the symmetric keys stand in, and a note says so:
    /// the measurement then counts whatever error the server gives.
    pub async fn ensure_external(&mut self, target: &Target, opts: SetupOptions) {
        // Create them once (the stand-ins of a failed attempt count as done).
        if !self.external.is_empty() {
            return;
        }
        self.ensure_keys(target, KeyKind::External, EXTERNAL_KEYS, opts)
            .await;

        // Without any, fall back to the symmetric ones.
        if self.external.is_empty() {
            self.notes.push(
                "GetParametersForImport was sent for AWS_KMS keys instead of EXTERNAL ones"
                    .to_owned(),
            );
            self.external = self.keys.iter().take(EXTERNAL_KEYS).cloned().collect();
        }
    }
}

/// `count` regions (at least one, at most 16): `first`, then the others of
/// [`crate::kms::REGIONS`] in order.
///
/// The list lives as long as the program (it is made once, at start-up), which lets every
/// call borrow its region without a copy.
pub fn region_list(first: &str, count: usize) -> &'static [&'static str] {
    let first: &'static str = Box::leak(first.to_owned().into_boxed_str());
    let others = crate::kms::REGIONS.iter().copied().filter(|r| *r != first);
    let list: Vec<&'static str> = std::iter::once(first)
        .chain(others)
        .take(count.clamp(1, crate::kms::REGIONS.len()))
        .collect();
    Box::leak(list.into_boxed_slice())
}

/// Error codes of failed set-up calls, counted.
#[derive(Default)]
struct Failures {
    /// The first few distinct errors and their counts.
    seen: Vec<(String, usize)>,
}

impl Failures {
    /// Counts one failure.
    fn add(&mut self, error: String) {
        if let Some((_, n)) = self.seen.iter_mut().find(|(e, _)| *e == error) {
            *n += 1;
        } else if self.seen.len() < 5 {
            self.seen.push((error, 1));
        }
    }

    /// The failures in words.
    fn describe(&self) -> String {
        if self.seen.is_empty() {
            return "time budget reached".to_owned();
        }
        let parts: Vec<String> = self
            .seen
            .iter()
            .map(|(e, n)| format!("{n} x {e}"))
            .collect();
        parts.join(", ")
    }
}

/// The `KeyMetadata.KeyId` of a CreateKey answer.
fn key_id(value: &serde_json::Value) -> Result<String, String> {
    value
        .get("KeyMetadata")
        .and_then(|m| m.get("KeyId"))
        .and_then(|id| id.as_str())
        .map(str::to_owned)
        .ok_or_else(|| "CreateKey answer without KeyMetadata.KeyId".to_owned())
}

/// The string field `name` of an answer.
fn string_field(value: &serde_json::Value, name: &str) -> Result<String, String> {
    value
        .get(name)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("answer without {name}"))
}

/// Sends the call that `make` builds for each of `keys[range]` and returns the string field
/// `field` of each successful answer with its key's index (in key order), and the failures.
async fn field_per_key(
    target: &Target,
    keys: &[Key],
    range: Range<usize>,
    make: impl Fn(&Key) -> Call,
    field: &str,
    opts: SetupOptions,
) -> (Vec<(usize, String)>, Failures) {
    // One call per key of the range.
    let calls = keys[range.clone()].iter().map(make).collect();
    let results = run_calls(target, calls, opts).await;

    // Each answer goes with the key it was sent for.
    let mut found = Vec::new();
    let mut failures = Failures::default();
    for (i, _, result) in results {
        match result.and_then(|v| string_field(&v, field)) {
            Ok(value) => found.push((range.start + i, value)),
            Err(e) => failures.add(e),
        }
    }
    (found, failures)
}

/// Sends `calls` over `opts.concurrency` connections and returns each with its index and its
/// parsed answer, in the original order; calls not sent before the time budget ran out are
/// left off.
async fn run_calls(
    target: &Target,
    calls: Vec<Call>,
    opts: SetupOptions,
) -> Vec<(usize, Call, Result<serde_json::Value, String>)> {
    // The calls are shared; each worker takes the next index until none are left.
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + opts.budget;
    let workers = opts.concurrency.clamp(1, calls.len().max(1));

    // One worker per connection.
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (calls, next, mut client) = (calls.clone(), next.clone(), target.client());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls.len() || Instant::now() > deadline {
                    return done;
                }
                let call = &calls[i];
                let reply = client
                    .call(call.op.target(), call.region, call.body.clone())
                    .await;
                done.push((i, parse_reply(reply)));
            }
        }));
    }

    // Gather the answers back into call order.
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap_or_default());
    }
    answers.sort_by_key(|(i, _)| *i);
    answers
        .into_iter()
        .map(|(i, r)| (i, calls[i].clone(), r))
        .collect()
}

/// The parsed JSON of a successful reply, or the error code of a failed one.
fn parse_reply(reply: Result<crate::client::Reply, String>) -> Result<serde_json::Value, String> {
    let reply = reply?;
    if reply.status != 200 {
        return Err(reply.error_code());
    }
    serde_json::from_slice(&reply.body).map_err(|e| format!("answer is not JSON: {e}"))
}
