//! The TOML configuration file, and its merge with the command line into [`Settings`].
//!
//! Every setting has one precedence: the flag, then its `KMSD_*` variable (both read by clap in
//! [`crate::cli`]), then the file, then the default. docs/configuration.md documents each field.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use zeroize::Zeroizing;

use kms_model::AccountId;

use crate::cli::ServeArgs;
use crate::credentials::Credential;

pub mod peers;

/// The listen address when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The data directory when none is configured, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./kmsd-data";
/// The log filter when none is configured.
pub const DEFAULT_LOG_LEVEL: &str = "info";

/// The partitions whose IAM ARNs may name a principal.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// The contents of the TOML configuration file. Every field is optional; relative paths are
/// taken relative to the directory of the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on, as HOST:PORT; port 0 picks a free port.
    pub listen: Option<String>,
    /// Directory of the database, the generated root key and the generated credentials.
    pub data_dir: Option<PathBuf>,
    /// PEM certificate chain for HTTPS; needs `tls_key`.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`; needs `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Log filter: a level or tracing directives such as `info,kms_api=debug`.
    pub log_level: Option<String>,
    /// File holding the root key as 64 hex digits, readable by its owner only.
    pub root_key_file: Option<PathBuf>,
    /// The access keys that may sign requests. Without any, kmsd generates one.
    #[serde(default)]
    pub access_keys: Vec<AccessKeyEntry>,
    /// IAM identity policies attached to principals.
    #[serde(default)]
    pub policies: Vec<PolicyEntry>,
    /// The regions this deployment hosts; default: every region no peer hosts.
    pub regions: Option<Vec<String>>,
    /// How long, in seconds, a key may stay Creating or Updating, or keep a multi-Region
    /// rotation pending, while the peer it waits for is unreachable before the change is rolled
    /// back; default 30.
    pub replication_timeout_secs: Option<u64>,
    /// The peer deployments that host the other regions.
    #[serde(default)]
    pub peers: Vec<peers::PeerEntry>,
}

/// One `[[policies]]` table: an IAM identity policy document attached to a principal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    /// The principal ARN the policy is attached to, e.g. `arn:aws:iam::111122223333:user/alice`.
    pub principal: String,
    /// The policy document (JSON), as for IAM.
    pub document: String,
}

/// One `[[access_keys]]` table: an access key, its secret and the identity it signs as.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyEntry {
    /// The access key ID clients put in their requests, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub id: String,
    /// The secret access key clients sign with.
    pub secret: Zeroizing<String>,
    /// The 12-digit account the key belongs to.
    pub account: String,
    /// The IAM principal ARN of the caller, in the same account; default: the account root.
    pub principal: Option<String>,
}

impl fmt::Debug for AccessKeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyEntry")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .field("account", &self.account)
            .field("principal", &self.principal)
            .finish()
    }
}

/// The two files of a TLS identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// The PEM private key.
    pub key: PathBuf,
}

/// The settings kmsd runs with, after the merge and validation.
#[derive(Debug)]
pub struct Settings {
    /// Address to bind.
    pub listen: String,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The TLS identity; `None` serves plain HTTP.
    pub tls: Option<TlsFiles>,
    /// The tracing filter directives.
    pub log_filter: String,
    /// The root key file named by the configuration, if any.
    pub root_key_file: Option<PathBuf>,
    /// The configured access keys; empty means "use the generated credentials".
    pub access_keys: Vec<Credential>,
    /// The identity policies, parsed, by principal.
    pub identity_policies: kms_service::IdentityPolicies,
    /// The hosted regions and the peer deployments.
    pub replication: peers::Replication,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML, or has an unknown, missing or mistyped field.
    #[error("config file {}, line {line}, column {column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the error.
        line: usize,
        /// The 1-based column of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A field of the configuration file has a value kmsd does not accept.
    #[error("config file {}: {field}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field, e.g. `access_keys[1].account`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Only one half of the TLS identity is configured.
    #[error("TLS needs both a certificate and a key: {given} is set but {missing} is not")]
    TlsHalf {
        /// The half that is configured.
        given: &'static str,
        /// The half that is missing.
        missing: &'static str,
    },
    /// The log filter does not parse.
    #[error("invalid log filter {filter:?} from {source_name}: {reason}")]
    LogFilter {
        /// The filter text.
        filter: String,
        /// Where it came from.
        source_name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads the configuration file named by `args` (if any) and merges it with `args`.
/// `rust_log` is the value of `RUST_LOG`, if set.
pub fn load(args: &ServeArgs, rust_log: Option<String>) -> Result<Settings, ConfigError> {
    let args = args.clone().without_empty();
    let file = match &args.config {
        Some(path) => Some((read_file(path)?, path.clone())),
        None => None,
    };
    merge(&args, file, rust_log)
}

/// Reads and parses one configuration file.
pub fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(read_error)?);
    parse(&text, path)
}

