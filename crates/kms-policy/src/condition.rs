//! The Condition element: operators, set qualifiers and `...IfExists`.
//!
//! Implements "IAM JSON policy elements: Condition operators"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>)
//! and the set operators of "Single-valued vs. multivalued context keys"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
//! Values listed for one key are ORed; keys and operators are ANDed. A key absent from the
//! request makes a positive operator false and a negated one true, except that `...IfExists`
//! is true on an absent key, `ForAllValues:` is true on an absent or empty set and
//! `ForAnyValue:` false on one.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use serde_json::Value as Json;

use crate::context::{parse_bool, parse_number, Context, Value};
use crate::date::Timestamp;
use crate::error::{PolicyError, StatementRef};
use crate::pattern::{matches, Template, Tok, Wildcards};
use crate::principal::wrong_type;

/// A comparison of the Numeric and Date operators (the request value on the left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// Applies the comparison.
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// The operator family, which fixes how values are read and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    /// ArnEquals and ArnLike, which the reference defines alike.
    Arn,
    Null,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetOp {
    ForAll,
    ForAny,
}

/// One policy value, read for its operator.
#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Text(Template),
    Number(f64),
    Date(Timestamp),
    Bool(bool),
    Binary(Vec<u8>),
    Cidr(IpNet),
}

/// One operator applied to one key with its values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    kind: Kind,
    /// StringNotEquals, NotIpAddress and the like: true when no policy value matches.
    negated: bool,
    if_exists: bool,
    set: Option<SetOp>,
    /// The key, lower-cased (key names are case-insensitive).
    key: String,
    operands: Vec<Operand>,
}

