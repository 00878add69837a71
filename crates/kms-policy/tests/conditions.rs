//! Condition operators: each with the key present, absent, IfExists and the set qualifiers.
//!
//! Rules from "IAM JSON policy elements: Condition operators" and "Single-valued vs.
//! multivalued context keys" of the IAM User Guide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::IpAddr;

use common::*;
use kms_policy::{Context, Timestamp, Value};

#[test]
fn string_operators() {
    run_conditions(&[
        (
            "StringEquals matches exactly",
            r#"{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}"#,
            s("kms:KeySpec", "SYMMETRIC_DEFAULT"),
            true,
        ),
        (
            "StringEquals is case-sensitive",
            r#"{"StringEquals":{"kms:KeySpec":"symmetric_default"}}"#,
            s("kms:KeySpec", "SYMMETRIC_DEFAULT"),
            false,
        ),
        (
            "StringEquals takes * literally",
            r#"{"StringEquals":{"k":"a*"}}"#,
            s("k", "abc"),
            false,
        ),
        (
            "StringEquals values are ORed",
            r#"{"StringEquals":{"k":["x","y"]}}"#,
            s("k", "y"),
            true,
        ),
        (
            "StringEquals on a missing key is false",
            r#"{"StringEquals":{"k":"x"}}"#,
            none(),
            false,
        ),
        (
            "key names are case-insensitive",
            r#"{"StringEquals":{"KMS:keyspec":"A"}}"#,
            s("kms:KeySpec", "A"),
            true,
        ),
        (
            "StringNotEquals true when no value matches",
            r#"{"StringNotEquals":{"k":["x","y"]}}"#,
            s("k", "z"),
            true,
        ),
        (
            "StringNotEquals false when one matches",
            r#"{"StringNotEquals":{"k":["x","y"]}}"#,
            s("k", "x"),
            false,
        ),
        (
            "StringNotEquals on a missing key is true",
            r#"{"StringNotEquals":{"k":"x"}}"#,
            none(),
            true,
        ),
        (
            "StringEqualsIgnoreCase folds case",
            r#"{"StringEqualsIgnoreCase":{"k":"Hello"}}"#,
            s("k", "hELLO"),
            true,
        ),
        (
            "StringNotEqualsIgnoreCase folds case",
            r#"{"StringNotEqualsIgnoreCase":{"k":"Hello"}}"#,
            s("k", "HELLO"),
            false,
        ),
        (
            "StringNotEqualsIgnoreCase missing key is true",
            r#"{"StringNotEqualsIgnoreCase":{"k":"Hello"}}"#,
            none(),
            true,
        ),
        (
            "StringLike *",
            r#"{"StringLike":{"k":"alias/prod-*"}}"#,
            s("k", "alias/prod-db"),
            true,
        ),
        (
            "StringLike ?",
            r#"{"StringLike":{"k":"v?"}}"#,
            s("k", "v1"),
            true,
        ),
        (
            "StringLike ? is exactly one char",
            r#"{"StringLike":{"k":"v?"}}"#,
            s("k", "v12"),
            false,
        ),
        (
            "StringLike is case-sensitive",
            r#"{"StringLike":{"k":"A*"}}"#,
            s("k", "abc"),
            false,
        ),
        (
            "StringLike * crosses / and :",
            r#"{"StringLike":{"k":"a*z"}}"#,
            s("k", "a/b:c/z"),
            true,
        ),
        (
            "StringLike missing key is false",
            r#"{"StringLike":{"k":"*"}}"#,
            none(),
            false,
        ),
        (
            "StringNotLike",
            r#"{"StringNotLike":{"k":["a*","b*"]}}"#,
            s("k", "cat"),
            true,
        ),
        (
            "StringNotLike matching",
            r#"{"StringNotLike":{"k":["a*","b*"]}}"#,
            s("k", "bat"),
            false,
        ),
        (
            "StringNotLike missing key is true",
            r#"{"StringNotLike":{"k":"a*"}}"#,
            none(),
            true,
        ),
        (
            "String operators compare numbers as text",
            r#"{"StringEquals":{"k":"365"}}"#,
            Context::new().with("k", 365i64),
            true,
        ),
        (
            "String operators compare booleans as text",
            r#"{"StringEquals":{"k":"true"}}"#,
            Context::new().with("k", true),
            true,
        ),
        (
            "JSON number policy values are text",
            r#"{"StringEquals":{"k":7}}"#,
            s("k", "7"),
            true,
        ),
        (
            "empty string is a value",
            r#"{"StringEquals":{"k":""}}"#,
            s("k", ""),
            true,
        ),
    ]);
}

