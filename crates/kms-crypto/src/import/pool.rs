//! A pool of ready wrapping key pairs, so GetParametersForImport answers without generating RSA
//! keys while the client waits (ARCHITECTURE.md, "Imported key material").
//!
//! One background thread tops every size up to the target, smallest size and emptiest first,
//! and sleeps on a channel until a pair is taken. The thread holds only a weak reference and the
//! receiving end; dropping the last `Arc` drops the sender, which wakes the thread to end.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::thread;
use std::time::Duration;

use super::{WrappingKeyPair, WrappingKeySpec};
use crate::CryptoError;

/// How long the refill thread waits before trying again after generation failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Keeps `target` ready pairs of each size, refilled by one background thread. Each pair is
/// handed out at most once.
pub struct KeyPairPool {
    /// How many ready pairs of each size the thread aims for.
    target: usize,
    /// The ready pairs of each size.
    ready: Mutex<HashMap<WrappingKeySpec, Vec<WrappingKeyPair>>>,
    /// Wakes the refill thread after a take; dropping it ends the thread.
    wake: Sender<()>,
}

impl KeyPairPool {
    /// A pool aiming at `target_per_spec` ready pairs of each size, and its refill thread. The
    /// thread ends soon after the last `Arc` is dropped. If the thread cannot be started, the
    /// pool still works and generates every pair in [`KeyPairPool::take`].
    pub fn new(target_per_spec: usize) -> Arc<KeyPairPool> {
        // Build the pool with empty stocks and the channel that wakes the thread.
        let (sender, receiver) = mpsc::channel();
        let pool = Arc::new(KeyPairPool {
            target: target_per_spec,
            ready: Mutex::new(WrappingKeySpec::ALL.map(|s| (s, Vec::new())).into()),
            wake: sender,
        });

        // Start the refill thread with a weak reference only; failing to start it leaves a
        // pool that generates inline, which is slower but correct.
        let weak = Arc::downgrade(&pool);
        let _ = thread::Builder::new()
            .name("kmsd-wrapping-keys".into())
            .spawn(move || refill(&weak, &receiver));
        pool
    }

    /// A ready pair of `spec`, or one generated now if none is ready.
    pub fn take(&self, spec: WrappingKeySpec) -> Result<WrappingKeyPair, CryptoError> {
        // Take a ready pair, if any, and tell the thread there is room.
        let ready = self.stock().get_mut(&spec).and_then(Vec::pop);
        let _ = self.wake.send(());

        // Generate inline when the pool was empty.
        match ready {
            Some(pair) => Ok(pair),
            None => WrappingKeyPair::generate(spec),
        }
    }

    /// How many pairs of `spec` are ready now.
    pub fn ready(&self, spec: WrappingKeySpec) -> usize {
        self.stock().get(&spec).map_or(0, Vec::len)
    }

    /// The size most in need of a pair (fewest ready, smallest first), or `None` when every
    /// size is at the target.
    fn most_needed(&self) -> Option<WrappingKeySpec> {
        let stock = self.stock();
        WrappingKeySpec::ALL
            .into_iter()
            .map(|spec| (stock.get(&spec).map_or(0, Vec::len), spec))
            .filter(|(count, _)| *count < self.target)
            .min_by_key(|(count, _)| *count)
            .map(|(_, spec)| spec)
    }

    /// Adds a freshly generated pair.
    fn put(&self, pair: WrappingKeyPair) {
        self.stock().entry(pair.spec()).or_default().push(pair);
    }

    /// The stocks. A panic while the lock was held could only have come between a push and a
    /// pop, which leave the map consistent, so a poisoned lock is used as it is.
    fn stock(&self) -> MutexGuard<'_, HashMap<WrappingKeySpec, Vec<WrappingKeyPair>>> {
        self.ready.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for KeyPairPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = f.debug_struct("KeyPairPool");
        shown.field("target", &self.target);
        for spec in WrappingKeySpec::ALL {
            shown.field(spec.name(), &self.ready(spec));
        }
        shown.finish()
    }
}

/// The refill thread: generate what is missing, then sleep until a take or the pool's end.
fn refill(pool: &Weak<KeyPairPool>, wake: &Receiver<()>) {
    loop {
        // Find what is missing without keeping the pool alive.
        let needed = match pool.upgrade() {
            Some(pool) => pool.most_needed(),
            None => return,
        };

        // Generate one pair outside the lock, or wait for a take.
        let Some(spec) = needed else {
            match wake.recv() {
                Ok(()) => continue,
                Err(_) => return,
            }
        };
        match WrappingKeyPair::generate(spec) {
            Ok(pair) => match pool.upgrade() {
                Some(pool) => pool.put(pair),
                None => return,
            },
            Err(_) => match wake.recv_timeout(RETRY_AFTER) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// Waits until `done` holds, for at most a minute.
    fn wait_for(done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "pool did not fill"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn fills_to_the_target_and_no_further() {
        let pool = KeyPairPool::new(1);
        wait_for(|| WrappingKeySpec::ALL.iter().all(|s| pool.ready(*s) == 1));
        thread::sleep(Duration::from_millis(100));
        assert!(WrappingKeySpec::ALL.iter().all(|s| pool.ready(*s) == 1));
        assert_eq!(pool.most_needed(), None);
    }

    #[test]
    fn an_empty_pool_generates_inline() {
        let pool = KeyPairPool::new(0);
        let pair = pool.take(WrappingKeySpec::Rsa2048).unwrap();
        assert_eq!(pair.spec(), WrappingKeySpec::Rsa2048);
        assert_eq!(pool.ready(WrappingKeySpec::Rsa2048), 0);
        assert_eq!(
            format!("{pool:?}"),
            "KeyPairPool { target: 0, RSA_2048: 0, RSA_3072: 0, RSA_4096: 0 }"
        );
    }

    #[test]
    fn the_thread_ends_with_the_last_arc() {
        let pool = KeyPairPool::new(1);
        let weak = Arc::downgrade(&pool);
        drop(pool);
        // The thread may hold a strong reference for a moment while it puts a pair.
        wait_for(|| weak.upgrade().is_none());
    }
}
