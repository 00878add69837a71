//! Authorization as AWS KMS does it: the key policy, the caller's identity policies and grants,
//! combined by AWS's evaluation logic, with the global and KMS condition keys.
//!
//! AWS pages: <https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html>
//! and <https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html>.
//!
//! - An explicit Deny in the key policy or an identity policy wins.
//! - The key policy must allow: the principal itself (and, across accounts, the principal's
//!   identity policies too), or its account, which delegates to the account's identity
//!   policies. The account root needs no identity policy: it has every IAM permission.
//! - Actions without a key are decided by identity policies alone; the root may do them all.
//! - A grant allows its operations for its grantee, unless a policy denies them explicitly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use kms_model::{Caller, ErrorCode, KmsError, Operation};
use kms_policy::{combine, Context, Decision, Policy, PrincipalMatch, Request, Value};

/// The identity policies of each principal, from the configuration.
#[derive(Debug, Default, Clone)]
pub struct IdentityPolicies {
    by_principal: HashMap<String, Vec<Arc<Policy>>>,
}

impl IdentityPolicies {
    /// No identity policies at all (every principal but the account roots is then denied
    /// whatever the key policy delegates to its account).
    pub fn new() -> IdentityPolicies {
        IdentityPolicies::default()
    }

    /// Attaches a parsed identity policy to a principal ARN.
    pub fn attach(&mut self, principal_arn: &str, policy: Policy) {
        self.by_principal
            .entry(principal_arn.to_string())
            .or_default()
            .push(Arc::new(policy));
    }

    fn of(&self, principal_arn: &str) -> &[Arc<Policy>] {
        self.by_principal
            .get(principal_arn)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// One request as authorization sees it: the caller and, built only when a policy reads
/// them, the request's condition keys. Handlers take it where they would take the caller; it
/// dereferences to the [`Caller`].
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub caller: Cow<'a, Caller>,
    op: Operation,
    input: &'a serde_json::Value,
    now_secs: i64,
    context: OnceLock<Context>,
}

impl<'a> Ctx<'a> {
    /// The request `input` of `op` by `caller`, at `now_secs`.
    pub fn new(
        caller: &'a Caller,
        op: Operation,
        input: &'a serde_json::Value,
        now_secs: i64,
    ) -> Ctx<'a> {
        Ctx {
            caller: Cow::Borrowed(caller),
            op,
            input,
            now_secs,
            context: OnceLock::new(),
        }
    }

    /// The condition keys of the caller and the request body (built on first use).
    pub fn context(&self) -> &Context {
        self.context
            .get_or_init(|| request_context(self.op, &self.caller, self.input, self.now_secs))
    }

    /// The encryption context a member of the request body carries (ReEncrypt's
    /// SourceEncryptionContext for grants of ReEncryptFrom), keys lower-cased.
    pub fn body_context(&self, member: &str) -> std::collections::BTreeMap<String, String> {
        let map = self.input.get(member).and_then(|v| v.as_object());
        map.into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.to_lowercase(), v.as_str()?.to_string())))
            .collect()
    }

    /// The same request as it is effective in another region (SPEC B42: some permissions of
    /// multi-Region operations are checked in the replica's region).
    pub fn in_region(&self, region: &kms_model::Region) -> Ctx<'a> {
        let mut caller = self.caller.clone().into_owned();
        caller.region = region.clone();
        let mut context = self.context().clone();
        context.insert("aws:RequestedRegion", region.as_str());
        let ctx = Ctx {
            caller: Cow::Owned(caller),
            op: self.op,
            input: self.input,
            now_secs: self.now_secs,
            context: OnceLock::new(),
        };
        let _ = ctx.context.set(context);
        ctx
    }
}

impl Deref for Ctx<'_> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// What a decision needs to know of the key it is about.
pub(crate) struct KeyView<'a> {
    pub account: &'a str,
    pub policy: &'a Policy,
    /// The facts the key-derived condition keys come from (built only when a policy reads them).
    pub origin: &'a str,
    pub spec: &'a str,
    pub usage: &'a str,
    /// `Some(true)` for a multi-Region primary, `Some(false)` for a replica.
    pub multi_region: Option<bool>,
    pub tags: &'a [kms_model::shapes::Tag],
    /// The key's aliases (kms:ResourceAliases), looked up only when a policy reads the context.
    pub aliases: Option<&'a [String]>,
}

/// The IAM action of an operation (`kms:<Operation>`; ReEncrypt's two halves have their own).
pub(crate) fn action(op: Operation) -> String {
    format!("kms:{}", op.name())
}

