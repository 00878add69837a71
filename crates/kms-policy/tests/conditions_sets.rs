//! Condition operators, continued: IfExists, the set qualifiers ForAllValues and
//! ForAnyValue, combining keys and operators, and the KMS condition keys.
//!
//! Rules from "IAM JSON policy elements: Condition operators" and "Single-valued vs.
//! multivalued context keys" of the IAM User Guide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kms_policy::{Context, Value};

#[test]
fn if_exists() {
    run_conditions(&[
        (
            "IfExists: missing key passes",
            r#"{"StringEqualsIfExists":{"kms:EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}"#,
            none(),
            true,
        ),
        (
            "IfExists: present key is checked (match)",
            r#"{"StringEqualsIfExists":{"kms:EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}"#,
            s("kms:EncryptionAlgorithm", "RSAES_OAEP_SHA_256"),
            true,
        ),
        (
            "IfExists: present key is checked (no match)",
            r#"{"StringEqualsIfExists":{"kms:EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}"#,
            s("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT"),
            false,
        ),
        (
            "IfExists on a negated operator: missing key passes",
            r#"{"StringNotEqualsIfExists":{"k":"x"}}"#,
            none(),
            true,
        ),
        (
            "IfExists on a negated operator: present and equal fails",
            r#"{"StringNotEqualsIfExists":{"k":"x"}}"#,
            s("k", "x"),
            false,
        ),
        (
            "NumericLessThanIfExists missing",
            r#"{"NumericLessThanIfExists":{"k":"1"}}"#,
            none(),
            true,
        ),
        (
            "NumericLessThanIfExists present",
            r#"{"NumericLessThanIfExists":{"k":"1"}}"#,
            Context::new().with("k", 2i64),
            false,
        ),
        (
            "DateGreaterThanIfExists missing",
            r#"{"DateGreaterThanIfExists":{"k":"2024-01-01"}}"#,
            none(),
            true,
        ),
        (
            "IpAddressIfExists missing",
            r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            none(),
            true,
        ),
        (
            "ArnLikeIfExists missing",
            r#"{"ArnLikeIfExists":{"k":"arn:*"}}"#,
            none(),
            true,
        ),
        (
            "BinaryEqualsIfExists missing",
            r#"{"BinaryEqualsIfExists":{"k":"QmluYXJ5"}}"#,
            none(),
            true,
        ),
        (
            "IfExists: an empty list is absent",
            r#"{"StringEqualsIfExists":{"k":"x"}}"#,
            Context::new().with_strings("k", Vec::<String>::new()),
            true,
        ),
    ]);
}

