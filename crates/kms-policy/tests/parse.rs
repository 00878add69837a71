//! Parsing: every accepted form of the grammar and every refusal, each naming its rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kms_policy::{Effect, Place, Policy, PolicyError, PolicyKind, StatementRef, Version};

const ALLOW_ALL: &str = r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#;

/// A 2012-10-17 document with the given statement body.
fn doc(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

#[test]
fn accepted_forms() {
    // (rule, kind, document)
    let cases: &[(&str, PolicyKind, String)] = &[
        ("Statement may be a single object", PolicyKind::Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#.into()),
        ("Statement may be a list", PolicyKind::Identity, doc(ALLOW_ALL)),
        ("Version 2008-10-17 is accepted", PolicyKind::Identity,
            format!(r#"{{"Version":"2008-10-17","Statement":{ALLOW_ALL}}}"#)),
        ("Version may be absent", PolicyKind::Identity, format!(r#"{{"Statement":{ALLOW_ALL}}}"#)),
        ("Id is a string", PolicyKind::Identity, format!(r#"{{"Id":"key-default-1","Statement":{ALLOW_ALL}}}"#)),
        ("Sid of a key policy may hold spaces", PolicyKind::Resource,
            doc(r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal \"*\"", PolicyKind::Resource, doc(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#)),
        ("Principal AWS \"*\"", PolicyKind::Resource, doc(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal AWS bare account ID", PolicyKind::Resource, doc(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal AWS list of ARNs", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:role/r","arn:aws:sts::111122223333:assumed-role/r/s"]},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal AWS unique ID of a deleted principal", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"AIDACKCEVSQ6C2EXAMPLE"},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal Service", PolicyKind::Resource, doc(r#"{"Effect":"Allow","Principal":{"Service":["logs.amazonaws.com"]},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal Federated", PolicyKind::Resource, doc(r#"{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"kms:*","Resource":"*"}"#)),
        ("Principal CanonicalUser", PolicyKind::Resource, doc(r#"{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"kms:*","Resource":"*"}"#)),
        ("NotPrincipal with Deny", PolicyKind::Resource, doc(r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#)),
        ("NotAction and NotResource", PolicyKind::Identity, doc(r#"{"Effect":"Deny","NotAction":["kms:Decrypt"],"NotResource":"arn:aws:kms:*:111122223333:key/*"}"#)),
        ("Action list", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*"],"Resource":"*"}"#)),
        ("Action \"*\"", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)),
        ("Condition values may be numbers and booleans", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"NumericLessThan":{"kms:RotationPeriodInDays":365},"Bool":{"aws:SecureTransport":true}}}"#)),
        ("key policy statement without Resource is kept but inert", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*"}"#)),
        ("key policy statement without Action is kept but inert", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":"*","Resource":"*"}"#)),
        ("every condition operator and qualifier is known", PolicyKind::Identity, doc(&every_operator())),
    ];
    for (rule, kind, text) in cases {
        if let Err(e) = Policy::parse_as(text, *kind) {
            panic!("{rule}: refused with {e}");
        }
    }
}

/// One statement whose Condition uses every operator, with and without IfExists.
fn every_operator() -> String {
    let ops = [
        ("StringEquals", "a"),
        ("StringNotEquals", "a"),
        ("StringEqualsIgnoreCase", "a"),
        ("StringNotEqualsIgnoreCase", "a"),
        ("StringLike", "a*"),
        ("StringNotLike", "a*"),
        ("NumericEquals", "1"),
        ("NumericNotEquals", "1"),
        ("NumericLessThan", "1"),
        ("NumericLessThanEquals", "1"),
        ("NumericGreaterThan", "1"),
        ("NumericGreaterThanEquals", "1"),
        ("DateEquals", "2024-01-01"),
        ("DateNotEquals", "2024-01-01"),
        ("DateLessThan", "2024-01-01T00:00:00Z"),
        ("DateLessThanEquals", "1700000000"),
        ("DateGreaterThan", "2024-01-01"),
        ("DateGreaterThanEquals", "2024-01-01"),
        ("Bool", "true"),
        ("BinaryEquals", "QmluYXJ5"),
        ("IpAddress", "10.0.0.0/8"),
        ("NotIpAddress", "2001:db8::/32"),
        ("ArnEquals", "arn:aws:iam::*:root"),
        ("ArnLike", "arn:aws:iam::*:root"),
        ("ArnNotEquals", "arn:aws:iam::*:root"),
        ("ArnNotLike", "arn:aws:iam::*:root"),
    ];
    let mut parts: Vec<String> = Vec::new();
    for (op, value) in ops {
        parts.push(format!(r#""{op}":{{"k":"{value}"}}"#));
        parts.push(format!(r#""{op}IfExists":{{"k":"{value}"}}"#));
        parts.push(format!(r#""ForAllValues:{op}":{{"k":"{value}"}}"#));
        parts.push(format!(r#""ForAnyValue:{op}IfExists":{{"k":"{value}"}}"#));
    }
    parts.push(r#""Null":{"k":"true"}"#.into());
    format!(
        r#"{{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{{{}}}}}"#,
        parts.join(",")
    )
}

#[test]
fn version_and_structure() {
    // Rule: absent Version means 2008-10-17, which disables policy variables.
    let p = Policy::parse(&format!(r#"{{"Statement":{ALLOW_ALL}}}"#)).unwrap();
    assert_eq!(p.version(), Version::V2008_10_17);
    assert!(!p.uses_variables());
    let p = Policy::parse(&doc(ALLOW_ALL)).unwrap();
    assert_eq!(p.version(), Version::V2012_10_17);
    assert!(p.uses_variables());

    // Rule: Id and Sid are kept; statements keep their order and effect.
    let p = Policy::parse(r#"{"Id":"x","Statement":[{"Sid":"one","Effect":"Deny","Action":"kms:*","Resource":"*"},{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#).unwrap();
    assert_eq!(p.id(), Some("x"));
    assert_eq!(p.statements().len(), 2);
    assert_eq!(p.statements()[0].sid(), Some("one"));
    assert_eq!(p.statements()[0].effect(), Effect::Deny);
    assert_eq!(p.statements()[1].sid(), None);
    assert_eq!(
        p.statements()[1].reference(),
        &StatementRef {
            index: 1,
            sid: None
        }
    );

    // Rule: a key policy statement without Action or Resource has no effect.
    let p = policy(
        &doc(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*"}"#),
        PolicyKind::Resource,
    );
    assert!(!p.statements()[0].is_effective());
}

/// The statement reference used by the error table.
fn st(index: usize, sid: Option<&str>) -> StatementRef {
    StatementRef {
        index,
        sid: sid.map(str::to_owned),
    }
}

#[test]
fn refusals() {
    use PolicyError as E;
    let s0 = st(0, None);
    // (rule, kind, document, expected error)
    let cases: Vec<(&str, PolicyKind, String, E)> = vec![
        ("top level must be an object", PolicyKind::Identity, "[]".into(), E::NotAnObject { found: "a list" }),
        ("unknown top-level element", PolicyKind::Identity, format!(r#"{{"Statement":{ALLOW_ALL},"Extra":1}}"#),
            E::UnknownElement { at: Place::Document, element: "Extra".into() }),
        ("element names are case-sensitive", PolicyKind::Identity, format!(r#"{{"statement":{ALLOW_ALL}}}"#),
            E::UnknownElement { at: Place::Document, element: "statement".into() }),
        ("only two versions exist", PolicyKind::Identity, format!(r#"{{"Version":"2012-10-18","Statement":{ALLOW_ALL}}}"#),
            E::UnsupportedVersion { version: "2012-10-18".into() }),
        ("Version is a string", PolicyKind::Identity, format!(r#"{{"Version":2012,"Statement":{ALLOW_ALL}}}"#),
            E::WrongType { at: Place::Document, element: "Version".into(), expected: "a string", found: "a number" }),
        ("Id is a string", PolicyKind::Identity, format!(r#"{{"Id":[],"Statement":{ALLOW_ALL}}}"#),
            E::WrongType { at: Place::Document, element: "Id".into(), expected: "a string", found: "a list" }),
        ("Statement is required", PolicyKind::Identity, r#"{"Version":"2012-10-17"}"#.into(), E::MissingStatement),
        ("Statement is not empty", PolicyKind::Identity, r#"{"Statement":[]}"#.into(), E::NoStatements),
        ("Statement is an object or list", PolicyKind::Identity, r#"{"Statement":"x"}"#.into(),
            E::WrongType { at: Place::Document, element: "Statement".into(), expected: "an object or a list of objects", found: "a string" }),
        ("each statement is an object", PolicyKind::Identity, r#"{"Statement":[1]}"#.into(),
            E::WrongType { at: Place::Statement(s0.clone()), element: "Statement".into(), expected: "an object", found: "a number" }),
        ("Sid is a string", PolicyKind::Identity, doc(r#"{"Sid":1,"Effect":"Allow","Action":"kms:*","Resource":"*"}"#),
            E::WrongType { at: Place::Statement(s0.clone()), element: "Sid".into(), expected: "a string", found: "a number" }),
        ("unknown statement element, named with its Sid", PolicyKind::Identity,
            doc(r#"{"Sid":"S","Effect":"Allow","Action":"kms:*","Resource":"*","Actions":"x"}"#),
            E::UnknownElement { at: Place::Statement(st(0, Some("S"))), element: "Actions".into() }),
        ("Effect is required", PolicyKind::Identity, doc(r#"{"Action":"kms:*","Resource":"*"}"#),
            E::MissingElement { at: s0.clone(), element: "Effect" }),
        ("Effect is exactly Allow or Deny", PolicyKind::Identity, doc(r#"{"Effect":"allow","Action":"kms:*","Resource":"*"}"#),
            E::InvalidEffect { at: s0.clone(), value: "allow".into() }),
        ("Action or NotAction is required in an identity policy", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Resource":"*"}"#),
            E::MissingOneOf { at: s0.clone(), first: "Action", second: "NotAction" }),
        ("Resource or NotResource is required in an identity policy", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":"kms:*"}"#),
            E::MissingOneOf { at: s0.clone(), first: "Resource", second: "NotResource" }),
        ("Action and NotAction exclude each other", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","NotAction":"kms:Decrypt","Resource":"*"}"#),
            E::Conflicting { at: s0.clone(), first: "Action", second: "NotAction" }),
        ("Resource and NotResource exclude each other", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","NotResource":"*"}"#),
            E::Conflicting { at: s0.clone(), first: "Resource", second: "NotResource" }),
        ("Principal and NotPrincipal exclude each other", PolicyKind::Resource,
            doc(r#"{"Effect":"Deny","Principal":"*","NotPrincipal":"*","Action":"kms:*","Resource":"*"}"#),
            E::Conflicting { at: s0.clone(), first: "Principal", second: "NotPrincipal" }),
        ("an action is service:name or *", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":"Encrypt","Resource":"*"}"#),
            E::InvalidAction { at: s0.clone(), element: "Action", value: "Encrypt".into() }),
        ("a resource is an ARN or *", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":"kms:*","NotResource":"key/1"}"#),
            E::InvalidResource { at: s0.clone(), element: "NotResource", value: "key/1".into() }),
        ("Action lists are not empty", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
            E::EmptyList { at: s0.clone(), element: "Action".into() }),
        ("Action holds strings", PolicyKind::Identity, doc(r#"{"Effect":"Allow","Action":[1],"Resource":"*"}"#),
            E::WrongType { at: Place::Statement(s0.clone()), element: "Action".into(), expected: "a string or a list of strings", found: "a number" }),
        ("identity policies name no principal", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#),
            E::PrincipalNotAllowed { at: s0.clone(), element: "Principal" }),
        ("identity policies take no NotPrincipal", PolicyKind::Identity,
            doc(r#"{"Effect":"Deny","NotPrincipal":"*","Action":"kms:*","Resource":"*"}"#),
            E::PrincipalNotAllowed { at: s0.clone(), element: "NotPrincipal" }),
        ("key policy statements name a principal", PolicyKind::Resource, doc(ALLOW_ALL),
            E::PrincipalRequired { at: s0.clone() }),
        ("NotPrincipal only with Deny", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#),
            E::NotPrincipalWithAllow { at: s0.clone() }),
        ("a string Principal is only \"*\"", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":"111122223333","Action":"kms:*","Resource":"*"}"#),
            E::InvalidPrincipal { at: s0.clone(), element: "Principal".into(), value: "111122223333".into(),
                reason: "a Principal given as a string must be \"*\"; name others as {\"AWS\": ...}" }),
        ("no partial wildcard in principal ARNs", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"kms:*","Resource":"*"}"#),
            E::InvalidPrincipal { at: s0.clone(), element: "Principal.AWS".into(), value: "arn:aws:iam::111122223333:user/*".into(),
                reason: "a wildcard cannot match part of a principal; use \"*\" alone, or a condition on aws:PrincipalArn" }),
        ("no wildcard account in principal ARNs", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"kms:*","Resource":"*"}"#),
            E::InvalidPrincipal { at: s0.clone(), element: "Principal.AWS".into(), value: "arn:aws:iam::*:root".into(),
                reason: "a wildcard cannot match part of a principal; use \"*\" alone, or a condition on aws:PrincipalArn" }),
        ("an AWS principal is an account, an ARN or *", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"kms:*","Resource":"*"}"#),
            E::InvalidPrincipal { at: s0.clone(), element: "Principal.AWS".into(), value: "alice".into(),
                reason: "expected \"*\", a 12-digit account ID, or an ARN" }),
        ("no wildcard in service principals", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"Service":"*"},"Action":"kms:*","Resource":"*"}"#),
            E::InvalidPrincipal { at: s0.clone(), element: "Principal.Service".into(), value: "*".into(),
                reason: "wildcards are not allowed in this principal type" }),
        ("principal types are AWS, Service, Federated, CanonicalUser", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"aws":"*"},"Action":"kms:*","Resource":"*"}"#),
            E::UnknownPrincipalType { at: s0.clone(), element: "Principal", kind: "aws".into() }),
        ("a principal object is not empty", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{},"Action":"kms:*","Resource":"*"}"#),
            E::EmptyList { at: s0.clone(), element: "Principal".into() }),
        ("principal lists are not empty", PolicyKind::Resource,
            doc(r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"kms:*","Resource":"*"}"#),
            E::EmptyList { at: s0.clone(), element: "Principal.AWS".into() }),
        ("Condition is an object", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":[]}"#),
            E::WrongType { at: Place::Statement(s0.clone()), element: "Condition".into(), expected: "an object", found: "a list" }),
        ("an operator maps keys to values", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":"x"}}"#),
            E::WrongType { at: Place::Statement(s0.clone()), element: "Condition.StringEquals".into(), expected: "an object", found: "a string" }),
        ("unknown operator", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringContains":{"k":"v"}}}"#),
            E::UnknownOperator { at: s0.clone(), operator: "StringContains".into() }),
        ("operator names are case-sensitive", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"stringequals":{"k":"v"}}}"#),
            E::UnknownOperator { at: s0.clone(), operator: "stringequals".into() }),
        ("unknown set qualifier", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}"#),
            E::UnknownOperator { at: s0.clone(), operator: "ForSomeValues:StringEquals".into() }),
        ("Null takes no IfExists", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}"#),
            E::OperatorNotAllowed { at: s0.clone(), operator: "NullIfExists".into(),
                reason: "Null already tests whether the key exists; it takes no IfExists or set qualifier" }),
        ("Null takes no set qualifier", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"ForAllValues:Null":{"k":"true"}}}"#),
            E::OperatorNotAllowed { at: s0.clone(), operator: "ForAllValues:Null".into(),
                reason: "Null already tests whether the key exists; it takes no IfExists or set qualifier" }),
        ("condition keys are not empty", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"":"v"}}}"#),
            E::EmptyConditionKey { at: s0.clone(), operator: "StringEquals".into() }),
        ("condition value lists are not empty", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"k":[]}}}"#),
            E::EmptyList { at: s0.clone(), element: "Condition.StringEquals.k".into() }),
        ("condition values are scalars", PolicyKind::Identity,
            doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}"#),
            E::WrongType { at: Place::Statement(s0.clone()), element: "Condition.StringEquals.k".into(),
                expected: "a string, number, boolean or a list of them", found: "an object" }),
    ];
    for (rule, kind, text, expected) in cases {
        match Policy::parse_as(&text, kind) {
            Ok(_) => panic!("{rule}: accepted\n{text}"),
            Err(e) => assert_eq!(e, expected, "{rule}"),
        }
    }
}

#[test]
fn typed_condition_values_are_checked_at_parse() {
    // Rule: Numeric, Date, Bool, Null, Binary and IP operators take no policy variables, so a
    // value they cannot read is refused when the document is read.
    let cases = [
        ("NumericEquals", "ten", "a number"),
        ("NumericLessThan", "NaN", "a number"),
        ("NumericGreaterThan", "inf", "a number"),
        (
            "DateLessThan",
            "yesterday",
            "an ISO 8601 date or epoch seconds",
        ),
        (
            "DateEquals",
            "2024-02-30",
            "an ISO 8601 date or epoch seconds",
        ),
        ("Bool", "yes", "\"true\" or \"false\""),
        ("Null", "1", "\"true\" or \"false\""),
        ("BinaryEquals", "not base64!", "base64"),
        ("IpAddress", "10.0.0.0/33", "an IP address or CIDR block"),
        ("NotIpAddress", "example.com", "an IP address or CIDR block"),
    ];
    for (operator, value, expected) in cases {
        let text = doc(&format!(
            r#"{{"Sid":"T","Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{{"{operator}":{{"kms:K":"{value}"}}}}}}"#
        ));
        let err = Policy::parse(&text).expect_err(operator);
        assert_eq!(
            err,
            PolicyError::InvalidConditionValue {
                at: st(0, Some("T")),
                operator: operator.into(),
                key: "kms:K".into(),
                value: value.into(),
                expected,
            },
            "{operator}"
        );
    }
}

#[test]
fn messages_name_the_statement_and_element() {
    // Rule: a refused configuration says what is wrong and where.
    let text = doc(&format!(
        r#"{ALLOW_ALL},{{"Sid":"Use","Effect":"Permit","Action":"kms:*","Resource":"*"}}"#
    ));
    let msg = Policy::parse(&text).unwrap_err().to_string();
    assert_eq!(
        msg,
        r#"Statement[1] (Sid "Use"): Effect must be "Allow" or "Deny", found "Permit""#
    );

    let msg = Policy::parse("{\"Statement\": [").unwrap_err().to_string();
    assert!(
        msg.starts_with("policy document is not valid JSON (line 1, column 15)"),
        "{msg}"
    );

    let msg = Policy::parse_as(&doc(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/*"},"Action":"kms:*","Resource":"*"}"#), PolicyKind::Resource)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(
            r#"Statement[0]: invalid principal "arn:aws:iam::1:user/*" in Principal.AWS"#
        ),
        "{msg}"
    );

    let msg = Policy::parse(&doc(r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}"#))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        r#"Statement[0]: condition "DateLessThan" on "aws:CurrentTime": value "soon" is not an ISO 8601 date or epoch seconds"#
    );
}

#[test]
fn generic_parse_accepts_both_kinds_shapes() {
    // Rule: without a kind, Principal is optional and Action/Resource are required.
    assert!(Policy::parse(&doc(ALLOW_ALL)).is_ok());
    assert!(Policy::parse(&doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#
    ))
    .is_ok());
    assert!(Policy::parse(&doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"kms:*"}"#
    ))
    .is_err());
    let _ = (ALICE, ACCOUNT);
}
