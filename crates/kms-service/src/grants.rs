//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant, and the
//! part grants take in every authorization decision.
//!
//! AWS pages: <https://docs.aws.amazon.com/kms/latest/developerguide/grants.html>, the API
//! pages of the five operations, and
//! <https://docs.aws.amazon.com/kms/latest/developerguide/create-grant-overview.html> (grant
//! constraints). A grant belongs to one key in one region: a related multi-Region key of
//! another region never shares it. It gives its grantee its operations on that key, under its
//! encryption context constraints, and is deleted with its key.
//!
//! The store keeps every grant in memory, so asking whether a grant allows a request reads no
//! database, and a grant is effective the moment CreateGrant answers. A grant token is the
//! grant's identity sealed by the service; it names the grant without a store read.

use std::collections::BTreeMap;

use kms_crypto::Purpose;
use kms_model::shapes::*;
use kms_model::{key_state, ErrorCode, KeyRecord, KmsError, Operation};
use kms_store::GrantRecord;
use serde::{Deserialize, Serialize};

use crate::authz::{self, Ctx, KeyView};
use crate::cache::CachedKey;
use crate::crypto::dry_run_error;
use crate::resolve::{key_not_found, load_record, locate, Forms, KeyLocation};
use crate::write::store_error;
use crate::{pagination, Service};

/// The associated data of a sealed grant token: it keeps tokens apart from every other blob
/// the same purpose key seals (import tokens use a label of their own).
const TOKEN_LABEL: &[u8] = b"kmsd grant token v1";

/// The prefix of the encryption context condition keys in a request context.
const CONTEXT_PREFIX: &str = "kms:EncryptionContext:";

/// What a grant token names: one grant of one key.
#[derive(Debug, Serialize, Deserialize)]
struct TokenClaims {
    account: String,
    region: String,
    key_id: String,
    grant_id: String,
}

// ---------------------------------------------------------------------------------------------
// Authorization.

/// Whether a grant on `record` lets the caller perform `action`.
pub(crate) fn allows(svc: &Service, caller: &Ctx<'_>, action: &str, record: &KeyRecord) -> bool {
    allows_on(
        svc,
        caller,
        action,
        &record.account,
        &record.region,
        &record.key_id,
    )
}

/// [`allows`] for a cached key.
pub(crate) fn allows_cached(
    svc: &Service,
    caller: &Ctx<'_>,
    action: &str,
    key: &CachedKey,
) -> bool {
    allows_on(svc, caller, action, &key.account, &key.region, &key.key_id)
}

/// Whether a grant of the key (account, region, key ID) names the caller as grantee, has the
/// operation of `action`, and has constraints the request's encryption context meets.
fn allows_on(
    svc: &Service,
    caller: &Ctx<'_>,
    action: &str,
    account: &str,
    region: &str,
    key_id: &str,
) -> bool {
    // Only a grant operation can be allowed by a grant (RetireGrant is per grant, see there).
    let Some(op) = grant_operation(action) else {
        return false;
    };
    let Some(grants) = svc.store.grants_of_key(account, region, key_id) else {
        return false;
    };
    grants.iter().any(|g| {
        g.grantee_principal == caller.principal_arn
            && g.operations.contains(&op)
            && constraints_hold(g.constraints.as_ref(), op, caller)
    })
}

/// The grant operation of an IAM action (`kms:ReEncryptFrom` -> ReEncryptFrom), if it has one
/// that a grant allows on the key as a whole.
fn grant_operation(action: &str) -> Option<GrantOperation> {
    let op = GrantOperation::parse(action.strip_prefix("kms:")?)?;
    (op != GrantOperation::RetireGrant).then_some(op)
}

/// Whether an operation takes an encryption context (constraints apply only to those).
fn takes_context(op: GrantOperation) -> bool {
    use GrantOperation::*;
    matches!(
        op,
        Decrypt
            | Encrypt
            | GenerateDataKey
            | GenerateDataKeyWithoutPlaintext
            | GenerateDataKeyPair
            | GenerateDataKeyPairWithoutPlaintext
            | ReEncryptFrom
            | ReEncryptTo
    )
}