/// Whether `principal` is the root of `account`.
fn is_root(principal: &str, account: &str) -> bool {
    principal
        .strip_suffix(":root")
        .is_some_and(|p| p.ends_with(&format!("::{account}")))
}

/// Decides `action` on the key `key` (or, with `None`, an action without a key on
/// `resource`), for the request `ctx`; the AWS AccessDeniedException when it is denied.
pub(crate) fn authorize(
    identities: &IdentityPolicies,
    ctx: &Ctx<'_>,
    action: &str,
    resource: &str,
    key: Option<&KeyView<'_>>,
    grant_allows: bool,
) -> Result<(), KmsError> {
    // Step 1: the request as the policies see it, with the key's own condition keys; when no
    // policy involved reads the context (the default key policy does not), none is built.
    let principal = ctx.caller.principal_arn.as_str();
    let reads = reads_context(identities, principal, key.map(|k| k.policy));
    let (empty, mut with_key);
    let context = match key {
        _ if !reads => {
            empty = Context::new();
            &empty
        }
        Some(k) => {
            with_key = ctx.context().clone();
            for (name, value) in key_facts(k.origin, k.spec, k.usage, k.multi_region, k.tags) {
                with_key.insert(&name, value);
            }
            if let Some(aliases) = k.aliases {
                let values = aliases.iter().map(|a| Value::String(a.clone())).collect();
                with_key.insert_values("kms:ResourceAliases", values);
            }
            &with_key
        }
        None => ctx.context(),
    };
    let request = Request {
        principal,
        principal_account: ctx.caller.account.as_str(),
        action,
        resource,
        context,
    };

    // Step 2: identity policies; the root has every IAM permission of its account.
    let identity = combine(
        identities
            .of(principal)
            .iter()
            .map(|p| p.evaluate(&request)),
    );
    let root = is_root(principal, ctx.caller.account.as_str());
    let deny = |why: &str| denied(principal, action, resource, why);
    if identity == Decision::Deny {
        return Err(deny("with an explicit deny in an identity-based policy"));
    }
    let identity_allows = root || identity == Decision::Allow;

    // Step 3: an action without a key: identity policies alone.
    let Some(key) = key else {
        return match identity_allows {
            true => Ok(()),
            false => Err(deny(&format!(
                "because no identity-based policy allows the {action} action"
            ))),
        };
    };

    // Step 4: the key policy: a Deny wins; an Allow of the principal, or of its account.
    let evaluation = key.policy.evaluate_detailed(&request);
    let same_account = key.account == ctx.caller.account.as_str();
    let no_identity = || {
        deny(&format!(
            "because no identity-based policy allows the {action} action"
        ))
    };
    match (evaluation.decision, evaluation.principal_match) {
        (Decision::Deny, _) => Err(deny("with an explicit deny in a resource-based policy")),
        // A grant for this principal and operation allows it, whatever else the policies say
        // (short of an explicit deny).
        _ if grant_allows => Ok(()),
        (Decision::Allow, PrincipalMatch::Direct) if same_account || identity_allows => Ok(()),
        (Decision::Allow, PrincipalMatch::Direct) => Err(no_identity()),
        (Decision::Allow, PrincipalMatch::AccountDelegation) if identity_allows => Ok(()),
        (Decision::Allow, PrincipalMatch::AccountDelegation) => Err(no_identity()),
        _ => Err(deny(&format!(
            "because no resource-based policy allows the {action} action"
        ))),
    }
}

/// Whether deciding for `principal` on a key with `key_policy` reads the request context at
/// all (a Condition or a policy variable in some policy involved).
pub(crate) fn reads_context(
    identities: &IdentityPolicies,
    principal: &str,
    key_policy: Option<&Policy>,
) -> bool {
    key_policy.is_some_and(|p| p.reads_context())
        || identities.of(principal).iter().any(|p| p.reads_context())
}

/// Whether some policy involved has a Condition on `key`.
pub(crate) fn tests_key(
    identities: &IdentityPolicies,
    principal: &str,
    key_policy: Option<&Policy>,
    key: &str,
) -> bool {
    key_policy.is_some_and(|p| p.tests_key(key))
        || identities.of(principal).iter().any(|p| p.tests_key(key))
}

/// AWS's AccessDeniedException: principal, action, resource and why.
fn denied(principal: &str, action: &str, resource: &str, why: &str) -> KmsError {
    tracing::info!(principal, action, resource, why, "access denied");
    KmsError::new(
        ErrorCode::AccessDeniedException,
        format!("User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"),
    )
}

