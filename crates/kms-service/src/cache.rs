//! The key cache: a compact entry per key in use, so that the cryptographic path reads no
//! database and takes no global lock (ARCHITECTURE.md "Storage and scale").
//!
//! An entry holds what the cryptographic calls and their authorization need: identity, state,
//! usage, deletion date, the parsed key policy (shared by keys with the same document), the
//! tags, and the material versions, sealed, each unsealed on first use and kept unsealed. It
//! does not hold the description. Every write the service makes replaces the entry of the key
//! it wrote, so on one node the cache is never stale; the entry that replaces another copies
//! its record of the last cryptographic use.
//!
//! Sharded by a hash of (key ID, account, region): each shard is a `RwLock` over a table of
//! entries found by that hash (related multi-Region keys share an ID, not an entry). The layout
//! is for a million keys in use, where every request for a random key misses the CPU caches:
//! a lookup reads the table's control bytes, one pointer, and the entry, whose key ID is
//! compared in binary inside the entry and whose CURRENT material and last-use cell are
//! inline, so that Encrypt follows no other pointer into per-key memory but the unsealed secret.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;
use std::sync::atomic::{fence, AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use kms_crypto::{Sealer, SecretBytes};
use kms_model::shapes::{
    KeyLastUsageTrackingOperation, KeySpec, KeyState, KeyUsageType, OriginType,
};
use kms_model::{KeyRecord, KmsError, Timestamp};

const SHARDS: usize = 64;

/// One material version of a cached key.
pub(crate) struct CachedMaterial {
    /// The binary material ID (the ciphertext header carries it).
    pub id: [u8; 32],
    /// When imported material expires; the cryptographic path refuses it from then on.
    pub valid_to: Option<Timestamp>,
    /// The sealed material until its first use; dropped once it is unsealed, so that a key in
    /// use holds its material once, not twice.
    sealed: Mutex<Option<Box<[u8]>>>,
    secret: OnceLock<SecretBytes>,
}

/// The last cryptographic use of a key, recorded without a lock.
#[derive(Default)]
pub(crate) struct UsageCell {
    /// Milliseconds since the epoch of the last use, 0 if none since start.
    pub at: AtomicI64,
    /// Index into `KeyLastUsageTrackingOperation::ALL` of the last operation.
    pub op: AtomicU8,
    /// Whether the cell holds a use not yet written to the store.
    dirty: AtomicBool,
    /// Milliseconds since the epoch of the use last written to the store.
    flushed: AtomicI64,
}

/// How stale the stored last use may get: a key in constant use is written at most once per
/// this interval (GetKeyLastUsage still answers the exact last use from the cache).
const USAGE_FLUSH_INTERVAL_MILLIS: i64 = 60 * 60 * 1000;

/// What the cryptographic path knows of a key.
pub(crate) struct CachedKey {
    /// Account and region are shared with every other cached key of the same namespace.
    pub account: Arc<str>,
    pub region: Arc<str>,
    pub key_id: Arc<str>,
    /// The key ID in binary, which a lookup compares without reading the text.
    id_bits: Option<IdBits>,
    pub state: KeyState,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsageType,
    pub origin: OriginType,
    pub deletion_date: Option<Timestamp>,
    /// The record version the entry was built from (raised in place by the last-use flush,
    /// whose writes change nothing an entry holds).
    version: AtomicU64,
    /// The CURRENT material version, inline in the entry.
    current: Option<CachedMaterial>,
    /// The other present versions, exactly as many as there are (no spare capacity).
    others: Box<[CachedMaterial]>,
    /// The last use, inline: the entry that replaces this one copies it (see `record_use`).
    pub usage: UsageCell,
    /// Set when a newer entry replaced this one in the cache.
    superseded: AtomicBool,
    /// The key policy, parsed once per record version.
    pub policy: Arc<kms_policy::Policy>,
    /// `Some(true)` for a multi-Region primary, `Some(false)` for a replica.
    pub multi_region: Option<bool>,
    /// The key's tags, for aws:ResourceTag conditions.
    pub tags: Vec<kms_model::shapes::Tag>,
}

impl CachedKey {
    /// The key ARN (derived: an entry does not store it, to stay compact).
    pub fn arn(&self) -> String {
        let partition = kms_model::Region::parse(&self.region).map(|r| r.partition());
        let partition = partition.unwrap_or(kms_model::Partition::Aws).as_str();
        format!(
            "arn:{partition}:kms:{}:{}:key/{}",
            self.region, self.account, self.key_id
        )
    }

    /// The material version with this binary ID.
    pub fn material(&self, id: &[u8; 32]) -> Option<&CachedMaterial> {
        self.current
            .iter()
            .chain(self.others.iter())
            .find(|m| &m.id == id)
    }

    /// The CURRENT material version.
    pub fn current_material(&self) -> Option<&CachedMaterial> {
        self.current.as_ref()
    }

    /// Whether this is the entry of (key ID, account, region); `bits` is the binary form of
    /// `key_id` when it has one.
    fn is(&self, key_id: &str, bits: Option<&IdBits>, account: &str, region: &str) -> bool {
        let same_id = match (bits, self.id_bits.as_ref()) {
            (Some(a), Some(b)) => a == b,
            _ => *self.key_id == *key_id,
        };
        same_id && *self.account == *account && *self.region == *region
    }

    /// The record version the entry was built from.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Records a successful cryptographic use, lock-free; queues the key for the next flush.
    pub fn record_use(
        self: &Arc<Self>,
        cache: &KeyCache,
        op: KeyLastUsageTrackingOperation,
        now: Timestamp,
    ) {
        // Step 1: the use, in this entry's cell.
        self.usage.at.store(now.millis(), Ordering::Relaxed);
        let index = KeyLastUsageTrackingOperation::ALL
            .iter()
            .position(|o| *o == op)
            .unwrap_or(0);
        self.usage.op.store(index as u8, Ordering::Relaxed);

        // Step 2: an entry that replaces this one copies the cell after marking this one
        // superseded; the two fences make sure that either the copy saw this use or this
        // call sees the mark, and then records the use in the entry that replaced it.
        fence(Ordering::SeqCst);
        if self.superseded.load(Ordering::Relaxed) {
            let newer = cache.get(&self.account, &self.region, &self.key_id);
            if let Some(newer) = newer.filter(|n| !Arc::ptr_eq(n, self)) {
                newer.record_use(cache, op, now);
                return;
            }
        }

        // Step 3: queued for the next flush, unless written recently enough.
        let flushed = self.usage.flushed.load(Ordering::Relaxed);
        if now.millis() - flushed < USAGE_FLUSH_INTERVAL_MILLIS {
            return;
        }
        if !self.usage.dirty.swap(true, Ordering::AcqRel) {
            cache.queue_dirty(self);
        }
    }
}

impl UsageCell {
    /// A cell holding what `other` holds, not marked dirty (the entry `other` belongs to is
    /// the one queued, if any).
    fn copy_of(other: &UsageCell) -> UsageCell {
        let cell = UsageCell::default();
        cell.at
            .store(other.at.load(Ordering::Relaxed), Ordering::Relaxed);
        cell.op
            .store(other.op.load(Ordering::Relaxed), Ordering::Relaxed);
        cell.flushed
            .store(other.flushed.load(Ordering::Relaxed), Ordering::Relaxed);
        cell
    }
}

impl CachedMaterial {
    /// The material ID as 64 hex characters (responses carry it).
    pub fn id_hex(&self) -> String {
        kms_crypto::material_id_hex(&self.id)
    }

    /// The material in the clear, unsealed on first use.
    pub fn secret(&self, sealer: &Sealer, key: &CachedKey) -> Result<&SecretBytes, KmsError> {
        if let Some(secret) = self.secret.get() {
            return Ok(secret);
        }
        // One caller unseals; the others wait for it on the lock, then find the secret.
        let mut sealed = self.sealed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(secret) = self.secret.get() {
            return Ok(secret);
        }
        let failed = || {
            tracing::error!(key_id = %key.key_id, "sealed key material does not open");
            KmsError::internal()
        };
        let blob = sealed.as_deref().ok_or_else(failed)?;
        let owner = if key.key_id.starts_with("mrk-") {
            format!("{}:{}", key.account, key.key_id)
        } else {
            key.arn()
        };
        let aad = crate::keys::material_aad(&owner, &self.id_hex());
        let opened = sealer
            .open(kms_crypto::Purpose::KeyMaterial, &aad, blob)
            .map_err(|_| failed())?;
        let secret = self.secret.get_or_init(|| opened);
        *sealed = None;
        Ok(secret)
    }
}

/// A key that has a use not yet written to the store.
/// It shares the names of the cache entry, so that a million keys waiting for their first
/// flush cost a few words each, not three strings.
pub(crate) struct DirtyKey {
    pub account: Arc<str>,
    pub region: Arc<str>,
    pub key_id: Arc<str>,
    /// The entry whose cell holds the use (kept until the flush, even if replaced).
    entry: Arc<CachedKey>,
}

impl DirtyKey {
    /// Takes the recorded use, clearing the dirty mark: (time, operation).
    pub fn take(&self) -> (Timestamp, KeyLastUsageTrackingOperation) {
        let usage = &self.entry.usage;
        usage.dirty.store(false, Ordering::Release);
        let at = Timestamp(usage.at.load(Ordering::Relaxed));
        usage.flushed.store(at.millis(), Ordering::Relaxed);
        let op = KeyLastUsageTrackingOperation::ALL
            .get(usage.op.load(Ordering::Relaxed) as usize)
            .copied()
            .unwrap_or(KeyLastUsageTrackingOperation::Encrypt);
        (at, op)
    }
}

/// A key ID in binary: a flag for the `mrk-` form, then its 16 bytes.
type IdBits = [u8; 17];

/// The binary form of a key ID as kmsd writes it (lower case), `None` for any other text,
/// which lookups then compare as text.
fn id_bits(key_id: &str) -> Option<IdBits> {
    let parsed = kms_model::ids::key_id_bytes(key_id).filter(|k| k.lower_case)?;
    let mut out = [0u8; 17];
    out[0] = u8::from(parsed.multi_region);
    out[1..].copy_from_slice(&parsed.bytes);
    Some(out)
}

struct Shard {
    /// The entries, found by the hash of (key ID, account, region).
    keys: RwLock<HashTable<Arc<CachedKey>>>,
    dirty: Mutex<Vec<DirtyKey>>,
}

/// The sharded cache of keys in use.
pub(crate) struct KeyCache {
    shards: Vec<Shard>,
    hasher: RandomState,
    policies: PolicyInterner,
    names: NameInterner,
}

/// Account IDs and region names shared by every cached key that has them: a million keys of
/// one account and region hold one copy of each.
#[derive(Default)]
pub(crate) struct NameInterner {
    names: Mutex<std::collections::HashSet<Arc<str>>>,
}

impl NameInterner {
    fn intern(&self, name: &str) -> Arc<str> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shared) = names.get(name) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(name);
        names.insert(Arc::clone(&shared));
        shared
    }
}

