//! Grants in one process: CreateGrant, grant tokens, constraints, ListGrants,
//! ListRetirableGrants, RetireGrant, RevokeGrant, grants of multi-Region keys and of deleted
//! keys. Principals other than the account root have no identity policy unless a test gives
//! them one, so whatever they may do with a key comes from its grants.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A test: a failed expectation is a failed test.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_crypto::{RootKey, Sealer};
use kms_model::{AccountId, Caller, ErrorCode, KmsError, Operation, Region, Timestamp};
use kms_policy::{Policy, PolicyKind};
use kms_service::{IdentityPolicies, Service, ServiceOptions, TestClock};
use kms_store::sqlite::SqliteStore;
use kms_store::Store;
use serde_json::{json, Value};

const US: &str = "us-east-1";
const EU: &str = "eu-west-1";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const CAROL: &str = "arn:aws:iam::111122223333:role/carol";
const DAY: i64 = 86_400_000;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
    svc: Arc<Service>,
}

fn caller(principal: &str, region: &str) -> Caller {
    Caller {
        account: AccountId::parse("111122223333").unwrap(),
        principal_arn: principal.into(),
        access_key_id: "AKIDEXAMPLE".into(),
        region: Region::parse(region).unwrap(),
        secure_transport: false,
        source_ip: None,
    }
}

/// A service where carol's identity policy allows ListRetirableGrants and nothing else.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let clock = Arc::new(TestClock::new(Timestamp::from_secs(1_800_000_000)));
    let mut identity_policies = IdentityPolicies::new();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ListRetirableGrants","Resource":"*"}]}"#;
    identity_policies.attach(CAROL, Policy::parse_as(doc, PolicyKind::Identity).unwrap());
    #[allow(
        clippy::needless_update,
        reason = "options added later keep their defaults"
    )]
    let options = ServiceOptions {
        identity_policies,
        ..Default::default()
    };
    let sealer = Sealer::new(RootKey::generate());
    let svc = Service::new_with(Arc::clone(&store), sealer, clock.clone(), options);
    Fixture {
        _dir: dir,
        store,
        clock,
        svc,
    }
}

impl Fixture {
    async fn call_in(
        &self,
        who: &str,
        region: &str,
        op: Operation,
        input: Value,
    ) -> Result<Value, KmsError> {
        let body = self.svc.call(op, &caller(who, region), input).await?;
        Ok(serde_json::from_slice(&body).unwrap())
    }

    async fn call(&self, who: &str, op: Operation, input: Value) -> Result<Value, KmsError> {
        self.call_in(who, US, op, input).await
    }

    async fn ok(&self, who: &str, op: Operation, input: Value) -> Value {
        self.call(who, op, input)
            .await
            .unwrap_or_else(|e| panic!("{op:?} by {who}: {e}"))
    }

    async fn err(&self, who: &str, op: Operation, input: Value) -> ErrorCode {
        self.call(who, op, input).await.expect_err("an error").code
    }

    async fn create_key(&self) -> String {
        let out = self.ok(ROOT, Operation::CreateKey, json!({})).await;
        out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string()
    }

    /// A grant by the root; answers (grant ID, grant token).
    async fn grant(&self, input: Value) -> (String, String) {
        let out = self.ok(ROOT, Operation::CreateGrant, input).await;
        let id = out["GrantId"].as_str().unwrap().to_string();
        (id, out["GrantToken"].as_str().unwrap().to_string())
    }

    async fn encrypt(&self, who: &str, key: &str, context: Value) -> Result<Value, KmsError> {
        let input = json!({"KeyId": key, "Plaintext": STANDARD.encode(b"secret"), "EncryptionContext": context});
        self.call(who, Operation::Encrypt, input).await
    }

    async fn grant_ids(&self, key: &str) -> Vec<String> {
        let out = self
            .ok(ROOT, Operation::ListGrants, json!({"KeyId": key}))
            .await;
        ids(&out)
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["Grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["GrantId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_grant_lets_a_principal_without_policies_use_the_key() {
    let f = fixture();
    let key = f.create_key().await;

    // Before: alice has no permission at all.
    let err = f.encrypt(ALICE, &key, json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);

    // A grant of Encrypt and Decrypt: both work for alice, nothing else does, and not for bob.
    let (grant_id, _) = f
        .grant(
            json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "Decrypt"]}),
        )
        .await;
    assert_eq!(grant_id.len(), 64);
    assert!(grant_id.bytes().all(|b| b.is_ascii_hexdigit()));
    let blob = f.encrypt(ALICE, &key, json!({})).await.unwrap()["CiphertextBlob"].clone();
    let out = f
        .ok(ALICE, Operation::Decrypt, json!({"CiphertextBlob": blob}))
        .await;
    assert_eq!(out["Plaintext"], STANDARD.encode(b"secret"));
    let input = json!({"KeyId": key, "KeySpec": "AES_256"});
    let denied = f.err(ALICE, Operation::GenerateDataKey, input).await;
    assert_eq!(denied, ErrorCode::AccessDeniedException);
    let denied = f
        .err(ALICE, Operation::DescribeKey, json!({"KeyId": key}))
        .await;
    assert_eq!(denied, ErrorCode::AccessDeniedException);
    let err = f.encrypt(BOB, &key, json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);