#[test]
fn numeric_operators() {
    let n = |v: f64| Context::new().with("kms:RotationPeriodInDays", v);
    run_conditions(&[
        (
            "NumericEquals",
            r#"{"NumericEquals":{"kms:RotationPeriodInDays":"365"}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericEquals compares numbers, not text",
            r#"{"NumericEquals":{"kms:RotationPeriodInDays":"365.0"}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericEquals takes JSON numbers",
            r#"{"NumericEquals":{"kms:RotationPeriodInDays":365}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericEquals reads a string context value",
            r#"{"NumericEquals":{"k":"10"}}"#,
            s("k", "10"),
            true,
        ),
        (
            "NumericEquals unreadable context value is no match",
            r#"{"NumericEquals":{"k":"10"}}"#,
            s("k", "ten"),
            false,
        ),
        (
            "NumericNotEquals",
            r#"{"NumericNotEquals":{"kms:RotationPeriodInDays":["90","180"]}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericNotEquals matching",
            r#"{"NumericNotEquals":{"kms:RotationPeriodInDays":["90","180"]}}"#,
            n(90.0),
            false,
        ),
        (
            "NumericNotEquals missing key is true",
            r#"{"NumericNotEquals":{"k":"1"}}"#,
            none(),
            true,
        ),
        (
            "NumericLessThan",
            r#"{"NumericLessThan":{"kms:RotationPeriodInDays":"366"}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericLessThan strict",
            r#"{"NumericLessThan":{"kms:RotationPeriodInDays":"365"}}"#,
            n(365.0),
            false,
        ),
        (
            "NumericLessThanEquals",
            r#"{"NumericLessThanEquals":{"kms:RotationPeriodInDays":"365"}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericGreaterThan",
            r#"{"NumericGreaterThan":{"kms:RotationPeriodInDays":"90"}}"#,
            n(365.0),
            true,
        ),
        (
            "NumericGreaterThan strict",
            r#"{"NumericGreaterThan":{"kms:RotationPeriodInDays":"365"}}"#,
            n(365.0),
            false,
        ),
        (
            "NumericGreaterThanEquals",
            r#"{"NumericGreaterThanEquals":{"kms:RotationPeriodInDays":"365"}}"#,
            n(365.0),
            true,
        ),
        (
            "Numeric decimals",
            r#"{"NumericLessThan":{"k":"1.5"}}"#,
            Context::new().with("k", 1.25),
            true,
        ),
        (
            "Numeric negatives",
            r#"{"NumericGreaterThan":{"k":"-3"}}"#,
            Context::new().with("k", -2i64),
            true,
        ),
        (
            "NumericLessThan missing key is false",
            r#"{"NumericLessThan":{"k":"1"}}"#,
            none(),
            false,
        ),
        (
            "Numeric values are ORed",
            r#"{"NumericEquals":{"k":["1","2"]}}"#,
            Context::new().with("k", 2i64),
            true,
        ),
    ]);
}