/// The condition keys of the caller (global keys) and of the request body (KMS keys).
pub(crate) fn request_context(
    op: Operation,
    caller: &Caller,
    input: &serde_json::Value,
    now_secs: i64,
) -> Context {
    let mut ctx = Context::new();

    // Step 1: who asks, from where, when.
    ctx.insert("aws:PrincipalArn", Value::Arn(caller.principal_arn.clone()));
    ctx.insert("aws:PrincipalAccount", caller.account.as_str());
    ctx.insert("kms:CallerAccount", caller.account.as_str());
    if let Some(name) = caller.principal_arn.split_once(":user/").map(|(_, n)| n) {
        ctx.insert("aws:username", name.rsplit('/').next().unwrap_or(name));
    }
    ctx.insert("aws:RequestedRegion", caller.region.as_str());
    ctx.insert(
        "aws:CurrentTime",
        Value::Date(kms_policy::Timestamp::from_unix_seconds(now_secs)),
    );
    ctx.insert("aws:EpochTime", Value::Number(now_secs as f64));
    ctx.insert("aws:SecureTransport", Value::Bool(caller.secure_transport));
    if let Some(ip) = caller.source_ip {
        ctx.insert("aws:SourceIp", Value::Ip(ip));
    }

    // Step 2: what it asks for, from the body.
    request_keys(&mut ctx, op, input);
    ctx
}

