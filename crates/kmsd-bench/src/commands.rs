//! The measuring subcommands: `run` against one endpoint and `compare` of kmsd with
//! moto_server.

use std::sync::Arc;
use std::time::Duration;

use crate::client::Endpoint;
use crate::report::{self, RunResult};
use crate::runner::{self, RunOptions};
use crate::servers::Server;
use crate::sigv4::Credentials;
use crate::target::{region_list, Fixture, SetupOptions, Target};
use crate::workload::Workload;
use crate::{Command, CompareArgs, LoadArgs, RunArgs};

/// Runs a measuring subcommand on a new tokio runtime.
pub fn block_on(command: Command) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let work = async move {
            match command {
                Command::Run(args) => run(args).await,
                Command::Compare(args) => compare(args).await,
                Command::Sweep(args) => crate::sweep::sweep(args).await,
                Command::Chart(_) => Err("chart needs no runtime".to_owned()),
            }
        };
        // On Ctrl-C the work is dropped, which stops the servers it started.
        tokio::select! {
            result = work => result,
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        }
    })
}

impl LoadArgs {
    /// The workloads named by `--workload`, in order, each once.
    pub fn workloads(&self) -> Result<Vec<Workload>, String> {
        let mut out: Vec<Workload> = Vec::new();
        for name in &self.workloads {
            for workload in Workload::parse(name)? {
                if !out.contains(&workload) {
                    out.push(workload);
                }
            }
        }
        Ok(out)
    }

    /// How each measurement is driven.
    pub fn run_options(&self) -> Result<RunOptions, String> {
        // Durations must be finite and not negative.
        let seconds = |name: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| format!("--{name} {value}: not a duration"))
        };
        if self.connections == 0 {
            return Err("--connections must be at least 1".to_owned());
        }
        Ok(RunOptions {
            connections: self.connections,
            duration: seconds("duration", self.duration)?,
            warmup: seconds("warmup", self.warmup)?,
            regions: region_list(&self.region, self.regions),
            progress: !self.quiet,
        })
    }

    /// How the set-up creates keys.
    pub fn setup_options(&self) -> Result<SetupOptions, String> {
        let budget = Duration::try_from_secs_f64(self.setup_budget)
            .map_err(|_| format!("--setup-budget {}: not a duration", self.setup_budget))?;
        Ok(SetupOptions {
            concurrency: self.connections.clamp(16, 128),
            regions: region_list(&self.region, self.regions),
            budget,
        })
    }
}

/// `run`: every chosen workload against one endpoint.
async fn run(args: RunArgs) -> Result<(), String> {
    // The target and the load.
    let target = Target {
        name: args.name.clone(),
        endpoint: Endpoint::parse(&args.endpoint)?,
        credentials: Credentials {
            access_key: args.access_key.clone(),
            secret_key: args.secret_key.clone(),
        },
        pid: args.server_pid,
    };
    let load = &args.load;
    let (workloads, opts, setup) = (
        load.workloads()?,
        load.run_options()?,
        load.setup_options()?,
    );

    // Each workload in turn on one growing fixture.
    let mut fixture = Arc::new(Fixture::default());
    let mut results = Vec::new();
    for workload in workloads {
        results.push(measure(&target, &mut fixture, workload, load.keys, opts, setup).await);
    }

    // The summary.
    if load.json {
        print_json(&serde_json::json!({ "results": results }))
    } else {
        print!("{}", report::table(&results));
        Ok(())
    }
}

/// `compare`: kmsd and moto_server side by side, alternating per workload.
async fn compare(args: CompareArgs) -> Result<(), String> {
    // Both servers, started fresh.
    let load = &args.load;
    let (workloads, opts, setup) = (
        load.workloads()?,
        load.run_options()?,
        load.setup_options()?,
    );
    let kmsd = Server::start_kmsd(&args.servers.kmsd)?;
    let moto = Server::start_moto(&args.servers.moto)?;
    let targets = [kmsd.target(), moto.target()];
    eprintln!(
        "kmsd at {}, log {}",
        targets[0].endpoint.authority,
        kmsd.log_path().display()
    );
    eprintln!(
        "moto at {}, log {}",
        targets[1].endpoint.authority,
        moto.log_path().display()
    );

    // Workload A on kmsd, then on moto, then workload B, and so on.
    let mut fixtures = [Arc::new(Fixture::default()), Arc::new(Fixture::default())];
    let mut results = Vec::new();
    for workload in workloads {
        for (target, fixture) in targets.iter().zip(fixtures.iter_mut()) {
            results.push(measure(target, fixture, workload, load.keys, opts, setup).await);
        }
    }

    // The runs and the ratio per workload.
    let ratios = report::ratios(&results, "kmsd", "moto");
    if load.json {
        print_json(&serde_json::json!({ "results": results, "ratios": ratios }))
    } else {
        print!(
            "{}\n{}",
            report::table(&results),
            report::ratio_table(&ratios, "moto")
        );
        Ok(())
    }
}

/// Prepares `workload` on `fixture` and measures it.
pub async fn measure(
    target: &Target,
    fixture: &mut Arc<Fixture>,
    workload: Workload,
    keys: usize,
    opts: RunOptions,
    setup: SetupOptions,
) -> RunResult {
    // The clients of the previous run are gone, so the fixture is not shared here.
    workload
        .prepare(target, Arc::make_mut(fixture), keys, setup)
        .await;
    runner::run(target, fixture.clone(), workload, opts).await
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| format!("JSON: {e}"))?;
    println!("{text}");
    Ok(())
}