/// Parsed key policies shared by every cached key with the same document: an account's keys
/// with the default policy hold one parsed policy between them, not one each.
#[derive(Default)]
pub(crate) struct PolicyInterner {
    by_document: Mutex<HashMap<String, std::sync::Weak<kms_policy::Policy>>>,
}

impl PolicyInterner {
    /// The parsed policy of `doc`, shared with every other key that has the same document.
    fn shared(&self, doc: &str) -> Arc<kms_policy::Policy> {
        let mut map = self.by_document.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(policy) = map.get(doc).and_then(std::sync::Weak::upgrade) {
            return policy;
        }
        let policy = crate::policy::parsed_or_empty(doc);
        // Forget documents no cached key holds any more, now and then.
        if map.len() >= 1024 && map.len().is_power_of_two() {
            map.retain(|_, weak| weak.strong_count() > 0);
        }
        map.insert(doc.to_string(), Arc::downgrade(&policy));
        policy
    }
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> KeyCache {
        let shards = (0..SHARDS)
            .map(|_| Shard {
                keys: RwLock::new(HashTable::new()),
                dirty: Mutex::new(Vec::new()),
            })
            .collect();
        KeyCache {
            shards,
            hasher: RandomState::new(),
            policies: PolicyInterner::default(),
            names: NameInterner::default(),
        }
    }

