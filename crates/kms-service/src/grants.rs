//! Grants: per-key, per-region permissions for a grantee principal.
//!
//! CreateGrant is not implemented yet (it answers UnsupportedOperationException), so no grant
//! exists and none allows anything; authorization already asks here, so that grants take part
//! in every decision once they can be created.

use crate::authz::Ctx;
use crate::cache::CachedKey;
use crate::Service;
use kms_model::KeyRecord;

/// Whether a grant on `record` lets the caller perform `action` (none exist yet).
pub(crate) fn allows(
    _svc: &Service,
    _caller: &Ctx<'_>,
    _action: &str,
    _record: &KeyRecord,
) -> bool {
    false
}

/// [`allows`] for a cached key.
pub(crate) fn allows_cached(
    _svc: &Service,
    _caller: &Ctx<'_>,
    _action: &str,
    _key: &CachedKey,
) -> bool {
    false
}
