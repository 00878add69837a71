//! The one match from operation to handler: the table of contents of the service.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use kms_model::{Caller, KmsError, Operation};

use crate::authz::{self, Ctx};
use crate::{
    agreement, aliases, crypto, data_key_pairs, grants, import, keys, macs, multi_region, policy,
    rotation, signing, tags, Service,
};

/// Decodes the request, runs the handler, encodes the response.
async fn run<Req, Resp, Fut>(
    input: &serde_json::Value,
    handler: impl FnOnce(Req) -> Fut,
) -> Result<Vec<u8>, KmsError>
where
    Req: DeserializeOwned,
    Resp: Serialize,
    Fut: Future<Output = Result<Resp, KmsError>>,
{
    // The API layer validated the body against the shape, so a failure here is a type the
    // validator let through: answer it as the client's serialization error.
    let req: Req = Req::deserialize(input)
        .map_err(|e| KmsError::serialization(format!("Could not read the request: {e}")))?;
    let resp = handler(req).await?;
    encode(&resp)
}

fn encode<T: Serialize>(resp: &T) -> Result<Vec<u8>, KmsError> {
    let body = serde_json::to_vec(resp).map_err(|e| {
        tracing::error!(error = %e, "response did not serialize");
        KmsError::internal()
    })?;
    // Operations without output answer `{}`.
    Ok(if body == b"null" {
        b"{}".to_vec()
    } else {
        body
    })
}

/// Actions without a key resource: decided by identity policies alone (the account root is
/// allowed them all). CreateKey of a multi-Region key also needs iam:CreateServiceLinkedRole.
fn authorize_keyless(
    svc: &Service,
    op: Operation,
    ctx: &Ctx<'_>,
    input: &serde_json::Value,
) -> Result<(), KmsError> {
    use Operation::*;
    if !matches!(
        op,
        CreateKey | ListKeys | ListAliases | ListRetirableGrants | GenerateRandom
    ) {
        return Ok(());
    }
    authz::authorize(&svc.identities, ctx, &authz::action(op), "*", None, false)?;
    // Tags on CreateKey also need kms:TagResource (identity policy).
    let tagged = input
        .get("Tags")
        .and_then(|t| t.as_array())
        .is_some_and(|t| !t.is_empty());
    if op == CreateKey && tagged {
        authz::authorize(&svc.identities, ctx, "kms:TagResource", "*", None, false)?;
    }
    if op == CreateKey && input.get("MultiRegion").and_then(|m| m.as_bool()) == Some(true) {
        let action = "iam:CreateServiceLinkedRole";
        authz::authorize(&svc.identities, ctx, action, "*", None, false)?;
    }
    Ok(())
}

