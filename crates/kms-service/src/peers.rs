//! Replication between kmsd deployments (ARCHITECTURE.md "Multi-Region keys and replication",
//! "Identity and isolation"): which regions this deployment hosts, which peer deployment hosts
//! the others, and the two ends of an outbox entry's journey to a peer.
//!
//! The service knows peers only through a [`PeerLink`], which the API layer implements over
//! HTTP with signed requests; tests link two services in memory. Key material of AWS_KMS keys
//! never crosses as it is stored (sealed under this deployment's root key, which the peer does
//! not hold) nor in the clear: before sending, each material is opened and encrypted to the
//! receiving deployment's public key ([`kms_crypto::peer`]); the receiver decrypts it, checks
//! its material ID and seals it under its own root key with the same owner.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use kms_crypto::peer::{encrypt_to, PeerKeyPair};
use kms_crypto::Purpose;
use kms_model::{Blob, ErrorCode, KmsError, Timestamp};
use kms_store::OutboxEntry;

use crate::keys::material_aad;
use crate::replication::{self, Entry};
use crate::write::store_error;
use crate::Service;

/// The bound on transient states when none is configured (ARCHITECTURE.md: no key stays
/// Creating or Updating, nor keeps a rotation pending, indefinitely).
pub const DEFAULT_TRANSIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The first retry delay after a failed delivery to a peer; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF_MS: i64 = 200;

/// The longest wait between two attempts to reach a peer.
const MAX_BACKOFF_MS: i64 = 5_000;

/// One peer deployment: its name and the regions it hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The peer's name, as the configuration and the logs call it.
    pub name: String,
    /// The regions the peer hosts.
    pub regions: Vec<String>,
    /// The peer's public key, when configured (pinned); otherwise fetched over the peer API.
    pub public_key: Option<Vec<u8>>,
}

/// Which regions this deployment hosts and which peer hosts which other region.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// The regions hosted here; `None` hosts every region no peer claims.
    pub hosted: Option<Vec<String>>,
    /// The peer deployments.
    pub peers: Vec<Peer>,
    /// How long a key may stay Creating (a replica announced to an unreachable peer) or
    /// Updating, or keep a rotation pending for a replica, before the change is rolled back;
    /// [`DEFAULT_TRANSIENT_TIMEOUT`] when `None`.
    pub transient_timeout: Option<Duration>,
}

/// Where an outbox entry for a region goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// Applied in this deployment's store.
    Local,
    /// Sent to this peer.
    Peer(&'a Peer),
    /// Nobody serves the region.
    Nowhere,
}

impl Topology {
    /// Whether this deployment serves `region`.
    pub fn hosts(&self, region: &str) -> bool {
        match &self.hosted {
            Some(hosted) => hosted.iter().any(|r| r == region),
            None => self.peer_of(region).is_none(),
        }
    }

    /// The peer that hosts `region`, if any.
    pub fn peer_of(&self, region: &str) -> Option<&Peer> {
        self.peers
            .iter()
            .find(|p| p.regions.iter().any(|r| r == region))
    }

    /// Where an entry for `region` goes.
    pub(crate) fn route(&self, region: &str) -> Route<'_> {
        if self.hosts(region) {
            return Route::Local;
        }
        self.peer_of(region).map_or(Route::Nowhere, Route::Peer)
    }

    /// The bound on transient states.
    pub fn transient_timeout(&self) -> Duration {
        self.transient_timeout.unwrap_or(DEFAULT_TRANSIENT_TIMEOUT)
    }
}

/// Why a peer could not be reached or refused an entry. The message names the peer and the
/// failure (status, I/O error), never a secret or a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeerError(pub String);

/// The transport to peer deployments, implemented by the API layer over HTTP.
#[async_trait::async_trait]
pub trait PeerLink: Send + Sync + 'static {
    /// `POST /peer/replicate` to `peer` with `body` (a [`Delivery`] in JSON); `Ok` only when
    /// the peer answered that it applied it.
    async fn replicate(&self, peer: &str, body: Vec<u8>) -> Result<(), PeerError>;

    /// `GET /peer/public-key` of `peer`: its public key for material in transit.
    async fn public_key(&self, peer: &str) -> Result<Vec<u8>, PeerError>;
}