    // The listing shows the grant as created.
    let list = f
        .ok(ROOT, Operation::ListGrants, json!({"KeyId": key}))
        .await;
    let entry = &list["Grants"][0];
    assert_eq!(entry["GrantId"], grant_id.as_str());
    assert_eq!(entry["GranteePrincipal"], ALICE);
    assert_eq!(entry["IssuingAccount"], ROOT);
    assert_eq!(entry["Operations"], json!(["Encrypt", "Decrypt"]));
    assert!(entry["KeyId"].as_str().unwrap().ends_with(&key));
}

#[tokio::test]
async fn encryption_context_constraints_are_enforced() {
    let f = fixture();
    let key = f.create_key().await;

    // EncryptionContextEquals: exactly that context (keys in any case), nothing more or less.
    f.grant(
        json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "DescribeKey"],
        "Constraints": {"EncryptionContextEquals": {"app": "billing"}}}),
    )
    .await;
    assert!(f
        .encrypt(ALICE, &key, json!({"app": "billing"}))
        .await
        .is_ok());
    assert!(f
        .encrypt(ALICE, &key, json!({"APP": "billing"}))
        .await
        .is_ok());
    for context in [
        json!({}),
        json!({"app": "Billing"}),
        json!({"app": "billing", "extra": "x"}),
    ] {
        let err = f.encrypt(ALICE, &key, context.clone()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::AccessDeniedException, "{context}");
    }
    // The constraint does not apply to DescribeKey.
    f.ok(ALICE, Operation::DescribeKey, json!({"KeyId": key}))
        .await;

    // EncryptionContextSubset: at least those pairs.
    f.grant(
        json!({"KeyId": key, "GranteePrincipal": BOB, "Operations": ["Encrypt"],
        "Constraints": {"EncryptionContextSubset": {"app": "billing"}}}),
    )
    .await;
    let wider = json!({"app": "billing", "extra": "x"});
    assert!(f.encrypt(BOB, &key, wider).await.is_ok());
    assert!(f
        .encrypt(BOB, &key, json!({"app": "billing"}))
        .await
        .is_ok());
    for context in [json!({}), json!({"app": "payroll"}), json!({"extra": "x"})] {
        let err = f.encrypt(BOB, &key, context.clone()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::AccessDeniedException, "{context}");
    }
}

#[tokio::test]
async fn grant_tokens_are_usable_at_once_and_checked() {
    let f = fixture();
    let key = f.create_key().await;
    let (grant_id, token) = f
        .grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "RetireGrant"]}))
        .await;

    // The token of the new grant is accepted in the very next request.
    let input = json!({"KeyId": key, "Plaintext": STANDARD.encode(b"x"), "GrantTokens": [token]});
    f.ok(ALICE, Operation::Encrypt, input).await;

    // A token kmsd did not make, or one altered, is refused.
    for bad in [
        "not-a-token".to_string(),
        format!("{}00", &token[..token.len() - 2]),
    ] {
        let input = json!({"KeyId": key, "Plaintext": STANDARD.encode(b"x"), "GrantTokens": [bad]});
        let code = f.err(ALICE, Operation::Encrypt, input).await;
        assert_eq!(code, ErrorCode::InvalidGrantTokenException);
    }

    // Once the grant is retired its token names nothing.
    f.ok(
        ALICE,
        Operation::RetireGrant,
        json!({"KeyId": key, "GrantId": grant_id}),
    )
    .await;
    let input = json!({"KeyId": key, "Plaintext": STANDARD.encode(b"x"), "GrantTokens": [token]});
    let code = f.err(ROOT, Operation::Encrypt, input).await;
    assert_eq!(code, ErrorCode::InvalidGrantTokenException);
}

