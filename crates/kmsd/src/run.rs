//! `kmsd serve`: builds every layer from the settings and runs the server until a signal.

use std::future::Future;
use std::io::{self, IsTerminal};
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;
use zeroize::Zeroizing;

use kms_crypto::Sealer;
use kms_service::{Service, SystemClock};
use kms_store::sqlite::SqliteStore;

use crate::cli::ServeArgs;
use crate::config::{self, ConfigError, Settings};
use crate::credentials::{self, CredentialsError};
use crate::root_key::{self, RootKeyError};
use crate::tls::{self, TlsError};

mod peering;

/// The name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "kmsd.sqlite3";

/// How long the runtime waits for blocking work after the server has stopped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why `kmsd serve` could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory cannot be created.
    #[error("cannot create data directory {}: {source}", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// `KMSD_ROOT_KEY` is not valid Unicode.
    #[error("{} is set but is not valid UTF-8", root_key::ENV_VAR)]
    RootKeyEnv,
    /// No root key can be had.
    #[error(transparent)]
    RootKey(#[from] RootKeyError),
    /// The generated credential cannot be read or written.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The TLS identity is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The database cannot be opened.
    #[error("cannot open database {}: {message}", path.display())]
    Store {
        /// The database file.
        path: PathBuf,
        /// The store's error.
        message: String,
    },
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: String,
        /// The cause.
        source: io::Error,
    },
    /// Replication between deployments cannot be set up (peer key, CA files).
    #[error("peers: {0}")]
    Peers(String),
    /// Any other I/O failure of the runtime, signals or server.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: io::Error,
    },
}

impl RunError {
    /// The process exit code: 2 for a bad configuration, 1 for anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Config(_) => 2,
            _ => 1,
        }
    }
}

/// Runs `kmsd serve` with `args` until SIGTERM or SIGINT.
pub fn serve(args: ServeArgs) -> Result<(), RunError> {
    let settings = config::load(&args, std::env::var("RUST_LOG").ok())?;
    let _log_writer = init_logging(&settings.log_filter);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| RunError::Io {
            what: "cannot start the tokio runtime",
            source,
        })?;
    let result = runtime.block_on(serve_async(settings));
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

/// Logs to stderr through `filter`, which [`config`] has checked. Lines go through a
/// background writer thread, so that a request never waits on a write to stderr (one access
/// line per request); nothing is dropped: when the thread falls behind, logging waits. The
/// returned guard flushes what is queued when it is dropped, at exit.
fn init_logging(filter: &str) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(io::stderr());
    // Fails only if a subscriber is already installed, which then keeps logging.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(io::stderr().is_terminal())
        .try_init();
    guard
}

