//! Evaluation: Action, Resource and Principal matching, their Not forms, explicit deny,
//! account delegation, and policy variables.
//!
//! Rules from the IAM User Guide ("Action", "NotAction", "Resource", "NotResource",
//! "Principal", "NotPrincipal", "Policy variables", "Policy evaluation logic") and the AWS KMS
//! Developer Guide ("Default key policy").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kms_policy::{
    combine, Context, Decision, Policy, PolicyKind, PrincipalMatch, Request, StatementRef,
};

/// An identity policy with one Allow statement of the given Action and Resource JSON.
fn identity(action: &str, resource: &str) -> Policy {
    policy(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":{action},"Resource":{resource}}}}}"#
        ),
        PolicyKind::Identity,
    )
}

/// A key policy with one Allow statement for the given Principal JSON.
fn key_policy(principal: &str) -> Policy {
    policy(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"kms:*","Resource":"*"}}}}"#
        ),
        PolicyKind::Resource,
    )
}

fn allows(p: &Policy, action: &str, resource: &str) -> bool {
    p.evaluate(&request(ALICE, action, resource, &Context::new())) == Decision::Allow
}

#[test]
fn action_matching() {
    // (rule, Action JSON, request action, expected)
    let cases = [
        ("exact action", r#""kms:Encrypt""#, "kms:Encrypt", true),
        (
            "action names are case-insensitive",
            r#""kms:encrypt""#,
            "kms:Encrypt",
            true,
        ),
        (
            "service prefix is case-insensitive",
            r#""KMS:Encrypt""#,
            "kms:Encrypt",
            true,
        ),
        (
            "service:* covers every action of the service",
            r#""kms:*""#,
            "kms:ScheduleKeyDeletion",
            true,
        ),
        (
            "service:* does not cover another service",
            r#""kms:*""#,
            "iam:CreateServiceLinkedRole",
            false,
        ),
        (
            "* covers every action",
            r#""*""#,
            "iam:CreateServiceLinkedRole",
            true,
        ),
        (
            "prefix wildcard kms:Gen*",
            r#""kms:Gen*""#,
            "kms:GenerateDataKeyWithoutPlaintext",
            true,
        ),
        (
            "prefix wildcard does not cover other names",
            r#""kms:Gen*""#,
            "kms:Encrypt",
            false,
        ),
        (
            "kms:Re* covers ReEncryptFrom",
            r#""kms:Re*""#,
            "kms:ReEncryptFrom",
            true,
        ),
        (
            "kms:Re* covers RetireGrant too",
            r#""kms:Re*""#,
            "kms:RetireGrant",
            true,
        ),
        (
            "? is one character",
            r#""kms:?ncrypt""#,
            "kms:Encrypt",
            true,
        ),
        (
            "? is exactly one character",
            r#""kms:?crypt""#,
            "kms:Encrypt",
            false,
        ),
        ("inner wildcard", r#""kms:*Key*""#, "kms:DescribeKey", true),
        (
            "list is ORed",
            r#"["kms:Encrypt","kms:Decrypt"]"#,
            "kms:Decrypt",
            true,
        ),
        (
            "a prefix is not a match",
            r#""kms:Encrypt""#,
            "kms:EncryptX",
            false,
        ),
    ];
    for (rule, action, requested, expected) in cases {
        assert_eq!(
            allows(&identity(action, r#""*""#), requested, KEY),
            expected,
            "{rule}"
        );
    }
}

#[test]
fn resource_matching() {
    // (rule, Resource JSON, request resource, expected)
    let cases = [
        ("* covers every resource", r#""*""#, KEY, true),
        ("exact ARN", &format!("{KEY:?}"), KEY, true),
        (
            "ARN matching is case-sensitive",
            r#""arn:aws:kms:us-east-1:111122223333:key/1234ABCD-12AB-34CD-56EF-1234567890AB""#,
            KEY,
            false,
        ),
        (
            "wildcard key ID",
            r#""arn:aws:kms:us-east-1:111122223333:key/*""#,
            KEY,
            true,
        ),
        (
            "wildcard region segment",
            r#""arn:aws:kms:*:111122223333:key/*""#,
            KEY,
            true,
        ),
        (
            "wildcard account does not cover an alias",
            r#""arn:aws:kms:*:*:key/*""#,
            "arn:aws:kms:us-east-1:111122223333:alias/a",
            false,
        ),
        (
            "? in a segment",
            r#""arn:aws:kms:us-east-?:111122223333:key/*""#,
            KEY,
            true,
        ),
        (
            "a * inside a segment stays in it",
            r#""arn:aws:kms:us-*-1:111122223333:key/*""#,
            "arn:aws:kms:us-east:x-1:111122223333:key/k",
            false,
        ),
        (
            "a * ending a segment may run past colons",
            r#""arn:aws:kms:*""#,
            KEY,
            true,
        ),
        (
            "other account",
            r#""arn:aws:kms:*:444455556666:key/*""#,
            KEY,
            false,
        ),
        (
            "list is ORed",
            r#"["arn:aws:kms:*:444455556666:key/*","arn:aws:kms:*:111122223333:key/*"]"#,
            KEY,
            true,
        ),
        (
            "alias ARN",
            r#""arn:aws:kms:us-east-1:111122223333:alias/prod-*""#,
            "arn:aws:kms:us-east-1:111122223333:alias/prod-db",
            true,
        ),
    ];
    for (rule, resource, requested, expected) in cases {
        assert_eq!(
            allows(&identity(r#""kms:*""#, resource), "kms:Encrypt", requested),
            expected,
            "{rule}"
        );
    }
}

#[test]
fn not_action_and_not_resource() {
    // Rule: NotAction covers every action except those listed (of every service).
    let p = policy(
        r#"{"Statement":{"Effect":"Allow","NotAction":["kms:ScheduleKeyDeletion","kms:Disable*"],"Resource":"*"}}"#,
        PolicyKind::Identity,
    );
    assert!(allows(&p, "kms:Encrypt", KEY));
    assert!(allows(&p, "iam:CreateServiceLinkedRole", "*"));
    assert!(!allows(&p, "kms:ScheduleKeyDeletion", KEY));
    assert!(
        !allows(&p, "kms:disablekey", KEY),
        "NotAction matching is case-insensitive too"
    );

    // Rule: NotResource covers every resource except those listed.
    let p = policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/*"}}"#,
        PolicyKind::Identity,
    );
    assert!(!allows(&p, "kms:Encrypt", KEY));
    assert!(allows(
        &p,
        "kms:Encrypt",
        "arn:aws:kms:us-east-1:444455556666:key/x"
    ));
    assert!(allows(&p, "kms:ListKeys", "*"));

    // Rule: Deny with NotAction denies everything else.
    let p = policy(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"kms:Decrypt","Resource":"*"}]}"#,
        PolicyKind::Identity,
    );
    assert!(allows(&p, "kms:Decrypt", KEY));
    assert_eq!(
        p.evaluate(&request(ALICE, "kms:Encrypt", KEY, &Context::new())),
        Decision::Deny
    );
}

#[test]
fn principal_matching() {
    let session = "arn:aws:sts::111122223333:assumed-role/KeyUsers/alice-session";
    // (rule, Principal JSON, caller, expected match)
    let cases = [
        (
            "\"*\" covers everyone",
            r#""*""#,
            MALLORY,
            PrincipalMatch::Direct,
        ),
        (
            "AWS \"*\" covers everyone",
            r#"{"AWS":"*"}"#,
            ALICE,
            PrincipalMatch::Direct,
        ),
        (
            "user ARN covers that user",
            &format!(r#"{{"AWS":"{ALICE}"}}"#),
            ALICE,
            PrincipalMatch::Direct,
        ),
        (
            "user ARN does not cover another user",
            &format!(r#"{{"AWS":"{ALICE}"}}"#),
            "arn:aws:iam::111122223333:user/bob",
            PrincipalMatch::None,
        ),
        (
            "principal ARNs are case-sensitive",
            r#"{"AWS":"arn:aws:iam::111122223333:user/Alice"}"#,
            ALICE,
            PrincipalMatch::None,
        ),
        (
            "role ARN covers its sessions",
            r#"{"AWS":"arn:aws:iam::111122223333:role/KeyUsers"}"#,
            session,
            PrincipalMatch::Direct,
        ),
        (
            "role ARN with a path covers its sessions",
            r#"{"AWS":"arn:aws:iam::111122223333:role/team/KeyUsers"}"#,
            session,
            PrincipalMatch::Direct,
        ),
        (
            "role ARN does not cover another role's sessions",
            r#"{"AWS":"arn:aws:iam::111122223333:role/Other"}"#,
            session,
            PrincipalMatch::None,
        ),
        (
            "session ARN covers that session",
            &format!(r#"{{"AWS":"{session}"}}"#),
            session,
            PrincipalMatch::Direct,
        ),
        (
            "account root ARN delegates to the account",
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            ALICE,
            PrincipalMatch::AccountDelegation,
        ),
        (
            "bare account ID is the account root",
            r#"{"AWS":"111122223333"}"#,
            ALICE,
            PrincipalMatch::AccountDelegation,
        ),
        (
            "account covers its role sessions by delegation",
            r#"{"AWS":"111122223333"}"#,
            session,
            PrincipalMatch::AccountDelegation,
        ),
        (
            "account root ARN covers the root user directly",
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            ROOT,
            PrincipalMatch::Direct,
        ),
        (
            "account does not cover another account",
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            MALLORY,
            PrincipalMatch::None,
        ),
        (
            "account root of another partition does not match",
            r#"{"AWS":"arn:aws-cn:iam::111122223333:root"}"#,
            ALICE,
            PrincipalMatch::None,
        ),
        (
            "list: the best entry wins",
            &format!(r#"{{"AWS":["111122223333","{ALICE}"]}}"#),
            ALICE,
            PrincipalMatch::Direct,
        ),
        (
            "Service principal",
            r#"{"Service":"logs.amazonaws.com"}"#,
            "logs.amazonaws.com",
            PrincipalMatch::Direct,
        ),
        (
            "Service principal does not cover users",
            r#"{"Service":"logs.amazonaws.com"}"#,
            ALICE,
            PrincipalMatch::None,
        ),
    ];
    let ctx = Context::new();
    for (rule, principal, caller, expected) in cases {
        let got =
            evaluate(&key_policy(principal), caller, "kms:Encrypt", KEY, &ctx).principal_match;
        assert_eq!(got, expected, "{rule}");
    }
}

#[test]
fn default_key_policy_delegates_to_the_account() {
    // Rule: "Allows access to the AWS account and enables IAM policies" (KMS default policy).
    let p = policy(
        r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
        PolicyKind::Resource,
    );
    let ctx = Context::new();
    let sid = Some(StatementRef {
        index: 0,
        sid: Some("Enable IAM User Permissions".into()),
    });

    // A user of the account: Allow by delegation, which `evaluate` does not count alone.
    let alice = evaluate(&p, ALICE, "kms:Encrypt", KEY, &ctx);
    assert_eq!(
        (alice.decision, alice.principal_match),
        (Decision::Allow, PrincipalMatch::AccountDelegation)
    );
    assert_eq!(alice.statement, sid);
    assert_eq!(
        p.evaluate(&request(ALICE, "kms:Encrypt", KEY, &ctx)),
        Decision::NotApplicable
    );

    // The account root itself: a direct Allow.
    let root = evaluate(&p, ROOT, "kms:PutKeyPolicy", KEY, &ctx);
    assert_eq!(
        (root.decision, root.principal_match),
        (Decision::Allow, PrincipalMatch::Direct)
    );

    // Another account: nothing.
    let other = evaluate(&p, MALLORY, "kms:Encrypt", KEY, &ctx);
    assert_eq!(
        (other.decision, other.principal_match),
        (Decision::NotApplicable, PrincipalMatch::None)
    );
}

#[test]
fn direct_allow_is_preferred_over_delegation() {
    // Rule: a statement naming the caller allows it by the key policy alone.
    let p = policy(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"111122223333"}},"Action":"kms:*","Resource":"*"}},{{"Sid":"alice","Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"kms:Encrypt","Resource":"*"}}]}}"#
        ),
        PolicyKind::Resource,
    );
    let e = evaluate(&p, ALICE, "kms:Encrypt", KEY, &Context::new());
    assert_eq!(
        (e.decision, e.principal_match),
        (Decision::Allow, PrincipalMatch::Direct)
    );
    assert_eq!(e.statement.and_then(|s| s.sid).as_deref(), Some("alice"));
    let e = evaluate(&p, ALICE, "kms:Decrypt", KEY, &Context::new());
    assert_eq!(e.principal_match, PrincipalMatch::AccountDelegation);
}

#[test]
fn explicit_deny_wins() {
    let ctx = Context::new();
    // Rule: within a policy, an applying Deny overrides any Allow, whatever the order.
    for statements in [
        r#"[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Sid":"no","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]"#,
        r#"[{"Sid":"no","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]"#,
    ] {
        let p = policy(
            &format!(r#"{{"Statement":{statements}}}"#),
            PolicyKind::Resource,
        );
        let e = evaluate(&p, ALICE, "kms:Decrypt", KEY, &ctx);
        assert_eq!(e.decision, Decision::Deny);
        assert_eq!(e.statement.and_then(|s| s.sid).as_deref(), Some("no"));
        assert_eq!(
            evaluate(&p, ALICE, "kms:Encrypt", KEY, &ctx).decision,
            Decision::Allow
        );
    }

    // Rule: a Deny naming an account denies all of its principals.
    let p = policy(
        r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}}"#,
        PolicyKind::Resource,
    );
    let e = evaluate(&p, ALICE, "kms:Encrypt", KEY, &ctx);
    assert_eq!(
        (e.decision, e.principal_match),
        (Decision::Deny, PrincipalMatch::AccountDelegation)
    );
    assert_eq!(
        p.evaluate(&request(ALICE, "kms:Encrypt", KEY, &ctx)),
        Decision::Deny
    );

    // Rule: across policies, any Deny wins, else any Allow, else not applicable.
    use Decision::*;
    let cases: [(&[Decision], Decision); 6] = [
        (&[], NotApplicable),
        (&[NotApplicable, NotApplicable], NotApplicable),
        (&[NotApplicable, Allow], Allow),
        (&[Allow, Deny], Deny),
        (&[Deny, Allow, Allow], Deny),
        (&[NotApplicable, Allow, NotApplicable, Deny], Deny),
    ];
    for (decisions, expected) in cases {
        assert_eq!(
            combine(decisions.iter().copied()),
            expected,
            "{decisions:?}"
        );
    }
}

#[test]
fn not_principal_with_deny() {
    let session = "arn:aws:sts::111122223333:assumed-role/Admin/s1";
    let deny_except = |listed: &str| {
        policy(
            &format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":{listed}}},"Action":"kms:*","Resource":"*"}}]}}"#
            ),
            PolicyKind::Resource,
        )
    };
    let ctx = Context::new();
    let decide = |p: &Policy, who: &str| evaluate(p, who, "kms:Encrypt", KEY, &ctx).decision;

    // (rule, NotPrincipal AWS JSON, caller, expected)
    let cases = [
        (
            "a listed user with its account is exempt",
            format!(r#"["{ALICE}","{ACCOUNT}"]"#),
            ALICE,
            Decision::Allow,
        ),
        (
            "others are denied",
            format!(r#"["{ALICE}","{ACCOUNT}"]"#),
            "arn:aws:iam::111122223333:user/bob",
            Decision::Deny,
        ),
        (
            "other accounts are denied",
            format!(r#"["{ALICE}","{ACCOUNT}"]"#),
            MALLORY,
            Decision::Deny,
        ),
        (
            "a user listed without its account is still denied",
            format!(r#""{ALICE}""#),
            ALICE,
            Decision::Deny,
        ),
        (
            "an account alone does not exempt its users",
            format!(r#""{ROOT}""#),
            ALICE,
            Decision::Deny,
        ),
        (
            "an account exempts its root user",
            format!(r#""{ROOT}""#),
            ROOT,
            Decision::Allow,
        ),
        (
            "a session is exempt with its role and account",
            format!(r#"["{session}","arn:aws:iam::111122223333:role/Admin","{ACCOUNT}"]"#),
            session,
            Decision::Allow,
        ),
        (
            "a session is not exempt without its role",
            format!(r#"["{session}","{ACCOUNT}"]"#),
            session,
            Decision::Deny,
        ),
        (
            "\"*\" exempts everyone",
            r#""*""#.to_owned(),
            MALLORY,
            Decision::Allow,
        ),
    ];
    for (rule, listed, caller, expected) in cases {
        assert_eq!(decide(&deny_except(&listed), caller), expected, "{rule}");
    }
}

#[test]
fn policy_variables() {
    let v2012 = |resource: &str| {
        policy(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"kms:*","Resource":"{resource}"}}}}"#
            ),
            PolicyKind::Identity,
        )
    };
    let alias = "arn:aws:kms:us-east-1:111122223333:alias/alice-db";
    let user = Context::new().with("aws:username", "alice");
    let decide = |p: &Policy, resource: &str, ctx: &Context| {
        p.evaluate(&request(ALICE, "kms:Encrypt", resource, ctx)) == Decision::Allow
    };

    // (rule, Resource, requested, context, expected)
    let star_alias = "arn:aws:kms:us-east-1:111122223333:alias/*";
    let cases: Vec<(&str, &str, &str, Context, bool)> = vec![
        (
            "${aws:username} is substituted",
            "arn:aws:kms:*:111122223333:alias/${aws:username}-*",
            alias,
            user.clone(),
            true,
        ),
        (
            "${aws:username} for another user does not match",
            "arn:aws:kms:*:111122223333:alias/${aws:username}-*",
            alias,
            Context::new().with("aws:username", "bob"),
            false,
        ),
        (
            "a missing variable matches nothing",
            "arn:aws:kms:*:111122223333:alias/${aws:username}-*",
            alias,
            Context::new(),
            false,
        ),
        (
            "variable names are case-insensitive",
            "arn:aws:kms:*:111122223333:alias/${AWS:UserName}-db",
            alias,
            user.clone(),
            true,
        ),
        (
            "${aws:PrincipalAccount} comes from the request",
            "arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
            KEY,
            Context::new(),
            true,
        ),
        (
            "${aws:PrincipalArn} comes from the request",
            "arn:aws:kms:*:111122223333:alias/${aws:PrincipalArn}",
            "arn:aws:kms:us-east-1:111122223333:alias/arn:aws:iam::111122223333:user/alice",
            Context::new(),
            true,
        ),
        (
            "any single-valued context key is a variable",
            "arn:aws:kms:*:111122223333:alias/${aws:PrincipalTag/team}-*",
            "arn:aws:kms:us-east-1:111122223333:alias/blue-x",
            Context::new().with("aws:PrincipalTag/team", "blue"),
            true,
        ),
        (
            "a multivalued key is no variable",
            "arn:aws:kms:*:111122223333:alias/${aws:TagKeys}",
            "arn:aws:kms:us-east-1:111122223333:alias/a",
            Context::new().with_strings("aws:TagKeys", ["a"]),
            false,
        ),
        (
            "a default stands in for a missing key",
            "arn:aws:kms:*:111122223333:alias/${aws:username, 'shared'}",
            "arn:aws:kms:us-east-1:111122223333:alias/shared",
            Context::new(),
            true,
        ),
        (
            "a substituted value's * is literal",
            "arn:aws:kms:*:111122223333:alias/${aws:username}",
            alias,
            Context::new().with("aws:username", "*"),
            false,
        ),
        (
            "${*} is a literal *",
            "arn:aws:kms:*:111122223333:alias/a${*}",
            "arn:aws:kms:us-east-1:111122223333:alias/a*",
            Context::new(),
            true,
        ),
        (
            "${*} is no wildcard",
            "arn:aws:kms:*:111122223333:alias/a${*}",
            "arn:aws:kms:us-east-1:111122223333:alias/abc",
            Context::new(),
            false,
        ),
        (
            "${?} is a literal ?",
            "arn:aws:kms:*:111122223333:alias/a${?}",
            "arn:aws:kms:us-east-1:111122223333:alias/a?",
            Context::new(),
            true,
        ),
        (
            "${$} is a literal $",
            "arn:aws:kms:*:111122223333:alias/${$}x",
            "arn:aws:kms:us-east-1:111122223333:alias/$x",
            Context::new(),
            true,
        ),
        (
            "a plain wildcard still works beside variables",
            star_alias,
            alias,
            Context::new(),
            true,
        ),
    ];
    for (rule, resource, requested, ctx, expected) in cases {
        assert_eq!(
            decide(&v2012(resource), requested, &ctx),
            expected,
            "{rule}"
        );
    }

    // Rule: Version 2008-10-17 (or none) takes ${...} as text.
    let old = policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:alias/${aws:username}"}}"#,
        PolicyKind::Identity,
    );
    assert!(!decide(
        &old,
        "arn:aws:kms:us-east-1:111122223333:alias/alice",
        &user
    ));
    assert!(decide(
        &old,
        "arn:aws:kms:us-east-1:111122223333:alias/${aws:username}",
        &user
    ));
}

#[test]
fn variables_in_conditions() {
    let ctx = Context::new()
        .with("aws:username", "alice")
        .with("kms:EncryptionContext:owner", "alice")
        .with("aws:PrincipalArn", ALICE);
    let cases = [
        (
            "StringEquals with a variable",
            r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:username}"}}"#,
            true,
        ),
        (
            "StringLike with a variable and a wildcard",
            r#"{"StringLike":{"kms:EncryptionContext:owner":"${aws:username}*"}}"#,
            true,
        ),
        (
            "StringNotEquals with a variable",
            r#"{"StringNotEquals":{"kms:EncryptionContext:owner":"${aws:username}"}}"#,
            false,
        ),
        (
            "StringNotEquals with a missing variable: the value matches nothing",
            r#"{"StringNotEquals":{"kms:EncryptionContext:owner":"${aws:missing}"}}"#,
            true,
        ),
        (
            "StringEquals with a missing variable is false",
            r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:missing}"}}"#,
            false,
        ),
        (
            "ArnLike with a variable",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/*"}}"#,
            true,
        ),
        (
            "ArnEquals with the whole ARN as a variable",
            r#"{"ArnEquals":{"aws:PrincipalArn":"${aws:PrincipalArn}"}}"#,
            true,
        ),
    ];
    for (rule, condition, expected) in cases {
        assert_eq!(condition_holds(condition, &ctx), expected, "{rule}");
    }
    // Rule: in a 2008-10-17 document the condition value is plain text.
    assert!(!condition_holds_in(
        r#"{"StringEquals":{"kms:EncryptionContext:owner":"${aws:username}"}}"#,
        &ctx,
        "2008-10-17"
    ));
}

#[test]
fn inert_key_policy_statement_never_applies() {
    // Rule: a key policy statement without Resource (or Action) has no effect.
    let p = policy(
        r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:*"},{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
        PolicyKind::Resource,
    );
    assert_eq!(
        evaluate(&p, ALICE, "kms:Encrypt", KEY, &Context::new()).decision,
        Decision::Allow
    );
}

#[test]
fn conditions_gate_the_statement() {
    // Rule: the common "deny unless secure transport" statement.
    let p = policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        PolicyKind::Resource,
    );
    let tls = Context::new().with("aws:SecureTransport", true);
    let plain = Context::new().with("aws:SecureTransport", false);
    let r = |ctx| Request {
        principal: ALICE,
        principal_account: ACCOUNT,
        action: "kms:Encrypt",
        resource: KEY,
        context: ctx,
    };
    assert_eq!(p.evaluate(&r(&tls)), Decision::Allow);
    assert_eq!(p.evaluate(&r(&plain)), Decision::Deny);
}