#[tokio::test]
async fn retire_by_token_and_by_key_and_grant_id() {
    let f = fixture();
    let key = f.create_key().await;

    // Carol, the retiring principal, retires by token.
    let (_, token) = f
        .grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "RetiringPrincipal": CAROL, "Operations": ["Encrypt"]}))
        .await;
    let code = f
        .err(BOB, Operation::RetireGrant, json!({"GrantToken": token}))
        .await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
    let code = f
        .err(ALICE, Operation::RetireGrant, json!({"GrantToken": token}))
        .await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
    let dry = json!({"GrantToken": token, "DryRun": true});
    let code = f.err(CAROL, Operation::RetireGrant, dry).await;
    assert_eq!(code, ErrorCode::DryRunOperationException);
    assert!(f.encrypt(ALICE, &key, json!({})).await.is_ok());
    f.ok(CAROL, Operation::RetireGrant, json!({"GrantToken": token}))
        .await;
    let err = f.encrypt(ALICE, &key, json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);
    assert!(f.grant_ids(&key).await.is_empty());

    // A grantee whose grant has RetireGrant retires it by key and grant ID, but no other.
    let (own, _) = f
        .grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "RetireGrant"]}))
        .await;
    let (other, _) = f
        .grant(json!({"KeyId": key, "GranteePrincipal": BOB, "Operations": ["Encrypt"]}))
        .await;
    let input = json!({"KeyId": key, "GrantId": other});
    let code = f.err(ALICE, Operation::RetireGrant, input).await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
    f.ok(
        ALICE,
        Operation::RetireGrant,
        json!({"KeyId": key, "GrantId": own}),
    )
    .await;
    assert_eq!(f.grant_ids(&key).await, vec![other.clone()]);

    // The key's account retires any grant; a retired grant is not found again.
    f.ok(
        ROOT,
        Operation::RetireGrant,
        json!({"KeyId": key, "GrantId": other}),
    )
    .await;
    let input = json!({"KeyId": key, "GrantId": other});
    let code = f.err(ROOT, Operation::RetireGrant, input).await;
    assert_eq!(code, ErrorCode::NotFoundException);
    let code = f
        .err(ROOT, Operation::RetireGrant, json!({"KeyId": key}))
        .await;
    assert_eq!(code, ErrorCode::ValidationException);
}

#[tokio::test]
async fn revoke_needs_kms_revoke_grant_and_honours_dry_run() {
    let f = fixture();
    let key = f.create_key().await;
    let (grant_id, _) = f
        .grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "RetireGrant"]}))
        .await;
    let input = json!({"KeyId": key, "GrantId": grant_id});

    // The grantee may not revoke; DryRun changes nothing.
    let code = f.err(ALICE, Operation::RevokeGrant, input.clone()).await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
    let dry = json!({"KeyId": key, "GrantId": grant_id, "DryRun": true});
    let code = f.err(ROOT, Operation::RevokeGrant, dry).await;
    assert_eq!(code, ErrorCode::DryRunOperationException);
    assert!(f.encrypt(ALICE, &key, json!({})).await.is_ok());

    // Revoked: the grant allows nothing from now on, and is gone.
    f.ok(ROOT, Operation::RevokeGrant, input.clone()).await;
    let err = f.encrypt(ALICE, &key, json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);
    let code = f.err(ROOT, Operation::RevokeGrant, input).await;
    assert_eq!(code, ErrorCode::NotFoundException);
    let bad = json!({"KeyId": key, "GrantId": "not-hex"});
    let code = f.err(ROOT, Operation::RevokeGrant, bad).await;
    assert_eq!(code, ErrorCode::InvalidGrantIdException);
}

