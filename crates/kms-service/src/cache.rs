//! The key cache: a compact entry per key in use, so that the cryptographic path reads no
//! database and takes no global lock (ARCHITECTURE.md "Storage and scale").
//!
//! An entry holds what Encrypt and Decrypt need: identity, state, usage, deletion date and the
//! material versions, sealed, each unsealed on first use and kept unsealed. It does not hold
//! the policy, the description or the tags. Every write the service makes replaces the entry
//! of the key it wrote, so on one node the cache is never stale; the usage cell that records
//! the last cryptographic use survives the replacement.
//!
//! Sharded by key ID: each shard is a `RwLock` over a map from key ID to the entries of that ID
//! (one per account and region, since related multi-Region keys share an ID).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, Ordering};
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
    pub state: KeyState,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsageType,
    pub origin: OriginType,
    pub deletion_date: Option<Timestamp>,
    pub version: u64,
    /// Exactly as many as the key has present (a boxed slice: no spare capacity per key).
    pub materials: Box<[CachedMaterial]>,
    /// Index into `materials` of the CURRENT version.
    pub current: Option<usize>,
    pub usage: Arc<UsageCell>,
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
        self.materials.iter().find(|m| &m.id == id)
    }

    /// The CURRENT material version.
    pub fn current_material(&self) -> Option<&CachedMaterial> {
        self.current.and_then(|i| self.materials.get(i))
    }

    /// Records a successful cryptographic use, lock-free; queues the key for the next flush.
    pub fn record_use(&self, cache: &KeyCache, op: KeyLastUsageTrackingOperation, now: Timestamp) {
        self.usage.at.store(now.millis(), Ordering::Relaxed);
        let index = KeyLastUsageTrackingOperation::ALL
            .iter()
            .position(|o| *o == op)
            .unwrap_or(0);
        self.usage.op.store(index as u8, Ordering::Relaxed);
        let flushed = self.usage.flushed.load(Ordering::Relaxed);
        if now.millis() - flushed < USAGE_FLUSH_INTERVAL_MILLIS {
            return;
        }
        if !self.usage.dirty.swap(true, Ordering::AcqRel) {
            cache.queue_dirty(self);
        }
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
    pub usage: Arc<UsageCell>,
}

impl DirtyKey {
    /// Takes the recorded use, clearing the dirty mark: (time, operation).
    pub fn take(&self) -> (Timestamp, KeyLastUsageTrackingOperation) {
        self.usage.dirty.store(false, Ordering::Release);
        let at = Timestamp(self.usage.at.load(Ordering::Relaxed));
        self.usage.flushed.store(at.millis(), Ordering::Relaxed);
        let op = KeyLastUsageTrackingOperation::ALL
            .get(self.usage.op.load(Ordering::Relaxed) as usize)
            .copied()
            .unwrap_or(KeyLastUsageTrackingOperation::Encrypt);
        (at, op)
    }
}

struct Shard {
    /// Keyed by the key ID of the first entry (its own allocation, shared, not a copy).
    keys: RwLock<HashMap<Arc<str>, Vec<Arc<CachedKey>>>>,
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
                keys: RwLock::new(HashMap::new()),
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

    fn shard(&self, key_id: &str) -> &Shard {
        let index = (self.hasher.hash_one(key_id) as usize) % SHARDS;
        &self.shards[index]
    }

