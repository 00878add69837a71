//! Identifiers parsed once at the edge: regions, partitions, accounts, key IDs, ARNs and aliases
//! (SPEC.md 1.1-1.6 and D1-D4).

use std::fmt;

use crate::error::{ErrorCode, KmsError};

/// An AWS partition: the first field of every ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-us-gov`: GovCloud (regions `us-gov-*`).
    AwsUsGov,
    /// `aws-cn`: China (regions `cn-*`).
    AwsCn,
}

impl Partition {
    /// The partition's name as it appears in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsCn => "aws-cn",
        }
    }
}

/// A region name of the form `^([a-z]+-){2,3}\d+$`, such as `us-east-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    /// Parses a region name; `None` when it does not have the AWS form.
    pub fn parse(name: &str) -> Option<Region> {
        let parts: Vec<&str> = name.split('-').collect();
        let (last, words) = parts.split_last()?;
        let words_ok = (2..=3).contains(&words.len())
            && words
                .iter()
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
        let number_ok = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
        (name.len() <= 32 && words_ok && number_ok).then(|| Region(name.to_string()))
    }

    /// The region name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The partition the region belongs to, from its prefix.
    pub fn partition(&self) -> Partition {
        if self.0.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else if self.0.starts_with("cn-") {
            Partition::AwsCn
        } else {
            Partition::Aws
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 12-digit AWS account ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Parses a 12-digit account ID.
    pub fn parse(id: &str) -> Option<AccountId> {
        (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| AccountId(id.to_string()))
    }

    /// The account ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key ID: a UUID for a single-Region key, `mrk-` and 32 hex digits for a multi-Region key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Parses a key ID of either form; `None` when it has neither shape (SPEC 1.4).
    pub fn parse(id: &str) -> Option<KeyId> {
        key_id_bytes(id).map(|_| KeyId(id.to_string()))
    }

    /// Wraps an ID that kmsd generated itself.
    pub fn from_generated(id: String) -> KeyId {
        KeyId(id)
    }

    /// The key ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the ID of a multi-Region key.
    pub fn is_multi_region(&self) -> bool {
        self.0.starts_with("mrk-")
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key ID in binary: its 16 bytes, its form, and whether its digits were all lower case
/// (kmsd writes them so; a lookup that must match text exactly needs to know).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyIdBytes {
    pub multi_region: bool,
    pub bytes: [u8; 16],
    pub lower_case: bool,
}

/// Where each byte's two digits start in a UUID (`8-4-4-4-12`) and after `mrk-`.
const UUID_DIGITS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const MRK_DIGITS: [usize; 16] = [4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34];

/// The binary form of a key ID of either shape, `None` for any other text.
///
/// Every digit is checked and decoded with arithmetic, not with a branch per digit: with a
/// million keys in use, each request names a key the branch predictor has not seen, and a
/// branch per digit cost a mispredict for about every other digit.
pub fn key_id_bytes(text: &str) -> Option<KeyIdBytes> {
    // Step 1: the shape: length, and the dashes of a UUID.
    let b = text.as_bytes();
    let (multi_region, starts) = if text.starts_with("mrk-") {
        (true, &MRK_DIGITS)
    } else {
        (false, &UUID_DIGITS)
    };
    let shape = if multi_region {
        b.len() == 36
    } else {
        b.len() == 36 && b[8] == b'-' && b[13] == b'-' && b[18] == b'-' && b[23] == b'-'
    };
    if !shape {
        return None;
    }

    // Step 2: the digits, two to a byte, with validity and case folded over all of them.
    let (mut valid, mut lower_case) = (true, true);
    let mut bytes = [0u8; 16];
    for (byte, &at) in bytes.iter_mut().zip(starts.iter()) {
        let (high, low) = (b[at], b[at + 1]);
        valid &= hex_digit(high) & hex_digit(low);
        lower_case &= !high.is_ascii_uppercase() & !low.is_ascii_uppercase();
        *byte = (hex_value(high) << 4) | hex_value(low);
    }
    valid.then_some(KeyIdBytes {
        multi_region,
        bytes,
        lower_case,
    })
}

/// Whether `c` is a hex digit of either case, computed without a branch.
fn hex_digit(c: u8) -> bool {
    (c.wrapping_sub(b'0') < 10) | ((c | 0x20).wrapping_sub(b'a') < 6)
}

/// The value of a hex digit already checked by [`hex_digit`], computed without a branch.
fn hex_value(c: u8) -> u8 {
    (c & 0x0f) + 9 * (c >> 6)
}

/// The key ARN `arn:<partition>:kms:<region>:<account>:key/<key-id>`.
pub fn key_arn(region: &Region, account: &AccountId, key_id: &str) -> String {
    format!(
        "arn:{}:kms:{}:{}:key/{}",
        region.partition().as_str(),
        region,
        account,
        key_id
    )
}

/// The alias ARN `arn:<partition>:kms:<region>:<account>:alias/<name-without-prefix>`.
pub fn alias_arn(region: &Region, account: &AccountId, alias_name: &str) -> String {
    let bare = alias_name.strip_prefix("alias/").unwrap_or(alias_name);
    format!(
        "arn:{}:kms:{}:{}:alias/{}",
        region.partition().as_str(),
        region,
        account,
        bare
    )
}

/// A key identifier in any of the four forms a request may carry (SPEC D1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyIdentifier {
    /// A bare key ID.
    Id(KeyId),
    /// A key ARN: the key's region, account and ID.
    KeyArn {
        /// The region of the ARN.
        region: Region,
        /// The account of the ARN.
        account: AccountId,
        /// The key ID of the ARN.
        key_id: KeyId,
    },
    /// An alias name, `alias/...`.
    AliasName(String),
    /// An alias ARN: region, account and the alias name with its `alias/` prefix.
    AliasArn {
        /// The region of the ARN.
        region: Region,
        /// The account of the ARN.
        account: AccountId,
        /// The alias name, `alias/...`.
        alias_name: String,
    },
}

impl KeyIdentifier {
    /// Parses any of the four forms. A value of no form fails as AWS does:
    /// `NotFoundException` "Invalid keyId '<value>'" (SPEC 1.4), or "Invalid arn" for an ARN.
    pub fn parse(value: &str) -> Result<KeyIdentifier, KmsError> {
        if value.starts_with("arn:") {
            return parse_arn(value);
        }
        if value.starts_with("alias/") {
            return Ok(KeyIdentifier::AliasName(value.to_string()));
        }
        KeyId::parse(value)
            .map(KeyIdentifier::Id)
            .ok_or_else(|| KmsError::not_found(format!("Invalid keyId '{value}'")))
    }

    /// Parses a key ID or key ARN only (SPEC D2); an alias form is refused (SPEC D3).
    pub fn parse_key_only(value: &str) -> Result<KeyIdentifier, KmsError> {
        match KeyIdentifier::parse(value)? {
            KeyIdentifier::AliasArn { .. } => Err(KmsError::new(
                ErrorCode::InvalidArnException,
                "Key Aliases are not supported for this operation.",
            )),
            KeyIdentifier::AliasName(_) => {
                Err(KmsError::not_found(format!("Invalid keyId '{value}'")))
            }
            key => Ok(key),
        }
    }

    /// Whether this identifier names an alias rather than a key.
    pub fn is_alias(&self) -> bool {
        matches!(
            self,
            KeyIdentifier::AliasName(_) | KeyIdentifier::AliasArn { .. }
        )
    }
}

fn parse_arn(value: &str) -> Result<KeyIdentifier, KmsError> {
    let invalid = || KmsError::not_found(format!("Invalid arn {value}"));
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = fields[..] else {
        return Err(invalid());
    };
    let region = Region::parse(region).ok_or_else(invalid)?;
    let account = AccountId::parse(account).ok_or_else(invalid)?;
    if service != "kms" || partition != region.partition().as_str() {
        return Err(invalid());
    }
    if let Some(id) = resource.strip_prefix("key/") {
        let key_id = KeyId::parse(id).ok_or_else(invalid)?;
        return Ok(KeyIdentifier::KeyArn {
            region,
            account,
            key_id,
        });
    }
    if let Some(name) = resource.strip_prefix("alias/") {
        if name.is_empty() {
            return Err(invalid());
        }
        return Ok(KeyIdentifier::AliasArn {
            region,
            account,
            alias_name: format!("alias/{name}"),
        });
    }
    Err(invalid())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::*;

    #[test]
    fn regions_and_partitions() {
        assert_eq!(
            Region::parse("us-east-1").map(|r| r.partition()),
            Some(Partition::Aws)
        );
        assert_eq!(
            Region::parse("us-gov-west-1").map(|r| r.partition()),
            Some(Partition::AwsUsGov)
        );
        assert_eq!(
            Region::parse("cn-north-1").map(|r| r.partition()),
            Some(Partition::AwsCn)
        );
        assert!(Region::parse("us-east").is_none());
        assert!(Region::parse("US-east-1").is_none());
        assert!(Region::parse("a-b-c-d-1").is_none());
        assert!(Region::parse("eu-central-").is_none());
    }

    #[test]
    fn key_ids() {
        assert!(KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").is_some());
        assert!(KeyId::parse("mrk-1234abcd12ab34cd56ef1234567890ab").is_some());
        assert!(KeyId::parse("1234abcd12ab34cd56ef1234567890ab").is_none());
        assert!(KeyId::parse("mrk-fake-key-id").is_none());
        assert!(KeyId::parse("fake-key-id").is_none());
    }

    #[test]
    fn identifier_forms() {
        let err = KeyIdentifier::parse("fake-key-id").unwrap_err();
        assert_eq!(err.message, "Invalid keyId 'fake-key-id'");
        let arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(matches!(
            KeyIdentifier::parse(arn),
            Ok(KeyIdentifier::KeyArn { .. })
        ));
        let alias = "arn:aws:kms:us-west-2:111122223333:alias/my-key";
        match KeyIdentifier::parse(alias) {
            Ok(KeyIdentifier::AliasArn { alias_name, .. }) => {
                assert_eq!(alias_name, "alias/my-key")
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(KeyIdentifier::parse_key_only("alias/x").is_err());
        assert_eq!(
            KeyIdentifier::parse_key_only(alias).unwrap_err().code,
            ErrorCode::InvalidArnException
        );
        assert!(KeyIdentifier::parse("arn:aws-us-gov:kms:us-east-1:111122223333:key/x").is_err());
    }

    /// The shape rule of SPEC 1.4, written plainly: the reference for [`key_id_bytes`].
    fn reference(text: &str) -> Option<(bool, [u8; 16])> {
        let (multi_region, digits) = match text.strip_prefix("mrk-") {
            Some(rest) => (true, rest.to_string()),
            None => {
                let groups: Vec<&str> = text.split('-').collect();
                let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
                if lens != [8, 4, 4, 4, 12] {
                    return None;
                }
                (false, groups.concat())
            }
        };
        if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).ok()?;
        }
        Some((multi_region, out))
    }

    #[test]
    fn key_id_bytes_decodes_both_forms() {
        let uuid = key_id_bytes("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap();
        assert!(!uuid.multi_region && uuid.lower_case);
        assert_eq!(uuid.bytes[..4], [0x12, 0x34, 0xab, 0xcd]);
        assert_eq!(uuid.bytes[15], 0xab);
        let mrk = key_id_bytes("mrk-1234abcd12ab34cd56ef1234567890AB").unwrap();
        assert!(mrk.multi_region && !mrk.lower_case);
        assert_eq!(mrk.bytes[15], 0xab);
        for bad in [
            "",
            "mrk-",
            "1234abcd-12ab-34cd-56ef-1234567890a",
            "1234abcd-12ab-34cd-56ef-1234567890ag",
            "1234abcd012ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890a-",
            "mrk-1234abcd-12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890\u{e9}",
        ] {
            assert_eq!(key_id_bytes(bad), None, "{bad}");
            assert!(KeyId::parse(bad).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Any text of the length and alphabet of key IDs: the arithmetic decoder agrees with
        /// the plain reference on whether it is a key ID and on its bytes.
        #[test]
        fn key_id_bytes_matches_the_reference(
            text in "(mrk-)?[0-9a-fA-F-]{32,36}|[0-9a-gA-G]{8}-[0-9a-gA-G]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-fx]{12}",
        ) {
            let got = key_id_bytes(&text).map(|k| (k.multi_region, k.bytes));
            proptest::prop_assert_eq!(got, reference(&text));
            let lower = !text.bytes().any(|b| b.is_ascii_uppercase());
            if let Some(k) = key_id_bytes(&text) {
                proptest::prop_assert_eq!(k.lower_case, lower);
            }
        }
    }
}