/// Whether a request meets a grant's constraints. Keys compare case-insensitively, values
/// exactly (AWS GrantConstraints).
fn constraints_hold(
    constraints: Option<&GrantConstraints>,
    op: GrantOperation,
    ctx: &Ctx<'_>,
) -> bool {
    let Some(c) = constraints else {
        return true;
    };
    if !takes_context(op) {
        return true;
    }
    // ReEncryptFrom is decided on the source's context; every other operation on the request's.
    let request = match op {
        GrantOperation::ReEncryptFrom => ctx.body_context("SourceEncryptionContext"),
        _ => request_context(ctx),
    };
    let equals = c
        .encryption_context_equals
        .as_ref()
        .is_none_or(|e| lowercase_keys(e) == request);
    let subset = c.encryption_context_subset.as_ref().is_none_or(|s| {
        lowercase_keys(s)
            .iter()
            .all(|(k, v)| request.get(k) == Some(v))
    });
    equals && subset
}

/// The request's encryption context from its condition keys, keys lower-cased.
fn request_context(ctx: &Ctx<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let context = ctx.context();
    for name in context.keys() {
        let Some(key) = name.get(..CONTEXT_PREFIX.len()).and_then(|prefix| {
            prefix
                .eq_ignore_ascii_case(CONTEXT_PREFIX)
                .then(|| &name[CONTEXT_PREFIX.len()..])
        }) else {
            continue;
        };
        if let Some([value]) = context.get(name) {
            out.insert(key.to_lowercase(), value.as_text().into_owned());
        }
    }
    out
}

fn lowercase_keys(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect()
}

/// Decides `action` on a key by its key policy and the caller's identity policies alone, for
/// the cases where a grant's say is decided per grant (RetireGrant, CreateGrant by a grantee).
fn authorize_by_policy(
    svc: &Service,
    caller: &Ctx<'_>,
    action: &str,
    record: &KeyRecord,
) -> Result<(), KmsError> {
    let policy = crate::policy::parsed_or_empty(&record.policy);
    let view = KeyView {
        account: &record.account,
        policy: &policy,
        origin: record.origin.as_str(),
        spec: record.key_spec.as_str(),
        usage: record.key_usage.as_str(),
        multi_region: record
            .multi_region
            .as_ref()
            .map(|m| m.is_primary(&record.region)),
        tags: &record.tags,
        // Grant decisions by policy do not look up the key's aliases (kms:ResourceAliases).
        aliases: None,
    };
    let arn = record.arn();
    authz::authorize(&svc.identities, caller, action, &arn, Some(&view), false)
}

// ---------------------------------------------------------------------------------------------
// Grant tokens.

/// A fresh token for a grant (each CreateGrant answers a new one, even for the same grant).
fn seal_token(svc: &Service, grant: &GrantRecord) -> Result<String, KmsError> {
    let claims = TokenClaims {
        account: grant.account.clone(),
        region: grant.region.clone(),
        key_id: grant.key_id.clone(),
        grant_id: grant.grant_id.clone(),
    };
    let plain = serde_json::to_vec(&claims).map_err(|e| {
        tracing::error!(error = %e, "grant token claims did not serialize");
        KmsError::internal()
    })?;
    Ok(hex::encode(svc.sealer.seal(
        Purpose::ImportToken,
        TOKEN_LABEL,
        &plain,
    )))
}

/// `InvalidGrantTokenException` for a token kmsd did not make or whose grant is gone.
fn invalid_token() -> KmsError {
    KmsError::new(
        ErrorCode::InvalidGrantTokenException,
        "The grant token is not valid.",
    )
}

/// The grant a token names, if the token is one of this service's.
fn open_token(svc: &Service, token: &str) -> Result<TokenClaims, KmsError> {
    let sealed = hex::decode(token).map_err(|_| invalid_token())?;
    let plain = svc
        .sealer
        .open(Purpose::ImportToken, TOKEN_LABEL, &sealed)
        .map_err(|_| invalid_token())?;
    serde_json::from_slice(plain.expose()).map_err(|_| invalid_token())
}

