//! Local servers that `compare` and `sweep` start and stop themselves: kmsd on a temporary
//! data directory, and moto_server on a free port.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::client::Endpoint;
use crate::sigv4::Credentials;
use crate::target::Target;

/// How long a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The line kmsd prints on stderr once it accepts connections.
const KMSD_READY: &str = "kmsd listening on http://";

/// The access key that local servers accept (moto accepts any).
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

/// Its secret.
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The account that the access key belongs to.
const ACCOUNT: &str = "111122223333";

/// A server process started by this program; it is killed when dropped.
pub struct Server {
    /// The short name reports use.
    name: String,
    /// The process.
    child: Child,
    /// Where it listens.
    endpoint: Endpoint,
    /// Its data directory and log, removed when dropped.
    dir: TempDir,
}

impl Server {
    /// Starts the kmsd binary at `binary` on a new data directory and waits until it listens.
    pub fn start_kmsd(binary: &Path) -> Result<Server, String> {
        // A data directory and a configuration with the benchmark's access key.
        let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let config = dir.path().join("kmsd.toml");
        let config_text = format!(
            "[[access_keys]]\nid = \"{ACCESS_KEY}\"\nsecret = \"{SECRET_KEY}\"\naccount = \"{ACCOUNT}\"\n"
        );
        fs::write(&config, config_text)
            .map_err(|e| format!("writing {}: {e}", config.display()))?;

        // Start it with its log in the directory, then read the address from the log.
        let log = dir.path().join("kmsd.log");
        let mut command = Command::new(binary);
        command.arg("serve").arg("--listen").arg("127.0.0.1:0");
        command.arg("--data-dir").arg(dir.path().join("data"));
        command.arg("--config").arg(&config);
        let mut child = spawn(command, &log, binary)?;
        let address = match wait_for_line(&mut child, &log, KMSD_READY) {
            Ok(address) => address,
            Err(e) => {
                stop(&mut child);
                return Err(e);
            }
        };
        let endpoint = Endpoint::parse(&format!("http://{address}"))?;
        Ok(Server {
            name: "kmsd".into(),
            child,
            endpoint,
            dir,
        })
    }

    /// Starts `moto_server` (the command `binary`) on a free port and waits until it listens.
    pub fn start_moto(binary: &str) -> Result<Server, String> {
        // A free port: bind port 0, note the port, release it for moto.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();

        // Start it with its log in a temporary directory and wait for the port to open.
        let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let log = dir.path().join("moto.log");
        let mut command = Command::new(binary);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let mut child = spawn(command, &log, Path::new(binary))?;
        let address = format!("127.0.0.1:{port}");
        if let Err(e) = wait_for_port(&mut child, &address) {
            stop(&mut child);
            return Err(e);
        }
        let endpoint = Endpoint::parse(&format!("http://{address}"))?;
        Ok(Server {
            name: "moto".into(),
            child,
            endpoint,
            dir,
        })
    }

    /// The server as a benchmark target.
    pub fn target(&self) -> Target {
        Target {
            name: self.name.clone(),
            endpoint: self.endpoint.clone(),
            credentials: Credentials {
                access_key: ACCESS_KEY.into(),
                secret_key: SECRET_KEY.into(),
            },
            pid: Some(self.child.id()),
        }
    }

    /// The server's log file.
    pub fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join(format!("{}.log", self.name))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Starts `command` with stdout and stderr appended to `log`.
fn spawn(mut command: Command, log: &Path, binary: &Path) -> Result<Child, String> {
    let open = || fs::OpenOptions::new().create(true).append(true).open(log);
    let out = open().map_err(|e| format!("opening {}: {e}", log.display()))?;
    let err = open().map_err(|e| format!("opening {}: {e}", log.display()))?;
    command.stdin(Stdio::null()).stdout(out).stderr(err);
    command
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))
}

/// Kills this program's own child and reaps it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `log` has a line starting with `prefix` and returns the rest of that line.
fn wait_for_line(child: &mut Child, log: &Path, prefix: &str) -> Result<String, String> {
    let started = Instant::now();
    loop {
        // The line, once it is there.
        let text = fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text
            .lines()
            .find_map(|l| l.split_once(prefix).map(|(_, r)| r))
        {
            return Ok(rest.trim().to_owned());
        }

        // A server that exited or took too long is an error that shows its log.
        check_alive(child, &text)?;
        if started.elapsed() > START_TIMEOUT {
            return Err(format!(
                "server did not print {prefix:?} in time; its log:\n{text}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `address` accepts a TCP connection.
fn wait_for_port(child: &mut Child, address: &str) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if TcpStream::connect(address).is_ok() {
            return Ok(());
        }
        check_alive(child, "")?;
        if started.elapsed() > START_TIMEOUT {
            return Err(format!("nothing listened on {address} in time"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fails when `child` has exited.
fn check_alive(child: &mut Child, log: &str) -> Result<(), String> {
    match child.try_wait() {
        Ok(Some(status)) => Err(format!("server exited with {status}; its log:\n{log}")),
        Ok(None) => Ok(()),
        Err(e) => Err(format!("waiting on the server: {e}")),
    }
}
