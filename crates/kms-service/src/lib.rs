//! The service layer of kmsd: where the AWS KMS semantics live.
//!
//! [`Service::call`] takes a validated request body of one [`Operation`] from the API layer and
//! runs the operation's handler with the caller and the clock. Handlers live in files by topic
//! and read like the SPEC.md rules they implement: resolve the key, check its state, do the
//! work, persist, answer.

pub mod clock;
mod dispatch;

use std::sync::Arc;

use kms_model::{Caller, KmsError, Operation};

pub use clock::{Clock, SystemClock, TestClock};

/// The KMS service: every operation's handler over one store, one sealer and one clock.
pub struct Service {
    clock: Arc<dyn Clock>,
}

impl Service {
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
}