impl Condition {
    /// The condition key, lower-cased.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

/// Names the operator family and whether it is the negated form.
fn base_operator(name: &str) -> Option<(Kind, bool)> {
    let found = match name {
        "StringEquals" => (Kind::StringEquals, false),
        "StringNotEquals" => (Kind::StringEquals, true),
        "StringEqualsIgnoreCase" => (Kind::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Kind::StringEqualsIgnoreCase, true),
        "StringLike" => (Kind::StringLike, false),
        "StringNotLike" => (Kind::StringLike, true),
        "NumericEquals" => (Kind::Numeric(Cmp::Eq), false),
        "NumericNotEquals" => (Kind::Numeric(Cmp::Eq), true),
        "NumericLessThan" => (Kind::Numeric(Cmp::Lt), false),
        "NumericLessThanEquals" => (Kind::Numeric(Cmp::Le), false),
        "NumericGreaterThan" => (Kind::Numeric(Cmp::Gt), false),
        "NumericGreaterThanEquals" => (Kind::Numeric(Cmp::Ge), false),
        "DateEquals" => (Kind::Date(Cmp::Eq), false),
        "DateNotEquals" => (Kind::Date(Cmp::Eq), true),
        "DateLessThan" => (Kind::Date(Cmp::Lt), false),
        "DateLessThanEquals" => (Kind::Date(Cmp::Le), false),
        "DateGreaterThan" => (Kind::Date(Cmp::Gt), false),
        "DateGreaterThanEquals" => (Kind::Date(Cmp::Ge), false),
        "Bool" => (Kind::Bool, false),
        "BinaryEquals" => (Kind::Binary, false),
        "IpAddress" => (Kind::Ip, false),
        "NotIpAddress" => (Kind::Ip, true),
        "ArnEquals" | "ArnLike" => (Kind::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Kind::Arn, true),
        "Null" => (Kind::Null, false),
        _ => return None,
    };
    Some(found)
}

/// Reads a whole Condition element into its conditions.
pub(crate) fn parse_block(
    value: &Json,
    at: &StatementRef,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(operators) = value else {
        return Err(wrong_type(at, "Condition".into(), "an object", value));
    };
    let mut conditions = Vec::new();
    for (operator, keys) in operators {
        let Json::Object(keys) = keys else {
            return Err(wrong_type(
                at,
                format!("Condition.{operator}"),
                "an object",
                keys,
            ));
        };
        for (key, values) in keys {
            conditions.push(parse_one(operator, key, values, at, variables)?);
        }
    }
    Ok(conditions)
}

/// Reads one `operator: {key: values}` entry.
fn parse_one(
    operator: &str,
    key: &str,
    values: &Json,
    at: &StatementRef,
    variables: bool,
) -> Result<Condition, PolicyError> {
    // The set qualifier, the IfExists suffix and the base operator.
    let (set, rest) = match operator.split_once(':') {
        Some(("ForAllValues", rest)) => (Some(SetOp::ForAll), rest),
        Some(("ForAnyValue", rest)) => (Some(SetOp::ForAny), rest),
        Some(_) => return Err(unknown_operator(operator, at)),
        None => (None, operator),
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(base) => (true, base),
        None => (false, rest),
    };
    let (kind, negated) = base_operator(base).ok_or_else(|| unknown_operator(operator, at))?;
    if kind == Kind::Null && (if_exists || set.is_some()) {
        return Err(PolicyError::OperatorNotAllowed {
            at: at.clone(),
            operator: operator.to_owned(),
            reason:
                "Null already tests whether the key exists; it takes no IfExists or set qualifier",
        });
    }
    if key.is_empty() {
        return Err(PolicyError::EmptyConditionKey {
            at: at.clone(),
            operator: operator.to_owned(),
        });
    }

    // The values, each read for the operator.
    let element = format!("Condition.{operator}.{key}");
    let operands = scalar_list(values, &element, at)?
        .iter()
        .map(|text| {
            read_operand(kind, text, variables).ok_or_else(|| PolicyError::InvalidConditionValue {
                at: at.clone(),
                operator: operator.to_owned(),
                key: key.to_owned(),
                value: text.clone(),
                expected: expected_value(kind),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Condition {
        kind,
        negated,
        if_exists,
        set,
        key: key.to_lowercase(),
        operands,
    })
}

/// A [`PolicyError::UnknownOperator`].
fn unknown_operator(operator: &str, at: &StatementRef) -> PolicyError {
    PolicyError::UnknownOperator {
        at: at.clone(),
        operator: operator.to_owned(),
    }
}

/// What an operator family takes, for messages.
fn expected_value(kind: Kind) -> &'static str {
    match kind {
        Kind::StringEquals | Kind::StringEqualsIgnoreCase | Kind::StringLike | Kind::Arn => {
            "a string"
        }
        Kind::Numeric(_) => "a number",
        Kind::Date(_) => "an ISO 8601 date or epoch seconds",
        Kind::Bool | Kind::Null => "\"true\" or \"false\"",
        Kind::Binary => "base64",
        Kind::Ip => "an IP address or CIDR block",
    }
}

/// A condition value as text: a string, a number or a boolean, or a non-empty list of them.
fn scalar_list(value: &Json, element: &str, at: &StatementRef) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Json| match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(wrong_type(
            at,
            element.to_owned(),
            "a string, number, boolean or a list of them",
            other,
        )),
    };
    match value {
        Json::Array(items) if items.is_empty() => Err(PolicyError::EmptyList {
            at: at.clone(),
            element: element.to_owned(),
        }),
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

/// Reads one policy value for an operator family; `None` when it cannot be one.
///
/// Policy variables apply only to the String and ARN operators, so the other families read
/// their values once, here.
fn read_operand(kind: Kind, text: &str, variables: bool) -> Option<Operand> {
    let operand = match kind {
        Kind::StringEquals | Kind::StringEqualsIgnoreCase => {
            Operand::Text(Template::new(text, Wildcards::Literal, variables))
        }
        Kind::StringLike | Kind::Arn => {
            Operand::Text(Template::new(text, Wildcards::Glob, variables))
        }
        Kind::Numeric(_) => Operand::Number(parse_number(text)?),
        Kind::Date(_) => Operand::Date(Timestamp::parse(text)?),
        Kind::Bool | Kind::Null => Operand::Bool(parse_bool(text)?),
        Kind::Binary => Operand::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?,
        ),
        Kind::Ip => Operand::Cidr(parse_cidr(text)?),
    };
    Some(operand)
}

/// A CIDR block, or a bare address as the block of that one address.
fn parse_cidr(text: &str) -> Option<IpNet> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net);
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

impl Condition {
    /// Whether the condition holds for the request context.
    pub(crate) fn holds(&self, context: &Context, vars: &dyn Fn(&str) -> Option<String>) -> bool {
        // An absent key and a key with no values are alike: a null data set.
        let values = context.get_lowercased(&self.key).filter(|v| !v.is_empty());

        // Null asks only whether the key is there.
        if self.kind == Kind::Null {
            let absent = values.is_none();
            return self.operands.contains(&Operand::Bool(absent));
        }

        // Absent key: IfExists passes, the set qualifiers decide, else negation does.
        let Some(values) = values else {
            return match self.set {
                _ if self.if_exists => true,
                Some(SetOp::ForAll) => true,
                Some(SetOp::ForAny) => false,
                None => self.negated,
            };
        };

        // Present key: each request value passes when it matches some policy value (or, for
        // a negated operator, none).
        let passes = |v: &Value| self.matches_any(v, vars) != self.negated;
        match self.set {
            Some(SetOp::ForAll) => values.iter().all(passes),
            Some(SetOp::ForAny) => values.iter().any(passes),
            None => self.negated != values.iter().any(|v| self.matches_any(v, vars)),
        }
    }

