//! Why a policy document is refused, and where in the document the fault is.
//!
//! The messages follow the element names of the IAM JSON policy grammar
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>), so a
//! refused configuration tells its author which statement and which element to fix.

use std::fmt;

/// One statement of a document, named by its position (from 0) and its Sid when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRef {
    /// Position of the statement in the `Statement` list, from 0 (0 for a single object).
    pub index: usize,
    /// The statement's `Sid`, when it has one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "Statement[{}] (Sid {sid:?})", self.index),
            None => write!(f, "Statement[{}]", self.index),
        }
    }
}

/// Where an element sits: at the top of the document or inside one statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The top-level object of the document.
    Document,
    /// One statement of the document.
    Statement(StatementRef),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Document => f.write_str("policy document"),
            Place::Statement(at) => at.fmt(f),
        }
    }
}

/// A reason a policy document is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not JSON.
    #[error("policy document is not valid JSON (line {line}, column {column}): {message}")]
    Json {
        /// Line of the fault, from 1.
        line: usize,
        /// Column of the fault, from 1.
        column: usize,
        /// What the JSON parser found.
        message: String,
    },
    /// The document is JSON but not an object.
    #[error("policy document must be a JSON object, found {found}")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// An element name the policy grammar does not have.
    #[error("{at}: unknown element {element:?}")]
    UnknownElement {
        /// Where the element is.
        at: Place,
        /// The element name as written.
        element: String,
    },
    /// An element holds a JSON value of the wrong type.
    #[error("{at}: element {element:?} must be {expected}, found {found}")]
    WrongType {
        /// Where the element is.
        at: Place,
        /// The element (or element path, such as `Principal.AWS`).
        element: String,
        /// What the grammar allows there.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// `Version` is neither `2012-10-17` nor `2008-10-17`.
    #[error("policy document: unsupported Version {version:?} (expected \"2012-10-17\" or \"2008-10-17\")")]
    UnsupportedVersion {
        /// The version as written.
        version: String,
    },
    /// The document has no `Statement` element.
    #[error("policy document: missing element \"Statement\"")]
    MissingStatement,
    /// `Statement` is an empty list.
    #[error("policy document: \"Statement\" must hold at least one statement")]
    NoStatements,
    /// A statement lacks a required element.
    #[error("{at}: missing element {element:?}")]
    MissingElement {
        /// The statement.
        at: StatementRef,
        /// The element that is required.
        element: &'static str,
    },
    /// A statement has neither of two alternative elements.
    #[error("{at}: needs one of {first:?} or {second:?}")]
    MissingOneOf {
        /// The statement.
        at: StatementRef,
        /// The positive element (such as `Action`).
        first: &'static str,
        /// The negative element (such as `NotAction`).
        second: &'static str,
    },
    /// A statement has both of two mutually exclusive elements.
    #[error("{at}: {first:?} and {second:?} cannot both be present")]
    Conflicting {
        /// The statement.
        at: StatementRef,
        /// The positive element.
        first: &'static str,
        /// The negative element.
        second: &'static str,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("{at}: Effect must be \"Allow\" or \"Deny\", found {value:?}")]
    InvalidEffect {
        /// The statement.
        at: StatementRef,
        /// The value as written.
        value: String,
    },
    /// An element that takes a list was given an empty one.
    #[error("{at}: element {element:?} must not be an empty list")]
    EmptyList {
        /// The statement.
        at: StatementRef,
        /// The element (or element path).
        element: String,
    },
    /// An action is neither `*` nor `service:action`.
    #[error("{at}: invalid action {value:?} in {element} (expected \"*\" or \"service:action\")")]
    InvalidAction {
        /// The statement.
        at: StatementRef,
        /// `Action` or `NotAction`.
        element: &'static str,
        /// The action as written.
        value: String,
    },
    /// A resource is neither `*` nor an ARN.
    #[error("{at}: invalid resource {value:?} in {element} (expected \"*\" or an ARN)")]
    InvalidResource {
        /// The statement.
        at: StatementRef,
        /// `Resource` or `NotResource`.
        element: &'static str,
        /// The resource as written.
        value: String,
    },
    /// A principal value is malformed or uses a partial wildcard.
    #[error("{at}: invalid principal {value:?} in {element}: {reason}")]
    InvalidPrincipal {
        /// The statement.
        at: StatementRef,
        /// The element path, such as `Principal.AWS`.
        element: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A principal object names a type other than AWS, Service, Federated, CanonicalUser.
    #[error("{at}: unknown principal type {kind:?} in {element} (expected \"AWS\", \"Service\", \"Federated\" or \"CanonicalUser\")")]
    UnknownPrincipalType {
        /// The statement.
        at: StatementRef,
        /// `Principal` or `NotPrincipal`.
        element: &'static str,
        /// The type as written.
        kind: String,
    },
    /// An identity policy names a principal (the principal is whoever the policy is attached to).
    #[error("{at}: {element:?} is not allowed in an identity-based policy")]
    PrincipalNotAllowed {
        /// The statement.
        at: StatementRef,
        /// `Principal` or `NotPrincipal`.
        element: &'static str,
    },
    /// A resource-based (key) policy statement names no principal.
    #[error("{at}: a key policy statement needs \"Principal\" or \"NotPrincipal\"")]
    PrincipalRequired {
        /// The statement.
        at: StatementRef,
    },
    /// `NotPrincipal` with `"Effect": "Allow"`, which AWS does not support.
    #[error("{at}: \"NotPrincipal\" can only be used with \"Effect\": \"Deny\"")]
    NotPrincipalWithAllow {
        /// The statement.
        at: StatementRef,
    },
    /// A condition operator the IAM reference does not define.
    #[error("{at}: unknown condition operator {operator:?}")]
    UnknownOperator {
        /// The statement.
        at: StatementRef,
        /// The operator as written.
        operator: String,
    },
    /// A qualifier that the operator cannot take (such as `NullIfExists`).
    #[error("{at}: condition operator {operator:?} is not allowed: {reason}")]
    OperatorNotAllowed {
        /// The statement.
        at: StatementRef,
        /// The operator as written.
        operator: String,
        /// Why.
        reason: &'static str,
    },
    /// A condition key is the empty string.
    #[error("{at}: condition operator {operator:?} has an empty condition key")]
    EmptyConditionKey {
        /// The statement.
        at: StatementRef,
        /// The operator as written.
        operator: String,
    },
    /// A condition value that the operator cannot compare with.
    #[error("{at}: condition {operator:?} on {key:?}: value {value:?} is not {expected}")]
    InvalidConditionValue {
        /// The statement.
        at: StatementRef,
        /// The operator as written.
        operator: String,
        /// The condition key as written.
        key: String,
        /// The value as written.
        value: String,
        /// What the operator expects.
        expected: &'static str,
    },
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}
