//! The README's "Multi-Region keys with your own key material" procedure, run as a user runs
//! it: its one `sh` block goes to bash with the AWS CLI and openssl against a fresh server
//! started without a config (issue 4, "the seed procedure as a user runs it"; SPEC B3, B8,
//! B12, B22).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::Server;

const HEADING: &str = "## Multi-Region keys with your own key material";

/// What the block encrypts in us-east-1 and prints, decrypted in eu-west-1, as its last output.
const MESSAGE: &str = "one key, two regions";

/// The block waits for the replica in a loop; a server that never delivers fails here.
const DEADLINE: Duration = Duration::from_secs(180);

/// The section's only ```sh block.
fn procedure() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let start = readme
        .find(HEADING)
        .unwrap_or_else(|| panic!("README.md lacks {HEADING:?}"));
    let section = &readme[start + HEADING.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let blocks: Vec<&str> = section.split("```sh\n").skip(1).collect();
    assert_eq!(blocks.len(), 1, "the procedure is one ```sh block");
    let end = blocks[0].find("\n```").expect("the block's closing fence");
    blocks[0][..end].to_string()
}

/// False, with a note, when `aws` cannot be run.
fn have_aws_cli() -> bool {
    let ok = Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        println!("note: the AWS CLI (`aws`) is not on PATH; the multi-Region README procedure is skipped");
    }
    ok
}

#[test]
fn the_readme_multi_region_import_procedure_runs() {
    let block = procedure();
    assert!(
        block.contains("create-key --origin EXTERNAL --multi-region")
            && block.contains("replicate-key")
            && block.contains("rsa_oaep_md:sha256"),
        "the block is the seed procedure:\n{block}"
    );
    if !have_aws_cli() {
        return;
    }
    let server = Server::start_without_config();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("procedure.sh"), &block).unwrap();

    // Only what the block reads from the environment comes from here; the caller's own AWS
    // settings are removed.
    let mut bash = Command::new("bash");
    bash.args(["-e", "-o", "pipefail", "procedure.sh"])
        .current_dir(dir.path())
        .env("KMSD_ENDPOINT", server.endpoint())
        .env("AWS_SHARED_CREDENTIALS_FILE", server.credentials_file())
        .env("AWS_PROFILE", "kmsd")
        .env("AWS_CONFIG_FILE", dir.path().join("absent-config"))
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_KMS",
    ] {
        bash.env_remove(var);
    }
    let mut child = bash.spawn().expect("bash");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout_pipe.read_to_string(&mut text).unwrap();
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr_pipe.read_to_string(&mut text).unwrap();
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the procedure ran past {DEADLINE:?}; server log:\n{}",
                server.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    assert!(
        status.success(),
        "the procedure failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver log:\n{}",
        server.log_text()
    );

    // The states the block prints, in order: the primary Enabled after its import, the
    // replica Creating, then PendingImport (SPEC B8), then Enabled after its own import.
    let printed: Vec<&str> = stdout.lines().map(str::trim).collect();
    let states: Vec<&str> = printed
        .iter()
        .copied()
        .filter(|l| ["Enabled", "Creating", "PendingImport"].contains(l))
        .collect();
    assert_eq!(
        states,
        ["Enabled", "Creating", "PendingImport", "Enabled"],
        "stdout:\n{stdout}"
    );
    // The last thing printed is the text, encrypted in us-east-1 and decrypted in eu-west-1.
    assert!(stdout.ends_with(MESSAGE), "stdout:\n{stdout}");
}
