//! Helpers shared by the policy test suites.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kms_policy::{Context, Decision, Evaluation, Policy, PolicyKind, Request};

/// An IAM user of account 111122223333.
pub const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
/// The account of [`ALICE`].
pub const ACCOUNT: &str = "111122223333";
/// The root user of [`ACCOUNT`].
pub const ROOT: &str = "arn:aws:iam::111122223333:root";
/// A user of another account.
pub const MALLORY: &str = "arn:aws:iam::444455556666:user/mallory";
/// The account of [`MALLORY`].
pub const OTHER_ACCOUNT: &str = "444455556666";
/// A key of [`ACCOUNT`].
pub const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// Parses a document or fails the test with the error.
pub fn policy(doc: &str, kind: PolicyKind) -> Policy {
    Policy::parse_as(doc, kind).unwrap_or_else(|e| panic!("{e}\n{doc}"))
}

/// A request with the given fields.
pub fn request<'a>(
    principal: &'a str,
    action: &'a str,
    resource: &'a str,
    context: &'a Context,
) -> Request<'a> {
    let account = principal.split(':').nth(4).unwrap_or("");
    Request {
        principal,
        principal_account: account,
        action,
        resource,
        context,
    }
}

/// The detailed evaluation of one request.
pub fn evaluate(
    p: &Policy,
    principal: &str,
    action: &str,
    resource: &str,
    context: &Context,
) -> Evaluation {
    p.evaluate_detailed(&request(principal, action, resource, context))
}

/// Whether an identity policy of one Allow statement with this Condition allows the request.
pub fn condition_holds(condition: &str, context: &Context) -> bool {
    condition_holds_in(condition, context, "2012-10-17")
}

/// [`condition_holds`] for a given Version.
pub fn condition_holds_in(condition: &str, context: &Context, version: &str) -> bool {
    let doc = format!(
        r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{condition}}}}}"#
    );
    let p = policy(&doc, PolicyKind::Identity);
    p.evaluate(&request(ALICE, "kms:Encrypt", KEY, context)) == Decision::Allow
}

/// Runs a table of (rule, condition JSON, context, expected).
pub fn run_conditions(cases: &[(&str, &str, Context, bool)]) {
    for (rule, condition, context, expected) in cases {
        assert_eq!(
            condition_holds(condition, context),
            *expected,
            "{rule}: {condition}"
        );
    }
}

pub fn s(key: &str, value: &str) -> Context {
    Context::new().with(key, value)
}

pub fn none() -> Context {
    Context::new()
}