/// Everything a deployment with peers adds to its service.
pub struct Peering {
    /// The regions and peers.
    pub topology: Topology,
    /// The transport.
    pub link: Arc<dyn PeerLink>,
    /// This deployment's long-term key pair, to which peers encrypt material.
    pub key_pair: PeerKeyPair,
}

impl fmt::Debug for Peering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peering")
            .field("topology", &self.topology)
            .field("key_pair", &self.key_pair)
            .finish_non_exhaustive()
    }
}

/// One entry as it travels to a peer: where it applies, and the entry, its material encrypted
/// to the receiver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Delivery {
    pub account: String,
    pub key_id: String,
    pub target_region: String,
    pub entry: Entry,
}

/// The peer state of a service: its configuration once set, and what delivery remembers.
#[derive(Default)]
pub(crate) struct Peers {
    /// The configuration; unset means every region is hosted here and there are no peers.
    peering: OnceLock<Peering>,
    /// Public keys of peers, as fetched.
    public_keys: Mutex<HashMap<String, Vec<u8>>>,
    /// Per peer: consecutive failures and the earliest time of the next attempt.
    backoff: Mutex<HashMap<String, (u32, Timestamp)>>,
    /// Per outbox entry: when its delivery first failed.
    first_failure: Mutex<HashMap<i64, Timestamp>>,
}

/// The default topology: everything hosted here.
static EVERYTHING_HERE: OnceLock<Topology> = OnceLock::new();

impl Peers {
    /// The topology in force.
    pub(crate) fn topology(&self) -> &Topology {
        match self.peering.get() {
            Some(p) => &p.topology,
            None => EVERYTHING_HERE.get_or_init(Topology::default),
        }
    }

    /// Whether an attempt to reach `peer` should wait.
    pub(crate) fn backing_off(&self, peer: &str, now: Timestamp) -> bool {
        let backoff = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        backoff.get(peer).is_some_and(|(_, next)| now < *next)
    }

    /// Records a failed attempt to reach `peer`: the next waits twice as long as the last.
    pub(crate) fn failed(&self, peer: &str, now: Timestamp) {
        let mut backoff = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        let failures = backoff.get(peer).map_or(0, |(n, _)| *n).saturating_add(1);
        let delay = FIRST_BACKOFF_MS
            .saturating_mul(1 << failures.min(16).saturating_sub(1))
            .min(MAX_BACKOFF_MS);
        backoff.insert(peer.to_string(), (failures, now.plus_millis(delay)));
    }

    /// Records a successful delivery to `peer`.
    pub(crate) fn reached(&self, peer: &str) {
        let mut backoff = self.backoff.lock().unwrap_or_else(|e| e.into_inner());
        backoff.remove(peer);
    }

    /// How long entry `seq` has been failing, recording `now` as its first failure if new.
    pub(crate) fn failing_for(&self, seq: i64, now: Timestamp) -> i64 {
        let mut first = self.first_failure.lock().unwrap_or_else(|e| e.into_inner());
        let since = *first.entry(seq).or_insert(now);
        now.millis() - since.millis()
    }

    /// Forgets the failures of entry `seq`, once it is delivered or given up.
    pub(crate) fn settled(&self, seq: i64) {
        let mut first = self.first_failure.lock().unwrap_or_else(|e| e.into_inner());
        first.remove(&seq);
    }
}

impl Service {
    /// Configures the regions this service hosts and its peers; answers `false` (and changes
    /// nothing) when it was configured already. Call it before serving.
    pub fn set_peering(&self, peering: Peering) -> bool {
        self.peers.peering.set(peering).is_ok()
    }

    /// The topology this service runs with.
    pub fn topology(&self) -> &Topology {
        self.peers.topology()
    }

