//! Policy documents: Version, Id and Statement, and the elements of each statement.
//!
//! Implements the grammar of "IAM JSON policy element reference"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html>) with the
//! rules of AWS KMS key policies ("Elements in a key policy",
//! <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html>): every key
//! policy statement names a principal, and one that lacks Action or Resource is accepted but
//! has no effect.

use serde_json::{Map, Value as Json};

use crate::condition::{self, Condition};
use crate::error::{json_type, Place, PolicyError, StatementRef};
use crate::pattern::{Template, Wildcards};
use crate::principal::{self, string_list, wrong_type, Principals};

/// The policy language version, which decides whether `${...}` is a policy variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17` (also a document without Version): `${...}` is plain text.
    V2008_10_17,
}

/// Which kind of policy a document is, which decides the rules it must follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An identity-based policy attached to a principal: it names no principal, and every
    /// statement needs Action (or NotAction) and Resource (or NotResource).
    Identity,
    /// A resource-based policy such as a key policy: every statement names Principal or
    /// NotPrincipal; a statement without Action or Resource is accepted and never applies, as
    /// AWS KMS does.
    Resource,
}

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The statement allows what it covers.
    Allow,
    /// The statement explicitly denies what it covers.
    Deny,
}

/// The Principal or NotPrincipal of a statement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PrincipalSpec {
    /// No principal element: an identity-policy statement, which covers its owner.
    Owner,
    /// `Principal`: covers those it names.
    Is(Principals),
    /// `NotPrincipal`: covers all but those it names.
    Not(Principals),
}

/// A list of patterns, or the exclusion of one (Action / NotAction, Resource / NotResource).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Patterns {
    /// Covers what matches one of the patterns.
    Is(Vec<Template>),
    /// Covers what matches none of the patterns.
    Not(Vec<Template>),
}

/// One statement of a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub(crate) at: StatementRef,
    pub(crate) effect: Effect,
    pub(crate) principal: PrincipalSpec,
    /// `None` for a key policy statement without Action or NotAction (it never applies).
    pub(crate) action: Option<Patterns>,
    /// `None` for a key policy statement without Resource or NotResource (it never applies).
    pub(crate) resource: Option<Patterns>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The statement's Sid, when it has one.
    pub fn sid(&self) -> Option<&str> {
        self.at.sid.as_deref()
    }

    /// The statement's position and Sid.
    pub fn reference(&self) -> &StatementRef {
        &self.at
    }

    /// Allow or Deny.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// False for a key policy statement that lacks Action or Resource and so never applies.
    pub fn is_effective(&self) -> bool {
        self.action.is_some() && self.resource.is_some()
    }
}

/// A parsed policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub(crate) version: Version,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

/// The rules a statement is read under.
#[derive(Clone, Copy)]
struct Rules {
    /// `None` when the kind is not known ([`Policy::parse`]).
    kind: Option<PolicyKind>,
    variables: bool,
}

impl Policy {
    /// Reads a document of either kind: Principal is optional, and Action and Resource are
    /// required. Use [`Policy::parse_as`] when the kind is known (a key policy must be read as
    /// [`PolicyKind::Resource`] to get AWS KMS's rules).
    pub fn parse(document: &str) -> Result<Policy, PolicyError> {
        parse_document(document, None)
    }

    /// Reads a document under the rules of its kind.
    pub fn parse_as(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse_document(document, Some(kind))
    }

    /// The language version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The document's Id, when it has one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether deciding a request reads the request context at all: some statement has a
    /// Condition, or a Resource with a policy variable. When none does, a caller may skip
    /// building the context (the decision cannot depend on it).
    pub fn reads_context(&self) -> bool {
        self.statements.iter().any(|s| {
            let variable = |p: &Option<Patterns>| match p {
                Some(Patterns::Is(t)) | Some(Patterns::Not(t)) => {
                    t.iter().any(|t| t.has_variables())
                }
                None => false,
            };
            !s.conditions.is_empty() || variable(&s.resource)
        })
    }

