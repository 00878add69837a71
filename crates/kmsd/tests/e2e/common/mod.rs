//! Test harness shared by the end-to-end suites: it starts the real `kmsd` binary on
//! `127.0.0.1:0`, hands out `aws-sdk-kms` clients pointed at it, turns SDK errors into
//! (status, code, message) triples, and speaks raw HTTP (signed by a small SigV4 signer, or
//! not signed at all) for the requests an SDK refuses to send.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed harness step fails the test"
)]

pub mod asym;
pub mod authz;
pub mod crypto;
pub mod import;
pub mod mrk;
pub mod raw;

use std::fmt::Debug;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::config::timeout::TimeoutConfig;
use aws_sdk_kms::config::{BehaviorVersion, Region};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::types::KeyMetadata;
use aws_sdk_kms::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// The access key of the first configured account.
pub const ACCESS_A: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_A: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const ACCOUNT_A: &str = "111122223333";
/// The access key of the second account, used by the isolation tests.
pub const ACCESS_B: &str = "AKIAI44QH8DHBEXAMPLE";
pub const SECRET_B: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
pub const ACCOUNT_B: &str = "444455556666";

/// How long the binary may take to print its ready line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One running `kmsd serve`, killed when dropped.
pub struct Server {
    dir: tempfile::TempDir,
    config: Option<PathBuf>,
    child: Option<Child>,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

static SHARED: Mutex<Weak<Server>> = Mutex::new(Weak::new());

impl Server {
    /// Starts a server on a fresh data dir, with a config holding accounts A and B.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("kmsd.toml");
        std::fs::write(
            &config,
            format!(
                "[[access_keys]]\nid = \"{ACCESS_A}\"\nsecret = \"{SECRET_A}\"\naccount = \"{ACCOUNT_A}\"\n\n\
                 [[access_keys]]\nid = \"{ACCESS_B}\"\nsecret = \"{SECRET_B}\"\naccount = \"{ACCOUNT_B}\"\n"
            ),
        )
        .unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        Self::launch(dir, Some(config))
    }

    /// Starts a server without a config: it generates `<data-dir>/credentials` itself.
    pub fn start_without_config() -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        Self::launch(dir, None)
    }

    /// A server shared by the tests of one binary that are running at the same time.
    /// It lives as long as one test holds it, so no process outlives the test binary.
    pub fn shared() -> Arc<Server> {
        let mut slot = SHARED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(server) = slot.upgrade() {
            return server;
        }
        let server = Arc::new(Server::start());
        *slot = Arc::downgrade(&server);
        server
    }

    fn launch(dir: tempfile::TempDir, config: Option<PathBuf>) -> Server {
        let mut server = Server {
            dir,
            config,
            child: None,
            addr: String::new(),
            log: Arc::default(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kmsd"));
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.data_dir());
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        for var in ["KMSD_LISTEN", "KMSD_DATA_DIR", "KMSD_CONFIG"] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn kmsd");
        let stderr = child.stderr.take().unwrap();

        // Read stderr until the ready line, then keep draining it so the child never blocks.
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        let log = Arc::clone(&self.log);
        std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("kmsd listening on http://").nth(1) {
                    if let Some(tx) = ready_tx.take() {
                        let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                        let _ = tx.send(addr);
                    }
                }
                log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });

        match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => {
                self.addr = addr;
                self.child = Some(child);
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "kmsd did not print its ready line; stderr:\n{}",
                    self.log_text()
                );
            }
        }
    }

    /// Kills the server with SIGKILL (what `Child::kill` sends) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the binary again on the same data dir (and config); the port changes.
    pub fn respawn(&mut self) {
        assert!(self.child.is_none(), "respawn of a running server");
        self.spawn();
    }

    /// Kill -9, then start again on the same data dir.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// `host:port` the server listens on.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The shared-credentials file a server without config writes.
    pub fn credentials_file(&self) -> PathBuf {
        self.data_dir().join("credentials")
    }

    pub fn scratch_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the server has written to stderr so far.
    pub fn log_text(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n")
    }

    /// A client of account A in `region`.
    pub fn client(&self, region: &str) -> Client {
        self.client_with(region, ACCESS_A, SECRET_A)
    }

    /// A client of account B in `region`.
    pub fn client_b(&self, region: &str) -> Client {
        self.client_with(region, ACCESS_B, SECRET_B)
    }

    /// A client with arbitrary static credentials. Retries are off so that every error the
    /// server sends reaches the test as it was sent.
    pub fn client_with(&self, region: &str, access: &str, secret: &str) -> Client {
        let credentials =
            aws_credential_types::Credentials::new(access, secret, None, None, "kmsd-tests");
        let config = aws_sdk_kms::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the server answered for a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// The service error of a call that must have failed; panics on success or on a failure
/// that never reached the server (connection refused, timeout, ...).
pub fn kms_error<T, E>(result: Result<T, SdkError<E, HttpResponse>>) -> KmsError
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
{
    match result {
        Ok(output) => panic!("expected an error, the call succeeded: {output:?}"),
        Err(SdkError::ServiceError(context)) => {
            let status = context.raw().status().as_u16();
            let err = context.into_err();
            KmsError {
                status,
                code: err.meta().code().unwrap_or_default().to_string(),
                message: err.meta().message().unwrap_or_default().to_string(),
            }
        }
        Err(other) => panic!("expected a service error, got {other:?}"),
    }
}

/// Asserts that a call failed with HTTP 400 (SPEC D29), `code` and exactly `message`.
#[track_caller]
pub fn assert_error<T, E>(result: Result<T, SdkError<E, HttpResponse>>, code: &str, message: &str)
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
{
    let err = kms_error(result);
    assert_eq!(
        (err.status, err.code.as_str(), err.message.as_str()),
        (400, code, message),
        "unexpected error answer"
    );
}

/// Asserts that a call failed with HTTP 400 and `code`; the message is not pinned.
#[track_caller]
pub fn assert_code<T, E>(result: Result<T, SdkError<E, HttpResponse>>, code: &str) -> KmsError
where
    T: Debug,
    E: ProvideErrorMetadata + Debug,
{
    let err = kms_error(result);
    assert_eq!(
        (err.status, err.code.as_str()),
        (400, code),
        "unexpected error answer: {err:?}"
    );
    err
}

/// Creates a default symmetric key and returns its metadata.
pub async fn create_key(client: &Client) -> KeyMetadata {
    client
        .create_key()
        .send()
        .await
        .expect("CreateKey")
        .key_metadata
        .expect("KeyMetadata")
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Lowercase UUID, 8-4-4-4-12 (SPEC 1.1).
pub fn is_key_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

/// 64 lowercase hex characters (SPEC 1.9, CurrentKeyMaterialId).
pub fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// The ARN of key `id` of account A in `region` (SPEC 1.3).
pub fn key_arn(region: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{ACCOUNT_A}:key/{id}")
}

/// A unique suffix for names (aliases, tags) so that tests sharing a server never collide.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:016x}", fastrand::u64(..))
}

/// Random bytes of length `n`.
pub fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| fastrand::u8(..)).collect()
}