    /// The cached entry of this key, if any.
    pub fn get(&self, account: &str, region: &str, key_id: &str) -> Option<Arc<CachedKey>> {
        let map = self
            .shard(key_id)
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner());
        map.get(key_id)?
            .iter()
            .find(|k| &*k.account == account && &*k.region == region)
            .cloned()
    }

    /// Builds and stores the entry for `record`, replacing an older one. Unsealed material and
    /// the usage cell of the entry it replaces carry over. A record older than the cached entry
    /// (a read that raced a write) is not cached, and the newer entry is answered.
    pub fn put(&self, record: &KeyRecord) -> Arc<CachedKey> {
        let shard = self.shard(&record.key_id);
        let mut map = shard.keys.write().unwrap_or_else(|p| p.into_inner());
        let entries = map.get_mut(record.key_id.as_str());
        let position = entries.as_ref().and_then(|entries| {
            entries
                .iter()
                .position(|k| *k.account == *record.account && *k.region == *record.region)
        });
        let previous = entries
            .as_ref()
            .zip(position)
            .map(|(entries, i)| Arc::clone(&entries[i]));
        if let Some(prev) = previous.as_ref().filter(|p| p.version > record.version) {
            return Arc::clone(prev);
        }
        let entry = Arc::new(build_entry(
            record,
            previous.as_deref(),
            &self.policies,
            &self.names,
        ));
        match (entries, position) {
            (Some(entries), Some(i)) => entries[i] = Arc::clone(&entry),
            (Some(entries), None) => entries.push(Arc::clone(&entry)),
            // The first entry of this key ID: a vector of exactly one, keyed by its own ID.
            (None, _) => {
                map.insert(Arc::clone(&entry.key_id), vec![Arc::clone(&entry)]);
            }
        }
        entry
    }

    /// Forgets the entry of a key (deleted, or to be reloaded).
    pub fn remove(&self, account: &str, region: &str, key_id: &str) {
        let shard = self.shard(key_id);
        let mut map = shard.keys.write().unwrap_or_else(|p| p.into_inner());
        if let Some(entries) = map.get_mut(key_id) {
            entries.retain(|k| !(&*k.account == account && &*k.region == region));
            if entries.is_empty() {
                map.remove(key_id);
            }
        }
    }

    fn queue_dirty(&self, key: &CachedKey) {
        let shard = self.shard(&key.key_id);
        let mut dirty = shard.dirty.lock().unwrap_or_else(|p| p.into_inner());
        dirty.push(DirtyKey {
            account: Arc::clone(&key.account),
            region: Arc::clone(&key.region),
            key_id: Arc::clone(&key.key_id),
            usage: Arc::clone(&key.usage),
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
    let materials: Box<[CachedMaterial]> = record
        .materials
        .iter()
        .filter(|m| m.is_present())
        .filter_map(|m| {
            let id = kms_crypto::parse_material_id(&m.id)?;
            let secret = OnceLock::new();
            let unsealed = previous
                .and_then(|p| p.material(&id))
                .and_then(|p| p.secret.get());
            // Material the previous entry had unsealed carries over; the rest stays sealed.
            let sealed = match unsealed {
                Some(s) => {
                    let _ = secret.set(s.clone());
                    None
                }
                None => Some(m.sealed.0.clone().into_boxed_slice()),
            };
            Some(CachedMaterial {
                id,
                valid_to: m.expires_at(),
                sealed: Mutex::new(sealed),
                secret,
            })
        })
        .collect::<Vec<_>>()
        .into_boxed_slice();
    let current = record
        .current_material()
        .and_then(|c| kms_crypto::parse_material_id(&c.id))
        .and_then(|c| materials.iter().position(|m| m.id == c));
    CachedKey {
        account: names.intern(&record.account),
        region: names.intern(&record.region),
        key_id: Arc::from(record.key_id.as_str()),
        state: record.state,
        key_spec: record.key_spec,
        key_usage: record.key_usage,
        origin: record.origin,
        deletion_date: record.deletion_date,
        version: record.version,
        materials,
        current,
        usage: previous.map(|p| Arc::clone(&p.usage)).unwrap_or_else(|| {
            let cell = UsageCell::default();
            let stored = record
                .last_usage
                .as_ref()
                .map_or(i64::MIN / 2, |u| u.timestamp.millis());
            cell.flushed.store(stored, Ordering::Relaxed);
            Arc::new(cell)
        }),
        policy: policies.shared(&record.policy),
        multi_region: record
            .multi_region
            .as_ref()
            .map(|m| m.is_primary(&record.region)),
        tags: record.tags.clone(),
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