#[test]
fn date_operators() {
    let t = |text: &str| Context::new().with("aws:CurrentTime", Timestamp::parse(text).unwrap());
    let noon = "2024-05-01T12:00:00Z";
    run_conditions(&[
        (
            "DateEquals ISO",
            r#"{"DateEquals":{"aws:CurrentTime":"2024-05-01T12:00:00Z"}}"#,
            t(noon),
            true,
        ),
        (
            "DateEquals across zones",
            r#"{"DateEquals":{"aws:CurrentTime":"2024-05-01T14:00:00+02:00"}}"#,
            t(noon),
            true,
        ),
        (
            "DateEquals epoch policy value",
            r#"{"DateEquals":{"aws:CurrentTime":"1714564800"}}"#,
            t(noon),
            true,
        ),
        (
            "DateEquals epoch JSON number",
            r#"{"DateEquals":{"aws:CurrentTime":1714564800}}"#,
            t(noon),
            true,
        ),
        (
            "DateNotEquals",
            r#"{"DateNotEquals":{"aws:CurrentTime":"2024-05-01"}}"#,
            t(noon),
            true,
        ),
        (
            "DateNotEquals missing key is true",
            r#"{"DateNotEquals":{"aws:CurrentTime":"2024-05-01"}}"#,
            none(),
            true,
        ),
        (
            "DateLessThan",
            r#"{"DateLessThan":{"aws:CurrentTime":"2024-05-02"}}"#,
            t(noon),
            true,
        ),
        (
            "DateLessThan strict",
            r#"{"DateLessThan":{"aws:CurrentTime":"2024-05-01T12:00:00Z"}}"#,
            t(noon),
            false,
        ),
        (
            "DateLessThanEquals",
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-05-01T12:00:00Z"}}"#,
            t(noon),
            true,
        ),
        (
            "DateGreaterThan date-only is midnight UTC",
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2024-05-01"}}"#,
            t(noon),
            true,
        ),
        (
            "DateGreaterThanEquals",
            r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-05-01T12:00:00.001Z"}}"#,
            t(noon),
            false,
        ),
        (
            "DateLessThan missing key is false",
            r#"{"DateLessThan":{"aws:CurrentTime":"2100-01-01"}}"#,
            none(),
            false,
        ),
        (
            "context date as ISO text",
            r#"{"DateLessThan":{"kms:ValidTo":"2025-01-01"}}"#,
            s("kms:ValidTo", "2024-06-01T00:00:00Z"),
            true,
        ),
        (
            "context date as epoch number",
            r#"{"DateLessThan":{"kms:ValidTo":"2025-01-01"}}"#,
            Context::new().with("kms:ValidTo", 1_717_200_000i64),
            true,
        ),
        (
            "context date as epoch text",
            r#"{"DateGreaterThan":{"kms:ValidTo":"2024-01-01"}}"#,
            s("kms:ValidTo", "1717200000"),
            true,
        ),
        (
            "unreadable context date is no match",
            r#"{"DateLessThan":{"kms:ValidTo":"2025-01-01"}}"#,
            s("kms:ValidTo", "someday"),
            false,
        ),
    ]);
}