#[test]
fn set_qualifiers() {
    let keys = |list: &[&str]| {
        Context::new().with_strings("kms:EncryptionContextKeys", list.iter().copied())
    };
    let empty = || keys(&[]);
    run_conditions(&[
        (
            "ForAllValues: every request value in the policy set",
            r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}"#,
            keys(&["a", "b"]),
            true,
        ),
        (
            "ForAllValues: a subset passes",
            r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}"#,
            keys(&["a"]),
            true,
        ),
        (
            "ForAllValues: one value outside fails",
            r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}"#,
            keys(&["a", "c"]),
            false,
        ),
        (
            "ForAllValues: missing key is vacuously true",
            r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a"]}}"#,
            none(),
            true,
        ),
        (
            "ForAllValues: empty set is vacuously true",
            r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a"]}}"#,
            empty(),
            true,
        ),
        (
            "ForAllValues: StringLike",
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}}"#,
            Context::new().with_strings("aws:TagKeys", ["CreatedBy", "CreatedAt"]),
            true,
        ),
        (
            "ForAllValues: single-valued key is a set of one",
            r#"{"ForAllValues:StringEquals":{"k":["a","b"]}}"#,
            s("k", "b"),
            true,
        ),
        (
            "ForAllValues negated: no value in the set",
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["Owner","Cost"]}}"#,
            Context::new().with_strings("aws:TagKeys", ["Env", "App"]),
            true,
        ),
        (
            "ForAllValues negated: one value in the set fails",
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["Owner","Cost"]}}"#,
            Context::new().with_strings("aws:TagKeys", ["Env", "Owner"]),
            false,
        ),
        (
            "ForAllValues negated: missing key is true",
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":"Owner"}}"#,
            none(),
            true,
        ),
        (
            "ForAnyValue: one match is enough",
            r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}"#,
            keys(&["x", "b"]),
            true,
        ),
        (
            "ForAnyValue: no match fails",
            r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}"#,
            keys(&["x", "y"]),
            false,
        ),
        (
            "ForAnyValue: missing key is false",
            r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"a"}}"#,
            none(),
            false,
        ),
        (
            "ForAnyValue: empty set is false",
            r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"a"}}"#,
            empty(),
            false,
        ),
        (
            "ForAnyValue negated: some value outside the set",
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["Owner"]}}"#,
            Context::new().with_strings("aws:TagKeys", ["Owner", "Env"]),
            true,
        ),
        (
            "ForAnyValue negated: all inside fails",
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["Owner"]}}"#,
            Context::new().with_strings("aws:TagKeys", ["Owner"]),
            false,
        ),
        (
            "ForAnyValue negated: missing key is false (null set)",
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["Owner"]}}"#,
            none(),
            false,
        ),
        (
            "ForAnyValue IfExists: missing key passes",
            r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}"#,
            none(),
            true,
        ),
        (
            "ForAnyValue over ARNs",
            r#"{"ForAnyValue:ArnLike":{"k":"arn:aws:kms:*:111122223333:alias/prod-*"}}"#,
            Context::new().with_strings("k", ["arn:aws:kms:us-east-1:111122223333:alias/prod-db"]),
            true,
        ),
        (
            "ForAnyValue over numbers",
            r#"{"ForAnyValue:NumericGreaterThan":{"k":"10"}}"#,
            Context::new().with_values("k", vec![Value::Number(1.0), Value::Number(11.0)]),
            true,
        ),
        (
            "ForAnyValue IgnoreCase",
            r#"{"ForAnyValue:StringEqualsIgnoreCase":{"kms:GrantOperations":"decrypt"}}"#,
            Context::new().with_strings("kms:GrantOperations", ["Encrypt", "Decrypt"]),
            true,
        ),
        (
            "unqualified operator on a list: any value matching",
            r#"{"StringEquals":{"k":"b"}}"#,
            Context::new().with_strings("k", ["a", "b"]),
            true,
        ),
        (
            "unqualified negated operator on a list: none may match",
            r#"{"StringNotEquals":{"k":"b"}}"#,
            Context::new().with_strings("k", ["a", "b"]),
            false,
        ),
    ]);
}

#[test]
fn combining_keys_and_operators() {
    let ctx = Context::new()
        .with("kms:CallerAccount", ACCOUNT)
        .with("kms:ViaService", "ec2.us-east-1.amazonaws.com");
    run_conditions(&[
        (
            "keys within one operator are ANDed (both hold)",
            r#"{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"ec2.us-east-1.amazonaws.com"}}"#,
            ctx.clone(),
            true,
        ),
        (
            "keys within one operator are ANDed (one fails)",
            r#"{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}"#,
            ctx.clone(),
            false,
        ),
        (
            "operators are ANDed (both hold)",
            r#"{"StringEquals":{"kms:CallerAccount":"111122223333"},"StringLike":{"kms:ViaService":"ec2.*"}}"#,
            ctx.clone(),
            true,
        ),
        (
            "operators are ANDed (one fails)",
            r#"{"StringEquals":{"kms:CallerAccount":"111122223333"},"StringLike":{"kms:ViaService":"s3.*"}}"#,
            ctx.clone(),
            false,
        ),
        ("an empty Condition holds", r#"{}"#, none(), true),
        (
            "an operator with no keys holds",
            r#"{"StringEquals":{}}"#,
            none(),
            true,
        ),
    ]);
}

#[test]
fn kms_condition_keys() {
    // Rule: kms:EncryptionContext:<key> keys work like any other key; names are
    // case-insensitive in the policy.
    let ctx = Context::new()
        .with("kms:EncryptionContext:Department", "IT")
        .with_strings("kms:EncryptionContextKeys", ["Department"]);
    run_conditions(&[
        (
            "kms:EncryptionContext:<key> StringEquals",
            r#"{"StringEquals":{"kms:EncryptionContext:Department":"IT"}}"#,
            ctx.clone(),
            true,
        ),
        (
            "kms:EncryptionContext:<key> case-insensitive name",
            r#"{"StringEquals":{"kms:encryptioncontext:department":"IT"}}"#,
            ctx.clone(),
            true,
        ),
        (
            "kms:EncryptionContext:<key> value case-sensitive",
            r#"{"StringEquals":{"kms:EncryptionContext:Department":"it"}}"#,
            ctx.clone(),
            false,
        ),
        (
            "encryption context required: Null false",
            r#"{"Null":{"kms:EncryptionContextKeys":"false"}}"#,
            ctx.clone(),
            true,
        ),
        (
            "encryption context required: Null false without context",
            r#"{"Null":{"kms:EncryptionContextKeys":"false"}}"#,
            none(),
            false,
        ),
    ]);
}