pub(crate) async fn dispatch(
    svc: &Service,
    op: Operation,
    caller: &Caller,
    input: serde_json::Value,
) -> Result<Vec<u8>, KmsError> {
    use Operation::*;
    // The request as authorization sees it: the caller, and the condition keys of the body
    // (read from `input`, built only if a policy reads them).
    let ctx = Ctx::new(caller, op, &input, svc.clock.now().secs());
    let caller = &ctx;
    authorize_keyless(svc, op, caller, &input)?;
    match op {
        // Keys.
        CreateKey => run(&input, |r| keys::create_key(svc, caller, r)).await,
        DescribeKey => run(&input, |r| keys::describe_key(svc, caller, r)).await,
        ListKeys => run(&input, |r| keys::list_keys(svc, caller, r)).await,
        EnableKey => run(&input, |r| keys::enable_key(svc, caller, r)).await,
        DisableKey => run(&input, |r| keys::disable_key(svc, caller, r)).await,
        ScheduleKeyDeletion => run(&input, |r| keys::schedule_key_deletion(svc, caller, r)).await,
        CancelKeyDeletion => run(&input, |r| keys::cancel_key_deletion(svc, caller, r)).await,
        UpdateKeyDescription => run(&input, |r| keys::update_key_description(svc, caller, r)).await,
        GetKeyLastUsage => run(&input, |r| keys::get_key_last_usage(svc, caller, r)).await,

        // Symmetric cryptography.
        Encrypt => run(&input, |r| crypto::encrypt(svc, caller, r)).await,
        Decrypt => run(&input, |r| crypto::decrypt(svc, caller, r)).await,
        ReEncrypt => run(&input, |r| crypto::re_encrypt(svc, caller, r)).await,
        GenerateDataKey => run(&input, |r| crypto::generate_data_key(svc, caller, r)).await,
        GenerateDataKeyWithoutPlaintext => {
            run(&input, |r| {
                crypto::generate_data_key_without_plaintext(svc, caller, r)
            })
            .await
        }
        GenerateRandom => run(&input, |r| crypto::generate_random(svc, caller, r)).await,

        // Aliases.
        CreateAlias => run(&input, |r| aliases::create_alias(svc, caller, r)).await,
        UpdateAlias => run(&input, |r| aliases::update_alias(svc, caller, r)).await,
        DeleteAlias => run(&input, |r| aliases::delete_alias(svc, caller, r)).await,
        ListAliases => run(&input, |r| aliases::list_aliases(svc, caller, r)).await,

        // Tags.
        TagResource => run(&input, |r| tags::tag_resource(svc, caller, r)).await,
        UntagResource => run(&input, |r| tags::untag_resource(svc, caller, r)).await,
        ListResourceTags => run(&input, |r| tags::list_resource_tags(svc, caller, r)).await,

        // Key policies.
        GetKeyPolicy => run(&input, |r| policy::get_key_policy(svc, caller, r)).await,
        PutKeyPolicy => run(&input, |r| policy::put_key_policy(svc, caller, r)).await,
        ListKeyPolicies => run(&input, |r| policy::list_key_policies(svc, caller, r)).await,

        // Rotation.
        EnableKeyRotation => run(&input, |r| rotation::enable_key_rotation(svc, caller, r)).await,
        DisableKeyRotation => run(&input, |r| rotation::disable_key_rotation(svc, caller, r)).await,
        GetKeyRotationStatus => {
            run(&input, |r| {
                rotation::get_key_rotation_status(svc, caller, r)
            })
            .await
        }
        RotateKeyOnDemand => run(&input, |r| rotation::rotate_key_on_demand(svc, caller, r)).await,
        ListKeyRotations => run(&input, |r| rotation::list_key_rotations(svc, caller, r)).await,

        // Imported key material.
        GetParametersForImport => {
            run(&input, |r| {
                import::get_parameters_for_import(svc, caller, r)
            })
            .await
        }
        ImportKeyMaterial => run(&input, |r| import::import_key_material(svc, caller, r)).await,
        DeleteImportedKeyMaterial => {
            run(&input, |r| {
                import::delete_imported_key_material(svc, caller, r)
            })
            .await
        }

        // Multi-Region keys.
        ReplicateKey => run(&input, |r| multi_region::replicate_key(svc, caller, r)).await,
        UpdatePrimaryRegion => {
            run(&input, |r| {
                multi_region::update_primary_region(svc, caller, r)
            })
            .await
        }

        // Custom key stores are not served (SPEC A4, a project choice).
        ConnectCustomKeyStore
        | CreateCustomKeyStore
        | DeleteCustomKeyStore
        | DescribeCustomKeyStores
        | DisconnectCustomKeyStore
        | UpdateCustomKeyStore => Err(KmsError::unsupported(format!(
            "{} is not supported: kmsd has no custom key stores.",
            op.name()
        ))),

        // Grants.
        CreateGrant => run(&input, |r| grants::create_grant(svc, caller, r)).await,
        ListGrants => run(&input, |r| grants::list_grants(svc, caller, r)).await,
        ListRetirableGrants => run(&input, |r| grants::list_retirable_grants(svc, caller, r)).await,
        RetireGrant => run(&input, |r| grants::retire_grant(svc, caller, r)).await,
        RevokeGrant => run(&input, |r| grants::revoke_grant(svc, caller, r)).await,

        // Asymmetric, HMAC and key agreement keys.
        Sign => run(&input, |r| signing::sign(svc, caller, r)).await,
        Verify => run(&input, |r| signing::verify(svc, caller, r)).await,
        GetPublicKey => run(&input, |r| signing::get_public_key(svc, caller, r)).await,
        GenerateDataKeyPair => {
            run(&input, |r| {
                data_key_pairs::generate_data_key_pair(svc, caller, r)
            })
            .await
        }
        GenerateDataKeyPairWithoutPlaintext => {
            run(&input, |r| {
                data_key_pairs::generate_data_key_pair_without_plaintext(svc, caller, r)
            })
            .await
        }
        GenerateMac => run(&input, |r| macs::generate_mac(svc, caller, r)).await,
        VerifyMac => run(&input, |r| macs::verify_mac(svc, caller, r)).await,
        DeriveSharedSecret => {
            run(&input, |r| agreement::derive_shared_secret(svc, caller, r)).await
        }
    }
}