#[tokio::test]
async fn list_grants_and_retirable_grants_in_pages() {
    let f = fixture();
    let key = f.create_key().await;
    let other_key = f.create_key().await;

    // Five grants, three of them for alice; carol may retire two on each key.
    let mut all = Vec::new();
    for (n, grantee) in [ALICE, BOB, ALICE, BOB, ALICE].iter().enumerate() {
        let mut input =
            json!({"KeyId": key, "GranteePrincipal": grantee, "Operations": ["Encrypt"]});
        if n < 2 {
            input["RetiringPrincipal"] = json!(CAROL);
        }
        all.push(f.grant(input).await.0);
    }
    for _ in 0..2 {
        f.grant(json!({"KeyId": other_key, "GranteePrincipal": BOB, "RetiringPrincipal": CAROL, "Operations": ["Decrypt"]}))
            .await;
    }
    all.sort();

    // Pages of two: three pages, the last not truncated.
    let mut listed = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"KeyId": key, "Limit": 2});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = f.ok(ROOT, Operation::ListGrants, input).await;
        listed.extend(ids(&page));
        if page["Truncated"] == json!(false) {
            assert!(page.get("NextMarker").is_none());
            break;
        }
        marker = Some(page["NextMarker"].as_str().unwrap().to_string());
    }
    assert_eq!(listed, all);

    // The filters: one grantee's grants; one grant.
    let input = json!({"KeyId": key, "GranteePrincipal": ALICE});
    let alice = f.ok(ROOT, Operation::ListGrants, input).await;
    assert_eq!(ids(&alice).len(), 3);
    let input = json!({"KeyId": key, "GrantId": all[3]});
    let one = f.ok(ROOT, Operation::ListGrants, input).await;
    assert_eq!(ids(&one), vec![all[3].clone()]);
    let code = f
        .err(
            ROOT,
            Operation::ListGrants,
            json!({"KeyId": key, "Marker": "zz"}),
        )
        .await;
    assert_eq!(code, ErrorCode::InvalidMarkerException);

    // Carol's retirable grants, on both keys, in pages of three; bob may not list them.
    let first = json!({"RetiringPrincipal": CAROL, "Limit": 3});
    let page = f.ok(CAROL, Operation::ListRetirableGrants, first).await;
    assert_eq!(page["Truncated"], json!(true));
    let marker = page["NextMarker"].as_str().unwrap();
    let rest = json!({"RetiringPrincipal": CAROL, "Limit": 3, "Marker": marker});
    let rest = f.ok(CAROL, Operation::ListRetirableGrants, rest).await;
    assert_eq!(rest["Truncated"], json!(false));
    assert_eq!(ids(&page).len() + ids(&rest).len(), 4);
    let input = json!({"RetiringPrincipal": CAROL});
    let code = f.err(BOB, Operation::ListRetirableGrants, input).await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
}

#[tokio::test]
async fn a_name_makes_create_grant_idempotent() {
    let f = fixture();
    let key = f.create_key().await;
    let input = json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "Decrypt"], "Name": "app"});

    // The same name and parameters: the same grant, with a new token each time.
    let (first, first_token) = f.grant(input.clone()).await;
    let mut reordered = input.clone();
    reordered["Operations"] = json!(["Decrypt", "Encrypt"]);
    let (again, again_token) = f.grant(reordered).await;
    assert_eq!(first, again);
    assert_ne!(first_token, again_token);
    assert_eq!(f.grant_ids(&key).await, vec![first.clone()]);

    // The same name with other parameters, or no name: new grants.
    let mut other = input.clone();
    other["Operations"] = json!(["Encrypt"]);
    let (changed, _) = f.grant(other).await;
    assert_ne!(changed, first);
    let mut unnamed = input;
    unnamed.as_object_mut().unwrap().remove("Name");
    let (a, _) = f.grant(unnamed.clone()).await;
    let (b, _) = f.grant(unnamed).await;
    assert_ne!(a, b);
    assert_eq!(f.grant_ids(&key).await.len(), 4);
}

#[tokio::test]
async fn dry_run_and_invalid_requests_create_nothing() {
    let f = fixture();
    let key = f.create_key().await;
    let base = json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt"]});

    // DryRun answers DryRunOperationException; the grant does not exist.
    let mut dry = base.clone();
    dry["DryRun"] = json!(true);
    let code = f.err(ROOT, Operation::CreateGrant, dry).await;
    assert_eq!(code, ErrorCode::DryRunOperationException);
    assert!(f.grant_ids(&key).await.is_empty());

    // An operation a symmetric key does not have; a principal that is not one.
    let mut sign = base.clone();
    sign["Operations"] = json!(["Encrypt", "Sign"]);
    let code = f.err(ROOT, Operation::CreateGrant, sign).await;
    assert_eq!(code, ErrorCode::ValidationException);
    let mut nobody = base.clone();
    nobody["GranteePrincipal"] = json!("alice");
    let code = f.err(ROOT, Operation::CreateGrant, nobody).await;
    assert_eq!(code, ErrorCode::ValidationException);

    // Without kms:CreateGrant a principal creates no grant; a disabled key takes none.
    let code = f.err(BOB, Operation::CreateGrant, base.clone()).await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
    f.ok(ROOT, Operation::DisableKey, json!({"KeyId": key}))
        .await;
    let code = f.err(ROOT, Operation::CreateGrant, base).await;
    assert_eq!(code, ErrorCode::DisabledException);
    assert!(f.grant_ids(&key).await.is_empty());
}

