//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases (SPEC.md D14-D20).

use kms_model::ids::alias_arn;
use kms_model::shapes::*;
use kms_model::{key_state, AliasRecord, ErrorCode, KeyRecord, KmsError, Operation};
use kms_store::StoreError;

use crate::authz::Ctx;
use crate::resolve::{load_record, locate, Forms};
use crate::write::store_error;
use crate::{pagination, Service};

/// The prefix every alias name has.
const PREFIX: &str = "alias/";

/// The prefix reserved for AWS managed keys.
const RESERVED: &str = "alias/aws/";

/// The alias name must start with `alias/` and must not be reserved (SPEC D14, D16).
fn check_name(name: &str) -> Result<(), KmsError> {
    if !name.starts_with(PREFIX) {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if name.starts_with(RESERVED) {
        return Err(KmsError::new(
            ErrorCode::NotAuthorizedException,
            format!(
                "Alias names that begin with {RESERVED} are reserved for AWS managed keys: {name}"
            ),
        ));
    }
    Ok(())
}

/// The alias part of an alias operation's permission: on the alias ARN, from identity policies.
fn authorize_alias(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    name: &str,
) -> Result<(), KmsError> {
    let arn = alias_arn(&caller.region, &caller.account, name);
    crate::authz::authorize(
        &svc.identities,
        caller,
        &crate::authz::action(op),
        &arn,
        None,
        false,
    )
}

fn not_found(caller: &Ctx<'_>, name: &str) -> KmsError {
    KmsError::not_found(format!(
        "Alias {} is not found.",
        alias_arn(&caller.region, &caller.account, name)
    ))
}

/// The key an alias may point at: the caller's, in a state that allows `op`.
async fn target_key(
    svc: &Service,
    caller: &Ctx<'_>,
    op: Operation,
    id: &str,
) -> Result<KeyRecord, KmsError> {
    let loc = locate(svc, caller, op, id, Forms::KeyOnly).await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(op, &record)?;
    Ok(record)
}

/// CreateAlias: a new name for a key of the caller's account and region.
pub(crate) async fn create_alias(
    svc: &Service,
    caller: &Ctx<'_>,
    req: CreateAliasRequest,
) -> Result<(), KmsError> {
    // Step 1: the name, the permission on the alias (identity policy), and the key.
    check_name(&req.alias_name)?;
    authorize_alias(svc, caller, Operation::CreateAlias, &req.alias_name)?;
    let key = target_key(svc, caller, Operation::CreateAlias, &req.target_key_id).await?;

    // Step 2: insert; a taken name is AlreadyExists.
    let now = svc.clock.now();
    let alias = AliasRecord {
        account: key.account.clone(),
        region: key.region.clone(),
        name: req.alias_name.clone(),
        target_key_id: key.key_id.clone(),
        creation_date: now,
        last_updated_date: now,
    };
    match svc.store.create_alias(&alias).await {
        Ok(()) => Ok(()),
        Err(StoreError::AlreadyExists) => Err(KmsError::new(
            ErrorCode::AlreadyExistsException,
            format!(
                "An alias with the name {} already exists",
                alias_arn(&caller.region, &caller.account, &req.alias_name)
            ),
        )),
        Err(e) => Err(store_error(e)),
    }
}

/// Whether two keys are of the same type (symmetric, asymmetric or HMAC) and usage (SPEC D18).
fn same_kind(a: &KeyRecord, b: &KeyRecord) -> bool {
    fn kind(spec: KeySpec) -> u8 {
        match spec {
            KeySpec::SymmetricDefault => 0,
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => 1,
            _ => 2,
        }
    }
    kind(a.key_spec) == kind(b.key_spec) && a.key_usage == b.key_usage
}

/// UpdateAlias: points an alias at another key of the same type and usage.
pub(crate) async fn update_alias(
    svc: &Service,
    caller: &Ctx<'_>,
    req: UpdateAliasRequest,
) -> Result<(), KmsError> {
    // Step 1: the alias must exist; the new key must be usable for UpdateAlias.
    check_name(&req.alias_name)?;
    authorize_alias(svc, caller, Operation::UpdateAlias, &req.alias_name)?;
    let (account, region) = (caller.account.as_str(), caller.region.as_str());
    let mut alias = svc
        .store
        .get_alias(account, region, &req.alias_name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| not_found(caller, &req.alias_name))?;
    let new_key = target_key(svc, caller, Operation::UpdateAlias, &req.target_key_id).await?;

    // Step 2: the new key must be of the kind of the current one (a key pending deletion may
    // be the current target; a deleted one imposes nothing).
    if let Some(current) = svc
        .store
        .get_key(account, region, &alias.target_key_id)
        .await
        .map_err(store_error)?
    {
        crate::resolve::authorize_record(svc, caller, "kms:UpdateAlias", &current).await?;
        if !same_kind(&current, &new_key) {
            return Err(KmsError::validation(format!(
                "{} cannot point at {}: its current key {} is of another key type or key usage.",
                req.alias_name,
                new_key.arn(),
                current.arn()
            )));
        }
    }

    // Step 3: repoint.
    alias.target_key_id = new_key.key_id.clone();
    alias.last_updated_date = svc.clock.now();
    svc.aliases.remove(account, region, &req.alias_name);
    match svc.store.update_alias(&alias).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(not_found(caller, &req.alias_name)),
        Err(e) => Err(store_error(e)),
    }
}

