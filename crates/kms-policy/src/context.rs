//! The request context: condition keys and their values.
//!
//! Condition key names are case-insensitive, their values are not
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>).
//! A key holds one value or, for multivalued keys such as `aws:TagKeys` or
//! `kms:EncryptionContextKeys`, a list
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;

use crate::date::Timestamp;

/// One value of a condition key in the request context.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (also what String operators compare every other type as).
    String(String),
    /// A number, for the Numeric operators.
    Number(f64),
    /// A boolean, for `Bool`.
    Bool(bool),
    /// An instant, for the Date operators.
    Date(Timestamp),
    /// An IP address, for `IpAddress` and `NotIpAddress`.
    Ip(IpAddr),
    /// An ARN, for the ARN operators (String operators see it as its text).
    Arn(String),
    /// Bytes, for `BinaryEquals` (String operators see them base64-encoded).
    Binary(Vec<u8>),
}

impl Value {
    /// The value as the String operators and policy variables see it.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Value::String(s) | Value::Arn(s) => Cow::Borrowed(s),
            Value::Number(n) => Cow::Owned(n.to_string()),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Date(t) => Cow::Owned(t.to_string()),
            Value::Ip(ip) => Cow::Owned(ip.to_string()),
            Value::Binary(bytes) => {
                Cow::Owned(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }

    /// The value as a number, when it is one or is text that reads as one.
    pub(crate) fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => parse_number(s),
            _ => None,
        }
    }

    /// The value as an instant: a date, epoch seconds, or text that reads as either.
    pub(crate) fn as_date(&self) -> Option<Timestamp> {
        match self {
            Value::Date(t) => Some(*t),
            Value::Number(n) if n.is_finite() && n.fract() == 0.0 => {
                Some(Timestamp::from_unix_seconds(*n as i64))
            }
            Value::String(s) => Timestamp::parse(s),
            _ => None,
        }
    }

    /// The value as a boolean: a boolean or the text `true` / `false` in any case.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) => parse_bool(s),
            _ => None,
        }
    }

    /// The value as an IP address.
    pub(crate) fn as_ip(&self) -> Option<IpAddr> {
        match self {
            Value::Ip(ip) => Some(*ip),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The value as bytes: bytes, or base64 text.
    pub(crate) fn as_binary(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Value::Binary(bytes) => Some(Cow::Borrowed(bytes)),
            Value::String(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .ok()
                .map(Cow::Owned),
            _ => None,
        }
    }

    /// The value as an ARN (any text: the ARN operators check its shape).
    pub(crate) fn as_arn(&self) -> Option<&str> {
        match self {
            Value::Arn(s) | Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n as f64)
    }
}

impl From<IpAddr> for Value {
    fn from(ip: IpAddr) -> Value {
        Value::Ip(ip)
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Value {
        Value::Date(t)
    }
}

/// Reads a decimal number; infinities and NaN are not numbers here.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    let n: f64 = text.parse().ok()?;
    (looks_numeric && n.is_finite()).then_some(n)
}

/// Reads `true` or `false`, in any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The values of one key and whether the key is multivalued.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// The key as first written, for display.
    name: String,
    /// Its values (one for a single-valued key).
    values: Vec<Value>,
    /// Whether the key was set as a list.
    multi: bool,
}

/// Condition keys of one request and their values; key names are case-insensitive.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// Entries by lower-cased key name.
    entries: BTreeMap<String, Entry>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key, replacing any value it had.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Context {
        self.insert(key, value);
        self
    }

    /// Sets a multivalued key to a list of strings (an empty list is a key with no values).
    pub fn with_strings<S: Into<String>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Context {
        let values = values
            .into_iter()
            .map(|s| Value::String(s.into()))
            .collect();
        self.insert_values(key, values);
        self
    }

    /// Sets a multivalued key to a list of values.
    pub fn with_values(mut self, key: &str, values: Vec<Value>) -> Context {
        self.insert_values(key, values);
        self
    }

    /// Sets a single-valued key in place.
    pub fn insert(&mut self, key: &str, value: impl Into<Value>) {
        let entry = Entry {
            name: key.to_owned(),
            values: vec![value.into()],
            multi: false,
        };
        self.entries.insert(key.to_lowercase(), entry);
    }

    /// Sets a multivalued key in place.
    pub fn insert_values(&mut self, key: &str, values: Vec<Value>) {
        let entry = Entry {
            name: key.to_owned(),
            values,
            multi: true,
        };
        self.entries.insert(key.to_lowercase(), entry);
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(&key.to_lowercase());
    }

    /// The values of a key (case-insensitive name); `None` when the key is absent.
    pub fn get(&self, key: &str) -> Option<&[Value]> {
        self.entries
            .get(&key.to_lowercase())
            .map(|e| e.values.as_slice())
    }

    /// The values of a key whose name is already lower-cased.
    pub(crate) fn get_lowercased(&self, key: &str) -> Option<&[Value]> {
        self.entries.get(key).map(|e| e.values.as_slice())
    }

    /// Whether a key is set and was set as a list.
    pub fn is_multivalued(&self, key: &str) -> bool {
        self.entries
            .get(&key.to_lowercase())
            .is_some_and(|e| e.multi)
    }

    /// The value of a single-valued key, for substitution into a policy variable.
    pub(crate) fn variable(&self, key: &str) -> Option<String> {
        let entry = self.entries.get(&key.to_lowercase())?;
        match entry.values.as_slice() {
            [value] if !entry.multi => Some(value.as_text().into_owned()),
            _ => None,
        }
    }

    /// The key names as first written, for logs.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.values().map(|e| e.name.as_str())
    }
}
