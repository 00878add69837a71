//! Property tests: the parser and the evaluator never panic, an added Deny never allows more,
//! and statement order never matters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kms_policy::{Context, Decision, Policy, PolicyKind, Request, Value};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

/// Words the grammar knows, so generated documents reach deep into the parser.
const WORDS: &[&str] = &[
    "Version",
    "2012-10-17",
    "2008-10-17",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "*",
    "111122223333",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/R/s",
    "Action",
    "NotAction",
    "kms:*",
    "kms:Encrypt",
    "Resource",
    "NotResource",
    "arn:aws:kms:*:111122223333:key/*",
    "Condition",
    "StringEquals",
    "StringLike",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringNotLike",
    "NumericLessThan",
    "DateGreaterThanIfExists",
    "Bool",
    "Null",
    "IpAddress",
    "NotIpAddress",
    "ArnLike",
    "BinaryEquals",
    "aws:SourceIp",
    "aws:username",
    "kms:EncryptionContextKeys",
    "10.0.0.0/8",
    "2001:db8::/32",
    "${aws:username}",
    "${*}",
    "${",
    "true",
    "1",
    "2024-01-01",
    "QQ==",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

/// JSON values built from the grammar's words.
fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        6 => word().prop_map(Json::String),
        1 => any::<bool>().prop_map(Json::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => Just(Json::Null),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            proptest::collection::btree_map(word(), inner, 0..6)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// A context of assorted typed and multivalued keys.
fn context() -> impl Strategy<Value = Context> {
    let value = prop_oneof![
        word().prop_map(Value::String),
        any::<f64>().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
        any::<[u8; 4]>().prop_map(|b| Value::Ip(std::net::IpAddr::from(b))),
        word().prop_map(Value::Arn),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Binary),
    ];
    proptest::collection::vec(
        (
            word(),
            proptest::collection::vec(value, 0..3),
            any::<bool>(),
        ),
        0..6,
    )
    .prop_map(|entries| {
        let mut ctx = Context::new();
        for (key, values, multi) in entries {
            match (multi, values.first()) {
                (false, Some(v)) => ctx.insert(&key, v.clone()),
                _ => ctx.insert_values(&key, values),
            }
        }
        ctx
    })
}

/// One statement of a key policy, from a few meaningful choices.
fn statement() -> impl Strategy<Value = Json> {
    let effect = proptest::sample::select(vec!["Allow", "Deny"]);
    let principal = proptest::sample::select(vec![
        json!("*"),
        json!({"AWS": ACCOUNT}),
        json!({"AWS": ALICE}),
        json!({"AWS": [MALLORY, ROOT]}),
    ]);
    let action = proptest::sample::select(vec![
        json!("kms:*"),
        json!("kms:Encrypt"),
        json!(["kms:De*", "kms:Gen*"]),
    ]);
    let condition = proptest::sample::select(vec![
        json!({}),
        json!({"Bool": {"aws:SecureTransport": "false"}}),
        json!({"StringEquals": {"kms:CallerAccount": ACCOUNT}}),
        json!({"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": "a*"}}),
        json!({"StringNotEqualsIfExists": {"aws:username": "${aws:username}"}}),
    ]);
    (effect, principal, action, condition).prop_map(|(effect, principal, action, condition)| {
        json!({"Effect": effect, "Principal": principal, "Action": action, "Resource": "*", "Condition": condition})
    })
}

fn key_policy(statements: &[Json]) -> Policy {
    let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    Policy::parse_as(&doc, PolicyKind::Resource).unwrap()
}

fn request_parts() -> impl Strategy<Value = (String, String, Context)> {
    let principal = proptest::sample::select(vec![
        ALICE,
        ROOT,
        MALLORY,
        "arn:aws:sts::111122223333:assumed-role/R/s",
    ]);
    let action = proptest::sample::select(vec![
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:PutKeyPolicy",
    ]);
    let ctx = (
        any::<bool>(),
        proptest::collection::vec("[ab][a-z]{0,3}", 0..3),
        any::<bool>(),
    )
        .prop_map(|(tls, keys, user)| {
            let mut ctx = Context::new()
                .with("aws:SecureTransport", tls)
                .with("kms:CallerAccount", ACCOUNT);
            ctx.insert_values(
                "kms:EncryptionContextKeys",
                keys.into_iter().map(Value::String).collect(),
            );
            if user {
                ctx.insert("aws:username", "alice");
            }
            ctx
        });
    (
        principal.prop_map(str::to_owned),
        action.prop_map(str::to_owned),
        ctx,
    )
}