/// Builds the layers bottom up, binds, announces, and serves until a signal.
async fn serve_async(settings: Settings) -> Result<(), RunError> {
    // The data directory, private to its owner.
    create_data_dir(&settings.data_dir)?;

    // The root key, in the sealer that alone holds it.
    let sealer = sealer(&settings)?;

    // TLS before the store, so that a bad certificate fails fast.
    let tls = settings.tls.as_ref().map(tls::load).transpose()?;

    // The store.
    let db_path = settings.data_dir.join(DATABASE_FILE);
    let store = SqliteStore::open(&db_path).map_err(|e| RunError::Store {
        path: db_path.clone(),
        message: e.to_string(),
    })?;

    // The access keys: configured, else the generated credential.
    let (access_keys, generated) = access_keys(settings.access_keys, &settings.data_dir)?;

    // Replication between deployments, when configured: peer key, transport, topology.
    let peering = peering::build(&settings.replication, &sealer, &settings.data_dir)?;

    // The service and its scheduler.
    let options = kms_service::ServiceOptions {
        identity_policies: settings.identity_policies.clone(),
    };
    let service = Service::new_with(Arc::new(store), sealer, Arc::new(SystemClock), options);
    let peers = match peering {
        Some((peering, credentials)) => {
            service.set_peering(peering);
            credentials
        }
        None => Vec::new(),
    };
    let _scheduler = service.start_background();

    // Signals are installed before the ready line, so none sent after it is missed.
    let shutdown = shutdown_signal()?;

    // Bind, then announce.
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|source| RunError::Bind {
            addr: settings.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| RunError::Io {
        what: "cannot read the bound address",
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    if tls.is_none() && !addr.ip().is_loopback() {
        warn!(%addr, "listening without TLS on a non-loopback address: traffic is in the clear");
    }
    if let Some(path) = generated {
        announce_generated(&path, scheme, addr);
    }
    eprintln!("kmsd listening on {scheme}://{addr}");

    let config = kms_api::ApiConfig {
        access_keys,
        tls,
        peers,
    };
    kms_api::serve(listener, service, config, shutdown)
        .await
        .map_err(|source| RunError::Io {
            what: "the server failed",
            source,
        })?;
    info!("stopped");
    Ok(())
}

/// The sealer over the root key from the variable, the configured file or the data directory.
fn sealer(settings: &Settings) -> Result<Sealer, RunError> {
    let env_key = match std::env::var(root_key::ENV_VAR) {
        Ok(v) if !v.trim().is_empty() => Some(Zeroizing::new(v)),
        Ok(_) | Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => return Err(RunError::RootKeyEnv),
    };
    let configured = settings.root_key_file.as_deref();
    let (root_key, source) = root_key::load(env_key, configured, &settings.data_dir)?;
    info!(source = %source, "root key loaded");
    if matches!(
        source,
        root_key::Source::Created(_) | root_key::Source::DataDir(_)
    ) {
        info!("the root key lives in the data directory: a backup of it exposes every key");
    }
    Ok(Sealer::new(root_key))
}

/// The API layer's access keys: the configured ones, or else the generated credential, whose
/// file is then returned too.
fn access_keys(
    configured: Vec<credentials::Credential>,
    data_dir: &Path,
) -> Result<(Vec<kms_api::AccessKey>, Option<PathBuf>), RunError> {
    if !configured.is_empty() {
        return Ok((configured.into_iter().map(to_api_key).collect(), None));
    }
    let generated = credentials::load_or_create(data_dir)?;
    if generated.created {
        info!(path = %generated.path.display(), "generated a new access key");
    }
    Ok((vec![to_api_key(generated.credential)], Some(generated.path)))
}

/// Creates the data directory with mode 0700 if it does not exist.
fn create_data_dir(path: &Path) -> Result<(), RunError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| RunError::DataDir {
            path: path.to_path_buf(),
            source,
        })
}

/// The API layer's form of a credential.
fn to_api_key(credential: credentials::Credential) -> kms_api::AccessKey {
    kms_api::AccessKey {
        id: credential.id,
        secret: credential.secret,
        account: credential.account,
        principal_arn: credential.principal_arn,
    }
}

/// Tells the user where the generated credential is and how to use it, without the secret.
fn announce_generated(path: &Path, scheme: &str, addr: SocketAddr) {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let path = path.display();
    let account = credentials::DEFAULT_ACCOUNT;
    let profile = credentials::PROFILE;
    eprintln!("kmsd: using generated credentials for account {account} from {path}");
    eprintln!(
        "kmsd: try: AWS_SHARED_CREDENTIALS_FILE={path} AWS_PROFILE={profile} \
         aws kms create-key --endpoint-url {scheme}://{addr} --region us-east-1"
    );
}

/// A future that completes on the first SIGTERM or SIGINT (Ctrl-C).
fn shutdown_signal() -> Result<impl Future<Output = ()> + Send + 'static, RunError> {
    let install = |kind| {
        signal(kind).map_err(|source| RunError::Io {
            what: "cannot install a signal handler",
            source,
        })
    };
    let mut terminate = install(SignalKind::terminate())?;
    let mut interrupt = install(SignalKind::interrupt())?;
    Ok(async move {
        let name = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        info!(signal = name, "shutting down");
    })
}