/// Parses the text of a configuration file; `path` only names it in errors.
///
/// The error carries the position and toml's message but never the source line, which could
/// hold a secret.
fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        let (line, column) = line_and_column(text, offset);
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Merges the command line over the file over the defaults, and validates the result.
fn merge(
    args: &ServeArgs,
    file: Option<(FileConfig, PathBuf)>,
    rust_log: Option<String>,
) -> Result<Settings, ConfigError> {
    let args = args.clone().without_empty();
    let (file, file_path) = match file {
        Some((config, path)) => (config, Some(path)),
        None => (FileConfig::default(), None),
    };
    let base = file_path
        .as_deref()
        .map(|p| p.parent().unwrap_or(Path::new("")));
    let from_file = |p: Option<PathBuf>| p.map(|p| resolve_path(base, p));

    // Each field: the command line, else the file, else the default.
    let listen = args
        .listen
        .clone()
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.into());
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| from_file(file.data_dir))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let root_key_file = args
        .root_key_file
        .clone()
        .or_else(|| from_file(file.root_key_file));
    let tls_cert = args.tls_cert.clone().or_else(|| from_file(file.tls_cert));
    let tls_key = args.tls_key.clone().or_else(|| from_file(file.tls_key));
    let log_filter = log_filter(args.log_level.as_deref(), rust_log, file.log_level)?;

    // TLS is all or nothing.
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ConfigError::TlsHalf {
                given: "the TLS certificate (--tls-cert, KMSD_TLS_CERT or tls_cert)",
                missing: "the key",
            })
        }
        (None, Some(_)) => {
            return Err(ConfigError::TlsHalf {
                given: "the TLS key (--tls-key, KMSD_TLS_KEY or tls_key)",
                missing: "the certificate",
            })
        }
    };

    // Access keys and identity policies come only from the file.
    let access_keys = match &file_path {
        Some(path) => validate_access_keys(file.access_keys, path)?,
        None => Vec::new(),
    };
    let identity_policies = match &file_path {
        Some(path) => parse_policies(file.policies, path)?,
        None => kms_service::IdentityPolicies::new(),
    };

    // So do the hosted regions and the peers.
    let replication = match (&file_path, base) {
        (Some(path), Some(base)) => {
            let raw = peers::Raw {
                regions: file.regions,
                timeout_secs: file.replication_timeout_secs,
                peers: file.peers,
            };
            peers::validate(raw, path, base)?
        }
        _ => peers::Replication::default(),
    };

    Ok(Settings {
        listen,
        data_dir,
        tls,
        log_filter,
        root_key_file,
        access_keys,
        identity_policies,
        replication,
    })
}

/// Parses every `[[policies]]` document as an IAM identity policy; a bad one is refused
/// naming the file, the entry, its principal and what is wrong.
fn parse_policies(
    entries: Vec<PolicyEntry>,
    path: &Path,
) -> Result<kms_service::IdentityPolicies, ConfigError> {
    let mut policies = kms_service::IdentityPolicies::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let invalid = |reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            field: format!("policies[{index}] (principal {})", entry.principal),
            reason,
        };
        if !entry.principal.starts_with("arn:") || !entry.principal.contains(":iam::") {
            return Err(invalid("the principal must be an IAM principal ARN".into()));
        }
        let policy =
            kms_policy::Policy::parse_as(&entry.document, kms_policy::PolicyKind::Identity)
                .map_err(|e| invalid(format!("invalid policy document: {e}")))?;
        policies.attach(&entry.principal, policy);
    }
    Ok(policies)
}