    /// Whether a request value matches at least one policy value (before negation).
    fn matches_any(&self, value: &Value, vars: &dyn Fn(&str) -> Option<String>) -> bool {
        self.operands.iter().any(|o| self.compare(value, o, vars))
    }

    /// Compares one request value with one policy value.
    fn compare(
        &self,
        value: &Value,
        operand: &Operand,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> bool {
        match (self.kind, operand) {
            (Kind::StringEquals | Kind::StringLike, Operand::Text(t)) => {
                t.matches(&value.as_text(), vars, false)
            }
            (Kind::StringEqualsIgnoreCase, Operand::Text(t)) => {
                t.matches(&value.as_text(), vars, true)
            }
            (Kind::Arn, Operand::Text(t)) => {
                value.as_arn().is_some_and(|arn| arn_matches(t, arn, vars))
            }
            (Kind::Numeric(cmp), Operand::Number(n)) => {
                value.as_number().is_some_and(|v| cmp.holds(v, *n))
            }
            (Kind::Date(cmp), Operand::Date(d)) => {
                value.as_date().is_some_and(|v| cmp.holds(v, *d))
            }
            (Kind::Bool, Operand::Bool(b)) => value.as_bool() == Some(*b),
            (Kind::Binary, Operand::Binary(bytes)) => {
                value.as_binary().is_some_and(|v| *v == **bytes)
            }
            (Kind::Ip, Operand::Cidr(net)) => value.as_ip().is_some_and(|ip| net.contains(&ip)),
            _ => false,
        }
    }
}

/// ARN matching: each of the six colon-separated parts is matched on its own, wildcards
/// staying within their part (the last part, the resource, may itself hold colons). A policy
/// value with fewer than six parts is matched as a whole.
fn arn_matches(template: &Template, arn: &str, vars: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(tokens) = template.tokens(vars) else {
        return false;
    };
    let segments = split_tokens(&tokens);
    if segments.len() < 6 {
        return matches(&tokens, arn, false);
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && segments
            .iter()
            .zip(&parts)
            .all(|(seg, part)| matches(seg, part, false))
}

/// Splits a pattern at its first five literal colons.
fn split_tokens(tokens: &[Tok]) -> Vec<&[Tok]> {
    let mut segments = Vec::with_capacity(6);
    let mut start = 0;
    for (i, tok) in tokens.iter().enumerate() {
        if segments.len() == 5 {
            break;
        }
        if *tok == Tok::Lit(':') {
            segments.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    segments.push(&tokens[start..]);
    segments
}