/// The KMS condition keys that come from request members (conditions-kms page).
fn request_keys(ctx: &mut Context, op: Operation, input: &serde_json::Value) {
    let text = |name: &str| input.get(name).and_then(|v| v.as_str());

    // Encryption context of the request (for ReEncrypt, the destination's).
    let context_member = match op {
        Operation::ReEncrypt => "DestinationEncryptionContext",
        _ => "EncryptionContext",
    };
    if let Some(map) = input.get(context_member).and_then(|v| v.as_object()) {
        for (k, v) in map {
            if let Some(v) = v.as_str() {
                ctx.insert(&format!("kms:EncryptionContext:{k}"), v);
            }
        }
        ctx.insert_values(
            "kms:EncryptionContextKeys",
            map.keys().map(|k| Value::String(k.clone())).collect(),
        );
    }

    // Single-valued members named by their condition key.
    let members = [
        ("EncryptionAlgorithm", "kms:EncryptionAlgorithm"),
        ("WrappingAlgorithm", "kms:WrappingAlgorithm"),
        ("WrappingKeySpec", "kms:WrappingKeySpec"),
        ("ExpirationModel", "kms:ExpirationModel"),
        ("ReplicaRegion", "kms:ReplicaRegion"),
        ("PrimaryRegion", "kms:PrimaryRegion"),
        ("KeyPairSpec", "kms:DataKeyPairSpec"),
        ("MacAlgorithm", "kms:MacAlgorithm"),
        ("SigningAlgorithm", "kms:SigningAlgorithm"),
        ("MessageType", "kms:MessageType"),
        ("KeyAgreementAlgorithm", "kms:KeyAgreementAlgorithm"),
        ("GranteePrincipal", "kms:GranteePrincipal"),
        ("RetiringPrincipal", "kms:RetiringPrincipal"),
    ];
    for (member, key) in members {
        if let Some(v) = text(member) {
            ctx.insert(key, v);
        }
    }
    // Operations whose algorithm defaults to SYMMETRIC_DEFAULT carry it when it is left out.
    let symmetric_default = matches!(
        op,
        Operation::Encrypt
            | Operation::Decrypt
            | Operation::ReEncrypt
            | Operation::GenerateDataKey
            | Operation::GenerateDataKeyWithoutPlaintext
    );
    if symmetric_default && text("EncryptionAlgorithm").is_none() {
        ctx.insert("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    }
    // Sign and Verify hash a RAW message unless told otherwise.
    let signs = matches!(op, Operation::Sign | Operation::Verify);
    if signs && text("MessageType").is_none() {
        ctx.insert("kms:MessageType", "RAW");
    }
    if op == Operation::ImportKeyMaterial {
        let model = text("ExpirationModel").unwrap_or("KEY_MATERIAL_EXPIRES");
        ctx.insert("kms:ExpirationModel", model);
        if let Some(t) = input.get("ValidTo").and_then(|v| v.as_f64()) {
            ctx.insert("kms:ValidTo", Value::Number(t.floor()));
        }
    }
    numbers(ctx, op, input);
    creation_keys(ctx, op, input);
    tag_keys(ctx, input);
    if let Some(alias) = text("KeyId").filter(|k| k.starts_with("alias/") || k.contains(":alias/"))
    {
        let name = alias
            .rsplit_once(":alias/")
            .map(|(_, n)| format!("alias/{n}"));
        ctx.insert("kms:RequestAlias", name.as_deref().unwrap_or(alias));
    }
    if op == Operation::CreateGrant {
        // No AWS service integrations exist in kmsd: a grant is never for an AWS resource.
        ctx.insert("kms:GrantIsForAWSResource", Value::Bool(false));
        if let Some(constraints) = input.get("Constraints").and_then(|v| v.as_object()) {
            let kinds = ["EncryptionContextEquals", "EncryptionContextSubset"];
            let present = kinds.iter().filter(|k| constraints.contains_key(**k));
            ctx.insert_values(
                "kms:GrantConstraintType",
                present.map(|k| Value::String(k.to_string())).collect(),
            );
        }
    }
    if let Some(ops) = input.get("Operations").and_then(|v| v.as_array()) {
        ctx.insert_values(
            "kms:GrantOperations",
            ops.iter()
                .filter_map(|o| o.as_str())
                .map(|o| Value::String(o.into()))
                .collect(),
        );
    }
}

/// Numeric and boolean members.
fn numbers(ctx: &mut Context, op: Operation, input: &serde_json::Value) {
    if let Some(n) = input.get("RotationPeriodInDays").and_then(|v| v.as_f64()) {
        ctx.insert("kms:RotationPeriodInDays", Value::Number(n));
    } else if op == Operation::EnableKeyRotation {
        ctx.insert("kms:RotationPeriodInDays", Value::Number(365.0));
    }
    if op == Operation::ScheduleKeyDeletion {
        let days = input
            .get("PendingWindowInDays")
            .and_then(|v| v.as_f64())
            .unwrap_or(30.0);
        ctx.insert(
            "kms:ScheduleKeyDeletionPendingWindowInDays",
            Value::Number(days),
        );
    }
    if let Some(b) = input
        .get("BypassPolicyLockoutSafetyCheck")
        .and_then(|v| v.as_bool())
    {
        ctx.insert("kms:BypassPolicyLockoutSafetyCheck", Value::Bool(b));
    }
}

/// CreateKey's request members that describe the key to be (SPEC B37-B39).
fn creation_keys(ctx: &mut Context, op: Operation, input: &serde_json::Value) {
    if op != Operation::CreateKey {
        return;
    }
    let text = |name: &str, default: &str| {
        input
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or(default)
            .to_string()
    };
    ctx.insert("kms:KeyOrigin", text("Origin", "AWS_KMS"));
    ctx.insert("kms:KeySpec", text("KeySpec", "SYMMETRIC_DEFAULT"));
    ctx.insert("kms:KeyUsage", text("KeyUsage", "ENCRYPT_DECRYPT"));
    let multi = input
        .get("MultiRegion")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    ctx.insert("kms:MultiRegion", Value::Bool(multi));
    if multi {
        ctx.insert("kms:MultiRegionKeyType", "PRIMARY");
    }
}

/// aws:RequestTag/* and aws:TagKeys from Tags (CreateKey, TagResource, ReplicateKey) or
/// TagKeys (UntagResource).
fn tag_keys(ctx: &mut Context, input: &serde_json::Value) {
    let mut keys = Vec::new();
    if let Some(tags) = input.get("Tags").and_then(|v| v.as_array()) {
        for tag in tags {
            let (Some(k), Some(v)) = (
                tag.get("TagKey").and_then(|k| k.as_str()),
                tag.get("TagValue").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            ctx.insert(&format!("aws:RequestTag/{k}"), v);
            keys.push(Value::String(k.to_string()));
        }
    }
    if let Some(list) = input.get("TagKeys").and_then(|v| v.as_array()) {
        keys.extend(
            list.iter()
                .filter_map(|k| k.as_str())
                .map(|k| Value::String(k.to_string())),
        );
    }
    if !keys.is_empty() {
        ctx.insert_values("aws:TagKeys", keys);
    }
}

/// The key-derived condition keys of a key record's facts.
pub(crate) fn key_facts(
    origin: &str,
    spec: &str,
    usage: &str,
    multi_region: Option<bool>,
    tags: &[kms_model::shapes::Tag],
) -> Vec<(String, Value)> {
    let mut facts = vec![
        (
            "kms:KeyOrigin".to_string(),
            Value::String(origin.to_string()),
        ),
        ("kms:KeySpec".to_string(), Value::String(spec.to_string())),
        ("kms:KeyUsage".to_string(), Value::String(usage.to_string())),
        (
            "kms:MultiRegion".to_string(),
            Value::Bool(multi_region.is_some()),
        ),
    ];
    if let Some(primary) = multi_region {
        let kind = if primary { "PRIMARY" } else { "REPLICA" };
        facts.push((
            "kms:MultiRegionKeyType".to_string(),
            Value::String(kind.to_string()),
        ));
    }
    for tag in tags {
        facts.push((
            format!("aws:ResourceTag/{}", tag.tag_key),
            Value::String(tag.tag_value.clone()),
        ));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_model::{AccountId, Region};
    use kms_policy::PolicyKind;

    static NULL: serde_json::Value = serde_json::Value::Null;

    fn ctx(principal: &str, account: &str) -> Ctx<'static> {
        let caller = Caller {
            account: AccountId::parse(account).unwrap(),
            principal_arn: principal.into(),
            access_key_id: "AKID".into(),
            region: Region::parse("us-east-1").unwrap(),
            secure_transport: true,
            source_ip: None,
        };
        Ctx {
            caller: Cow::Owned(caller),
            op: Operation::Encrypt,
            input: &NULL,
            now_secs: 1_800_000_000,
            context: OnceLock::new(),
        }
    }

    fn default_policy(account: &str) -> Policy {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
        );
        Policy::parse_as(&doc, PolicyKind::Resource).unwrap()
    }

    fn view(policy: &Policy) -> KeyView<'_> {
        KeyView {
            account: "111122223333",
            policy,
            origin: "AWS_KMS",
            spec: "SYMMETRIC_DEFAULT",
            usage: "ENCRYPT_DECRYPT",
            multi_region: None,
            tags: &[],
            aliases: None,
        }
    }

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn default_policy_delegates_to_identity_policies() {
        let policy = default_policy("111122223333");
        let key = view(&policy);
        let none = IdentityPolicies::new();
        let root = ctx("arn:aws:iam::111122223333:root", "111122223333");
        assert!(authorize(&none, &root, "kms:Encrypt", ARN, Some(&key), false).is_ok());
        let alice = ctx("arn:aws:iam::111122223333:user/alice", "111122223333");
        let err = authorize(&none, &alice, "kms:Encrypt", ARN, Some(&key), false).unwrap_err();
        assert_eq!(err.message, format!("User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Encrypt on resource: {ARN} because no identity-based policy allows the kms:Encrypt action"));
        let mut ids = IdentityPolicies::new();
        let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}"#;
        ids.attach(
            "arn:aws:iam::111122223333:user/alice",
            Policy::parse_as(allow, PolicyKind::Identity).unwrap(),
        );
        assert!(authorize(&ids, &alice, "kms:Encrypt", ARN, Some(&key), false).is_ok());
        assert!(authorize(&ids, &alice, "kms:Decrypt", ARN, Some(&key), false).is_err());
        // Another account is not delegated to.
        let other = ctx("arn:aws:iam::444455556666:root", "444455556666");
        let err = authorize(&none, &other, "kms:Encrypt", ARN, Some(&key), false).unwrap_err();
        assert!(err
            .message
            .ends_with("because no resource-based policy allows the kms:Encrypt action"));
    }

    #[test]
    fn explicit_deny_wins_and_keyless_actions_need_identity() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        let policy = Policy::parse_as(doc, PolicyKind::Resource).unwrap();
        let key = view(&policy);
        let root = ctx("arn:aws:iam::111122223333:root", "111122223333");
        let err = authorize(
            &IdentityPolicies::new(),
            &root,
            "kms:Decrypt",
            ARN,
            Some(&key),
            false,
        )
        .unwrap_err();
        assert!(err
            .message
            .ends_with("with an explicit deny in a resource-based policy"));
        assert!(authorize(
            &IdentityPolicies::new(),
            &root,
            "kms:CreateKey",
            "*",
            None,
            false
        )
        .is_ok());
        let bob = ctx("arn:aws:iam::111122223333:user/bob", "111122223333");
        assert!(authorize(
            &IdentityPolicies::new(),
            &bob,
            "kms:CreateKey",
            "*",
            None,
            false
        )
        .is_err());
    }
}