    /// The hash of an entry's identity, and the shard it lives in. The shard is chosen from
    /// middle bits, so that the table inside it still sees the low bits (its bucket) and the
    /// top bits (its tag) of every hash varying.
    fn slot(&self, key_id: &str, account: &str, region: &str) -> (u64, &Shard) {
        let hash = self.hasher.hash_one((key_id, account, region));
        let index = ((hash >> 32) as usize) % SHARDS;
        (hash, &self.shards[index])
    }

    /// The hash of a cached entry's identity (for the table when it grows).
    fn hash_of(&self, key: &CachedKey) -> u64 {
        self.hasher
            .hash_one((&*key.key_id, &*key.account, &*key.region))
    }

    /// The cached entry of this key, if any.
    pub fn get(&self, account: &str, region: &str, key_id: &str) -> Option<Arc<CachedKey>> {
        let (hash, shard) = self.slot(key_id, account, region);
        let bits = id_bits(key_id);
        let table = shard.keys.read().unwrap_or_else(|p| p.into_inner());
        table
            .find(hash, |k| k.is(key_id, bits.as_ref(), account, region))
            .cloned()
    }

    /// Builds and stores the entry for `record`, replacing an older one. Unsealed material and
    /// the usage cell of the entry it replaces carry over. A record older than the cached entry
    /// (a read that raced a write) is not cached, and the newer entry is answered.
    pub fn put(&self, record: &KeyRecord) -> Arc<CachedKey> {
        let (account, region, key_id) = (&*record.account, &*record.region, &*record.key_id);
        let (hash, shard) = self.slot(key_id, account, region);
        let bits = id_bits(key_id);
        let mut table = shard.keys.write().unwrap_or_else(|p| p.into_inner());
        let found = table.find_entry(hash, |k| k.is(key_id, bits.as_ref(), account, region));
        match found {
            // Step 1: an entry is cached: keep it if it is newer, replace it otherwise.
            Ok(mut slot) => {
                let previous = slot.get();
                if previous.version() > record.version {
                    return Arc::clone(previous);
                }
                // Marked before its usage cell is copied (see `CachedKey::record_use`).
                previous.superseded.store(true, Ordering::Relaxed);
                fence(Ordering::SeqCst);
                let entry = Arc::new(self.build(record, Some(previous)));
                *slot.get_mut() = Arc::clone(&entry);
                entry
            }
            // Step 2: none: insert a new one.
            Err(_) => {
                let entry = Arc::new(self.build(record, None));
                table.insert_unique(hash, Arc::clone(&entry), |k| self.hash_of(k));
                entry
            }
        }
    }

