//! Request validation against the shape constraints of the AWS KMS model (SPEC.md D30-D32).
//!
//! The body is walked against the operation's input shape from the generated constraint table.
//! A body that is not JSON, a member of the wrong JSON type or a blob that is not base64 fails
//! at once with `SerializationException`. Constraint violations (required members, lengths,
//! ranges, patterns, enums, list sizes) are collected in member order into one
//! `ValidationException` worded as AWS words it: `1 validation error detected: Value '0' at
//! 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal
//! to 1`. Blob values and sensitive strings are never echoed. The walk answers the body with
//! every null member removed; members the model does not know are left for the service to
//! ignore.

mod pattern;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use kms_model::generated::constraints;
use kms_model::wire::{decode_base64, MemberDef, ShapeDef};
use kms_model::{KmsError, Operation};

/// Parses and validates the body of a request for `op`; an empty body is `{}`.
pub fn validate_body(op: Operation, body: &[u8]) -> Result<Value, KmsError> {
    // An empty body is an empty input; anything else must parse as JSON.
    if body.iter().all(u8::is_ascii_whitespace) {
        return validate_input(op, Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        KmsError::serialization(format!(
            "Invalid JSON in the request body at line {}, column {}.",
            e.line(),
            e.column()
        ))
    })?;
    validate_input(op, value)
}

/// Validates a parsed request body for `op`; answers it with every null member removed.
pub fn validate_input(op: Operation, mut value: Value) -> Result<Value, KmsError> {
    // The body is a structure, and the table knows the operation's input shape.
    if !value.is_object() {
        return Err(KmsError::serialization(format!(
            "The request body must be a JSON object, not {}.",
            json_type(&value)
        )));
    }
    // The generator emits an input shape for every operation of the enum.
    let shape = constraints::shape(op.input_shape()).ok_or_else(KmsError::internal)?;

    // Walk the body; type errors stop the walk, violations are collected.
    let mut walk = Walk { errors: Vec::new() };
    walk.check(shape, &mut value, "")?;
    if walk.errors.is_empty() {
        return Ok(value);
    }
    let count = walk.errors.len();
    let noun = if count == 1 { "error" } else { "errors" };
    Err(KmsError::validation(format!(
        "{count} validation {noun} detected: {}",
        walk.errors.join("; ")
    )))
}

/// Whether a model pattern compiles once translated from Java's dialect.
pub fn pattern_compiles(pattern: &str) -> bool {
    pattern::compile(pattern).is_some()
}

/// The state of one walk: the violations found so far.
struct Walk {
    errors: Vec<String>,
}

impl Walk {
    /// Checks `value` at `path` against `shape`.
    fn check(&mut self, shape: &ShapeDef, value: &mut Value, path: &str) -> Result<(), KmsError> {
        match shape {
            ShapeDef::Structure { members } => self.structure(members, value, path),
            ShapeDef::String { .. } => self.string(shape, value, path),
            ShapeDef::Blob { min, max, .. } => self.blob(*min, *max, value, path),
            ShapeDef::Integer { min, max } => self.integer(*min, *max, value, path),
            ShapeDef::Boolean => expect(value.is_boolean(), "a boolean", value, path),
            ShapeDef::Timestamp => {
                expect(value.is_number(), "a number of epoch seconds", value, path)
            }
            ShapeDef::List { member, min, max } => self.list(member, *min, *max, value, path),
            ShapeDef::Map {
                key,
                value: item,
                min,
                max,
            } => self.map(key, item, *min, *max, value, path),
        }
    }

    /// Records one violation of `constraint` by the value shown as `shown`.
    fn violation(&mut self, shown: Option<String>, path: &str, constraint: &str) {
        let message = match shown {
            Some(v) => format!("Value {v} at '{path}' failed to satisfy constraint: {constraint}"),
            None => format!("Value at '{path}' failed to satisfy constraint: {constraint}"),
        };
        self.errors.push(message);
    }