/// DeleteAlias: removes the alias; the key is unaffected.
pub(crate) async fn delete_alias(
    svc: &Service,
    caller: &Ctx<'_>,
    req: DeleteAliasRequest,
) -> Result<(), KmsError> {
    // The permission on the alias, and on the key it points at (key policy).
    check_name(&req.alias_name)?;
    authorize_alias(svc, caller, Operation::DeleteAlias, &req.alias_name)?;
    let (account, region) = (caller.account.as_str(), caller.region.as_str());
    if let Some(alias) = svc
        .store
        .get_alias(account, region, &req.alias_name)
        .await
        .map_err(store_error)?
    {
        if let Some(key) = svc
            .store
            .get_key(account, region, &alias.target_key_id)
            .await
            .map_err(store_error)?
        {
            crate::resolve::authorize_record(svc, caller, "kms:DeleteAlias", &key).await?;
        }
    }
    let existed = svc
        .store
        .delete_alias(account, region, &req.alias_name)
        .await
        .map_err(store_error)?;
    svc.aliases.remove(account, region, &req.alias_name);
    if existed {
        Ok(())
    } else {
        Err(not_found(caller, &req.alias_name))
    }
}

/// ListAliases: the aliases of the account and region, or of one key, in pages.
pub(crate) async fn list_aliases(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListAliasesRequest,
) -> Result<ListAliasesResponse, KmsError> {
    // Step 1: the key filter, which must name an existing key.
    let key_id = match req.key_id.as_deref() {
        Some(id) => Some(
            target_key(svc, caller, Operation::ListAliases, id)
                .await?
                .key_id,
        ),
        None => None,
    };

    // Step 2: one page.
    let after = pagination::after(req.marker.as_deref())?;
    let limit = pagination::limit(req.limit, 50, 100);
    let page = svc
        .store
        .list_aliases(
            caller.account.as_str(),
            caller.region.as_str(),
            key_id.as_deref(),
            after.as_deref(),
            limit,
        )
        .await
        .map_err(store_error)?;
    let next_marker = page
        .truncated
        .then(|| page.items.last().map(|a| pagination::next_marker(&a.name)))
        .flatten();
    let aliases = page
        .items
        .into_iter()
        .map(|a| AliasListEntry {
            alias_arn: Some(alias_arn(&caller.region, &caller.account, &a.name)),
            alias_name: Some(a.name),
            target_key_id: Some(a.target_key_id),
            creation_date: Some(a.creation_date),
            last_updated_date: Some(a.last_updated_date),
        })
        .collect();
    Ok(ListAliasesResponse {
        aliases: Some(aliases),
        next_marker,
        truncated: Some(page.truncated),
    })
}