    /// The entry for `record`, with `previous`'s unsealed material and usage cell.
    fn build(&self, record: &KeyRecord, previous: Option<&Arc<CachedKey>>) -> CachedKey {
        build_entry(record, previous.map(|p| &**p), &self.policies, &self.names)
    }

    /// Forgets the entry of a key (deleted, or to be reloaded).
    pub fn remove(&self, account: &str, region: &str, key_id: &str) {
        let (hash, shard) = self.slot(key_id, account, region);
        let bits = id_bits(key_id);
        let mut table = shard.keys.write().unwrap_or_else(|p| p.into_inner());
        if let Ok(slot) = table.find_entry(hash, |k| k.is(key_id, bits.as_ref(), account, region)) {
            slot.remove();
        }
    }

    /// After the last-use flush wrote `record`, whose only change since `before` (the version
    /// it read) is the last use: the cached entry of version `before` takes the new version in
    /// place, as nothing it holds changed; any other entry is replaced as by [`KeyCache::put`].
    pub fn flushed(&self, record: &KeyRecord, before: u64) {
        let entry = self.get(&record.account, &record.region, &record.key_id);
        let raised = entry.is_some_and(|e| {
            e.version
                .compare_exchange(before, record.version, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        if !raised {
            self.put(record);
        }
    }

    fn queue_dirty(&self, key: &Arc<CachedKey>) {
        let (_, shard) = self.slot(&key.key_id, &key.account, &key.region);
        let mut dirty = shard.dirty.lock().unwrap_or_else(|p| p.into_inner());
        dirty.push(DirtyKey {
            account: Arc::clone(&key.account),
            region: Arc::clone(&key.region),
            key_id: Arc::clone(&key.key_id),
            entry: Arc::clone(key),
        });
    }

    /// Takes up to `limit` keys with an unflushed use (the rest wait for the next call).
    pub fn take_dirty(&self, limit: usize) -> Vec<DirtyKey> {
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut dirty = shard.dirty.lock().unwrap_or_else(|p| p.into_inner());
            let take = dirty.len().min(limit - out.len());
            out.extend(dirty.drain(..take));
            if out.len() == limit {
                break;
            }
        }
        out
    }
}

/// The cache entry for `record`, reusing what `previous` had already unsealed.
fn build_entry(
    record: &KeyRecord,
    previous: Option<&CachedKey>,
    policies: &PolicyInterner,
    names: &NameInterner,
) -> CachedKey {
    // Step 1: the present versions, each unsealed if the previous entry had it unsealed.
    let current_id = record
        .current_material()
        .and_then(|c| kms_crypto::parse_material_id(&c.id));
    let mut current = None;
    let mut others = Vec::new();
    for m in record.materials.iter().filter(|m| m.is_present()) {
        let Some(id) = kms_crypto::parse_material_id(&m.id) else {
            continue;
        };
        let cached = cached_material(id, m, previous);
        if Some(id) == current_id {
            current = Some(cached);
        } else {
            others.push(cached);
        }
    }

    // Step 2: the entry, with the usage cell of the entry it replaces.
    CachedKey {
        account: names.intern(&record.account),
        region: names.intern(&record.region),
        key_id: Arc::from(record.key_id.as_str()),
        id_bits: id_bits(&record.key_id),
        state: record.state,
        key_spec: record.key_spec,
        key_usage: record.key_usage,
        origin: record.origin,
        deletion_date: record.deletion_date,
        version: AtomicU64::new(record.version),
        current,
        others: others.into_boxed_slice(),
        usage: previous.map_or_else(
            || {
                let cell = UsageCell::default();
                let stored = record
                    .last_usage
                    .as_ref()
                    .map_or(i64::MIN / 2, |u| u.timestamp.millis());
                cell.flushed.store(stored, Ordering::Relaxed);
                cell
            },
            |p| UsageCell::copy_of(&p.usage),
        ),
        superseded: AtomicBool::new(false),
        policy: policies.shared(&record.policy),
        multi_region: record
            .multi_region
            .as_ref()
            .map(|m| m.is_primary(&record.region)),
        tags: record.tags.clone(),
    }
}

/// The cache form of one stored material version; material the previous entry had unsealed
/// carries over, the rest stays sealed until its first use.
fn cached_material(
    id: [u8; 32],
    m: &kms_model::MaterialVersion,
    previous: Option<&CachedKey>,
) -> CachedMaterial {
    let secret = OnceLock::new();
    let unsealed = previous
        .and_then(|p| p.material(&id))
        .and_then(|p| p.secret.get());
    let sealed = match unsealed {
        Some(s) => {
            let _ = secret.set(s.clone());
            None
        }
        None => Some(m.sealed.0.clone().into_boxed_slice()),
    };
    CachedMaterial {
        id,
        valid_to: m.expires_at(),
        sealed: Mutex::new(sealed),
        secret,
    }
}

/// Alias-to-key lookups of the cryptographic path, sharded by alias name.
pub(crate) struct AliasCache {
    shards: Vec<RwLock<HashMap<String, String>>>,
    hasher: RandomState,
}

impl AliasCache {
    /// An empty alias cache.
    pub fn new() -> AliasCache {
        AliasCache {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
        }
    }

    fn slot(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> (&RwLock<HashMap<String, String>>, String) {
        let key = format!("{account}/{region}/{name}");
        let index = (self.hasher.hash_one(&key) as usize) % SHARDS;
        (&self.shards[index], key)
    }

    /// The key ID the alias pointed at when last looked up.
    pub fn get(&self, account: &str, region: &str, name: &str) -> Option<String> {
        let (shard, key) = self.slot(account, region, name);
        shard
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned()
    }

    /// Remembers the alias's target.
    pub fn put(&self, account: &str, region: &str, name: &str, key_id: &str) {
        let (shard, key) = self.slot(account, region, name);
        shard
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, key_id.to_string());
    }

    /// Forgets an alias (changed or deleted).
    pub fn remove(&self, account: &str, region: &str, name: &str) {
        let (shard, key) = self.slot(account, region, name);
        shard
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    const MRK: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

    /// A stored record (the store's conformance record) at `version`, with one CURRENT
    /// material whose ID is 64 times `material`.
    fn record(region: &str, key_id: &str, version: u64, material: char) -> KeyRecord {
        let mut record = kms_store::conformance::key_record("111122223333", region, key_id);
        record.materials[0].id = material.to_string().repeat(64);
        record.version = version;
        record
    }

    #[test]
    fn related_keys_sharing_an_id_have_an_entry_each() {
        let cache = KeyCache::new();
        cache.put(&record("us-east-1", MRK, 1, 'a'));
        cache.put(&record("eu-west-1", MRK, 1, 'b'));
        let us = cache.get("111122223333", "us-east-1", MRK).unwrap();
        let eu = cache.get("111122223333", "eu-west-1", MRK).unwrap();
        assert_eq!(us.current_material().unwrap().id, [0xaa; 32]);
        assert_eq!(eu.current_material().unwrap().id, [0xbb; 32]);
        assert!(cache.get("111122223333", "ap-south-1", MRK).is_none());
        assert!(cache.get("444455556666", "us-east-1", MRK).is_none());
        // The ID is compared exactly: another case is another text, as in the store.
        let upper = MRK.to_uppercase().replace("MRK-", "mrk-");
        assert!(cache.get("111122223333", "us-east-1", &upper).is_none());
        cache.remove("111122223333", "us-east-1", MRK);
        assert!(cache.get("111122223333", "us-east-1", MRK).is_none());
        assert!(cache.get("111122223333", "eu-west-1", MRK).is_some());
    }

    #[test]
    fn an_id_of_another_shape_is_found_by_its_text() {
        let cache = KeyCache::new();
        cache.put(&record("us-east-1", "not-a-kmsd-id", 1, 'a'));
        assert!(cache
            .get("111122223333", "us-east-1", "not-a-kmsd-id")
            .is_some());
        assert!(cache
            .get("111122223333", "us-east-1", "not-a-kmsd-iD")
            .is_none());
    }

    #[test]
    fn an_older_record_does_not_replace_a_newer_entry() {
        let cache = KeyCache::new();
        cache.put(&record("us-east-1", MRK, 5, 'a'));
        let answered = cache.put(&record("us-east-1", MRK, 4, 'b'));
        assert_eq!(answered.version(), 5);
        assert_eq!(answered.current_material().unwrap().id, [0xaa; 32]);
    }

    #[test]
    fn a_use_recorded_on_a_replaced_entry_reaches_its_successor() {
        let cache = KeyCache::new();
        let old = cache.put(&record("us-east-1", MRK, 1, 'a'));
        old.record_use(
            &cache,
            KeyLastUsageTrackingOperation::Encrypt,
            Timestamp(1_000),
        );
        let new = cache.put(&record("us-east-1", MRK, 2, 'a'));
        // The use before the replacement was copied; one after it on the old entry forwards.
        assert_eq!(new.usage.at.load(Ordering::Relaxed), 1_000);
        old.record_use(
            &cache,
            KeyLastUsageTrackingOperation::Decrypt,
            Timestamp(2_000),
        );
        assert_eq!(new.usage.at.load(Ordering::Relaxed), 2_000);
        let decrypt = KeyLastUsageTrackingOperation::ALL
            .iter()
            .position(|o| *o == KeyLastUsageTrackingOperation::Decrypt)
            .unwrap();
        assert_eq!(new.usage.op.load(Ordering::Relaxed) as usize, decrypt);
        // Neither use was flushed yet, so each entry was queued once; the flush writes the
        // later of the two (and skips a use older than the stored one).
        let dirty = cache.take_dirty(10);
        assert_eq!(dirty.len(), 2);
        let latest = dirty.iter().map(|d| d.take().0).max();
        assert_eq!(latest, Some(Timestamp(2_000)));
    }

    #[test]
    fn the_flush_raises_the_entry_version_in_place() {
        let cache = KeyCache::new();
        let entry = cache.put(&record("us-east-1", MRK, 3, 'a'));
        cache.flushed(&record("us-east-1", MRK, 4, 'a'), 3);
        let after = cache.get("111122223333", "us-east-1", MRK).unwrap();
        assert!(Arc::ptr_eq(&entry, &after));
        assert_eq!(after.version(), 4);
        // An entry at another version than the one the flush read is replaced instead.
        cache.flushed(&record("us-east-1", MRK, 6, 'b'), 5);
        let replaced = cache.get("111122223333", "us-east-1", MRK).unwrap();
        assert!(!Arc::ptr_eq(&entry, &replaced));
        assert_eq!(replaced.version(), 6);
    }
}
