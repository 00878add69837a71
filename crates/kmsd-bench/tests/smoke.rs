//! Smoke test of the benchmark: every workload (the symmetric ones, Sign and Verify with ECC
//! and RSA keys, GenerateMac with HMAC keys, the mix, import and CreateKey) for about a second
//! against a debug kmsd, with two connections. It checks that the tool works and reports
//! sanely, never how fast anything is.

#![allow(clippy::expect_used, clippy::unwrap_used)] // A failed step should stop the test at once.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The workspace root, two levels above this crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the debug kmsd binary with the cargo that runs this test, and returns its path;
/// `KMSD_BENCH_KMSD` names a binary to use instead.
fn build_kmsd() -> PathBuf {
    if let Some(binary) = std::env::var_os("KMSD_BENCH_KMSD") {
        return PathBuf::from(binary);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "-p", "kmsd", "--bin", "kmsd"])
        .current_dir(workspace_root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p kmsd failed");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target_dir.join("debug").join("kmsd")
}

/// A kmsd process that is killed when the test ends.
struct Kmsd {
    /// The process.
    child: Child,
    /// The `http://` address it listens on.
    endpoint: String,
    /// Its data directory and configuration.
    _dir: tempfile::TempDir,
}

impl Drop for Kmsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts kmsd on a new data directory with the benchmark's access key.
fn start_kmsd(binary: &Path) -> Kmsd {
    // A configuration with one access key.
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = dir.path().join("kmsd.toml");
    std::fs::write(
        &config,
        "[[access_keys]]\nid = \"AKIAIOSFODNN7EXAMPLE\"\n\
         secret = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\naccount = \"111122223333\"\n",
    )
    .expect("config written");

    // Start it, wait for its ready line, then keep draining its log so it never blocks.
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "warn",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .expect("kmsd starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr piped")).lines();
    let endpoint = loop {
        let line = lines
            .next()
            .expect("kmsd prints its address")
            .expect("log line");
        if let Some((_, address)) = line.split_once("kmsd listening on ") {
            break address.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Kmsd {
        child,
        endpoint,
        _dir: dir,
    }
}

#[test]
fn every_workload_runs_against_kmsd_and_reports_json() {
    // A fresh kmsd and one short run of every workload.
    let kmsd = start_kmsd(&build_kmsd());
    let output = Command::new(env!("CARGO_BIN_EXE_kmsd-bench"))
        .args(["run", "--name", "kmsd", "--endpoint", &kmsd.endpoint])
        .args(["--access-key", "AKIAIOSFODNN7EXAMPLE"])
        .args(["--secret-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"])
        .args(["--server-pid", &kmsd.child.id().to_string()])
        .args([
            "--workload",
            "all",
            "--connections",
            "2",
            "--keys",
            "4",
            "--regions",
            "2",
        ])
        // No warm-up, so that even a call slower than the second (RSA 4096) is counted.
        .args(["--duration", "1", "--warmup", "0", "--json", "--quiet"])
        .output()
        .expect("kmsd-bench runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "kmsd-bench failed: {stderr}");

    // The JSON parses and has one result per workload, the asymmetric and HMAC ones among them.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let results = report["results"].as_array().expect("results array");
    assert_eq!(results.len(), 13, "{report:#}");
    let names: Vec<&str> = results
        .iter()
        .filter_map(|r| r["workload"].as_str())
        .collect();
    for name in ["sign", "verify", "sign-rsa", "generate-mac"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }

    // Each workload kmsd serves succeeded without errors; one it lacks fails cleanly.
    for result in results {
        let name = result["workload"].as_str().unwrap_or_default();
        let (ok, errors) = (result["ok"].as_u64(), result["errors"].as_u64());
        let unsupported = result["top_errors"]
            .as_array()
            .is_some_and(|t| t.iter().all(|e| e[0] == "UnsupportedOperationException"));
        if name.starts_with("get-parameters-for-import") && ok == Some(0) {
            assert!(unsupported && errors > Some(0), "{result:#}");
            continue;
        }
        assert!(ok > Some(0), "{result:#}");
        assert_eq!(errors, Some(0), "{result:#}");
        if name != "create-key" {
            assert_eq!(result["keys"].as_u64(), Some(4), "{result:#}");
        }
        assert!(
            result["requests_per_second"].as_f64() > Some(0.0),
            "{result:#}"
        );
        assert!(
            result["p99_ms"].as_f64() >= result["p50_ms"].as_f64(),
            "{result:#}"
        );
        assert!(
            result["server_peak_rss_kib"].as_u64() > Some(0),
            "{result:#}"
        );
    }
}

#[test]
fn chart_draws_a_sweep_csv() {
    // A small CSV in the format that `sweep` writes.
    let dir = tempfile::tempdir().expect("temporary directory");
    let csv = dir.path().join("sweep.csv");
    let svg = dir.path().join("sweep.svg");
    std::fs::write(
        &csv,
        "sweep,server,connections,keys,requests_per_second,p50_ms,p99_ms,p999_ms,errors,server_peak_rss_kib\n\
         connections,kmsd,1,1,4000,0.2,0.4,0.5,0,9000\nconnections,kmsd,4,1,12000,0.3,0.6,0.9,0,9100\n\
         keys,kmsd,64,1,20000,3,5,7,0,9200\nkeys,kmsd,64,1000,19000,3,5,7,0,12000\n",
    )
    .expect("csv written");

    // The chart command writes an SVG.
    let status = Command::new(env!("CARGO_BIN_EXE_kmsd-bench"))
        .args(["chart", "--csv"])
        .arg(&csv)
        .arg("--svg")
        .arg(&svg)
        .status()
        .expect("kmsd-bench runs");
    assert!(status.success());
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(text.starts_with("<svg") && text.contains("<polyline"));
}
