//! The measurement: N virtual clients, each on its own connection, send calls back to back
//! (a closed loop) through a warm-up and then for the measured duration, while a progress
//! line goes to stderr every second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::histogram::Histogram;
use crate::memory;
use crate::report::RunResult;
use crate::target::{Fixture, Target};
use crate::workload::Workload;

/// Clients send but do not record.
const WARMING: u8 = 0;
/// Clients send and record.
const MEASURING: u8 = 1;
/// Clients stop.
const STOPPED: u8 = 2;

/// How a workload is driven.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Virtual clients, one connection each.
    pub connections: usize,
    /// The measured time.
    pub duration: Duration,
    /// The time before it, not measured.
    pub warmup: Duration,
    /// The regions calls are spread over.
    pub regions: &'static [&'static str],
    /// Whether to print the progress line.
    pub progress: bool,
}

/// What one client saw while measuring.
#[derive(Default)]
struct ClientTally {
    /// Latencies of successful calls.
    latency: Histogram,
    /// Failed calls by error code.
    errors: HashMap<String, u64>,
}

/// Counters that the progress line reads while clients run.
struct Live {
    /// Which phase the run is in.
    phase: AtomicU8,
    /// Successful calls since measuring began.
    ok: AtomicU64,
    /// Failed calls since measuring began.
    failed: AtomicU64,
}

/// Runs `workload` against `target` on keys of `fixture` and returns what was measured.
pub async fn run(
    target: &Target,
    fixture: Arc<Fixture>,
    workload: Workload,
    opts: RunOptions,
) -> RunResult {
    // Start the clients; they warm up until told to measure (at once without a warm-up).
    let first_phase = if opts.warmup.is_zero() {
        MEASURING
    } else {
        WARMING
    };
    let live = Arc::new(Live {
        phase: AtomicU8::new(first_phase),
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let plaintext: Arc<str> = workload.plaintext().into();
    let mut clients = Vec::with_capacity(opts.connections);
    for seed in 0..opts.connections {
        let (live, fixture, plaintext) = (live.clone(), fixture.clone(), plaintext.clone());
        let client = target.client();
        clients.push(tokio::spawn(async move {
            drive(
                client,
                live,
                fixture,
                workload,
                plaintext,
                opts.regions,
                seed as u64,
            )
            .await
        }));
    }

    // Warm up, then measure with a progress line and a memory sample every second.
    tokio::time::sleep(opts.warmup).await;
    live.phase.store(MEASURING, Ordering::SeqCst);
    let started = Instant::now();
    let label = format!("{} {workload}", target.name);
    let peak_rss_kib = watch(&live, &label, started, opts, target.pid).await;
    live.phase.store(STOPPED, Ordering::SeqCst);
    let elapsed = started.elapsed();

    // Merge what the clients saw.
    let mut latency = Histogram::default();
    let mut errors: HashMap<String, u64> = HashMap::new();
    for client in clients {
        let Ok(tally) = client.await else { continue };
        latency.merge(&tally.latency);
        for (code, n) in tally.errors {
            *errors.entry(code).or_default() += n;
        }
    }
    let hwm_kib = target.pid.and_then(memory::sample).map(|m| m.hwm_kib);
    RunResult::new(
        target,
        workload,
        fixture.as_ref(),
        opts,
        elapsed,
        &latency,
        errors,
    )
    .with_memory(peak_rss_kib, hwm_kib)
}

/// Waits out the measured duration, printing progress each second; returns the largest
/// resident set seen in the server, if it is local.
async fn watch(
    live: &Live,
    label: &str,
    started: Instant,
    opts: RunOptions,
    pid: Option<u32>,
) -> Option<u64> {
    let mut peak: Option<u64> = None;
    let mut last_ok = 0;
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    loop {
        // Sleep to the next second or the end, whichever is first.
        let left = opts.duration.saturating_sub(started.elapsed());
        if left.is_zero() {
            return peak;
        }
        tokio::select! {
            _ = tick.tick() => {}
            () = tokio::time::sleep(left) => {}
        }

        // Sample memory and report the last second.
        let rss = pid.and_then(memory::sample).map(|m| m.rss_kib);
        peak = peak.max(rss);
        let ok = live.ok.load(Ordering::Relaxed);
        if opts.progress {
            let failed = live.failed.load(Ordering::Relaxed);
            let rss = rss.map_or(String::new(), |kib| {
                format!("  rss {:.1} MiB", kib as f64 / 1024.0)
            });
            eprintln!(
                "[{label}] {:>4.1} s  {:>8} req/s  ok {ok}  errors {failed}{rss}",
                started.elapsed().as_secs_f64(),
                ok - last_ok,
            );
        }
        last_ok = ok;
    }
}

/// One virtual client's loop: pick a call, send it, record it while measuring.
async fn drive(
    mut client: crate::client::Client,
    live: Arc<Live>,
    fixture: Arc<Fixture>,
    workload: Workload,
    plaintext: Arc<str>,
    regions: &'static [&'static str],
    seed: u64,
) -> ClientTally {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed);
    let mut tally = ClientTally::default();
    loop {
        // Stop when told to; otherwise note whether this call counts.
        let phase = live.phase.load(Ordering::Relaxed);
        if phase == STOPPED {
            return tally;
        }

        // A fixture without what the workload needs is one error per attempt, not a hang.
        let Some(call) = workload.next_call(&fixture, &plaintext, regions, &mut rng) else {
            record_error(&mut tally, &live, phase, "SetupIncomplete".to_owned());
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };

        // Send it and time it.
        let sent = Instant::now();
        let reply = client.call(call.op.target(), call.region, call.body).await;
        let latency = sent.elapsed();

        // Count the outcome if measuring.
        match reply {
            Ok(reply) if reply.status == 200 => {
                if phase == MEASURING {
                    tally.latency.record(latency);
                    live.ok.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(reply) => record_error(&mut tally, &live, phase, reply.error_code()),
            Err(transport) => {
                record_error(&mut tally, &live, phase, transport_code(&transport));
                // A refused or broken connection would otherwise spin.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Counts one error when measuring.
fn record_error(tally: &mut ClientTally, live: &Live, phase: u8, code: String) {
    if phase == MEASURING {
        *tally.errors.entry(code).or_default() += 1;
        live.failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// A short code for a transport failure: its first word (`connect`, `send`, `read`).
fn transport_code(message: &str) -> String {
    let word = message.split([':', ' ']).next().unwrap_or("transport");
    format!("transport:{word}")
}
