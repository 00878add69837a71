//! Access keys, and the credential kmsd generates when the configuration names none.
//!
//! The generated credential is written once to `<data-dir>/credentials` in the AWS shared
//! credentials file format (profile `[kmsd]`), so that the AWS CLI and SDKs can use it through
//! `AWS_SHARED_CREDENTIALS_FILE` and `AWS_PROFILE`, and it is reused on every later start.

use std::fmt;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use kms_model::AccountId;

/// The account of the generated credential.
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// The profile of the generated credential in the credentials file.
pub const PROFILE: &str = "kmsd";
/// The name of the credentials file inside the data directory.
pub const FILE_NAME: &str = "credentials";

/// The alphabet of the 16 characters after `AKIA` in a generated access key ID.
const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The alphabet of a generated secret access key.
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// An access key with its secret and the identity requests signed with it act as.
pub struct Credential {
    /// The access key ID.
    pub id: String,
    /// The secret access key.
    pub secret: Zeroizing<String>,
    /// The account of the caller.
    pub account: AccountId,
    /// The principal ARN of the caller; `None` is the account root.
    pub principal_arn: Option<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("account", &self.account)
            .field("principal_arn", &self.principal_arn)
            .finish()
    }
}

/// The generated credential and the file that holds it.
#[derive(Debug)]
pub struct Generated {
    /// The credential, for the default account.
    pub credential: Credential,
    /// The credentials file.
    pub path: PathBuf,
    /// Whether this start created the file.
    pub created: bool,
}

/// Why the generated credential cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file cannot be read or written.
    #[error("credentials file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file exists but holds no usable `[kmsd]` profile.
    #[error(
        "credentials file {} has no [kmsd] profile with aws_access_key_id and \
         aws_secret_access_key; fix it, or delete it to have a new access key generated",
        path.display()
    )]
    Malformed {
        /// The file.
        path: PathBuf,
    },
}

/// Reads the generated credential from `data_dir`, creating it on first use.
pub fn load_or_create(data_dir: &Path) -> Result<Generated, CredentialsError> {
    let path = data_dir.join(FILE_NAME);
    let io_error = |source| CredentialsError::Io {
        path: path.clone(),
        source,
    };

    // First start: write a new credential; the file must not exist, so two starts racing
    // cannot overwrite each other's key.
    let credential = generate();
    match write_new(&path, &credential) {
        Ok(()) => {
            return Ok(Generated {
                credential,
                path,
                created: true,
            })
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_error(e)),
    }

    // Later starts: reuse what the file holds.
    let mode = std::fs::metadata(&path)
        .map_err(io_error)?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format_args!("{:o}", mode & 0o777),
            "the credentials file is readable by others than its owner; chmod 600 it"
        );
    }
    let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(io_error)?);
    let Some((id, secret)) = parse(&text) else {
        return Err(CredentialsError::Malformed { path });
    };
    let credential = Credential {
        id,
        secret,
        account: default_account(),
        principal_arn: None,
    };
    Ok(Generated {
        credential,
        path,
        created: false,
    })
}

/// A new random access key for the default account.
pub fn generate() -> Credential {
    let id_bytes = random_bytes(16);
    let id: String = "AKIA"
        .chars()
        .chain(
            id_bytes
                .iter()
                .map(|b| char::from(ID_ALPHABET[usize::from(b % 32)])),
        )
        .collect();
    // 64 divides 256, so `b % 64` picks every character with the same probability.
    let secret_bytes = random_bytes(40);
    let secret: Zeroizing<String> = Zeroizing::new(
        secret_bytes
            .iter()
            .map(|b| char::from(SECRET_ALPHABET[usize::from(b % 64)]))
            .collect(),
    );
    Credential {
        id,
        secret,
        account: default_account(),
        principal_arn: None,
    }
}

/// `len` random bytes from the system's CSPRNG.
fn random_bytes(len: usize) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(kms_crypto::random_bytes(len))
}

