//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, the default key policy, and the
//! structural checks AWS applies to a policy document.
//!
//! Enforcement of policies comes with the authorization issue; until then a policy is stored
//! and answered exactly as given.

use kms_model::shapes::*;
use kms_model::{key_state, ErrorCode, KmsError, Operation};

use crate::authz::Ctx;
use crate::resolve::{load_record, locate, Forms};
use crate::write::update_key;
use crate::Service;
use kms_policy::{Policy, PolicyKind};
use std::sync::Arc;

/// The largest key policy AWS KMS accepts, in bytes.
const MAX_POLICY_BYTES: usize = 32 * 1024;

/// The only policy name a key has.
const POLICY_NAME: &str = "default";

/// The default key policy, as AWS KMS writes it: the account root may do everything, which
/// delegates access to the account's IAM policies.
pub(crate) fn default_policy(caller: &Ctx<'_>) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"{}\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}",
        caller.account_root_arn()
    )
}

fn malformed(message: &str) -> KmsError {
    KmsError::new(ErrorCode::MalformedPolicyDocumentException, message)
}

/// The document, if it is a key policy AWS would accept: at most 32 KB, and a policy the
/// IAM policy language reads as a resource policy (a Principal in every statement).
pub(crate) fn validated(doc: String) -> Result<String, KmsError> {
    parse(&doc)?;
    Ok(doc)
}

/// The key policy parsed, or the reason AWS would refuse it.
fn parse(doc: &str) -> Result<Policy, KmsError> {
    if doc.len() > MAX_POLICY_BYTES {
        return Err(KmsError::new(
            ErrorCode::LimitExceededException,
            "The key policy is larger than the 32 KB that a key policy may have.",
        ));
    }
    Policy::parse_as(doc, PolicyKind::Resource).map_err(|e| malformed(&e.to_string()))
}

/// A stored key policy, parsed for authorization. A stored policy was validated when it was
/// written, so this parses; if it ever does not, the key denies everything rather than allow.
pub(crate) fn parsed_or_empty(doc: &str) -> Arc<Policy> {
    Arc::new(
        Policy::parse_as(doc, PolicyKind::Resource).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a stored key policy does not parse; denying all access");
            deny_all()
        }),
    )
}

fn deny_all() -> Policy {
    const DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
    // A constant document that the parser accepts (tested below).
    Policy::parse_as(DENY_ALL, PolicyKind::Resource).unwrap_or_else(|_| unreachable!())
}

/// The policy lockout safety check: the caller must still be able to call PutKeyPolicy on
/// the key under the new policy, unless it bypasses the check.
pub(crate) fn check_lockout(
    svc: &Service,
    caller: &Ctx<'_>,
    key_arn: &str,
    key_account: &str,
    doc: &str,
    bypass: Option<bool>,
) -> Result<(), KmsError> {
    if bypass == Some(true) {
        return Ok(());
    }
    let policy = parse(doc)?;
    let view = crate::authz::KeyView {
        account: key_account,
        policy: &policy,
        origin: "",
        spec: "",
        usage: "",
        multi_region: None,
        tags: &[],
        aliases: None,
    };
    crate::authz::authorize(
        &svc.identities,
        caller,
        "kms:PutKeyPolicy",
        key_arn,
        Some(&view),
        false,
    )
    .map_err(|_| {
        malformed("The new key policy will not allow you to update the key policy in the future.")
    })
}

fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some(POLICY_NAME) => Ok(()),
        Some(_) => Err(KmsError::not_found("No such policy exists")),
    }
}

/// GetKeyPolicy: the key's policy document.
pub(crate) async fn get_key_policy(
    svc: &Service,
    caller: &Ctx<'_>,
    req: GetKeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::GetKeyPolicy,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::GetKeyPolicy, &record)?;
    check_policy_name(req.policy_name.as_deref())?;
    Ok(GetKeyPolicyResponse {
        policy: Some(record.policy),
        policy_name: Some(POLICY_NAME.into()),
    })
}

/// PutKeyPolicy: replaces the key's policy with a well-formed document.
pub(crate) async fn put_key_policy(
    svc: &Service,
    caller: &Ctx<'_>,
    req: PutKeyPolicyRequest,
) -> Result<(), KmsError> {
    check_policy_name(req.policy_name.as_deref())?;
    let policy = validated(req.policy)?;
    let loc = locate(
        svc,
        caller,
        Operation::PutKeyPolicy,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(svc, caller, &loc, Operation::PutKeyPolicy, |record, _| {
        // The caller must not lock itself out of the key (unless it says it means to).
        let bypass = req.bypass_policy_lockout_safety_check;
        check_lockout(svc, caller, &record.arn(), &record.account, &policy, bypass)?;
        record.policy = policy.clone();
        Ok(())
    })
    .await?;
    Ok(())
}

/// ListKeyPolicies: every key has the one policy named "default".
pub(crate) async fn list_key_policies(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListKeyPoliciesRequest,
) -> Result<ListKeyPoliciesResponse, KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::ListKeyPolicies,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::ListKeyPolicies, &record)?;
    let start = crate::pagination::after(req.marker.as_deref())?;
    let names = if start.is_some() {
        vec![]
    } else {
        vec![POLICY_NAME.to_string()]
    };
    Ok(ListKeyPoliciesResponse {
        policy_names: Some(names),
        next_marker: None,
        truncated: Some(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny_all_doc() -> String {
        let _ = deny_all();
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#.to_string()
    }

    #[test]
    fn policy_structure() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
        assert!(validated(ok.into()).is_ok());
        assert_eq!(
            validated("not json".into()).unwrap_err().code,
            ErrorCode::MalformedPolicyDocumentException
        );
        assert!(validated(r#"{"Statement":[]}"#.into()).is_err());
        assert!(validated(
            r#"{"Statement":{"Effect":"Maybe","Principal":"*","Action":"x"}}"#.into()
        )
        .is_err());
        assert!(Policy::parse_as(&deny_all_doc(), PolicyKind::Resource).is_ok());
        assert_eq!(
            validated(format!("{{\"a\":\"{}\"}}", "x".repeat(40_000)))
                .unwrap_err()
                .code,
            ErrorCode::LimitExceededException
        );
    }
}
