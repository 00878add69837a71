//! The command line: `kmsd serve` and its flags, each also readable from a `KMSD_*` variable.
//!
//! No flag has a clap default: an absent flag is `None` so that [`crate::config`] can fall back
//! to the TOML file and then to the built-in default, in that order.

use std::path::PathBuf;

use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

/// Text shown after the options of `kmsd serve --help`.
const SERVE_AFTER_HELP: &str = "\
Precedence: a flag wins over its KMSD_* variable, which wins over the TOML file (--config),
which wins over the default. RUST_LOG, when set, is used as the log filter unless --log-level
or KMSD_LOG_LEVEL is given.

Root key: read from KMSD_ROOT_KEY (64 hex digits) when set, else from the file named by
--root-key-file (root_key_file in the file), else from <data-dir>/root.key, created 0600 on
first start. A backup of a data directory that holds its own root key exposes every key in it.

Access keys: taken from [[access_keys]] in the TOML file. Without any, kmsd generates one for
account 000000000000 on first start and writes it to <data-dir>/credentials (profile [kmsd]).

Replication between deployments: `regions` (what this deployment hosts) and [[peers]] (other
kmsd deployments, the regions they host and the credential shared with each) in the TOML file;
a request for a region a peer hosts is refused naming that peer.

See docs/configuration.md for every field of the TOML file.";

/// kmsd: a self-hosted key management service that speaks the AWS KMS API.
#[derive(Debug, Parser)]
#[command(
    name = "kmsd",
    version,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `kmsd`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the KMS server until SIGTERM or Ctrl-C.
    #[command(after_long_help = SERVE_AFTER_HELP)]
    Serve(ServeArgs),
}

/// The flags of `kmsd serve`; each is `None` when neither the flag nor its variable is given.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on, as HOST:PORT; port 0 picks a free port [default: 127.0.0.1:8080]
    #[arg(long, env = "KMSD_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,

    /// Directory of the database, the generated root key and credentials; created with mode
    /// 0700 if missing [default: ./kmsd-data]
    #[arg(long, env = "KMSD_DATA_DIR", value_name = "DIR", value_parser = path_parser())]
    pub data_dir: Option<PathBuf>,

    /// TOML configuration file (see docs/configuration.md) [default: none]
    #[arg(long, env = "KMSD_CONFIG", value_name = "FILE", value_parser = path_parser())]
    pub config: Option<PathBuf>,

    /// PEM certificate chain to serve HTTPS with; needs --tls-key [default: plain HTTP]
    #[arg(long, env = "KMSD_TLS_CERT", value_name = "FILE", value_parser = path_parser())]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of the certificate (PKCS#8, PKCS#1 or SEC1); needs --tls-cert
    #[arg(long, env = "KMSD_TLS_KEY", value_name = "FILE", value_parser = path_parser())]
    pub tls_key: Option<PathBuf>,

    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives such as
    /// "info,kms_api=debug" [default: info]
    #[arg(long, env = "KMSD_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,

    /// File holding the root key as 64 hex digits, ideally outside the data directory; must
    /// exist and be readable by its owner only [default: <data-dir>/root.key]
    #[arg(long, env = "KMSD_ROOT_KEY_FILE", value_name = "FILE", value_parser = path_parser())]
    pub root_key_file: Option<PathBuf>,
}

/// Parses a path, taking an empty value as given (and [`ServeArgs::without_empty`] then as
/// absent) where clap's own path parser would refuse it.
fn path_parser() -> impl TypedValueParser<Value = PathBuf> {
    OsStringValueParser::new().map(PathBuf::from)
}

impl ServeArgs {
    /// These arguments with every empty value taken as absent, so that `KMSD_CONFIG=` (say, in
    /// a service unit) means "not set" rather than "the file named ''".
    pub fn without_empty(self) -> ServeArgs {
        let text = |v: Option<String>| v.filter(|v| !v.is_empty());
        let path = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
        ServeArgs {
            listen: text(self.listen),
            data_dir: path(self.data_dir),
            config: path(self.config),
            tls_cert: path(self.tls_cert),
            tls_key: path(self.tls_key),
            log_level: text(self.log_level),
            root_key_file: path(self.root_key_file),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_help_names_every_flag_and_variable() {
        let mut cmd = Cli::command();
        let serve = cmd
            .find_subcommand_mut("serve")
            .map(|c| c.render_long_help().to_string());
        let help = serve.unwrap_or_default();
        for word in [
            "--listen",
            "KMSD_LISTEN",
            "--data-dir",
            "KMSD_DATA_DIR",
            "--config",
            "KMSD_CONFIG",
            "--tls-cert",
            "KMSD_TLS_CERT",
            "--tls-key",
            "KMSD_TLS_KEY",
            "--log-level",
            "KMSD_LOG_LEVEL",
            "--root-key-file",
            "KMSD_ROOT_KEY_FILE",
            "KMSD_ROOT_KEY ",
            "RUST_LOG",
            "127.0.0.1:8080",
            "./kmsd-data",
        ] {
            assert!(help.contains(word), "serve --help lacks {word}:\n{help}");
        }
    }
}