#[tokio::test]
async fn a_grantee_passes_on_no_more_than_its_grant() {
    let f = fixture();
    let key = f.create_key().await;
    f.grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt", "Decrypt", "CreateGrant"],
        "Constraints": {"EncryptionContextSubset": {"app": "billing"}}}))
        .await;

    // Within its operations and at least as constrained: allowed.
    let narrower = json!({"KeyId": key, "GranteePrincipal": BOB, "Operations": ["Decrypt"],
        "Constraints": {"EncryptionContextEquals": {"app": "billing", "team": "a"}}});
    f.ok(ALICE, Operation::CreateGrant, narrower).await;

    // Another operation, or a looser constraint: denied.
    let wider = json!({"KeyId": key, "GranteePrincipal": BOB, "Operations": ["GenerateDataKey"],
        "Constraints": {"EncryptionContextSubset": {"app": "billing"}}});
    let code = f.err(ALICE, Operation::CreateGrant, wider).await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
    let looser = json!({"KeyId": key, "GranteePrincipal": BOB, "Operations": ["Decrypt"]});
    let code = f.err(ALICE, Operation::CreateGrant, looser).await;
    assert_eq!(code, ErrorCode::AccessDeniedException);
}

#[tokio::test]
async fn grants_are_deleted_with_their_key() {
    let f = fixture();
    let key = f.create_key().await;
    f.grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt"]}))
        .await;

    // Pending deletion, the grant is still listed (ListGrants works in every state).
    let input = json!({"KeyId": key, "PendingWindowInDays": 7});
    f.ok(ROOT, Operation::ScheduleKeyDeletion, input).await;
    assert_eq!(f.grant_ids(&key).await.len(), 1);

    // Deleted: the key's grants are gone from the store and from memory.
    f.clock.advance_millis(7 * DAY + 1);
    f.svc.tick().await.unwrap();
    let code = f
        .err(ROOT, Operation::ListGrants, json!({"KeyId": key}))
        .await;
    assert_eq!(code, ErrorCode::NotFoundException);
    let account = "111122223333";
    assert!(f.store.grants_of_key(account, US, &key).is_none());
    let page = f
        .store
        .list_grants(account, US, &key, None, None, None, 10)
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn a_grant_covers_one_region_of_a_multi_region_key() {
    let f = fixture();
    let out = f
        .ok(ROOT, Operation::CreateKey, json!({"MultiRegion": true}))
        .await;
    let key = out["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let input = json!({"KeyId": key, "ReplicaRegion": EU});
    f.ok(ROOT, Operation::ReplicateKey, input).await;
    f.svc.tick().await.unwrap();

    // A grant on the primary in us-east-1 allows alice there only.
    f.grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["Encrypt"]}))
        .await;
    assert!(f.encrypt(ALICE, &key, json!({})).await.is_ok());
    let input = json!({"KeyId": key, "Plaintext": STANDARD.encode(b"x")});
    let err = f
        .call_in(ALICE, EU, Operation::Encrypt, input)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::AccessDeniedException);

    // The replica has no grants of its own.
    let listed = f
        .call_in(ROOT, EU, Operation::ListGrants, json!({"KeyId": key}))
        .await
        .unwrap();
    assert!(ids(&listed).is_empty());
}

#[tokio::test]
async fn re_encrypt_from_is_constrained_by_the_source_context() {
    let f = fixture();
    let key = f.create_key().await;
    f.grant(json!({"KeyId": key, "GranteePrincipal": ALICE, "Operations": ["ReEncryptFrom", "ReEncryptTo"],
        "Constraints": {"EncryptionContextSubset": {"app": "billing"}}}))
    .await;
    let blob = f
        .encrypt(ROOT, &key, json!({"app": "billing"}))
        .await
        .unwrap()["CiphertextBlob"]
        .clone();

    // The source context satisfies the constraint for ReEncryptFrom; the destination's for ReEncryptTo.
    let same = json!({"CiphertextBlob": blob, "DestinationKeyId": key,
        "SourceEncryptionContext": {"app": "billing"}, "DestinationEncryptionContext": {"app": "billing", "v": "2"}});
    f.ok(ALICE, Operation::ReEncrypt, same).await;
    let other_destination = json!({"CiphertextBlob": blob, "DestinationKeyId": key,
        "SourceEncryptionContext": {"app": "billing"}, "DestinationEncryptionContext": {"app": "payroll"}});
    assert_eq!(
        f.err(ALICE, Operation::ReEncrypt, other_destination).await,
        ErrorCode::AccessDeniedException
    );
}