    /// Whether some Condition of the policy tests `key` (compared case-insensitively).
    pub fn tests_key(&self, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        self.statements
            .iter()
            .flat_map(|s| s.conditions.iter())
            .any(|c| c.key() == key)
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

/// The elements a document may have at its top.
const DOCUMENT_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];

/// The elements a statement may have.
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Reads a whole document.
fn parse_document(document: &str, kind: Option<PolicyKind>) -> Result<Policy, PolicyError> {
    // JSON, and an object.
    let json: Json = serde_json::from_str(document).map_err(|e| PolicyError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Json::Object(top) = &json else {
        return Err(PolicyError::NotAnObject {
            found: json_type(&json),
        });
    };
    check_elements(top, &DOCUMENT_ELEMENTS, &Place::Document)?;

    // Version, then Id.
    let version = match top.get("Version") {
        None => Version::V2008_10_17,
        Some(Json::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Json::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(Json::String(v)) => {
            return Err(PolicyError::UnsupportedVersion { version: v.clone() })
        }
        Some(other) => return Err(top_wrong_type("Version", "a string", other)),
    };
    let id = match top.get("Id") {
        None => None,
        Some(Json::String(id)) => Some(id.clone()),
        Some(other) => return Err(top_wrong_type("Id", "a string", other)),
    };

    // Statement: one object or a non-empty list of them.
    let items: Vec<&Json> = match top.get("Statement") {
        None => return Err(PolicyError::MissingStatement),
        Some(Json::Array(items)) if items.is_empty() => return Err(PolicyError::NoStatements),
        Some(Json::Array(items)) => items.iter().collect(),
        Some(one @ Json::Object(_)) => vec![one],
        Some(other) => {
            return Err(top_wrong_type(
                "Statement",
                "an object or a list of objects",
                other,
            ))
        }
    };
    let rules = Rules {
        kind,
        variables: version == Version::V2012_10_17,
    };
    let statements = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| parse_statement(index, item, rules))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        version,
        id,
        statements,
    })
}

/// A [`PolicyError::WrongType`] at the top of the document.
fn top_wrong_type(element: &str, expected: &'static str, found: &Json) -> PolicyError {
    PolicyError::WrongType {
        at: Place::Document,
        element: element.to_owned(),
        expected,
        found: json_type(found),
    }
}

/// Refuses element names the grammar does not have (names are case-sensitive).
fn check_elements(
    map: &Map<String, Json>,
    allowed: &[&str],
    at: &Place,
) -> Result<(), PolicyError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(PolicyError::UnknownElement {
            at: at.clone(),
            element: unknown.clone(),
        }),
        None => Ok(()),
    }
}

