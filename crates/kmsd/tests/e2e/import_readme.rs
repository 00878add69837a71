//! The README's "Importing your own key material" walk-through, run as written: its one `sh`
//! block goes to bash against a fresh server started without a config, with the AWS CLI and
//! openssl doing the work (issue 3, "a README section ... exercised by a test").
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::process::Command;

use crate::common::Server;

/// The heading of the section whose block is run.
const HEADING: &str = "## Importing your own key material";

/// The text the block encrypts and prints back at its end.
const MESSAGE: &str = "my own key material";

/// The first ```sh block after `HEADING` in the README.
fn readme_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("read README.md");
    let section = readme
        .split(HEADING)
        .nth(1)
        .unwrap_or_else(|| panic!("README.md has no {HEADING:?} section"));
    let section = section.split("\n## ").next().unwrap();
    let (_, rest) = section
        .split_once("```sh\n")
        .expect("a ```sh block in the section");
    let (block, _) = rest.split_once("\n```").expect("the end of the block");
    assert_eq!(
        section.matches("```sh").count(),
        1,
        "the walk-through is one block"
    );
    block.to_string()
}

/// Whether `program --version` runs; if not the test says so and is skipped.
fn available(program: &str) -> bool {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => true,
        _ => {
            println!("`{program}` is not on PATH; skipping the README import walk-through");
            false
        }
    }
}

#[test]
fn the_readme_import_walk_through_runs() {
    let block = readme_block();
    if !available("aws") {
        return;
    }
    let server = Server::start_without_config();
    let work = tempfile::tempdir().unwrap();
    let script = work.path().join("walk-through.sh");
    std::fs::write(&script, &block).unwrap();

    // The block reads the endpoint and the credentials from the environment, as a user sets
    // them; everything else of the caller's AWS set-up is kept out.
    let mut cmd = Command::new("bash");
    cmd.arg("-e")
        .arg("-o")
        .arg("pipefail")
        .arg(&script)
        .current_dir(work.path())
        .env("KMSD_ENDPOINT", server.endpoint())
        .env("AWS_SHARED_CREDENTIALS_FILE", server.credentials_file())
        .env("AWS_PROFILE", "kmsd")
        .env("AWS_CONFIG_FILE", work.path().join("no-aws-config"))
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
    let out = cmd.output().expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README block failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver log:\n{}",
        out.status,
        server.log_text()
    );

    // The key went from PendingImport to Enabled, and the last command printed the text back.
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let pending = lines.iter().position(|l| *l == "PendingImport");
    let enabled = lines.iter().position(|l| *l == "Enabled");
    assert!(
        matches!((pending, enabled), (Some(p), Some(e)) if p < e),
        "expected PendingImport, then Enabled:\n{stdout}"
    );
    assert!(
        stdout.ends_with(MESSAGE),
        "the decrypted text should end the output:\n{stdout}"
    );
    // The one-time AES key does not stay on disk.
    assert!(!work.path().join("aes-key.bin").exists());
}
