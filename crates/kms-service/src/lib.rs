//! The service layer of kmsd: where the AWS KMS semantics live.
//!
//! [`Service::call`] takes a validated request body of one [`Operation`] from the API layer and
//! runs that operation's handler with the caller and the clock. Handlers live in files by topic
//! (keys, crypto, aliases, tags, policy, rotation) and read like the SPEC.md rules they
//! implement: resolve the key, check its state through the one key-state table, do the work,
//! persist in one store write, answer.
//!
//! The hot path (Encrypt, Decrypt, GenerateDataKey on a known key) runs from the [`cache`]: a
//! compact, sharded map of the keys in use, so it reads no database and takes no global lock.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod clock;

mod agreement;
mod aliases;
pub mod authz;
mod bounds;
mod cache;
mod crypto;
mod data_key_pairs;
mod dispatch;
mod grants;
mod import;
mod key_types;
pub mod keys;
mod macs;
mod metadata;
mod multi_region;
mod pagination;
mod peers;
mod policy;
mod replication;
mod resolve;
mod rotation;
mod rsa;
mod scheduler;
mod signing;
mod tags;
mod write;

use std::sync::{Arc, OnceLock};

use kms_crypto::Sealer;
use kms_model::{Caller, KmsError, Operation};
use kms_store::Store;

pub use authz::IdentityPolicies;
pub use clock::{Clock, SystemClock, TestClock};
pub use peers::{Peer, PeerError, PeerLink, Peering, Topology, DEFAULT_TRANSIENT_TIMEOUT};

/// What a deployment configures about its service beyond store, sealer and clock.
#[derive(Debug, Default, Clone)]
pub struct ServiceOptions {
    /// The IAM identity policies attached to principals (the config's `[[policies]]`).
    pub identity_policies: IdentityPolicies,
}

/// The KMS service: every operation's handler over one store, one sealer and one clock.
pub struct Service {
    store: Arc<dyn Store>,
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    cache: cache::KeyCache,
    aliases: cache::AliasCache,
    wrapping_pool: OnceLock<Arc<kms_crypto::import::KeyPairPool>>,
    replication_wakeup: tokio::sync::Notify,
    peers: peers::Peers,
    identities: authz::IdentityPolicies,
    write_locks: write::WriteLocks,
}

impl Service {
    /// A service over `store`, sealing material with `sealer` and reading time from `clock`,
    /// with the default options (no identity policies).
    pub fn new(store: Arc<dyn Store>, sealer: Sealer, clock: Arc<dyn Clock>) -> Arc<Service> {
        Service::new_with(store, sealer, clock, ServiceOptions::default())
    }

    /// A service with `options` (identity policies, ...).
    pub fn new_with(
        store: Arc<dyn Store>,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        options: ServiceOptions,
    ) -> Arc<Service> {
        Arc::new(Service {
            store,
            sealer,
            clock,
            cache: cache::KeyCache::new(),
            aliases: cache::AliasCache::new(),
            wrapping_pool: OnceLock::new(),
            replication_wakeup: tokio::sync::Notify::new(),
            peers: peers::Peers::default(),
            identities: options.identity_policies,
            write_locks: write::WriteLocks::new(),
        })
    }

    /// Runs `op` for `caller` on a request body that the API layer has validated against the
    /// operation's input shape; answers the JSON body of the response.
    pub async fn call(
        &self,
        op: Operation,
        caller: &Caller,
        input: serde_json::Value,
    ) -> Result<Vec<u8>, KmsError> {
        dispatch::dispatch(self, op, caller, input).await
    }

    /// Applies everything time has made due (deletions, rotations, expiries), delivers pending
    /// replication, and flushes last-use records. The background tasks do this continuously;
    /// tests call it after moving the clock.
    pub async fn tick(&self) -> Result<(), KmsError> {
        scheduler::run_due(self).await?;
        // Deliveries can cause further deliveries (a promotion after a rotation); a few
        // passes settle every chain the service makes.
        for _ in 0..8 {
            if replication::deliver(self).await? == 0 {
                break;
            }
        }
        scheduler::flush_last_usage(self).await
    }

    /// Spawns the scheduler (which first catches up on what came due while the server was
    /// down) and the replication worker on the current tokio runtime.
    pub fn start_background(self: &Arc<Service>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(replication::run_worker(Arc::clone(self)));
        let svc = Arc::clone(self);
        tokio::spawn(async move { scheduler::run_forever(svc).await })
    }
}