    /// A structure: drop null members, require the required ones, check each in model order.
    fn structure(
        &mut self,
        members: &[MemberDef],
        value: &mut Value,
        path: &str,
    ) -> Result<(), KmsError> {
        let Value::Object(object) = value else {
            return expect(false, "a JSON object", value, path);
        };
        object.retain(|_, v| !v.is_null());
        for member in members {
            // Absent optional members cost nothing: no path is built for them.
            let present = object.contains_key(member.name);
            if !present && !member.required {
                continue;
            }
            let child = join(path, &lower_camel(member.name));
            match object.get_mut(member.name) {
                None if member.required => {
                    self.violation(Some("null".into()), &child, "Member must not be null")
                }
                None => {}
                Some(v) => self.check(shape_of(member.shape)?, v, &child)?,
            }
        }
        Ok(())
    }

    /// A string: length in characters, pattern, enum.
    fn string(&mut self, shape: &ShapeDef, value: &Value, path: &str) -> Result<(), KmsError> {
        let ShapeDef::String {
            min,
            max,
            pattern,
            enum_values,
            sensitive,
        } = shape
        else {
            return Ok(());
        };
        let Value::String(text) = value else {
            return expect(false, "a string", value, path);
        };
        let shown = (!sensitive).then(|| format!("'{text}'"));
        let length = text.chars().count() as u64;
        self.lengths(length, *min, *max, shown.as_ref(), path);
        if let Some(p) = pattern {
            if !pattern::full_match(p, text) {
                let constraint = format!("Member must satisfy regular expression pattern: {p}");
                self.violation(shown.clone(), path, &constraint);
            }
        }
        if !enum_values.is_empty() && !enum_values.contains(&text.as_str()) {
            let constraint = format!(
                "Member must satisfy enum value set: [{}]",
                enum_values.join(", ")
            );
            self.violation(shown, path, &constraint);
        }
        Ok(())
    }

    /// A blob: valid base64 whose decoded length is within bounds; never echoed.
    fn blob(
        &mut self,
        min: Option<u64>,
        max: Option<u64>,
        value: &Value,
        path: &str,
    ) -> Result<(), KmsError> {
        let Value::String(text) = value else {
            return expect(false, "a base64 string", value, path);
        };
        let bytes = decode_base64(text).map(Zeroizing::new).ok_or_else(|| {
            KmsError::serialization(format!("Value for '{path}' is not valid base64."))
        })?;
        self.lengths(bytes.len() as u64, min, max, None, path);
        Ok(())
    }

    /// An integer within its range.
    fn integer(
        &mut self,
        min: Option<u64>,
        max: Option<u64>,
        value: &Value,
        path: &str,
    ) -> Result<(), KmsError> {
        let Some(n) = as_integer(value) else {
            return expect(false, "an integer", value, path);
        };
        let shown = Some(format!("'{n}'"));
        if let Some(min) = min.filter(|m| n < i128::from(*m)) {
            let constraint = format!("Member must have value greater than or equal to {min}");
            self.violation(shown.clone(), path, &constraint);
        }
        if let Some(max) = max.filter(|m| n > i128::from(*m)) {
            let constraint = format!("Member must have value less than or equal to {max}");
            self.violation(shown, path, &constraint);
        }
        Ok(())
    }

    /// A list: its size, then each element at `<path>.<n>.member` (1-based).
    fn list(
        &mut self,
        member: &str,
        min: Option<u64>,
        max: Option<u64>,
        value: &mut Value,
        path: &str,
    ) -> Result<(), KmsError> {
        let element = shape_of(member)?;
        let Value::Array(items) = value else {
            return expect(false, "a JSON array", value, path);
        };
        let shown = (!is_secret(element)).then(|| format!("'[{}]'", show_items(items)));
        self.lengths(items.len() as u64, min, max, shown.as_ref(), path);
        for (i, item) in items.iter_mut().enumerate() {
            let child = format!("{}.{}.member", path, i + 1);
            if item.is_null() {
                self.violation(Some("null".into()), &child, "Member must not be null");
            } else {
                self.check(element, item, &child)?;
            }
        }
        Ok(())
    }

