//! kmsd-bench: a load generator for any endpoint that speaks the AWS KMS API.
//!
//! It signs every request with SigV4 itself, keeps one HTTP/1.1 connection per virtual client,
//! and measures throughput, latency quantiles, errors and the server's memory. `run` drives
//! one endpoint; `compare` starts kmsd and moto_server and measures both, alternating;
//! `sweep` measures throughput against connections and key count into a CSV; `chart` draws
//! that CSV as an SVG.

/// mimalloc, as in kmsd: with glibc's malloc the load generator's cost per request doubled
/// after a set-up of a million keys (a fragmented heap), which skewed the key-count figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod chart;
mod client;
mod commands;
mod histogram;
mod kms;
mod memory;
mod report;
mod runner;
mod servers;
mod sigv4;
mod sweep;
mod target;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "kmsd-bench",
    version,
    about = "A load generator for the AWS KMS API."
)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Drive one endpoint (kmsd, moto, local-kms, LocalStack, ...) with the chosen workloads.
    Run(RunArgs),
    /// Start kmsd and moto_server, run each workload on both, alternating, and print ratios.
    Compare(CompareArgs),
    /// Measure Encrypt throughput against connections and key count on kmsd and moto_server,
    /// write a CSV, and optionally its chart.
    Sweep(SweepArgs),
    /// Draw a sweep CSV as an SVG line chart.
    Chart(ChartArgs),
}

/// Flags shared by every measuring command.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Virtual clients, one kept-alive connection each.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured seconds per workload.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Unmeasured seconds before each measurement.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Keys created in the set-up, of the kind each workload needs (symmetric, ECC or RSA
    /// signing, HMAC); every call picks one at random.
    #[arg(long, default_value_t = 1)]
    pub keys: usize,
    /// Regions the keys and calls are spread over (1 to 16).
    #[arg(long, default_value_t = 1)]
    pub regions: usize,
    /// The first region (the others follow a fixed list).
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// A workload, repeatable: encrypt-64, encrypt-4k, decrypt, generate-data-key, sign,
    /// verify, sign-rsa, generate-mac, mixed, get-parameters-for-import[-2048|-3072|-4096],
    /// create-key, or all.
    #[arg(long = "workload", default_value = "all")]
    pub workloads: Vec<String>,
    /// Seconds that creating the set-up's keys may take before it stops short (and says so).
    #[arg(long, default_value_t = 300.0)]
    pub setup_budget: f64,
    /// Print JSON on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
    /// No progress line on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// Flags of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The endpoint, such as http://127.0.0.1:4000.
    #[arg(long)]
    pub endpoint: String,
    /// The access key ID that signs the requests.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub access_key: String,
    /// The secret access key.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_key: String,
    /// The server's process ID, when it runs on this machine, to sample its memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The name reports give the server.
    #[arg(long, default_value = "server")]
    pub name: String,
    /// The load.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Paths of the servers that `compare` and `sweep` start.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The kmsd binary (build it first: cargo build --release -p kmsd).
    #[arg(long, default_value = "target/release/kmsd")]
    pub kmsd: PathBuf,
    /// The moto_server command.
    #[arg(long, default_value = "moto_server")]
    pub moto: String,
}

/// Flags of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The servers.
    #[command(flatten)]
    pub servers: ServerArgs,
    /// The load.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Flags of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The servers.
    #[command(flatten)]
    pub servers: ServerArgs,
    /// Connection counts of the first sweep (with one key).
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    pub connection_counts: Vec<usize>,
    /// Key counts of the second sweep (with --connections connections).
    #[arg(long, value_delimiter = ',', default_value = "1,1000,100000")]
    pub key_counts: Vec<usize>,
    /// Where to write the CSV.
    #[arg(long, default_value = "sweep.csv")]
    pub csv: PathBuf,
    /// Where to write the chart, if anywhere.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// The load (its --workload is the one swept; encrypt-64 unless given).
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Flags of `chart`.
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// The CSV that `sweep` wrote.
    #[arg(long)]
    pub csv: PathBuf,
    /// Where to write the SVG.
    #[arg(long)]
    pub svg: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Chart(args) => chart::run(&args),
        command => commands::block_on(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kmsd-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