/// The GrantTokens of a request: each must name a grant that exists. (A grant is effective
/// as soon as CreateGrant answers, so a token adds no permission a grant has not already.)
pub(crate) fn check_tokens(svc: &Service, tokens: &Option<Vec<String>>) -> Result<(), KmsError> {
    for token in tokens.iter().flatten() {
        let claims = open_token(svc, token)?;
        let grants = svc
            .store
            .grants_of_key(&claims.account, &claims.region, &claims.key_id);
        if !grants.is_some_and(|g| g.iter().any(|g| g.grant_id == claims.grant_id)) {
            return Err(invalid_token());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CreateGrant.

/// The operations a grant may give on a key of this spec and usage (AWS "Grant operations").
fn valid_operation(record: &KeyRecord, op: GrantOperation) -> bool {
    use GrantOperation::*;
    if matches!(op, CreateGrant | RetireGrant | DescribeKey) {
        return true;
    }
    match (record.key_spec, record.key_usage) {
        (KeySpec::SymmetricDefault, _) => matches!(
            op,
            Decrypt
                | Encrypt
                | GenerateDataKey
                | GenerateDataKeyWithoutPlaintext
                | GenerateDataKeyPair
                | GenerateDataKeyPairWithoutPlaintext
                | ReEncryptFrom
                | ReEncryptTo
        ),
        (_, KeyUsageType::GenerateVerifyMac) => matches!(op, GenerateMac | VerifyMac),
        (_, KeyUsageType::EncryptDecrypt) => {
            matches!(
                op,
                Decrypt | Encrypt | GetPublicKey | ReEncryptFrom | ReEncryptTo
            )
        }
        (_, KeyUsageType::SignVerify) => matches!(op, Sign | Verify | GetPublicKey),
        (_, KeyUsageType::KeyAgreement) => matches!(op, DeriveSharedSecret | GetPublicKey),
    }
}

/// The members of a CreateGrant request AWS checks against the key (SPEC issue "Grants").
fn check_request(record: &KeyRecord, req: &CreateGrantRequest) -> Result<(), KmsError> {
    // Step 1: a principal is an ARN or a service principal.
    for principal in std::iter::once(&req.grantee_principal).chain(&req.retiring_principal) {
        if !principal.starts_with("arn:") && !principal.ends_with(".amazonaws.com") {
            return Err(KmsError::validation(format!(
                "{principal} is not a valid principal: use an ARN or a service principal."
            )));
        }
    }

    // Step 2: at least one operation, each valid for this type of key.
    if req.operations.is_empty() {
        return Err(KmsError::validation(
            "Operations must list at least one operation.",
        ));
    }
    let invalid: Vec<&str> = req
        .operations
        .iter()
        .filter(|op| !valid_operation(record, **op))
        .map(|op| op.as_str())
        .collect();
    if !invalid.is_empty() {
        return Err(KmsError::validation(format!(
            "Grant operations [{}] are not valid for a {} key with key usage {}.",
            invalid.join(", "),
            record.key_spec,
            record.key_usage
        )));
    }

    // Step 3: encryption context constraints need a key whose operations take a context.
    let constrained = req.constraints.as_ref().is_some_and(|c| {
        c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some()
    });
    if constrained && record.key_spec != KeySpec::SymmetricDefault {
        return Err(KmsError::validation(format!(
            "Encryption context grant constraints are not supported for {} keys: their operations take no encryption context.",
            record.key_spec
        )));
    }
    Ok(())
}

/// Whether `parent` (a grant that gives the caller CreateGrant) covers the grant requested:
/// no operation beyond its own, and constraints at least as strict (AWS CreateGrant).
fn covers(parent: &GrantRecord, req: &CreateGrantRequest) -> bool {
    if !req
        .operations
        .iter()
        .all(|op| parent.operations.contains(op))
    {
        return false;
    }
    let Some(pc) = parent.constraints.as_ref() else {
        return true;
    };
    let Some(rc) = req.constraints.as_ref() else {
        return false;
    };
    let equals = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| {
        lowercase_keys(a) == lowercase_keys(b)
    };
    let contains = |outer: &BTreeMap<String, String>, inner: &BTreeMap<String, String>| {
        let outer = lowercase_keys(outer);
        lowercase_keys(inner)
            .iter()
            .all(|(k, v)| outer.get(k) == Some(v))
    };
    let req_equals = rc.encryption_context_equals.as_ref();
    let req_subset = rc.encryption_context_subset.as_ref();
    let equals_ok = pc
        .encryption_context_equals
        .as_ref()
        .is_none_or(|pe| req_equals.is_some_and(|re| equals(pe, re)));
    let subset_ok = pc.encryption_context_subset.as_ref().is_none_or(|ps| {
        req_equals.is_some_and(|re| contains(re, ps))
            || req_subset.is_some_and(|rs| contains(rs, ps))
    });
    equals_ok && subset_ok
}

/// A grantee whose CreateGrant permission comes from a grant may only pass on what that grant
/// has; anyone else needs kms:CreateGrant from policies.
fn authorize_passing_on(
    svc: &Service,
    caller: &Ctx<'_>,
    record: &KeyRecord,
    req: &CreateGrantRequest,
) -> Result<(), KmsError> {
    let grants = svc
        .store
        .grants_of_key(&record.account, &record.region, &record.key_id);
    let covered = grants.iter().flat_map(|g| g.iter()).any(|g| {
        g.grantee_principal == caller.principal_arn
            && g.operations.contains(&GrantOperation::CreateGrant)
            && covers(g, req)
    });
    match covered {
        true => Ok(()),
        false => authorize_by_policy(svc, caller, "kms:CreateGrant", record),
    }
}

/// Whether an existing grant is the one a request with the same Name asks for.
fn same_grant(g: &GrantRecord, req: &CreateGrantRequest) -> bool {
    let mut wanted = req.operations.clone();
    let mut have = g.operations.clone();
    wanted.sort_by_key(|op| op.as_str());
    wanted.dedup();
    have.sort_by_key(|op| op.as_str());
    have.dedup();
    g.grantee_principal == req.grantee_principal
        && g.retiring_principal == req.retiring_principal
        && wanted == have
        && normalized(g.constraints.as_ref()) == normalized(req.constraints.as_ref())
}

/// Constraints that constrain something, so that equal requirements compare equal.
fn normalized(c: Option<&GrantConstraints>) -> Option<GrantConstraints> {
    c.filter(|c| c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some())
        .cloned()
}

/// CreateGrant: a grant on a key of this region, for a grantee principal.
pub(crate) async fn create_grant(
    svc: &Service,
    caller: &Ctx<'_>,
    req: CreateGrantRequest,
) -> Result<CreateGrantResponse, KmsError> {
    // Step 1: the key (ID or ARN, possibly another account's), authorized and in a state
    // that allows CreateGrant; what a grant-derived permission may pass on.
    let loc = locate(
        svc,
        caller,
        Operation::CreateGrant,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    authorize_passing_on(svc, caller, &record, &req)?;
    key_state::check(Operation::CreateGrant, &record)?;

    // Step 2: the request against the key; its tokens; DryRun.
    check_request(&record, &req)?;
    check_tokens(svc, &req.grant_tokens)?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 3: a Name already given to the same grant answers that grant (AWS idempotency).
    if let Some(name) = req.name.as_deref() {
        let named = svc
            .store
            .find_grants_by_name(&record.account, &record.region, &record.key_id, name)
            .await
            .map_err(store_error)?;
        if let Some(existing) = named.iter().find(|g| same_grant(g, &req)) {
            return answer(svc, existing);
        }
    }

    // Step 4: a new grant.
    let grant = GrantRecord {
        account: record.account.clone(),
        region: record.region.clone(),
        key_id: record.key_id.clone(),
        grant_id: hex::encode(kms_crypto::random_bytes(32)),
        name: req.name.clone(),
        creation_date: svc.clock.now(),
        grantee_principal: req.grantee_principal.clone(),
        retiring_principal: req.retiring_principal.clone(),
        issuing_account: format!("arn:aws:iam::{}:root", caller.account),
        operations: req.operations.clone(),
        constraints: normalized(req.constraints.as_ref()),
    };
    svc.store.create_grant(&grant).await.map_err(store_error)?;
    tracing::info!(grant_id = %grant.grant_id, grantee = %grant.grantee_principal, "grant created");
    answer(svc, &grant)
}

fn answer(svc: &Service, grant: &GrantRecord) -> Result<CreateGrantResponse, KmsError> {
    Ok(CreateGrantResponse {
        grant_token: Some(seal_token(svc, grant)?),
        grant_id: Some(grant.grant_id.clone()),
    })
}

// ---------------------------------------------------------------------------------------------
// ListGrants and ListRetirableGrants.

/// A grant as the List operations show it.
fn entry(grant: GrantRecord) -> GrantListEntry {
    let key_arn = format!(
        "arn:aws:kms:{}:{}:key/{}",
        grant.region, grant.account, grant.key_id
    );
    GrantListEntry {
        key_id: Some(key_arn),
        grant_id: Some(grant.grant_id),
        name: grant.name,
        creation_date: Some(grant.creation_date),
        grantee_principal: Some(grant.grantee_principal),
        retiring_principal: grant.retiring_principal,
        issuing_account: Some(grant.issuing_account),
        operations: Some(grant.operations),
        constraints: grant.constraints,
    }
}

/// ListGrants: the grants of one key, optionally one grant or one grantee's, in pages.
pub(crate) async fn list_grants(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListGrantsRequest,
) -> Result<ListGrantsResponse, KmsError> {
    // Step 1: the key, authorized for ListGrants (allowed in every key state).
    let loc = locate(
        svc,
        caller,
        Operation::ListGrants,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::ListGrants, &record)?;

    // Step 2: one page, in grant ID order.
    let after = pagination::after(req.marker.as_deref())?;
    let limit = pagination::limit(req.limit, 50, 100);
    let page = svc
        .store
        .list_grants(
            &record.account,
            &record.region,
            &record.key_id,
            req.grant_id.as_deref(),
            req.grantee_principal.as_deref(),
            after.as_deref(),
            limit,
        )
        .await
        .map_err(store_error)?;
    let next_marker = page
        .truncated
        .then(|| {
            page.items
                .last()
                .map(|g| pagination::next_marker(&g.grant_id))
        })
        .flatten();
    Ok(ListGrantsResponse {
        grants: Some(page.items.into_iter().map(entry).collect()),
        next_marker,
        truncated: Some(page.truncated),
    })
}

/// The account of an IAM principal ARN (`arn:aws:iam::<account>:...`), if it has one.
fn principal_account(principal: &str) -> Option<&str> {
    principal.split(':').nth(4).filter(|a| !a.is_empty())
}

/// ListRetirableGrants: the grants of this region, on keys of any account, that a principal
/// of the caller's account may retire. Authorized by identity policy (dispatch).
pub(crate) async fn list_retirable_grants(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListRetirableGrantsRequest,
) -> Result<ListGrantsResponse, KmsError> {
    // Step 1: the principal must be of the caller's account.
    let principal = req.retiring_principal.as_str();
    if principal_account(principal).is_some_and(|a| a != caller.account.as_str()) {
        return Err(KmsError::new(
            ErrorCode::AccessDeniedException,
            format!(
                "User: {} is not authorized to perform: kms:ListRetirableGrants on resource: {principal} because the principal is not in the caller's account",
                caller.principal_arn
            ),
        ));
    }

    // Step 2: one page, resuming after (account, key ID, grant ID) of the marker.
    let after = pagination::after(req.marker.as_deref())?;
    let cursor = match after.as_deref() {
        None => None,
        Some(text) => Some(split_cursor(text)?),
    };
    let limit = pagination::limit(req.limit, 50, 100);
    let region = caller.region.as_str();
    let page = svc
        .store
        .list_retirable_grants(region, principal, cursor, limit)
        .await
        .map_err(store_error)?;
    let next_marker = page
        .truncated
        .then(|| {
            let last = page.items.last()?;
            let text = format!("{}:{}:{}", last.account, last.key_id, last.grant_id);
            Some(pagination::next_marker(&text))
        })
        .flatten();
    Ok(ListGrantsResponse {
        grants: Some(page.items.into_iter().map(entry).collect()),
        next_marker,
        truncated: Some(page.truncated),
    })
}

/// The (account, key ID, grant ID) of a retirable-grants marker.
fn split_cursor(text: &str) -> Result<(&str, &str, &str), KmsError> {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(k), Some(g)) => Ok((a, k, g)),
        _ => Err(KmsError::new(
            ErrorCode::InvalidMarkerException,
            "Invalid marker.",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// RetireGrant and RevokeGrant.

/// A grant ID is 64 hexadecimal characters.
fn check_grant_id(grant_id: &str) -> Result<(), KmsError> {
    match grant_id.len() == 64 && grant_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        true => Ok(()),
        false => Err(KmsError::new(
            ErrorCode::InvalidGrantIdException,
            format!("Invalid grant ID {grant_id}."),
        )),
    }
}

fn grant_not_found(grant_id: &str, record: &KeyRecord) -> KmsError {
    KmsError::not_found(format!(
        "Grant ID {grant_id} not found for key {}.",
        record.arn()
    ))
}

/// The key a RetireGrant request names (by token, or by KeyId), unauthorized, and the grant ID.
async fn retire_target(
    svc: &Service,
    caller: &Ctx<'_>,
    req: &RetireGrantRequest,
) -> Result<(KeyRecord, String), KmsError> {
    // A token names key and grant; it must be this region's.
    let (loc, grant_id) = match (&req.grant_token, &req.key_id, &req.grant_id) {
        (Some(token), _, _) => {
            let claims = open_token(svc, token)?;
            if claims.region != caller.region.as_str() {
                return Err(invalid_token());
            }
            let loc = KeyLocation {
                account: claims.account,
                region: claims.region,
                key_id: claims.key_id,
                action: "kms:RetireGrant".to_string(),
            };
            (loc, claims.grant_id)
        }
        (None, Some(key_id), Some(grant_id)) => {
            let loc = locate(svc, caller, Operation::RetireGrant, key_id, Forms::KeyOnly).await?;
            (loc, grant_id.clone())
        }
        _ => {
            return Err(KmsError::validation(
                "RetireGrant needs a GrantToken, or both KeyId and GrantId.",
            ))
        }
    };
    check_grant_id(&grant_id)?;
    let record = svc
        .store
        .get_key(&loc.account, &loc.region, &loc.key_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| key_not_found(caller, &loc))?;
    Ok((record, grant_id))
}

/// RetireGrant: the retiring principal, the grantee of a grant that has RetireGrant, the
/// key's account, or a principal that policies allow kms:RetireGrant deletes a grant.
pub(crate) async fn retire_grant(
    svc: &Service,
    caller: &Ctx<'_>,
    req: RetireGrantRequest,
) -> Result<(), KmsError> {
    // Step 1: the key and the grant.
    let (record, grant_id) = retire_target(svc, caller, &req).await?;
    let grant = svc
        .store
        .get_grant(&record.account, &record.region, &record.key_id, &grant_id)
        .await
        .map_err(store_error)?;

    // Step 2: who may retire it; anyone else needs kms:RetireGrant from policies.
    let me = caller.principal_arn.as_str();
    let by_grant = grant.as_ref().is_some_and(|g| {
        g.retiring_principal.as_deref() == Some(me)
            || (g.grantee_principal == me && g.operations.contains(&GrantOperation::RetireGrant))
    });
    let key_owner = me == format!("arn:aws:iam::{}:root", record.account);
    if !by_grant && !key_owner {
        authorize_by_policy(svc, caller, "kms:RetireGrant", &record)?;
    }
    key_state::check(Operation::RetireGrant, &record)?;
    let grant = grant.ok_or_else(|| grant_not_found(&grant_id, &record))?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 3: delete it.
    delete(svc, &record, &grant).await
}

/// RevokeGrant: deletes a grant of a key the caller may kms:RevokeGrant on.
pub(crate) async fn revoke_grant(
    svc: &Service,
    caller: &Ctx<'_>,
    req: RevokeGrantRequest,
) -> Result<(), KmsError> {
    // Step 1: the key, authorized for RevokeGrant (allowed in every key state), and the grant.
    let loc = locate(
        svc,
        caller,
        Operation::RevokeGrant,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::RevokeGrant, &record)?;
    check_grant_id(&req.grant_id)?;
    let grant = svc
        .store
        .get_grant(
            &record.account,
            &record.region,
            &record.key_id,
            &req.grant_id,
        )
        .await
        .map_err(store_error)?
        .ok_or_else(|| grant_not_found(&req.grant_id, &record))?;
    if req.dry_run == Some(true) {
        return Err(dry_run_error());
    }

    // Step 2: delete it.
    delete(svc, &record, &grant).await
}

/// Deletes a grant; it allows nothing from the moment this answers.
async fn delete(svc: &Service, record: &KeyRecord, grant: &GrantRecord) -> Result<(), KmsError> {
    let existed = svc
        .store
        .delete_grant(
            &record.account,
            &record.region,
            &record.key_id,
            &grant.grant_id,
        )
        .await
        .map_err(store_error)?;
    if !existed {
        return Err(grant_not_found(&grant.grant_id, record));
    }
    tracing::info!(grant_id = %grant.grant_id, "grant deleted");
    Ok(())
}