    /// A map: its size, each key against the key shape, each value at `<path>.<key>`.
    fn map(
        &mut self,
        key: &str,
        item: &str,
        min: Option<u64>,
        max: Option<u64>,
        value: &mut Value,
        path: &str,
    ) -> Result<(), KmsError> {
        let (key_shape, item_shape) = (shape_of(key)?, shape_of(item)?);
        let Value::Object(entries) = value else {
            return expect(false, "a JSON object", value, path);
        };
        let shown = (!is_secret(item_shape)).then(|| format!("'{{{}}}'", show_entries(entries)));
        self.lengths(entries.len() as u64, min, max, shown.as_ref(), path);
        for (k, v) in entries.iter_mut() {
            self.check(key_shape, &mut Value::String(k.clone()), path)?;
            let child = format!("{path}.{k}");
            if v.is_null() {
                self.violation(Some("null".into()), &child, "Member must not be null");
            } else {
                self.check(item_shape, v, &child)?;
            }
        }
        Ok(())
    }

    /// Length bounds shared by strings, blobs, lists and maps.
    fn lengths(
        &mut self,
        length: u64,
        min: Option<u64>,
        max: Option<u64>,
        shown: Option<&String>,
        path: &str,
    ) {
        if let Some(min) = min.filter(|m| length < *m) {
            let constraint = format!("Member must have length greater than or equal to {min}");
            self.violation(shown.cloned(), path, &constraint);
        }
        if let Some(max) = max.filter(|m| length > *m) {
            let constraint = format!("Member must have length less than or equal to {max}");
            self.violation(shown.cloned(), path, &constraint);
        }
    }
}

/// The shape named in the table; a missing one is a generator bug, reported as internal.
fn shape_of(name: &str) -> Result<&'static ShapeDef, KmsError> {
    constraints::shape(name).ok_or_else(KmsError::internal)
}

/// `Ok` when `ok`, else a `SerializationException` naming the member and the expected type.
fn expect(ok: bool, expected: &str, value: &Value, path: &str) -> Result<(), KmsError> {
    if ok {
        return Ok(());
    }
    let member = if path.is_empty() {
        "the request body"
    } else {
        path
    };
    Err(KmsError::serialization(format!(
        "Unexpected JSON type for '{member}': expected {expected}, found {}.",
        json_type(value)
    )))
}

/// The JSON type of a value, for messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An integral JSON number (a float with no fraction counts), as a wide integer.
fn as_integer(value: &Value) -> Option<i128> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // Saturating float-to-int conversion; the bound check keeps it exact.
    (f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

/// Whether values of this shape must never appear in a message.
fn is_secret(shape: &ShapeDef) -> bool {
    matches!(
        shape,
        ShapeDef::Blob { .. }
            | ShapeDef::String {
                sensitive: true,
                ..
            }
    )
}

/// List elements as AWS prints them: strings bare, the rest as JSON, comma separated.
fn show_items(items: &[Value]) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(", ")
}

/// Map entries as `k=v`, comma separated.
fn show_entries(entries: &Map<String, Value>) -> String {
    entries
        .iter()
        .map(|(k, v)| format!("{k}={}", show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One value as it appears inside a printed list or map.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The member path of a child: `parent.child`, or `child` at the top.
fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// A member name in lowerCamelCase, as AWS names it in messages: `KeyId` becomes `keyId`.
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_case_names() {
        assert_eq!(lower_camel("KeyId"), "keyId");
        assert_eq!(lower_camel("NumberOfBytes"), "numberOfBytes");
        assert_eq!(lower_camel(""), "");
    }

    #[test]
    fn integral_floats_count_as_integers() {
        assert_eq!(as_integer(&serde_json::json!(3)), Some(3));
        assert_eq!(as_integer(&serde_json::json!(3.0)), Some(3));
        assert_eq!(as_integer(&serde_json::json!(3.5)), None);
        assert_eq!(as_integer(&serde_json::json!("3")), None);
    }
}
