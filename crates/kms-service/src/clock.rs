//! The injectable clock: the service never reads the system time directly.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use kms_model::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        Timestamp(millis as i64)
    }
}

/// A clock that tests set and move by hand.
#[derive(Debug, Default)]
pub struct TestClock {
    millis: AtomicI64,
}

impl TestClock {
    /// A test clock that reads `start`.
    pub fn new(start: Timestamp) -> Self {
        TestClock {
            millis: AtomicI64::new(start.millis()),
        }
    }

    /// Moves the clock forward by `millis`.
    pub fn advance_millis(&self, millis: i64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }

    /// Moves the clock forward by `days` days.
    pub fn advance_days(&self, days: i64) {
        self.advance_millis(days * 86_400_000);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.millis.store(at.millis(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.millis.load(Ordering::SeqCst))
    }
}
