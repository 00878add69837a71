//! The Principal and NotPrincipal elements.
//!
//! Implements "AWS JSON policy elements: Principal"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>)
//! and "NotPrincipal"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>).
//! An account principal (`123456789012` or `arn:aws:iam::123456789012:root`) stands for the
//! account: it delegates to the account's identity policies rather than naming its users.

use serde_json::Value as Json;

use crate::error::{json_type, PolicyError, StatementRef};

/// How a statement's Principal covers the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// The statement does not cover the caller.
    None,
    /// The statement names the caller's account; an Allow then needs an identity policy of the
    /// account that allows the caller too (the caller is not the account root).
    AccountDelegation,
    /// The statement names the caller itself (its ARN, its role, `*`, or — for the account
    /// root user — its account), or has no Principal (an identity policy).
    Direct,
}

/// One entry of a Principal element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Anyone,
    /// An account, written as its ID or its root ARN (partition given only by the ARN form).
    Account {
        id: String,
        partition: Option<String>,
    },
    /// Any other AWS ARN (user, role, assumed-role session, federated user) or unique ID.
    Aws(String),
    /// A `Service`, `Federated` or `CanonicalUser` name, compared as written.
    Other(String),
}

/// A parsed Principal or NotPrincipal element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Principals {
    entries: Vec<Entry>,
}

/// The parts of a caller's ARN that principal matching needs.
struct Caller<'a> {
    arn: &'a str,
    account: &'a str,
    partition: Option<&'a str>,
    /// For `arn:P:sts::A:assumed-role/Name/Session`: the role name.
    role_name: Option<&'a str>,
    is_root: bool,
}

impl<'a> Caller<'a> {
    /// Splits the caller's ARN.
    fn new(arn: &'a str, account: &'a str) -> Caller<'a> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let (partition, service, resource) = match parts.as_slice() {
            ["arn", partition, service, _, _, resource] => (Some(*partition), *service, *resource),
            _ => (None, "", ""),
        };
        let role_name = match (service, resource.split('/').collect::<Vec<_>>().as_slice()) {
            ("sts", ["assumed-role", name, _session]) => Some(*name),
            _ => None,
        };
        let is_root = service == "iam" && resource == "root" && arn_account(arn) == Some(account);
        Caller {
            arn,
            account,
            partition,
            role_name,
            is_root,
        }
    }
}

/// The account field of an ARN.
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

impl Entry {
    /// How this entry covers the caller under Principal rules.
    fn grant(&self, caller: &Caller<'_>) -> PrincipalMatch {
        match self {
            Entry::Anyone => PrincipalMatch::Direct,
            Entry::Account { id, partition } => {
                let same_partition = match (partition, caller.partition) {
                    (Some(p), Some(c)) => p == c,
                    _ => true,
                };
                if id != caller.account || !same_partition {
                    PrincipalMatch::None
                } else if caller.is_root {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::AccountDelegation
                }
            }
            Entry::Aws(arn) if arn == caller.arn || is_role_of_session(arn, caller) => {
                PrincipalMatch::Direct
            }
            Entry::Other(name) if name == caller.arn => PrincipalMatch::Direct,
            _ => PrincipalMatch::None,
        }
    }
}

/// Whether `arn` is the IAM role (any path) whose session the caller is.
fn is_role_of_session(arn: &str, caller: &Caller<'_>) -> bool {
    let Some(session_role) = caller.role_name else {
        return false;
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => {
            let name = resource
                .strip_prefix("role/")
                .and_then(|r| r.rsplit('/').next());
            Some(*partition) == caller.partition
                && *account == caller.account
                && name == Some(session_role)
        }
        _ => false,
    }
}

impl Principals {
    /// How a Principal element covers the caller: the best of its entries.
    pub(crate) fn grant(&self, caller_arn: &str, caller_account: &str) -> PrincipalMatch {
        let caller = Caller::new(caller_arn, caller_account);
        self.entries
            .iter()
            .map(|e| e.grant(&caller))
            .max()
            .unwrap_or(PrincipalMatch::None)
    }

    /// Whether a NotPrincipal element exempts the caller.
    ///
    /// AWS checks each identity in the caller's chain (its account, then its role for a role
    /// session, then the caller itself) against NotPrincipal; the caller escapes the statement
    /// only when every one of them is listed. So an account entry alone does not exempt the
    /// account's users, and a user entry alone does not exempt the user.
    pub(crate) fn exempts(&self, caller_arn: &str, caller_account: &str) -> bool {
        let caller = Caller::new(caller_arn, caller_account);
        if self.entries.contains(&Entry::Anyone) {
            return true;
        }
        let self_listed = self.entries.iter().any(|e| match e {
            Entry::Aws(arn) | Entry::Other(arn) => arn == caller.arn,
            _ => false,
        });
        if caller.partition.is_none() {
            // A caller that is no ARN (a service principal) is its own whole chain.
            return self_listed;
        }
        let account_listed = self.entries.iter().any(|e| {
            e.grant(&caller) != PrincipalMatch::None && matches!(e, Entry::Account { .. })
        });
        if caller.is_root {
            return account_listed;
        }
        let role_listed = caller.role_name.is_none()
            || self
                .entries
                .iter()
                .any(|e| matches!(e, Entry::Aws(arn) if is_role_of_session(arn, &caller)));
        account_listed && role_listed && self_listed
    }
}

