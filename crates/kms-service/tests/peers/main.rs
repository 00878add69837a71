//! Two deployments linked in memory as peers: one hosts us-east-1 (and us-west-2), the other
//! eu-west-1. Replicas are created across the link with their material re-encrypted, a region
//! hosted elsewhere is refused, an unreachable peer blocks only its own entries, and transient
//! states end after the bound: a replica that cannot be created, a handover that cannot be
//! delivered, a rotation that cannot reach a replica; and what was queued for a region that
//! left the set holds up nothing (ARCHITECTURE.md "Multi-Region keys and replication").
//!
//! The suites: `delivery` (replicas across the link, refusals, the create and handover
//! bounds), `rotation` (the rotation bound) and `leftovers` (entries for a region that left
//! the set). `link` has the two deployments and their in-memory link.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step fails the test"
)]

mod delivery;
mod leftovers;
mod link;
mod rotation;