#[test]
fn bool_binary_null() {
    let tls = |b: bool| Context::new().with("aws:SecureTransport", b);
    run_conditions(&[
        (
            "Bool true",
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            tls(true),
            true,
        ),
        (
            "Bool false",
            r#"{"Bool":{"aws:SecureTransport":"false"}}"#,
            tls(true),
            false,
        ),
        (
            "Bool JSON boolean",
            r#"{"Bool":{"aws:SecureTransport":true}}"#,
            tls(true),
            true,
        ),
        (
            "Bool policy value case-insensitive",
            r#"{"Bool":{"aws:SecureTransport":"TRUE"}}"#,
            tls(true),
            true,
        ),
        (
            "Bool reads string context",
            r#"{"Bool":{"kms:MultiRegion":"true"}}"#,
            s("kms:MultiRegion", "True"),
            true,
        ),
        (
            "Bool missing key is false",
            r#"{"Bool":{"aws:SecureTransport":"false"}}"#,
            none(),
            false,
        ),
        (
            "BoolIfExists missing key is true",
            r#"{"BoolIfExists":{"aws:SecureTransport":"false"}}"#,
            none(),
            true,
        ),
        (
            "BinaryEquals bytes",
            r#"{"BinaryEquals":{"k":"QmluYXJ5"}}"#,
            Context::new().with_values("k", vec![Value::Binary(b"Binary".to_vec())]),
            true,
        ),
        (
            "BinaryEquals base64 text context",
            r#"{"BinaryEquals":{"k":"QmluYXJ5"}}"#,
            s("k", "QmluYXJ5"),
            true,
        ),
        (
            "BinaryEquals different bytes",
            r#"{"BinaryEquals":{"k":"QmluYXJ5"}}"#,
            Context::new().with("k", Value::Binary(b"other".to_vec())),
            false,
        ),
        (
            "BinaryEquals missing key is false",
            r#"{"BinaryEquals":{"k":"QmluYXJ5"}}"#,
            none(),
            false,
        ),
        (
            "Null true on a missing key",
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            none(),
            true,
        ),
        (
            "Null true on a present key",
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            s("aws:TokenIssueTime", "x"),
            false,
        ),
        (
            "Null false on a present key",
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            s("aws:TokenIssueTime", "x"),
            true,
        ),
        (
            "Null false on a missing key",
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            none(),
            false,
        ),
        ("Null JSON boolean", r#"{"Null":{"k":true}}"#, none(), true),
        (
            "Null: an empty list is a null data set",
            r#"{"Null":{"k":"true"}}"#,
            Context::new().with_strings("k", Vec::<String>::new()),
            true,
        ),
    ]);
}

#[test]
fn ip_operators() {
    let ip = |text: &str| Context::new().with("aws:SourceIp", text.parse::<IpAddr>().unwrap());
    run_conditions(&[
        (
            "IpAddress v4 CIDR",
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            ip("203.0.113.7"),
            true,
        ),
        (
            "IpAddress v4 outside",
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            ip("203.0.114.7"),
            false,
        ),
        (
            "IpAddress bare address is /32",
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#,
            ip("203.0.113.7"),
            true,
        ),
        (
            "IpAddress /0 is every v4 address",
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            ip("198.51.100.1"),
            true,
        ),
        (
            "IpAddress values are ORed",
            r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#,
            ip("10.1.2.3"),
            true,
        ),
        (
            "IpAddress v6 CIDR",
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}"#,
            ip("2001:db8:1234:ffff::1"),
            true,
        ),
        (
            "IpAddress v6 outside",
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}"#,
            ip("2001:db8:1235::1"),
            false,
        ),
        (
            "IpAddress v4 block never holds a v6 address",
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            ip("::1"),
            false,
        ),
        (
            "IpAddress reads string context",
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            s("aws:SourceIp", "10.9.9.9"),
            true,
        ),
        (
            "IpAddress missing key is false",
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            none(),
            false,
        ),
        (
            "NotIpAddress outside",
            r#"{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}"#,
            ip("192.0.2.1"),
            true,
        ),
        (
            "NotIpAddress inside",
            r#"{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}"#,
            ip("2001:db8::5"),
            false,
        ),
        (
            "NotIpAddress missing key is true",
            r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            none(),
            true,
        ),
        (
            "NotIpAddressIfExists missing key is true",
            r#"{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            none(),
            true,
        ),
    ]);
}

#[test]
fn arn_operators() {
    let arn = |text: &str| Context::new().with("aws:PrincipalArn", Value::Arn(text.into()));
    run_conditions(&[
        (
            "ArnEquals exact",
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}}"#,
            arn(ALICE),
            true,
        ),
        (
            "ArnEquals takes wildcards like ArnLike",
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#,
            arn(ALICE),
            true,
        ),
        (
            "ArnLike per-segment wildcard",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}"#,
            arn(ROOT),
            true,
        ),
        (
            "ArnLike * stays in its segment",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}"#,
            arn("arn:aws:iam::1:x:root"),
            false,
        ),
        (
            "ArnLike is case-sensitive",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/Alice"}}"#,
            arn(ALICE),
            false,
        ),
        (
            "ArnLike resource part may hold colons",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:logs:*:*:log-group:app:*"}}"#,
            arn("arn:aws:logs:us-east-1:1:log-group:app:log-stream:x"),
            true,
        ),
        (
            "ArnLike needs six parts in the request value",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:*"}}"#,
            arn("arn:aws:iam"),
            false,
        ),
        (
            "ArnLike a short pattern matches whole",
            r#"{"ArnLike":{"aws:PrincipalArn":"*"}}"#,
            arn(ALICE),
            true,
        ),
        (
            "ArnLike reads string context",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/a*"}}"#,
            s("aws:PrincipalArn", ALICE),
            true,
        ),
        (
            "ArnLike missing key is false",
            r#"{"ArnLike":{"k":"*"}}"#,
            none(),
            false,
        ),
        (
            "ArnNotEquals",
            r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/admin"}}"#,
            arn(ALICE),
            true,
        ),
        (
            "ArnNotLike matching",
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}"#,
            arn(ALICE),
            false,
        ),
        (
            "ArnNotLike missing key is true",
            r#"{"ArnNotLike":{"aws:PrincipalArn":"*"}}"#,
            none(),
            true,
        ),
    ]);
}