/// The account of the generated credential.
fn default_account() -> AccountId {
    // DEFAULT_ACCOUNT is twelve ASCII digits, which AccountId::parse always accepts.
    #[allow(clippy::expect_used)]
    AccountId::parse(DEFAULT_ACCOUNT).expect("DEFAULT_ACCOUNT is a 12-digit account ID")
}

/// Creates `path` (which must not exist) with mode 0600 and writes `credential` into it.
fn write_new(path: &Path, credential: &Credential) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    // The umask can only have removed bits; make the mode exactly 0600.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(render(credential).as_bytes())?;
    file.sync_all()?;
    sync_parent(path)
}

/// Flushes the directory entry of `path` to disk.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => std::fs::File::open(".")?.sync_all(),
    }
}

/// The credentials file's text for `credential`.
fn render(credential: &Credential) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# Generated by kmsd for account {account}. Use it with\n\
         #   AWS_SHARED_CREDENTIALS_FILE=<this file> AWS_PROFILE={PROFILE}\n\
         [{PROFILE}]\n\
         aws_access_key_id = {id}\n\
         aws_secret_access_key = {secret}\n",
        account = credential.account,
        id = credential.id,
        secret = credential.secret.as_str(),
    ))
}

/// The access key ID and secret of the `[kmsd]` profile of a shared credentials file.
fn parse(text: &str) -> Option<(String, Zeroizing<String>)> {
    let mut in_profile = false;
    let mut id = None;
    let mut secret = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == PROFILE;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !in_profile {
            continue;
        }
        match key.trim() {
            "aws_access_key_id" => id = Some(value.trim().to_string()),
            "aws_secret_access_key" => secret = Some(Zeroizing::new(value.trim().to_string())),
            _ => {}
        }
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_has_the_aws_shape() {
        let c = generate();
        assert_eq!(c.id.len(), 20);
        assert!(c.id.starts_with("AKIA"));
        assert!(
            c.id[4..].bytes().all(|b| ID_ALPHABET.contains(&b)),
            "{}",
            c.id
        );
        assert_eq!(c.secret.len(), 40);
        assert!(c.secret.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        assert_eq!(c.account.as_str(), "000000000000");
        assert_eq!(c.principal_arn, None);
        assert_ne!(generate().id, c.id);
    }

    #[test]
    fn the_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        assert!(first.created);
        assert_eq!(first.path, dir.path().join("credentials"));
        let mode = std::fs::metadata(&first.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let text = std::fs::read_to_string(&first.path).unwrap();
        assert!(text.contains("[kmsd]\n"), "{text}");
        assert!(text.contains(&format!("aws_access_key_id = {}\n", first.credential.id)));
        assert!(text.contains(&format!(
            "aws_secret_access_key = {}\n",
            *first.credential.secret
        )));

        let second = load_or_create(dir.path()).unwrap();
        assert!(!second.created);
        assert_eq!(second.credential.id, first.credential.id);
        assert_eq!(*second.credential.secret, *first.credential.secret);
        assert_eq!(second.credential.account.as_str(), "000000000000");
    }

    #[test]
    fn a_hand_edited_file_is_read_by_profile() {
        let text = "[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n\
                    ; comment\n[ kmsd ]\n  aws_access_key_id=AKIATEST\naws_secret_access_key =  s/e+c \n";
        let (id, secret) = parse(text).unwrap();
        assert_eq!(id, "AKIATEST");
        assert_eq!(secret.as_str(), "s/e+c");
        assert!(parse("[default]\naws_access_key_id = A\naws_secret_access_key = B\n").is_none());
        assert!(parse("[kmsd]\naws_access_key_id = A\n").is_none());
        assert!(parse("[kmsd]\naws_access_key_id = A\naws_secret_access_key =\n").is_none());
    }

    #[test]
    fn a_malformed_file_is_refused_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[other]\n").unwrap();
        let e = load_or_create(dir.path()).unwrap_err();
        assert!(matches!(e, CredentialsError::Malformed { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[other]\n");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let c = generate();
        let shown = format!("{c:?}");
        assert!(!shown.contains(c.secret.as_str()), "{shown}");
    }
}
