//! Value types of the AWS JSON 1.1 wire format (SPEC.md D31-D32) and the shape-definition types
//! of the generated constraint table.
//!
//! Blobs travel as standard base64 with padding; timestamps as JSON numbers of epoch seconds,
//! integer or fractional. Length constraints apply to the decoded bytes.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use zeroize::Zeroize;

/// A blob member: bytes that travel as base64 in JSON.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ciphertexts and tokens are not secret, but they are noise in a log: show the length.
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Base64Visitor).map(Blob)
    }
}

/// A blob member the model marks sensitive (plaintexts, public keys): zeroized on drop and
/// never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SensitiveBlob(pub Vec<u8>);

impl Drop for SensitiveBlob {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SensitiveBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl SensitiveBlob {
    /// The bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for SensitiveBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut text = STANDARD.encode(&self.0);
        let out = s.serialize_str(&text);
        text.zeroize();
        out
    }
}

impl<'de> Deserialize<'de> for SensitiveBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Base64Visitor).map(SensitiveBlob)
    }
}

struct Base64Visitor;

impl Visitor<'_> for Base64Visitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        decode_base64(v).ok_or_else(|| E::custom("invalid base64"))
    }
}

/// Decodes standard base64 as AWS accepts it: padding optional, no whitespace.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(text).ok()
}

/// A point in time, in milliseconds since the Unix epoch. On the wire: epoch seconds as a
/// JSON number, with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp `secs` seconds after the epoch.
    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs * 1000)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded down).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This timestamp moved by `days` days.
    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0 + days * 86_400_000)
    }

    /// This timestamp moved by `millis` milliseconds.
    pub fn plus_millis(self, millis: i64) -> Self {
        Timestamp(self.0 + millis)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            s.serialize_i64(self.0 / 1000)
        } else {
            s.serialize_f64(self.0 as f64 / 1000.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = f64::deserialize(d)?;
        if !secs.is_finite() || secs.abs() > 1e13 {
            return Err(de::Error::custom("timestamp out of range"));
        }
        Ok(Timestamp((secs * 1000.0).round() as i64))
    }
}

/// One member of a structure shape in the constraint table.
#[derive(Debug)]
pub struct MemberDef {
    /// The member's wire name (PascalCase).
    pub name: &'static str,
    /// The model name of the member's shape.
    pub shape: &'static str,
    /// Whether the model marks the member required.
    pub required: bool,
}

/// A shape of the AWS model with the constraints the validator checks.
#[derive(Debug)]
pub enum ShapeDef {
    /// A JSON object with named members.
    Structure {
        /// The members, in model order.
        members: &'static [MemberDef],
    },
    /// A JSON string.
    String {
        /// Minimum length in characters.
        min: Option<u64>,
        /// Maximum length in characters.
        max: Option<u64>,
        /// A Java-style regular expression the whole value must match.
        pattern: Option<&'static str>,
        /// The allowed values, when the shape is an enum.
        enum_values: &'static [&'static str],
        /// Whether the value must never be echoed in an error message.
        sensitive: bool,
    },
    /// A base64 JSON string; limits apply to the decoded bytes.
    Blob {
        /// Minimum decoded length.
        min: Option<u64>,
        /// Maximum decoded length.
        max: Option<u64>,
        /// Whether the value must never be echoed in an error message.
        sensitive: bool,
    },
    /// A JSON integer.
    Integer {
        /// Smallest allowed value.
        min: Option<u64>,
        /// Largest allowed value.
        max: Option<u64>,
    },
    /// A JSON boolean.
    Boolean,
    /// A JSON number of epoch seconds.
    Timestamp,
    /// A JSON array.
    List {
        /// The model name of the element shape.
        member: &'static str,
        /// Minimum number of elements.
        min: Option<u64>,
        /// Maximum number of elements.
        max: Option<u64>,
    },
    /// A JSON object with string keys.
    Map {
        /// The model name of the key shape.
        key: &'static str,
        /// The model name of the value shape.
        value: &'static str,
        /// Minimum number of entries.
        min: Option<u64>,
        /// Maximum number of entries.
        max: Option<u64>,
    },
}