    /// The error for a request signed for `region` when this deployment does not host it:
    /// `UnsupportedOperationException` naming the peer that does, if any.
    pub fn region_refusal(&self, region: &str) -> Option<KmsError> {
        let topology = self.peers.topology();
        if topology.hosts(region) {
            return None;
        }
        let message = match topology.peer_of(region) {
            Some(peer) => format!(
                "Region {region} is not served by this kmsd deployment; it is served by its \
                 peer {}. Send the request to that deployment's endpoint.",
                peer.name
            ),
            None => format!("Region {region} is not served by this kmsd deployment."),
        };
        Some(KmsError::unsupported(message))
    }

    /// This deployment's public key for material in transit, when it has peers.
    pub fn peer_public_key(&self) -> Option<Vec<u8>> {
        let peering = self.peers.peering.get()?;
        Some(peering.key_pair.public_key().to_vec())
    }

    /// Applies a [`Delivery`] sent by `peer` (already authenticated by the API layer): checks
    /// that it targets a region hosted here and comes from a region the peer hosts, brings its
    /// material under this deployment's root key, and applies it idempotently.
    pub async fn peer_receive(&self, peer: &str, body: &[u8]) -> Result<(), KmsError> {
        // Step 1: decode, and check who may send what where.
        let delivery: Delivery = serde_json::from_slice(body)
            .map_err(|_| KmsError::serialization("The replication entry could not be read."))?;
        let peering = self.peers.peering.get().ok_or_else(no_peers)?;
        check_sender(&peering.topology, peer, &delivery)?;

        // Step 2: material encrypted to this deployment becomes material sealed here.
        let entry = material_from_peer(self, peering, &delivery)?;

        // Step 3: apply, as a local delivery would, then settle what waited for it.
        let (account, key_id, target) =
            (&delivery.account, &delivery.key_id, &delivery.target_region);
        replication::apply(self, account, key_id, target, &entry).await?;
        replication::settle_after(self, account, key_id, target, &entry).await?;
        Ok(())
    }
}

/// The error of a peer request to a deployment without peers.
fn no_peers() -> KmsError {
    KmsError::unsupported("This kmsd deployment has no peers.")
}

/// The region on whose behalf an entry was written.
pub(crate) fn source_region(entry: &Entry) -> &str {
    match entry {
        Entry::Snapshot { source_region, .. } => source_region,
        Entry::Imported { region, .. } | Entry::ReplicaDeleted { region } => region,
    }
}

/// A peer may deliver only entries written by a region it hosts, for a region hosted here.
fn check_sender(topology: &Topology, peer: &str, delivery: &Delivery) -> Result<(), KmsError> {
    let refuse = |why: String| Err(KmsError::new(ErrorCode::AccessDeniedException, why));
    if !topology.hosts(&delivery.target_region) {
        return refuse(format!(
            "Region {} is not served by this kmsd deployment.",
            delivery.target_region
        ));
    }
    let source = source_region(&delivery.entry);
    let sender_hosts = topology
        .peers
        .iter()
        .any(|p| p.name == peer && p.regions.iter().any(|r| r == source));
    if !sender_hosts {
        return refuse(format!(
            "The peer {peer} does not serve region {source} in this deployment's configuration."
        ));
    }
    Ok(())
}

/// The owner that seals the material of a multi-Region key (see `keys::material_owner`: the
/// account and key ID, the same in every region and every deployment).
fn owner(account: &str, key_id: &str) -> String {
    format!("{account}:{key_id}")
}

/// `entry` with every AWS_KMS material re-encrypted from this deployment's root key to the
/// public key `recipient`. Other entries carry no material and pass unchanged.
pub(crate) fn material_for_peer(
    svc: &Service,
    outboxed: &OutboxEntry,
    entry: &Entry,
    recipient: &[u8],
) -> Result<Entry, KmsError> {
    let mut entry = entry.clone();
    let Entry::Snapshot { shared, .. } = &mut entry else {
        return Ok(entry);
    };
    let owner = owner(&outboxed.account, &outboxed.key_id);
    for m in shared.materials.iter_mut() {
        let Some(sealed) = m.sealed.as_mut() else {
            continue;
        };
        let aad = material_aad(&owner, &m.id);
        let secret = svc
            .sealer
            .open(Purpose::KeyMaterial, &aad, &sealed.0)
            .map_err(|e| crypto_failure("open material for a peer", e))?;
        let blob = encrypt_to(recipient, &aad, secret.expose())
            .map_err(|e| crypto_failure("encrypt material to a peer", e))?;
        *sealed = Blob(blob);
    }
    Ok(entry)
}

