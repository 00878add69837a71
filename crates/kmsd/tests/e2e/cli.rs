//! The real AWS CLI against a server started without a config, using the credentials file
//! that server generates (issue 2 "What the user runs").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;
use std::process::{Command, Output};

use crate::common::Server;
use base64::Engine as _;

/// `aws` on PATH, or None (the test then says so and returns; CI installs the CLI).
fn aws_cli() -> Option<()> {
    match Command::new("aws").arg("--version").output() {
        Ok(out) if out.status.success() => Some(()),
        _ => {
            println!("the AWS CLI (`aws`) is not on PATH; skipping the CLI test");
            None
        }
    }
}

fn aws(server: &Server, args: &[&str]) -> Output {
    let config = server.scratch_dir().join("aws-config-none");
    let mut cmd = Command::new("aws");
    cmd.args(["kms"])
        .args(args)
        .args([
            "--endpoint-url",
            &server.endpoint(),
            "--region",
            "us-east-1",
        ])
        .env("AWS_SHARED_CREDENTIALS_FILE", server.credentials_file())
        .env("AWS_PROFILE", "kmsd")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_KMS",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().expect("run aws")
}

#[track_caller]
fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "aws failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn aws_cli_round_trip() {
    if aws_cli().is_none() {
        return;
    }
    let mut server = Server::start_without_config();

    // The generated credentials: profile kmsd, mode 0600, and reused by the next start.
    let credentials = server.credentials_file();
    let text = std::fs::read_to_string(&credentials).expect("the generated credentials file");
    assert!(text.contains("[kmsd]"), "{text}");
    #[cfg(unix)]
    assert_eq!(mode_of(&credentials), 0o600);
    // It tells how to use them without printing the secret (issue 2).
    let log = server.log_text();
    assert!(
        log.contains("AWS_SHARED_CREDENTIALS_FILE=") && log.contains("AWS_PROFILE=kmsd"),
        "{log}"
    );
    let secret = text
        .lines()
        .find_map(|l| {
            l.split_once('=')
                .filter(|(k, _)| k.trim() == "aws_secret_access_key")
        })
        .map(|(_, v)| v.trim().to_string())
        .expect("aws_secret_access_key in the credentials file");
    assert!(!log.contains(&secret), "the secret access key was printed");
    server.restart();
    assert_eq!(std::fs::read_to_string(&credentials).unwrap(), text);

    let created: serde_json::Value = serde_json::from_str(&ok(aws(
        &server,
        &["create-key", "--description", "from the cli"],
    )))
    .unwrap();
    let key_id = created["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("KeyId")
        .to_string();
    // The default account of a server without config (issue 2).
    let arn = created["KeyMetadata"]["Arn"].as_str().unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:kms:us-east-1:000000000000:key/{key_id}")
    );

    let described: serde_json::Value =
        serde_json::from_str(&ok(aws(&server, &["describe-key", "--key-id", &key_id]))).unwrap();
    assert_eq!(described["KeyMetadata"]["KeyState"], "Enabled");
    assert_eq!(described["KeyMetadata"]["Description"], "from the cli");

    let plaintext = b"plaintext through the AWS CLI\n\x00\xff binary too";
    let input = server.scratch_dir().join("plain.bin");
    std::fs::write(&input, plaintext).unwrap();
    let blob = ok(aws(
        &server,
        &[
            "encrypt",
            "--key-id",
            &key_id,
            "--plaintext",
            &format!("fileb://{}", input.display()),
            "--output",
            "text",
            "--query",
            "CiphertextBlob",
        ],
    ));
    let engine = base64::engine::general_purpose::STANDARD;
    let ciphertext = engine
        .decode(blob.trim())
        .expect("CiphertextBlob is base64");
    let sealed = server.scratch_dir().join("sealed.bin");
    std::fs::write(&sealed, ciphertext).unwrap();

    let opened = ok(aws(
        &server,
        &[
            "decrypt",
            "--ciphertext-blob",
            &format!("fileb://{}", sealed.display()),
            "--output",
            "text",
            "--query",
            "Plaintext",
        ],
    ));
    assert_eq!(engine.decode(opened.trim()).unwrap(), plaintext);
}

#[test]
fn aws_cli_reports_a_missing_key() {
    if aws_cli().is_none() {
        return;
    }
    let server = Server::start_without_config();
    let output = aws(
        &server,
        &[
            "describe-key",
            "--key-id",
            "0b7fd7a1-3a8e-4b4f-9c51-8d2f3e4a5b6c",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("NotFoundException"), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
}

/// Runs `kmsd serve` with `args` and `envs` until its ready line, then kills it; returns
/// the address it printed.
fn serve_once(args: &[&str], envs: &[(&str, &Path)]) -> String {
    use std::io::{BufRead as _, BufReader};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kmsd"));
    cmd.arg("serve")
        .args(args)
        .env_remove("KMSD_CONFIG")
        .env_remove("KMSD_LISTEN");
    cmd.env_remove("KMSD_DATA_DIR");
    for (name, value) in envs {
        cmd.env(name, value);
    }
    cmd.env("KMSD_LISTEN", "127.0.0.1:0");
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("kmsd listening on http://").nth(1) {
                let _ = tx.send(addr.trim().to_string());
            }
        }
    });
    let addr = rx.recv_timeout(std::time::Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    addr.expect("kmsd printed no ready line")
}

#[test]
fn flags_win_over_the_environment() {
    let scratch = tempfile::tempdir().unwrap();
    let from_env = scratch.path().join("from-env");
    let from_flag = scratch.path().join("from-flag");

    // Issue 2: each flag also settable as KMSD_*; the flag wins.
    let addr = serve_once(&[], &[("KMSD_DATA_DIR", &from_env)]);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert!(
        from_env.join("credentials").exists(),
        "KMSD_DATA_DIR was not used"
    );
    std::fs::remove_dir_all(&from_env).unwrap();

    let flag = from_flag.to_str().unwrap();
    serve_once(&["--data-dir", flag], &[("KMSD_DATA_DIR", &from_env)]);
    assert!(
        from_flag.join("credentials").exists(),
        "--data-dir was not used"
    );
    assert!(
        !from_env.join("credentials").exists(),
        "KMSD_DATA_DIR won over --data-dir"
    );
}
