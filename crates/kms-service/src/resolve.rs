//! From a key identifier in a request to a key: SPEC.md 1.4-1.6 and D1-D4.
//!
//! A request names a key by key ID, key ARN, alias name or alias ARN (D1), or by key ID or
//! key ARN only (D2). Resolution yields the key's location (account, region, key ID); the
//! caller then loads the full record (management operations) or the cache entry (the
//! cryptographic path).

use std::sync::Arc;

use kms_model::ids::{alias_arn, key_arn};
use kms_model::{AccountId, Caller, KeyIdentifier, KeyRecord, KmsError, Operation};

use crate::cache::CachedKey;
use crate::write::store_error;
use crate::Service;

/// Where a key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyLocation {
    pub account: String,
    pub region: String,
    pub key_id: String,
}

impl KeyLocation {
    /// The key's ARN.
    pub fn arn(&self, caller: &Caller) -> String {
        match AccountId::parse(&self.account) {
            Some(account) => key_arn(&caller.region, &account, &self.key_id),
            None => format!(
                "arn:aws:kms:{}:{}:key/{}",
                self.region, self.account, self.key_id
            ),
        }
    }
}

/// Which identifier forms an operation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forms {
    /// Key ID, key ARN, alias name or alias ARN (SPEC D1).
    Any,
    /// Key ID or key ARN only (SPEC D2).
    KeyOnly,
}

/// Resolves `value` for `caller` to the location of a key (which may still not exist).
pub(crate) async fn locate(
    svc: &Service,
    caller: &Caller,
    op: Operation,
    value: &str,
    forms: Forms,
) -> Result<KeyLocation, KmsError> {
    // Step 1: parse the identifier in the forms this operation accepts.
    let ident = match forms {
        Forms::Any => KeyIdentifier::parse(value)?,
        Forms::KeyOnly => KeyIdentifier::parse_key_only(value)?,
    };
    let account = caller.account.as_str().to_string();
    let region = caller.region.as_str().to_string();

    // Step 2: an ARN must name this region and, until key policies allow it, this account.
    let loc = match ident {
        KeyIdentifier::Id(key_id) => Ok(KeyLocation {
            account,
            region,
            key_id: key_id.to_string(),
        }),
        KeyIdentifier::KeyArn {
            region: r,
            account: a,
            key_id,
        } => {
            check_arn_scope(caller, op, &r, &a, value)?;
            Ok(KeyLocation {
                account,
                region,
                key_id: key_id.to_string(),
            })
        }
        KeyIdentifier::AliasName(name) => resolve_alias(svc, caller, &name).await,
        KeyIdentifier::AliasArn {
            region: r,
            account: a,
            alias_name,
        } => {
            check_arn_scope(caller, op, &r, &a, value)?;
            resolve_alias(svc, caller, &alias_name).await
        }
    }?;

    // Step 3: the request's span names the key from here on.
    tracing::Span::current().record("key_id", loc.key_id.as_str());
    Ok(loc)
}

/// SPEC 1.6 (another region) and cross-account use (refused until key policies land).
fn check_arn_scope(
    caller: &Caller,
    op: Operation,
    region: &kms_model::Region,
    account: &AccountId,
    value: &str,
) -> Result<(), KmsError> {
    if region != &caller.region {
        return Err(KmsError::not_found(format!("Invalid arn {region}")));
    }
    if account != &caller.account {
        // Cross-account use needs a key policy that allows it; kmsd does not evaluate key
        // policies yet, so no other account's key is ever usable.
        return Err(access_denied(caller, op, value));
    }
    Ok(())
}

/// AWS's AccessDeniedException text for a principal, an action and a resource.
pub(crate) fn access_denied(caller: &Caller, op: Operation, resource: &str) -> KmsError {
    KmsError::new(
        kms_model::ErrorCode::AccessDeniedException,
        format!(
            "User: {} is not authorized to perform: kms:{} on resource: {} because no resource-based policy allows the kms:{} action",
            caller.principal_arn,
            op.name(),
            resource,
            op.name()
        ),
    )
}

/// The key an alias of the caller's account and region points at (SPEC D4).
async fn resolve_alias(
    svc: &Service,
    caller: &Caller,
    name: &str,
) -> Result<KeyLocation, KmsError> {
    let account = caller.account.as_str();
    let region = caller.region.as_str();
    let key_id = match svc.aliases.get(account, region, name) {
        Some(id) => id,
        None => {
            let alias = svc
                .store
                .get_alias(account, region, name)
                .await
                .map_err(store_error)?;
            let alias = alias.ok_or_else(|| {
                KmsError::not_found(format!(
                    "Alias {} is not found.",
                    alias_arn(&caller.region, &caller.account, name)
                ))
            })?;
            svc.aliases.put(account, region, name, &alias.target_key_id);
            alias.target_key_id
        }
    };
    Ok(KeyLocation {
        account: account.to_string(),
        region: region.to_string(),
        key_id,
    })
}

/// `NotFoundException` "Key '<arn>' does not exist" (SPEC 1.5).
pub(crate) fn key_not_found(caller: &Caller, loc: &KeyLocation) -> KmsError {
    KmsError::not_found(format!("Key '{}' does not exist", loc.arn(caller)))
}

/// The full stored record of the key at `loc`.
pub(crate) async fn load_record(
    svc: &Service,
    caller: &Caller,
    loc: &KeyLocation,
) -> Result<KeyRecord, KmsError> {
    let record = svc
        .store
        .get_key(&loc.account, &loc.region, &loc.key_id)
        .await
        .map_err(store_error)?;
    let record = record.ok_or_else(|| key_not_found(caller, loc))?;
    if is_past_deletion(svc, record.deletion_date) {
        return Err(key_not_found(caller, loc));
    }
    Ok(record)
}

/// The cache entry of the key at `loc`, loaded from the store on first use.
pub(crate) async fn load_cached(
    svc: &Service,
    caller: &Caller,
    loc: &KeyLocation,
) -> Result<Arc<CachedKey>, KmsError> {
    let entry = match svc.cache.get(&loc.account, &loc.region, &loc.key_id) {
        Some(entry) => entry,
        None => {
            let record = svc
                .store
                .get_key(&loc.account, &loc.region, &loc.key_id)
                .await
                .map_err(store_error)?;
            let record = record.ok_or_else(|| key_not_found(caller, loc))?;
            svc.cache.put(&record)
        }
    };
    // A key whose deletion date has passed is gone, even before the scheduler deletes it.
    if is_past_deletion(svc, entry.deletion_date) {
        return Err(key_not_found(caller, loc));
    }
    Ok(entry)
}

fn is_past_deletion(svc: &Service, deletion_date: Option<kms_model::Timestamp>) -> bool {
    deletion_date.is_some_and(|d| d <= svc.clock.now())
}