/// The entry of `delivery` with every material decrypted from transit and sealed under this
/// deployment's root key; a material whose bytes do not match its ID is refused.
fn material_from_peer(
    svc: &Service,
    peering: &Peering,
    delivery: &Delivery,
) -> Result<Entry, KmsError> {
    let mut entry = delivery.entry.clone();
    let Entry::Snapshot { shared, .. } = &mut entry else {
        return Ok(entry);
    };
    let owner = owner(&delivery.account, &delivery.key_id);
    for m in shared.materials.iter_mut() {
        let Some(sealed) = m.sealed.as_mut() else {
            continue;
        };
        let aad = material_aad(&owner, &m.id);
        let secret = peering
            .key_pair
            .decrypt(&aad, &sealed.0)
            .map_err(|e| crypto_failure("decrypt material from a peer", e))?;
        let id = kms_crypto::material_id_hex(&kms_crypto::material_id(&delivery.key_id, &secret));
        if id != m.id {
            tracing::warn!(key_id = %delivery.key_id, "material from a peer does not match its ID");
            return Err(KmsError::internal());
        }
        *sealed = Blob(svc.sealer.seal(Purpose::KeyMaterial, &aad, secret.expose()));
    }
    Ok(entry)
}

/// A cryptographic failure while moving material: logged (without the material), internal.
fn crypto_failure(what: &str, err: kms_crypto::CryptoError) -> KmsError {
    tracing::warn!(error = %err, "cannot {what}");
    KmsError::internal()
}

/// The public key of `peer`: configured, cached, or fetched once over the link.
async fn public_key_of(
    peering: &Peering,
    peers: &Peers,
    peer: &Peer,
) -> Result<Vec<u8>, PeerError> {
    if let Some(key) = &peer.public_key {
        return Ok(key.clone());
    }
    if let Some(key) = peers
        .public_keys
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&peer.name)
    {
        return Ok(key.clone());
    }
    let key = peering.link.public_key(&peer.name).await?;
    peers
        .public_keys
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(peer.name.clone(), key.clone());
    Ok(key)
}

/// Sends one outbox entry to `peer`; `Ok` once the peer has applied it.
pub(crate) async fn send(
    svc: &Service,
    peer: &Peer,
    outboxed: &OutboxEntry,
    entry: &Entry,
) -> Result<(), PeerError> {
    // Step 1: the transport and the receiver's public key.
    let peering = svc
        .peers
        .peering
        .get()
        .ok_or_else(|| PeerError("no peers are configured".into()))?;
    let recipient = public_key_of(peering, &svc.peers, peer).await?;

    // Step 2: the entry with its material encrypted to the receiver.
    let entry = material_for_peer(svc, outboxed, entry, &recipient)
        .map_err(|_| PeerError("cannot prepare the material for the peer".into()))?;
    let delivery = Delivery {
        account: outboxed.account.clone(),
        key_id: outboxed.key_id.clone(),
        target_region: outboxed.target_region.clone(),
        entry,
    };
    let body =
        serde_json::to_vec(&delivery).map_err(|_| PeerError("cannot encode the entry".into()))?;

    // Step 3: post it; a refused public key (the peer's key changed) is fetched again next time.
    let result = peering.link.replicate(&peer.name, body).await;
    if result.is_err() && peer.public_key.is_none() {
        svc.peers
            .public_keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer.name);
    }
    result
}

/// Removes an outbox entry that will not be delivered (the caller logs why).
pub(crate) async fn drop_entry(svc: &Service, seq: i64) -> Result<(), KmsError> {
    svc.peers.settled(seq);
    svc.store.outbox_remove(seq).await.map_err(store_error)
}
