//! Finding the root key that seals every stored secret (ARCHITECTURE.md, "Key material at rest").
//!
//! In order: the `KMSD_ROOT_KEY` variable, the file the configuration names, or
//! `<data-dir>/root.key`, which is created on first start. A key file must hold 64 hex digits
//! (a trailing newline is allowed) and be readable by its owner only. The key itself is never
//! printed, logged or put in an error.

use std::fmt;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use kms_crypto::RootKey;

use crate::credentials::sync_parent;

/// The environment variable that may carry the root key.
pub const ENV_VAR: &str = "KMSD_ROOT_KEY";
/// The name of the root key file inside the data directory.
pub const FILE_NAME: &str = "root.key";

/// Where the root key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The `KMSD_ROOT_KEY` variable.
    Env,
    /// The file named by the configuration.
    ConfiguredFile(PathBuf),
    /// `<data-dir>/root.key`, which existed.
    DataDir(PathBuf),
    /// `<data-dir>/root.key`, created by this start.
    Created(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => write!(f, "the {ENV_VAR} variable"),
            Source::ConfiguredFile(p) | Source::DataDir(p) => write!(f, "{}", p.display()),
            Source::Created(p) => write!(f, "{} (new)", p.display()),
        }
    }
}

/// Why no root key can be had.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    /// `KMSD_ROOT_KEY` is set but is not 64 hex digits.
    #[error("{ENV_VAR} is set but is not 64 hex digits")]
    MalformedEnv,
    /// A key file does not hold 64 hex digits.
    #[error("root key file {} is malformed: it must hold 64 hex digits and a newline", path.display())]
    MalformedFile {
        /// The file.
        path: PathBuf,
    },
    /// A key file can be read or written by others than its owner.
    #[error(
        "root key file {} has mode {mode:o}, so others than its owner can reach it; \
         run `chmod 600 {}` and check who may have read it",
        path.display(), path.display()
    )]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The configured key file does not exist.
    #[error(
        "root key file {} does not exist; create one with \
         `(umask 077; openssl rand -hex 32 > {})`",
        path.display(), path.display()
    )]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A key file is not a regular file.
    #[error("root key file {} is not a regular file", path.display())]
    NotAFile {
        /// The file.
        path: PathBuf,
    },
    /// A key file cannot be read or written.
    #[error("root key file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Finds the root key: `env` (the value of `KMSD_ROOT_KEY`), else `configured`, else the file in
/// `data_dir`, creating that one if it does not exist.
pub fn load(
    env: Option<Zeroizing<String>>,
    configured: Option<&Path>,
    data_dir: &Path,
) -> Result<(RootKey, Source), RootKeyError> {
    if let Some(value) = env {
        let key = RootKey::from_hex(value.trim()).map_err(|_| RootKeyError::MalformedEnv)?;
        return Ok((key, Source::Env));
    }

    if let Some(path) = configured {
        let key = match read_file(path) {
            Err(RootKeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                return Err(RootKeyError::Missing {
                    path: path.to_path_buf(),
                });
            }
            other => other?,
        };
        return Ok((key, Source::ConfiguredFile(path.to_path_buf())));
    }

    let path = data_dir.join(FILE_NAME);
    match create(&path) {
        Ok(key) => Ok((key, Source::Created(path))),
        Err(RootKeyError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
            let key = read_file(&path)?;
            Ok((key, Source::DataDir(path)))
        }
        Err(e) => Err(e),
    }
}

/// Reads a key file after checking that only its owner can reach it.
fn read_file(path: &Path) -> Result<RootKey, RootKeyError> {
    let io_error = |source| RootKeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(RootKeyError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(RootKeyError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidData {
            RootKeyError::MalformedFile {
                path: path.to_path_buf(),
            }
        } else {
            io_error(e)
        }
    })?);
    let hex = text.strip_suffix('\n').unwrap_or(&text);
    let hex = hex.strip_suffix('\r').unwrap_or(hex);
    if hex.len() != 64 {
        return Err(RootKeyError::MalformedFile {
            path: path.to_path_buf(),
        });
    }
    RootKey::from_hex(hex).map_err(|_| RootKeyError::MalformedFile {
        path: path.to_path_buf(),
    })
}

/// Creates `path`, which must not exist, with mode 0600 and a new random key in it.
fn create(path: &Path) -> Result<RootKey, RootKeyError> {
    let io_error = |source| RootKeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error)?;
    // The umask can only have removed bits; make the mode exactly 0600.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io_error)?;

    let key = RootKey::generate();
    let mut text = key.to_hex();
    text.push('\n');
    file.write_all(text.as_bytes()).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    sync_parent(path).map_err(io_error)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn write_mode(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn first_start_creates_a_0600_file_that_later_starts_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let (first, source) = load(None, None, dir.path()).unwrap();
        let path = dir.path().join("root.key");
        assert_eq!(source, Source::Created(path.clone()));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 65);
        assert!(text.ends_with('\n'));
        assert_eq!(text.trim_end(), first.to_hex().as_str());

        let (second, source) = load(None, None, dir.path()).unwrap();
        assert_eq!(source, Source::DataDir(path));
        assert_eq!(second.to_hex().as_str(), first.to_hex().as_str());
    }

    #[test]
    fn the_variable_wins_over_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let configured = dir.path().join("elsewhere.key");
        write_mode(&configured, "ff", 0o600);
        let env = Some(Zeroizing::new(format!("{HEX}\n")));
        let (key, source) = load(env, Some(&configured), dir.path()).unwrap();
        assert_eq!(source, Source::Env);
        assert_eq!(key.to_hex().as_str(), HEX);
        assert!(!dir.path().join("root.key").exists());

        let e = load(Some(Zeroizing::new("abc".into())), None, dir.path()).unwrap_err();
        assert!(matches!(e, RootKeyError::MalformedEnv));
    }

    #[test]
    fn a_configured_file_is_used_and_never_created() {
        let dir = tempfile::tempdir().unwrap();
        let configured = dir.path().join("kms-root.key");
        let e = load(None, Some(&configured), dir.path()).unwrap_err();
        assert!(matches!(e, RootKeyError::Missing { .. }), "{e}");
        assert!(!configured.exists());

        write_mode(&configured, HEX, 0o400);
        let (key, source) = load(None, Some(&configured), dir.path()).unwrap();
        assert_eq!(source, Source::ConfiguredFile(configured));
        assert_eq!(key.to_hex().as_str(), HEX);
        assert!(!dir.path().join("root.key").exists());
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        for mode in [0o644, 0o640, 0o604, 0o620] {
            write_mode(&path, HEX, mode);
            let e = load(None, None, dir.path()).unwrap_err();
            assert!(matches!(e, RootKeyError::TooOpen { .. }), "{mode:o}: {e}");
            assert!(!e.to_string().contains(HEX));
        }
    }

    #[test]
    fn a_malformed_file_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let short = &HEX[..62];
        let not_hex = format!("{}zz", &HEX[..62]);
        let two_lines = format!("{HEX}\n\n");
        for text in ["", short, not_hex.as_str(), two_lines.as_str()] {
            write_mode(&path, text, 0o600);
            let e = load(None, None, dir.path()).unwrap_err();
            assert!(
                matches!(e, RootKeyError::MalformedFile { .. }),
                "{text:?}: {e}"
            );
            assert!(!e.to_string().contains(&HEX[..62]), "{e}");
        }
    }
}
