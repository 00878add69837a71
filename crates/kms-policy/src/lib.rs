//! The IAM policy language as AWS KMS evaluates it: key policies and identity policies,
//! their conditions and policy variables.
//!
//! Implements the "IAM JSON policy element reference"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html>) and
//! "Policy evaluation logic"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>)
//! for one policy at a time. A document is read once with [`Policy::parse_as`] (a bad one is
//! refused with a [`PolicyError`] naming the statement and element), then decides requests
//! with [`Policy::evaluate_detailed`]; [`combine`] merges the decisions of several policies.
//!
//! A key policy statement that names an account (`arn:aws:iam::111122223333:root` or the bare
//! ID) does not allow that account's users by itself: it delegates to the account's identity
//! policies. [`Evaluation::principal_match`] says [`PrincipalMatch::AccountDelegation`] in
//! that case, and the service must then require an identity-policy Allow as well.

mod condition;
mod context;
mod date;
mod document;
mod error;
mod evaluate;
mod pattern;
mod principal;

pub use context::{Context, Value};
pub use date::Timestamp;
pub use document::{Effect, Policy, PolicyKind, Statement, Version};
pub use error::{Place, PolicyError, StatementRef};
pub use evaluate::{combine, Decision, Evaluation, Request};
pub use principal::PrincipalMatch;
