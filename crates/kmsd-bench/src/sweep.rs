//! `sweep`: throughput of one workload against the number of connections (with one key) and
//! against the number of keys (at `--connections`), on kmsd and moto_server, alternating
//! per point, written as CSV.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::commands::{measure, print_json};
use crate::report::{self, RunResult};
use crate::runner::RunOptions;
use crate::servers::Server;
use crate::target::Fixture;
use crate::workload::Workload;
use crate::SweepArgs;

/// The CSV header; `chart` reads files with these columns.
pub const CSV_HEADER: &str =
    "sweep,server,connections,keys,requests_per_second,p50_ms,p99_ms,p999_ms,errors,server_peak_rss_kib";

/// Runs both sweeps and writes the CSV (and the chart when asked).
pub async fn sweep(args: SweepArgs) -> Result<(), String> {
    // The swept workload: the first one named, Encrypt 64 B when none (or `all`) is.
    let load = &args.load;
    let workload = match load.workloads.as_slice() {
        [only] if only == "all" => Workload::Encrypt64,
        _ => load
            .workloads()?
            .first()
            .copied()
            .unwrap_or(Workload::Encrypt64),
    };
    let (opts, setup) = (load.run_options()?, load.setup_options()?);

    // Both servers, each with a fixture that grows through the key sweep.
    let kmsd = Server::start_kmsd(&args.servers.kmsd)?;
    let moto = Server::start_moto(&args.servers.moto)?;
    let targets = [kmsd.target(), moto.target()];
    let mut fixtures = [Arc::new(Fixture::default()), Arc::new(Fixture::default())];

    // Throughput against connections, with one key.
    let mut rows: Vec<(&str, RunResult)> = Vec::new();
    for &connections in &args.connection_counts {
        let point = RunOptions {
            connections: connections.max(1),
            ..opts
        };
        for (target, fixture) in targets.iter().zip(fixtures.iter_mut()) {
            let result = measure(target, fixture, workload, 1, point, setup).await;
            rows.push(("connections", result));
        }
    }

    // Throughput against keys, at the chosen connection count.
    for &keys in &args.key_counts {
        for (target, fixture) in targets.iter().zip(fixtures.iter_mut()) {
            let result = measure(target, fixture, workload, keys.max(1), opts, setup).await;
            rows.push(("keys", result));
        }
    }

    // The CSV, the chart and the summary.
    let csv = to_csv(&rows);
    std::fs::write(&args.csv, &csv).map_err(|e| format!("writing {}: {e}", args.csv.display()))?;
    if let Some(svg) = &args.svg {
        crate::chart::write(&csv, &workload.to_string(), svg)?;
    }
    let results: Vec<RunResult> = rows.into_iter().map(|(_, r)| r).collect();
    if load.json {
        print_json(&serde_json::json!({ "results": results }))
    } else {
        print!("{}", report::table(&results));
        Ok(())
    }
}

/// The rows as CSV with [`CSV_HEADER`].
fn to_csv(rows: &[(&str, RunResult)]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for (sweep, r) in rows {
        let rss = r
            .server_peak_rss_kib
            .map_or(String::new(), |k| k.to_string());
        let _ = writeln!(
            out,
            "{sweep},{},{},{},{:.1},{:.3},{:.3},{:.3},{},{rss}",
            r.target,
            r.connections,
            r.keys,
            r.requests_per_second,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.errors
        );
    }
    out
}