fn decide(p: &Policy, principal: &str, action: &str, ctx: &Context) -> (Decision, Decision) {
    let account = principal.split(':').nth(4).unwrap_or("");
    let r = Request {
        principal,
        principal_account: account,
        action,
        resource: KEY,
        context: ctx,
    };
    let e = p.evaluate_detailed(&r);
    (e.decision, p.evaluate(&r))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Rule: the parser refuses bad input with an error, never a panic.
    #[test]
    fn parse_never_panics_on_text(text in ".{0,200}") {
        let _ = Policy::parse(&text);
        let _ = Policy::parse_as(&text, PolicyKind::Resource);
    }

    /// Rule: the parser refuses any JSON shape with an error, never a panic.
    #[test]
    fn parse_never_panics_on_json(value in json_value(), statements in proptest::collection::vec(json_value(), 0..3)) {
        let text = value.to_string();
        let _ = Policy::parse(&text);
        let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        for kind in [PolicyKind::Identity, PolicyKind::Resource] {
            let _ = Policy::parse_as(&doc, kind);
        }
    }

    /// Rule: whatever parses can decide any request without panicking.
    #[test]
    fn evaluation_never_panics(
        statements in proptest::collection::vec(json_value(), 1..3),
        principal in word(), account in word(), action in word(), resource in word(),
        ctx in context(),
    ) {
        let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        if let Ok(p) = Policy::parse(&doc) {
            let r = Request { principal: &principal, principal_account: &account, action: &action, resource: &resource, context: &ctx };
            let _ = p.evaluate_detailed(&r);
        }
    }

    /// Rule: well-formed key policies decide arbitrary callers, actions and contexts.
    #[test]
    fn key_policy_evaluation_never_panics(
        statements in proptest::collection::vec(statement(), 1..4),
        principal in word(), account in word(), action in word(), resource in word(), ctx in context(),
    ) {
        let p = key_policy(&statements);
        let r = Request { principal: &principal, principal_account: &account, action: &action, resource: &resource, context: &ctx };
        let _ = p.evaluate_detailed(&r);
    }

    /// Rule: Resource wildcards never panic, and a value without wildcards or variables matches
    /// itself.
    #[test]
    fn resource_patterns(pattern in "arn:[a-z:*?/${}]{0,24}", text in "arn:[a-z:/]{0,24}") {
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": pattern}}).to_string();
        let p = Policy::parse(&doc).unwrap();
        let ctx = Context::new().with("aws:username", "u");
        let r = |resource| Request { principal: ALICE, principal_account: ACCOUNT, action: "kms:Encrypt", resource, context: &ctx };
        let _ = p.evaluate(&r(&text));
        if !pattern.contains(['*', '?', '$']) {
            prop_assert_eq!(p.evaluate(&r(&pattern)), Decision::Allow);
        }
    }

    /// Rule: conditions with arbitrary operators, keys and values decide without panicking.
    #[test]
    fn conditions_never_panic(op in word(), key in word(), values in proptest::collection::vec(word(), 1..3), ctx in context()) {
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {op: {key: values}}}}).to_string();
        if let Ok(p) = Policy::parse(&doc) {
            let r = Request { principal: ALICE, principal_account: ACCOUNT, action: "kms:Encrypt", resource: KEY, context: &ctx };
            let _ = p.evaluate_detailed(&r);
        }
    }

    /// Rule: an added explicit Deny never turns a denial into an allow.
    #[test]
    fn added_deny_never_allows_more(
        statements in proptest::collection::vec(statement(), 1..5),
        extra in statement(),
        (principal, action, ctx) in request_parts(),
    ) {
        let mut deny = extra;
        deny["Effect"] = json!("Deny");
        let before = decide(&key_policy(&statements), &principal, &action, &ctx);
        let mut more = statements.clone();
        more.push(deny);
        let after = decide(&key_policy(&more), &principal, &action, &ctx);
        prop_assert!(before.0 != Decision::Allow || after.0 == Decision::Allow || after.0 == Decision::Deny);
        prop_assert!(!(before.1 != Decision::Allow && after.1 == Decision::Allow));
        prop_assert!(!(before.0 == Decision::Deny && after.0 != Decision::Deny));
    }

    /// Rule: the order of statements never changes the decision.
    #[test]
    fn statement_order_never_matters(
        statements in proptest::collection::vec(statement(), 1..6),
        (principal, action, ctx) in request_parts(),
    ) {
        let forward = decide(&key_policy(&statements), &principal, &action, &ctx);
        let mut reversed = statements.clone();
        reversed.reverse();
        let backward = decide(&key_policy(&reversed), &principal, &action, &ctx);
        prop_assert_eq!(forward, backward);
    }
}
