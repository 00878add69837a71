//! Deciding a request against a policy, and combining the decisions of several policies.
//!
//! Implements "Policy evaluation logic"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>)
//! within one policy: a statement applies when its principal, action, resource and conditions
//! all cover the request; an applying Deny wins over any Allow. How a key policy's Allow of an
//! account combines with the account's identity policies ("Key policies in AWS KMS",
//! <https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html>) is left to the
//! caller, which [`Evaluation::principal_match`] tells what it needs.

use crate::context::Context;
use crate::document::{Effect, Patterns, Policy, PrincipalSpec, Statement, Version};
use crate::error::StatementRef;
use crate::pattern::Template;
use crate::principal::PrincipalMatch;

/// The request being authorized.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The caller's ARN (`arn:aws:iam::111122223333:user/alice`, an account root, or an
    /// `arn:aws:sts::...:assumed-role/...` session).
    pub principal: &'a str,
    /// The caller's account ID.
    pub principal_account: &'a str,
    /// The action, such as `kms:Encrypt`.
    pub action: &'a str,
    /// The resource ARN (the key or alias ARN), or `*` for actions without a resource.
    pub resource: &'a str,
    /// The condition keys of the request.
    pub context: &'a Context,
}

/// What one policy says about a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A statement allows the request.
    Allow,
    /// A statement explicitly denies the request.
    Deny,
    /// No statement applies (an implicit deny).
    NotApplicable,
}

/// The full answer of one policy: the decision, how the principal was covered, and which
/// statement decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Deny when a Deny statement applies; Allow when an Allow statement applies, whether it
    /// names the caller directly or only the caller's account; else NotApplicable.
    pub decision: Decision,
    /// For Allow: [`PrincipalMatch::Direct`] when some allowing statement covers the caller
    /// itself, [`PrincipalMatch::AccountDelegation`] when they only name its account (the
    /// account's identity policies must then allow too). For Deny, how the deny statement
    /// covered the caller (an account Deny denies all its principals). None otherwise.
    pub principal_match: PrincipalMatch,
    /// The statement that decided (the first applying Deny, or the allowing statement).
    pub statement: Option<StatementRef>,
}

impl Evaluation {
    /// The decision with account delegation resolved conservatively: an Allow that only
    /// names the caller's account counts as NotApplicable.
    pub fn direct_decision(&self) -> Decision {
        match (self.decision, self.principal_match) {
            (Decision::Allow, PrincipalMatch::AccountDelegation) => Decision::NotApplicable,
            (decision, _) => decision,
        }
    }
}

/// Combines the decisions of several policies: any explicit Deny wins, else any Allow, else
/// NotApplicable.
pub fn combine(decisions: impl IntoIterator<Item = Decision>) -> Decision {
    let mut combined = Decision::NotApplicable;
    for decision in decisions {
        match decision {
            Decision::Deny => return Decision::Deny,
            Decision::Allow => combined = Decision::Allow,
            Decision::NotApplicable => {}
        }
    }
    combined
}

impl Policy {
    /// Decides a request; an Allow here means the policy allows the caller by itself.
    ///
    /// An Allow that only names the caller's account (the account root principal of a key
    /// policy) is returned as NotApplicable, because it needs an identity policy to allow too;
    /// use [`Policy::evaluate_detailed`] to see it.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision {
        self.evaluate_detailed(request).direct_decision()
    }

    /// Decides a request and tells how the principal was covered and by which statement.
    pub fn evaluate_detailed(&self, request: &Request<'_>) -> Evaluation {
        let vars = |name: &str| variable(request, name);
        let mut allow: Option<(PrincipalMatch, &StatementRef)> = None;
        for statement in &self.statements {
            // Skip statements that do not cover the request.
            let covered = statement.covers(request, &vars);
            if covered == PrincipalMatch::None {
                continue;
            }

            // The first applying Deny decides; among Allows a direct one is preferred.
            match statement.effect {
                Effect::Deny => {
                    return Evaluation {
                        decision: Decision::Deny,
                        principal_match: covered,
                        statement: Some(statement.at.clone()),
                    };
                }
                Effect::Allow => {
                    if allow.is_none_or(|(best, _)| covered > best) {
                        allow = Some((covered, &statement.at));
                    }
                }
            }
        }
        match allow {
            Some((covered, at)) => Evaluation {
                decision: Decision::Allow,
                principal_match: covered,
                statement: Some(at.clone()),
            },
            None => Evaluation {
                decision: Decision::NotApplicable,
                principal_match: PrincipalMatch::None,
                statement: None,
            },
        }
    }

    /// Whether policy variables are substituted in this document.
    pub fn uses_variables(&self) -> bool {
        self.version == Version::V2012_10_17
    }
}

impl Statement {
    /// How the statement covers the request: None unless principal, action, resource and
    /// every condition all do.
    fn covers(
        &self,
        request: &Request<'_>,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> PrincipalMatch {
        // The principal.
        let covered = match &self.principal {
            PrincipalSpec::Owner => PrincipalMatch::Direct,
            PrincipalSpec::Is(p) => p.grant(request.principal, request.principal_account),
            PrincipalSpec::Not(p) if p.exempts(request.principal, request.principal_account) => {
                PrincipalMatch::None
            }
            PrincipalSpec::Not(_) => PrincipalMatch::Direct,
        };
        if covered == PrincipalMatch::None {
            return PrincipalMatch::None;
        }

        // The action (case-insensitive), then the resource (case-sensitive).
        let action = self
            .action
            .as_ref()
            .is_some_and(|a| a.covers(request.action, vars, true));
        let resource = action
            && self
                .resource
                .as_ref()
                .is_some_and(|r| r.covers(request.resource, vars, false));
        if !resource {
            return PrincipalMatch::None;
        }

        // Every condition.
        if self
            .conditions
            .iter()
            .all(|c| c.holds(request.context, vars))
        {
            covered
        } else {
            PrincipalMatch::None
        }
    }
}

impl Patterns {
    /// Whether the patterns cover `text` (for the Not form: whether none matches it).
    fn covers(&self, text: &str, vars: &dyn Fn(&str) -> Option<String>, fold_case: bool) -> bool {
        let any = |list: &[Template]| list.iter().any(|t| t.matches(text, vars, fold_case));
        match self {
            Patterns::Is(list) => any(list),
            Patterns::Not(list) => !any(list),
        }
    }
}

/// The value of a policy variable: a single-valued context key, else for
/// `aws:PrincipalAccount` and `aws:PrincipalArn` the request's own principal fields.
fn variable(request: &Request<'_>, name: &str) -> Option<String> {
    if let Some(value) = request.context.variable(name) {
        return Some(value);
    }
    if name.eq_ignore_ascii_case("aws:PrincipalAccount") {
        return Some(request.principal_account.to_owned());
    }
    if name.eq_ignore_ascii_case("aws:PrincipalArn") {
        return Some(request.principal.to_owned());
    }
    None
}