/// Reads one statement.
fn parse_statement(index: usize, item: &Json, rules: Rules) -> Result<Statement, PolicyError> {
    // An object whose Sid, if any, names it in later messages.
    let mut at = StatementRef { index, sid: None };
    let Json::Object(map) = item else {
        return Err(wrong_type(&at, "Statement".into(), "an object", item));
    };
    match map.get("Sid") {
        None => {}
        Some(Json::String(sid)) => at.sid = Some(sid.clone()),
        Some(other) => return Err(wrong_type(&at, "Sid".into(), "a string", other)),
    }
    check_elements(map, &STATEMENT_ELEMENTS, &Place::Statement(at.clone()))?;

    // Effect, Principal, Action, Resource, Condition.
    let effect = parse_effect(map, &at)?;
    let principal = parse_principal(map, &at, effect, rules.kind)?;
    let action = parse_patterns(map, &at, ["Action", "NotAction"], rules)?;
    let resource = parse_patterns(map, &at, ["Resource", "NotResource"], rules)?;
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(block) => condition::parse_block(block, &at, rules.variables)?,
    };
    Ok(Statement {
        at,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// Reads Effect, which is required and is exactly `Allow` or `Deny`.
fn parse_effect(map: &Map<String, Json>, at: &StatementRef) -> Result<Effect, PolicyError> {
    match map.get("Effect") {
        None => Err(PolicyError::MissingElement {
            at: at.clone(),
            element: "Effect",
        }),
        Some(Json::String(e)) if e == "Allow" => Ok(Effect::Allow),
        Some(Json::String(e)) if e == "Deny" => Ok(Effect::Deny),
        Some(Json::String(e)) => Err(PolicyError::InvalidEffect {
            at: at.clone(),
            value: e.clone(),
        }),
        Some(other) => Err(wrong_type(at, "Effect".into(), "a string", other)),
    }
}

/// Reads Principal or NotPrincipal under the rules of the policy kind.
fn parse_principal(
    map: &Map<String, Json>,
    at: &StatementRef,
    effect: Effect,
    kind: Option<PolicyKind>,
) -> Result<PrincipalSpec, PolicyError> {
    let spec = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::Conflicting {
                at: at.clone(),
                first: "Principal",
                second: "NotPrincipal",
            });
        }
        (Some(p), None) => PrincipalSpec::Is(principal::parse(p, "Principal", at)?),
        (None, Some(p)) => PrincipalSpec::Not(principal::parse(p, "NotPrincipal", at)?),
        (None, None) => PrincipalSpec::Owner,
    };
    match (&spec, kind) {
        (PrincipalSpec::Owner, Some(PolicyKind::Resource)) => {
            Err(PolicyError::PrincipalRequired { at: at.clone() })
        }
        (PrincipalSpec::Is(_), Some(PolicyKind::Identity)) => {
            Err(PolicyError::PrincipalNotAllowed {
                at: at.clone(),
                element: "Principal",
            })
        }
        (PrincipalSpec::Not(_), Some(PolicyKind::Identity)) => {
            Err(PolicyError::PrincipalNotAllowed {
                at: at.clone(),
                element: "NotPrincipal",
            })
        }
        (PrincipalSpec::Not(_), _) if effect == Effect::Allow => {
            Err(PolicyError::NotPrincipalWithAllow { at: at.clone() })
        }
        _ => Ok(spec),
    }
}

/// Reads Action / NotAction or Resource / NotResource (`names` gives the pair).
fn parse_patterns(
    map: &Map<String, Json>,
    at: &StatementRef,
    names: [&'static str; 2],
    rules: Rules,
) -> Result<Option<Patterns>, PolicyError> {
    let [first, second] = names;
    let (element, values, negated) = match (map.get(first), map.get(second)) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::Conflicting {
                at: at.clone(),
                first,
                second,
            })
        }
        (Some(v), None) => (first, v, false),
        (None, Some(v)) => (second, v, true),
        (None, None) if rules.kind == Some(PolicyKind::Resource) => return Ok(None),
        (None, None) => {
            return Err(PolicyError::MissingOneOf {
                at: at.clone(),
                first,
                second,
            })
        }
    };
    let is_action = first == "Action";
    let templates = string_list(values, element, at)?
        .into_iter()
        .map(|raw| read_pattern(raw, element, is_action, rules, at))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(if negated {
        Patterns::Not(templates)
    } else {
        Patterns::Is(templates)
    }))
}

/// Reads one action (`*` or `service:action`, no variables) or one resource (`*` or an ARN,
/// variables allowed).
fn read_pattern(
    raw: &str,
    element: &'static str,
    is_action: bool,
    rules: Rules,
    at: &StatementRef,
) -> Result<Template, PolicyError> {
    if is_action {
        let well_formed = raw == "*"
            || raw
                .split_once(':')
                .is_some_and(|(s, a)| !s.is_empty() && !a.is_empty());
        if !well_formed {
            return Err(PolicyError::InvalidAction {
                at: at.clone(),
                element,
                value: raw.to_owned(),
            });
        }
        return Ok(Template::new(raw, Wildcards::Glob, false));
    }
    if raw != "*" && !raw.starts_with("arn:") {
        return Err(PolicyError::InvalidResource {
            at: at.clone(),
            element,
            value: raw.to_owned(),
        });
    }
    Ok(Template::new(raw, Wildcards::ArnResource, rules.variables))
}
