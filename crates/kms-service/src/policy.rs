//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, the default key policy, and the
//! structural checks AWS applies to a policy document.
//!
//! Enforcement of policies comes with the authorization issue; until then a policy is stored
//! and answered exactly as given.

use kms_model::shapes::*;
use kms_model::{key_state, Caller, ErrorCode, KmsError, Operation};

use crate::resolve::{load_record, locate, Forms};
use crate::write::update_key;
use crate::Service;

/// The largest key policy AWS KMS accepts, in bytes.
const MAX_POLICY_BYTES: usize = 32 * 1024;

/// The only policy name a key has.
const POLICY_NAME: &str = "default";

/// The default key policy, as AWS KMS writes it: the account root may do everything, which
/// delegates access to the account's IAM policies.
pub(crate) fn default_policy(caller: &Caller) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"{}\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}",
        caller.account_root_arn()
    )
}

fn malformed(message: &str) -> KmsError {
    KmsError::new(ErrorCode::MalformedPolicyDocumentException, message)
}

/// The document, if it is a policy AWS would accept: at most 32 KB, JSON, with a Statement
/// (one object or a list) whose every entry has a valid Effect, a Principal or NotPrincipal,
/// and an Action or NotAction.
pub(crate) fn validated(doc: String) -> Result<String, KmsError> {
    // Step 1: size, then JSON.
    if doc.len() > MAX_POLICY_BYTES {
        return Err(KmsError::new(
            ErrorCode::LimitExceededException,
            "The key policy is larger than the 32 KB that a key policy may have.",
        ));
    }
    let value: serde_json::Value = serde_json::from_str(&doc)
        .map_err(|_| malformed("The key policy is not a valid JSON document."))?;
    let obj = value
        .as_object()
        .ok_or_else(|| malformed("The key policy must be a JSON object."))?;

    // Step 2: Version, if given, is one IAM knows.
    if let Some(version) = obj.get("Version") {
        if !matches!(version.as_str(), Some("2012-10-17") | Some("2008-10-17")) {
            return Err(malformed("The policy Version is not valid."));
        }
    }

    // Step 3: every statement has the members a key policy statement needs.
    let statements = match obj.get("Statement") {
        Some(serde_json::Value::Array(list)) if !list.is_empty() => list.iter().collect::<Vec<_>>(),
        Some(single @ serde_json::Value::Object(_)) => vec![single],
        _ => return Err(malformed("The key policy must contain a Statement.")),
    };
    for statement in statements {
        check_statement(statement)?;
    }
    Ok(doc)
}

fn check_statement(statement: &serde_json::Value) -> Result<(), KmsError> {
    let s = statement
        .as_object()
        .ok_or_else(|| malformed("A policy statement must be a JSON object."))?;
    if !matches!(
        s.get("Effect").and_then(|e| e.as_str()),
        Some("Allow") | Some("Deny")
    ) {
        return Err(malformed(
            "A policy statement must have an Effect of Allow or Deny.",
        ));
    }
    if !s.contains_key("Principal") && !s.contains_key("NotPrincipal") {
        return Err(malformed("Policy contains a statement with no principal."));
    }
    if !s.contains_key("Action") && !s.contains_key("NotAction") {
        return Err(malformed("Policy contains a statement with no action."));
    }
    Ok(())
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
    caller: &Caller,
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
    caller: &Caller,
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
        record.policy = policy.clone();
        Ok(())
    })
    .await?;
    Ok(())
}

/// ListKeyPolicies: every key has the one policy named "default".
pub(crate) async fn list_key_policies(
    svc: &Service,
    caller: &Caller,
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
        assert_eq!(
            validated(format!("{{\"a\":\"{}\"}}", "x".repeat(40_000)))
                .unwrap_err()
                .code,
            ErrorCode::LimitExceededException
        );
    }
}
