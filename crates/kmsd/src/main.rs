//! kmsd: a self-hosted key management service that speaks the AWS KMS API.
//!
//! The binary parses the command line, merges it with the configuration file, and wires the
//! layers of ARCHITECTURE.md together: store, crypto, service, API.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cli;
mod config;
mod credentials;
mod root_key;
mod run;
mod tls;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// mimalloc instead of the system allocator: a request allocates many small buffers (JSON,
/// signatures, responses), and the profile showed glibc malloc/free at 18% of the hot path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // clap prints usage errors, --help and --version itself (exit 2 or 0).
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => run::serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kmsd: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