/// Reads a Principal or NotPrincipal element (`element` names which, for messages).
pub(crate) fn parse(
    value: &Json,
    element: &'static str,
    at: &StatementRef,
) -> Result<Principals, PolicyError> {
    // `"*"` alone means everyone.
    let map = match value {
        Json::String(s) if s == "*" => {
            return Ok(Principals {
                entries: vec![Entry::Anyone],
            })
        }
        Json::String(s) => {
            return Err(PolicyError::InvalidPrincipal {
                at: at.clone(),
                element: element.to_owned(),
                value: s.clone(),
                reason:
                    "a Principal given as a string must be \"*\"; name others as {\"AWS\": ...}",
            })
        }
        Json::Object(map) => map,
        other => {
            return Err(wrong_type(
                at,
                element.to_owned(),
                "\"*\" or an object",
                other,
            ));
        }
    };
    if map.is_empty() {
        return Err(PolicyError::EmptyList {
            at: at.clone(),
            element: element.to_owned(),
        });
    }

    // Each type maps to one name or a list of names.
    let mut entries = Vec::new();
    for (kind, names) in map {
        let path = format!("{element}.{kind}");
        let read: fn(&str) -> Result<Entry, &'static str> = match kind.as_str() {
            "AWS" => read_aws,
            "Service" | "Federated" | "CanonicalUser" => read_other,
            _ => {
                return Err(PolicyError::UnknownPrincipalType {
                    at: at.clone(),
                    element,
                    kind: kind.clone(),
                });
            }
        };
        for name in string_list(names, &path, at)? {
            let entry = read(name).map_err(|reason| PolicyError::InvalidPrincipal {
                at: at.clone(),
                element: path.clone(),
                value: name.to_owned(),
                reason,
            })?;
            entries.push(entry);
        }
    }
    Ok(Principals { entries })
}

/// Reads one `AWS` principal: `*`, an account ID, a root ARN, another ARN, or a unique ID.
fn read_aws(name: &str) -> Result<Entry, &'static str> {
    // Everyone, or a 12-digit account.
    if name == "*" {
        return Ok(Entry::Anyone);
    }
    if is_account_id(name) {
        return Ok(Entry::Account {
            id: name.to_owned(),
            partition: None,
        });
    }
    if name.contains(['*', '?']) {
        return Err("a wildcard cannot match part of a principal; use \"*\" alone, or a condition on aws:PrincipalArn");
    }

    // An ARN: the account root stands for the account.
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, "root"]
            if is_account_id(account) && !partition.is_empty() =>
        {
            Ok(Entry::Account {
                id: (*account).to_owned(),
                partition: Some((*partition).to_owned()),
            })
        }
        ["arn", partition, service, _, _, resource]
            if !partition.is_empty() && !service.is_empty() && !resource.is_empty() =>
        {
            Ok(Entry::Aws(name.to_owned()))
        }
        _ if is_unique_id(name) => Ok(Entry::Aws(name.to_owned())),
        _ => Err("expected \"*\", a 12-digit account ID, or an ARN"),
    }
}

/// Reads a `Service`, `Federated` or `CanonicalUser` principal.
fn read_other(name: &str) -> Result<Entry, &'static str> {
    if name.is_empty() {
        return Err("a principal name cannot be empty");
    }
    if name.contains(['*', '?']) {
        return Err("wildcards are not allowed in this principal type");
    }
    Ok(Entry::Other(name.to_owned()))
}

/// Twelve ASCII digits.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The form AWS shows in place of a deleted principal (such as `AIDA...`, `AROA...`).
fn is_unique_id(text: &str) -> bool {
    text.len() >= 16
        && text.starts_with('A')
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A string or a non-empty list of strings.
pub(crate) fn string_list<'a>(
    value: &'a Json,
    element: &str,
    at: &StatementRef,
) -> Result<Vec<&'a str>, PolicyError> {
    match value {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) if items.is_empty() => Err(PolicyError::EmptyList {
            at: at.clone(),
            element: element.to_owned(),
        }),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(s) => Ok(s.as_str()),
                other => Err(wrong_type(
                    at,
                    element.to_owned(),
                    "a string or a list of strings",
                    other,
                )),
            })
            .collect(),
        other => Err(wrong_type(
            at,
            element.to_owned(),
            "a string or a list of strings",
            other,
        )),
    }
}

/// A [`PolicyError::WrongType`] inside a statement.
pub(crate) fn wrong_type(
    at: &StatementRef,
    element: String,
    expected: &'static str,
    found: &Json,
) -> PolicyError {
    PolicyError::WrongType {
        at: crate::error::Place::Statement(at.clone()),
        element,
        expected,
        found: json_type(found),
    }
}
