//! From a key identifier in a request to an authorized key: SPEC.md 1.4-1.6 and D1-D4.
//!
//! A request names a key by key ID, key ARN, alias name or alias ARN (D1), or by key ID or
//! key ARN only (D2). Resolution yields the key's location (account, region, key ID) and the
//! action the request performs on it; loading the full record (management operations) or the
//! cache entry (the cryptographic path) then authorizes that action against the key's policy,
//! the caller's identity policies and grants, so no handler can use a key unauthorized.

use std::sync::Arc;

use kms_model::ids::{alias_arn, key_arn};
use kms_model::{AccountId, KeyIdentifier, KeyRecord, KmsError, Operation};

use crate::authz::{self, Ctx, KeyView};
use crate::cache::CachedKey;
use crate::write::store_error;
use crate::Service;

/// Where a key lives, and what the request does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyLocation {
    pub account: String,
    pub region: String,
    pub key_id: String,
    /// The IAM action authorized when the key is loaded (`kms:<Operation>` by default).
    pub action: String,
}

impl KeyLocation {
    /// The key's ARN.
    pub fn arn(&self, caller: &Ctx<'_>) -> String {
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

/// The operations a key of another account may be used for, by its ARN (AWS's
/// "Cross-account use: Yes").
fn cross_account_allowed(op: Operation) -> bool {
    use Operation::*;
    matches!(
        op,
        Decrypt
            | DescribeKey
            | Encrypt
            | GenerateDataKey
            | GenerateDataKeyWithoutPlaintext
            | GenerateDataKeyPair
            | GenerateDataKeyPairWithoutPlaintext
            | GenerateMac
            | GetPublicKey
            | ReEncrypt
            | Sign
            | Verify
            | VerifyMac
            | CreateGrant
            | ListGrants
            | RetireGrant
            | RevokeGrant
            | GetKeyRotationStatus
            | DeriveSharedSecret
    )
}

/// Resolves `value` for `caller` to the location of a key (which may still not exist).
pub(crate) async fn locate(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    value: &str,
    forms: Forms,
) -> Result<KeyLocation, KmsError> {
    // Step 1: parse the identifier in the forms this operation accepts.
    let ident = match forms {
        Forms::Any => KeyIdentifier::parse(value)?,
        Forms::KeyOnly => KeyIdentifier::parse_key_only(value)?,
    };
    let region = caller.region.as_str().to_string();
    let action = match op {
        Operation::ReEncrypt => "kms:ReEncryptFrom".to_string(),
        _ => authz::action(op),
    };

    // Step 2: an ARN must name this region, and another account only where AWS allows it.
    let loc = match ident {
        KeyIdentifier::Id(key_id) => {
            let account = caller.account.as_str().to_string();
            KeyLocation {
                account,
                region,
                key_id: key_id.to_string(),
                action,
            }
        }
        KeyIdentifier::KeyArn {
            region: r,
            account: a,
            key_id,
        } => {
            check_arn_scope(caller, op, &r, &a, value)?;
            KeyLocation {
                account: a.to_string(),
                region,
                key_id: key_id.to_string(),
                action,
            }
        }
        KeyIdentifier::AliasName(name) => {
            resolve_alias(svc, caller, &caller.account, &name, action).await?
        }
        KeyIdentifier::AliasArn {
            region: r,
            account: a,
            alias_name,
        } => {
            check_arn_scope(caller, op, &r, &a, value)?;
            resolve_alias(svc, caller, &a, &alias_name, action).await?
        }
    };

    // Step 3: the request's span names the key from here on.
    tracing::Span::current().record("key_id", loc.key_id.as_str());
    Ok(loc)
}

/// SPEC 1.6 (another region), and keys of other accounts only for cross-account operations.
fn check_arn_scope(
    caller: &Ctx<'_>,
    op: Operation,
    region: &kms_model::Region,
    account: &AccountId,
    value: &str,
) -> Result<(), KmsError> {
    if region != &caller.region {
        return Err(KmsError::not_found(format!("Invalid arn {region}")));
    }
    if account != &caller.account && !cross_account_allowed(op) {
        return Err(KmsError::new(
            kms_model::ErrorCode::AccessDeniedException,
            format!(
                "User: {} is not authorized to perform: kms:{} on resource: {value} because {} cannot be used across accounts",
                caller.principal_arn,
                op.name(),
                op.name()
            ),
        ));
    }
    Ok(())
}

/// The key an alias of `account` in the caller's region points at (SPEC D4).
async fn resolve_alias(
    svc: &Service,
    caller: &Ctx<'_>,
    account: &AccountId,
    name: &str,
    action: String,
) -> Result<KeyLocation, KmsError> {
    let region = caller.region.as_str();
    let key_id = match svc.aliases.get(account.as_str(), region, name) {
        Some(id) => id,
        None => {
            let alias = svc
                .store
                .get_alias(account.as_str(), region, name)
                .await
                .map_err(store_error)?;
            let alias = alias.ok_or_else(|| {
                KmsError::not_found(format!(
                    "Alias {} is not found.",
                    alias_arn(&caller.region, account, name)
                ))
            })?;
            svc.aliases
                .put(account.as_str(), region, name, &alias.target_key_id);
            alias.target_key_id
        }
    };
    Ok(KeyLocation {
        account: account.to_string(),
        region: region.to_string(),
        key_id,
        action,
    })
}

/// `NotFoundException` "Key '<arn>' does not exist" (SPEC 1.5).
pub(crate) fn key_not_found(caller: &Ctx<'_>, loc: &KeyLocation) -> KmsError {
    KmsError::not_found(format!("Key '{}' does not exist", loc.arn(caller)))
}

/// The full stored record of the key at `loc`, with `loc.action` authorized.
pub(crate) async fn load_record(
    svc: &Service,
    caller: &Ctx<'_>,
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
    authorize_record(svc, caller, &loc.action, &record).await?;
    Ok(record)
}

/// Authorizes `action` on a full key record.
pub(crate) async fn authorize_record(
    svc: &Service,
    caller: &Ctx<'_>,
    action: &str,
    record: &KeyRecord,
) -> Result<(), KmsError> {
    let policy = crate::policy::parsed_or_empty(&record.policy);
    let primary = record
        .multi_region
        .as_ref()
        .map(|m| m.is_primary(&record.region));
    let arn = record.arn();
    let aliases = aliases_if_read(
        svc,
        caller,
        &policy,
        &record.account,
        &record.region,
        &record.key_id,
    )
    .await?;
    let view = KeyView {
        account: &record.account,
        policy: &policy,
        origin: record.origin.as_str(),
        spec: record.key_spec.as_str(),
        usage: record.key_usage.as_str(),
        multi_region: primary,
        tags: &record.tags,
        aliases: aliases.as_deref(),
    };
    let grants = crate::grants::allows(svc, caller, action, record);
    authz::authorize(&svc.identities, caller, action, &arn, Some(&view), grants)
}

/// The cache entry of the key at `loc`, loaded from the store on first use, with
/// `loc.action` authorized.
pub(crate) async fn load_cached(
    svc: &Service,
    caller: &Ctx<'_>,
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
    let aliases = aliases_if_read(
        svc,
        caller,
        &entry.policy,
        &entry.account,
        &entry.region,
        &entry.key_id,
    )
    .await?;
    let view = KeyView {
        account: &entry.account,
        policy: &entry.policy,
        origin: entry.origin.as_str(),
        spec: entry.key_spec.as_str(),
        usage: entry.key_usage.as_str(),
        multi_region: entry.multi_region,
        tags: &entry.tags,
        aliases: aliases.as_deref(),
    };
    let grants = crate::grants::allows_cached(svc, caller, &loc.action, &entry);
    let arn = entry.arn();
    authz::authorize(
        &svc.identities,
        caller,
        &loc.action,
        &arn,
        Some(&view),
        grants,
    )?;
    Ok(entry)
}

/// The key's alias names, for kms:ResourceAliases, only when a policy involved reads the
/// context (a key policy without conditions costs no alias lookup).
async fn aliases_if_read(
    svc: &Service,
    caller: &Ctx<'_>,
    policy: &kms_policy::Policy,
    account: &str,
    region: &str,
    key_id: &str,
) -> Result<Option<Vec<String>>, KmsError> {
    if !authz::tests_key(
        &svc.identities,
        &caller.principal_arn,
        Some(policy),
        "kms:ResourceAliases",
    ) {
        return Ok(None);
    }
    // AWS evaluates at most the first 50 aliases of a key.
    let page = svc
        .store
        .list_aliases(account, region, Some(key_id), None, 50)
        .await
        .map_err(store_error)?;
    Ok(Some(page.items.into_iter().map(|a| a.name).collect()))
}

fn is_past_deletion(svc: &Service, deletion_date: Option<kms_model::Timestamp>) -> bool {
    deletion_date.is_some_and(|d| d <= svc.clock.now())
}