/// A path from the file, taken relative to the file's directory unless absolute.
fn resolve_path(base: Option<&Path>, path: PathBuf) -> PathBuf {
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }
}

/// Picks the log filter: `--log-level`/`KMSD_LOG_LEVEL`, else `RUST_LOG`, else the file, else
/// `info`; and checks that it parses.
fn log_filter(
    command_line: Option<&str>,
    rust_log: Option<String>,
    file: Option<String>,
) -> Result<String, ConfigError> {
    let rust_log = rust_log.filter(|v| !v.trim().is_empty());
    let (filter, source_name) = if let Some(v) = command_line {
        (v.to_string(), "--log-level/KMSD_LOG_LEVEL")
    } else if let Some(v) = rust_log {
        (v, "RUST_LOG")
    } else if let Some(v) = file {
        (v, "log_level in the config file")
    } else {
        (DEFAULT_LOG_LEVEL.to_string(), "the default")
    };
    match EnvFilter::try_new(&filter) {
        Ok(_) => Ok(filter),
        Err(e) => Err(ConfigError::LogFilter {
            filter,
            source_name,
            reason: e.to_string(),
        }),
    }
}

/// Checks every `[[access_keys]]` entry and turns it into a [`Credential`].
fn validate_access_keys(
    entries: Vec<AccessKeyEntry>,
    path: &Path,
) -> Result<Vec<Credential>, ConfigError> {
    let invalid = |index: usize, field: &str, reason: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        field: format!("access_keys[{index}].{field}"),
        reason,
    };
    let mut keys: Vec<Credential> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        // The ID goes into the SigV4 credential scope, so it cannot hold its separators.
        if entry.id.is_empty() {
            return Err(invalid(index, "id", "must not be empty".into()));
        }
        if entry
            .id
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | ',' | '='))
        {
            return Err(invalid(
                index,
                "id",
                format!(
                    "{:?} must not contain whitespace, '/', ',' or '='",
                    entry.id
                ),
            ));
        }
        if let Some(first) = keys.iter().position(|k| k.id == entry.id) {
            let reason = format!("{:?} is already the id of access_keys[{first}]", entry.id);
            return Err(invalid(index, "id", reason));
        }

        if entry.secret.is_empty() {
            return Err(invalid(index, "secret", "must not be empty".into()));
        }

        let Some(account) = AccountId::parse(&entry.account) else {
            let reason = format!("{:?} is not a 12-digit account ID", entry.account);
            return Err(invalid(index, "account", reason));
        };

        if let Some(principal) = &entry.principal {
            check_principal(principal, account.as_str())
                .map_err(|reason| invalid(index, "principal", reason))?;
        }

        keys.push(Credential {
            id: entry.id,
            secret: entry.secret,
            account,
            principal_arn: entry.principal,
        });
    }
    Ok(keys)
}

/// Checks that `arn` is an IAM ARN (`arn:<partition>:iam::<account>:<resource>`) of `account`.
fn check_principal(arn: &str, account: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let shape = format!("must be an IAM ARN of account {account}, arn:aws:iam::{account}:...");
    match parts.as_slice() {
        ["arn", partition, "iam", "", arn_account, resource] => {
            if !PARTITIONS.contains(partition) {
                Err(format!(
                    "{arn:?} has unknown partition {partition:?}; {shape}"
                ))
            } else if *arn_account != account {
                Err(format!("{arn:?} names account {arn_account:?}; {shape}"))
            } else if resource.is_empty() {
                Err(format!("{arn:?} names no principal; {shape}"))
            } else {
                Ok(())
            }
        }
        _ => Err(format!("{arn:?} {shape}")),
    }
}

#[cfg(test)]
mod tests;
