//! Results of runs and the ways they are printed: a table for people, JSON for programs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::histogram::Histogram;
use crate::runner::RunOptions;
use crate::target::{Fixture, Target};
use crate::workload::Workload;

/// How many distinct error codes a result lists.
const TOP_ERRORS: usize = 3;

/// One workload measured against one server.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// The server's short name.
    pub target: String,
    /// The workload's name.
    pub workload: String,
    /// Virtual clients (connections).
    pub connections: usize,
    /// Keys the calls picked from (of the workload's kind; none for CreateKey).
    pub keys: usize,
    /// Regions the keys and calls were spread over.
    pub regions: usize,
    /// The measured time, in seconds.
    pub seconds: f64,
    /// Successful calls.
    pub ok: u64,
    /// Failed calls.
    pub errors: u64,
    /// Successful calls per second.
    pub requests_per_second: f64,
    /// Median latency of successful calls, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// 99.9th percentile latency, in milliseconds.
    pub p999_ms: f64,
    /// Mean latency, in milliseconds.
    pub mean_ms: f64,
    /// Largest latency, in milliseconds.
    pub max_ms: f64,
    /// The most frequent error codes and their counts, most frequent first.
    pub top_errors: Vec<(String, u64)>,
    /// The largest resident set sampled in the server while measuring, in KiB.
    pub server_peak_rss_kib: Option<u64>,
    /// The server's peak resident set over its life so far (`VmHWM`), in KiB.
    pub server_hwm_kib: Option<u64>,
    /// What the set-up could not do, if anything.
    pub notes: Vec<String>,
}

impl RunResult {
    /// The result of measuring `workload` for `elapsed`.
    pub fn new(
        target: &Target,
        workload: Workload,
        fixture: &Fixture,
        opts: RunOptions,
        elapsed: Duration,
        latency: &Histogram,
        errors: HashMap<String, u64>,
    ) -> RunResult {
        // The most frequent error codes first, ties by name.
        let mut top: Vec<(String, u64)> = errors.into_iter().collect();
        let failed = top.iter().map(|(_, n)| n).sum();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP_ERRORS);

        // Rates and latencies.
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        RunResult {
            target: target.name.clone(),
            workload: workload.to_string(),
            connections: opts.connections,
            keys: workload
                .key_kind()
                .map_or(0, |kind| fixture.keys_of(kind).len()),
            regions: opts.regions.len(),
            seconds,
            ok: latency.len(),
            errors: failed,
            requests_per_second: latency.len() as f64 / seconds,
            p50_ms: ms(latency.quantile(0.5)),
            p99_ms: ms(latency.quantile(0.99)),
            p999_ms: ms(latency.quantile(0.999)),
            mean_ms: ms(latency.mean()),
            max_ms: ms(latency.max()),
            top_errors: top,
            server_peak_rss_kib: None,
            server_hwm_kib: None,
            notes: fixture.notes.clone(),
        }
    }

    /// The same result with the server's memory readings.
    pub fn with_memory(mut self, peak_rss_kib: Option<u64>, hwm_kib: Option<u64>) -> RunResult {
        self.server_peak_rss_kib = peak_rss_kib;
        self.server_hwm_kib = hwm_kib;
        self
    }

    /// The top error codes in words, such as `12 UnsupportedOperationException`.
    fn error_summary(&self) -> String {
        let parts: Vec<String> = self
            .top_errors
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect();
        parts.join(", ")
    }
}

/// The ratio of kmsd to the reference server on one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// The workload's name.
    pub workload: String,
    /// kmsd's successful calls per second.
    pub kmsd_rps: f64,
    /// The reference server's successful calls per second.
    pub other_rps: f64,
    /// `kmsd_rps / other_rps`, absent when the reference had no successful call.
    pub ratio: Option<f64>,
    /// kmsd's 99th percentile latency, in milliseconds.
    pub kmsd_p99_ms: f64,
    /// The reference server's 99th percentile latency, in milliseconds.
    pub other_p99_ms: f64,
}

/// The summary table of `results`, one row per run, in Markdown.
pub fn table(results: &[RunResult]) -> String {
    let mut out = String::new();
    out.push_str(
        "| server | workload | conns | keys | req/s | p50 ms | p99 ms | p99.9 ms | errors | \
         top errors | server peak RSS MiB |\n",
    );
    out.push_str("|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|\n");
    for r in results {
        let rss = r
            .server_peak_rss_kib
            .map_or("-".to_owned(), |k| format!("{:.1}", mib(k)));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
            r.target,
            r.workload,
            r.connections,
            r.keys,
            r.requests_per_second,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.errors,
            r.error_summary(),
            rss
        );
    }
    out.push_str(&notes(results));
    out
}

/// The ratio table of a comparison, in Markdown.
pub fn ratio_table(ratios: &[Ratio], other: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| workload | kmsd req/s | {other} req/s | kmsd / {other} | kmsd p99 ms | {other} p99 ms |"
    );
    out.push_str("|---|--:|--:|--:|--:|--:|\n");
    for r in ratios {
        let ratio = r.ratio.map_or("-".to_owned(), |x| format!("{x:.1}x"));
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {} | {:.2} | {:.2} |",
            r.workload, r.kmsd_rps, r.other_rps, ratio, r.kmsd_p99_ms, r.other_p99_ms
        );
    }
    out
}

/// Pairs each kmsd result with the reference server's result of the same workload.
pub fn ratios(results: &[RunResult], kmsd: &str, other: &str) -> Vec<Ratio> {
    let mut out = Vec::new();
    for mine in results.iter().filter(|r| r.target == kmsd) {
        let Some(theirs) = results
            .iter()
            .find(|r| r.target == other && r.workload == mine.workload)
        else {
            continue;
        };
        out.push(Ratio {
            workload: mine.workload.clone(),
            kmsd_rps: mine.requests_per_second,
            other_rps: theirs.requests_per_second,
            ratio: (theirs.ok > 0).then(|| mine.requests_per_second / theirs.requests_per_second),
            kmsd_p99_ms: mine.p99_ms,
            other_p99_ms: theirs.p99_ms,
        });
    }
    out
}

/// The set-up notes of `results`, each once per server, as a list under the table.
fn notes(results: &[RunResult]) -> String {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut out = String::new();
    for r in results {
        for note in &r.notes {
            if !seen.contains(&(r.target.as_str(), note.as_str())) {
                seen.push((&r.target, note));
                let _ = writeln!(out, "- {} {}: {note}", r.target, r.workload);
            }
        }
    }
    if out.is_empty() {
        return out;
    }
    format!("\nNotes:\n{out}")
}

/// KiB in MiB.
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
