//! `wsh-load`: the load benchmark of issue 16. Starts the native echo server and `wsh serve`
//! for each echo app, runs every workload against every server in the same sitting (the runs
//! interleaved, so that the machine's drift falls on all alike), and prints the medians as a
//! markdown table with each wsh figure's ratio to native.

mod generator;
mod report;
mod servers;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;

use report::{Row, Sample, Shape};
use servers::Server;

#[derive(Parser)]
#[command(
    name = "wsh-load",
    about = "Load benchmark: wsh's echo apps against a native axum echo server, on loopback, ratios to native"
)]
struct Args {
    /// Seconds each message workload runs, per server and run
    #[arg(long, default_value_t = 5.0)]
    secs: f64,
    /// Runs of every workload on every server; the table shows their medians
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Connections of the concurrent workload
    #[arg(long, default_value_t = 50)]
    connections: usize,
    /// Handshakes of the handshake workload...
    #[arg(long, default_value_t = 500)]
    handshakes: usize,
    /// ...this many in flight at a time...
    #[arg(long, default_value_t = 100)]
    handshakes_at_once: usize,
    /// ...this many rounds of them per run (one round takes tens of milliseconds)
    #[arg(long, default_value_t = 5)]
    handshake_rounds: usize,
    /// Seconds of load each server gets before the first run, untimed
    #[arg(long, default_value_t = 1.0)]
    warmup_secs: f64,
    /// Threads of the load generator. One leaves the other cores to the server: on a small
    /// machine the generator competes with the server it measures
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// The wsh binary (default: the one beside wsh-load, from the same target directory)
    #[arg(long)]
    wsh: Option<PathBuf>,
    /// The apps served by wsh: names under guest-examples/, or paths to manifests
    #[arg(long, value_delimiter = ',', default_value = "echo,echo-js,echo-py")]
    apps: Vec<String>,
}

#[derive(Clone, Copy)]
enum Workload {
    Sequential,
    Concurrent { connections: usize },
    Handshakes { total: usize, at_once: usize, rounds: usize },
}

impl Workload {
    fn label(self) -> String {
        match self {
            Workload::Sequential => "1 connection, sequential: msg/s, p50".into(),
            Workload::Concurrent { connections } => format!("{connections} connections: msg/s, p50 / p99"),
            Workload::Handshakes { total, at_once, .. } => format!("{total} handshakes, {at_once} at once: per s"),
        }
    }

    fn shape(self) -> Shape {
        match self {
            Workload::Sequential => Shape::Sequential,
            Workload::Concurrent { .. } => Shape::Concurrent,
            Workload::Handshakes { .. } => Shape::Handshakes,
        }
    }

    async fn run(self, url: &str, duration: Duration) -> Result<Sample> {
        match self {
            Workload::Sequential => generator::messages(url, 1, duration).await,
            Workload::Concurrent { connections } => generator::messages(url, connections, duration).await,
            Workload::Handshakes { total, at_once, rounds } => generator::handshakes(url, total, at_once, rounds).await,
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let exe_dir = std::env::current_exe()?.parent().context("wsh-load lives in a directory")?.to_path_buf();
    let wsh = args.wsh.clone().unwrap_or_else(|| exe_dir.join("wsh"));
    anyhow::ensure!(
        wsh.is_file(),
        "no wsh at {} (build it with `cargo build --release`, or pass --wsh)",
        wsh.display()
    );
    let scratch = std::env::temp_dir().join(format!("wsh-load-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = measure(args, &exe_dir, &wsh, &scratch);
    match &result {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&scratch);
        }
        Err(_) => eprintln!("(the servers' logs are in {})", scratch.display()),
    }
    result
}

fn measure(args: &Args, exe_dir: &Path, wsh: &Path, scratch: &Path) -> Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.client_threads.max(1)).enable_all().build()?;
    let machine = report::machine();
    eprintln!("wsh-load on {machine}");
    let servers = start_servers(args, exe_dir, wsh, scratch)?;
    let workloads = [
        Workload::Sequential,
        Workload::Concurrent { connections: args.connections },
        Workload::Handshakes {
            total: args.handshakes,
            at_once: args.handshakes_at_once,
            rounds: args.handshake_rounds,
        },
    ];
    eprintln!(
        "{} run(s) of {} workloads on {} servers, {} s per message workload (about {:.0} s)",
        args.runs,
        workloads.len(),
        servers.len(),
        args.secs,
        (args.warmup_secs + args.runs as f64 * 2.0 * args.secs) * servers.len() as f64
    );
    let started = Instant::now();
    runtime.block_on(warm_up(args, &servers))?;
    let samples = sitting(args, &runtime, &servers, &workloads)?;
    eprintln!("measured in {:.0} s", started.elapsed().as_secs_f64());

    let rows: Vec<Row> = workloads
        .iter()
        .zip(&samples)
        .map(|(workload, per_server)| Row {
            label: workload.label(),
            shape: workload.shape(),
            medians: per_server.iter().map(|runs| Sample::median(runs)).collect(),
        })
        .collect();
    let names: Vec<String> = servers.iter().map(|s| s.name.clone()).collect();
    println!("{}", report::table(&names, &rows));
    println!(
        "Loopback, load generator ({} thread(s)) and servers on the same machine: {machine}. \
         Medians of {} runs; 128-byte JSON echo; {} s per message workload.",
        args.client_threads, args.runs, args.secs
    );
    Ok(())
}

/// The native server, then wsh serving each app; all stay up for the whole sitting.
fn start_servers(args: &Args, exe_dir: &Path, wsh: &Path, scratch: &Path) -> Result<Vec<Server>> {
    let mut servers = vec![servers::native(exe_dir, scratch)?];
    for app in &args.apps {
        let manifest = manifest_of(app);
        eprintln!("building and starting {}", manifest.display());
        servers.push(servers::wsh(wsh, &manifest, scratch)?);
    }
    for server in &servers {
        eprintln!("  {:<16} {}", server.name, server.url);
    }
    Ok(servers)
}

/// The first events of a wsh app fill its instance pool and caches; none of that is the steady
/// state the runs measure.
async fn warm_up(args: &Args, servers: &[Server]) -> Result<()> {
    let warmup = Duration::from_secs_f64(args.warmup_secs);
    for server in servers {
        generator::messages(&server.url, args.connections, warmup)
            .await
            .with_context(|| format!("warming up {}", server.name))?;
    }
    Ok(())
}

/// Every run of every workload on every server, run by run, so that the machine's drift over
/// the sitting falls on every server alike. `samples[workload][server]` holds one `Sample` per
/// run.
fn sitting(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    servers: &[Server],
    workloads: &[Workload],
) -> Result<Vec<Vec<Vec<Sample>>>> {
    let duration = Duration::from_secs_f64(args.secs);
    let mut samples = vec![vec![Vec::new(); servers.len()]; workloads.len()];
    for run in 0..args.runs {
        for (w, workload) in workloads.iter().enumerate() {
            // Each run starts with another server, so that no server always follows the same one.
            for s in (0..servers.len()).map(|i| (i + run) % servers.len()) {
                let server = &servers[s];
                let sample = runtime
                    .block_on(workload.run(&server.url, duration))
                    .with_context(|| format!("{} against {}", workload.label(), server.name))?;
                eprintln!(
                    "run {}/{} {:<40} {:<16} {}",
                    run + 1,
                    args.runs,
                    workload.label(),
                    server.name,
                    brief(&sample)
                );
                samples[w][s].push(sample);
                settle();
            }
        }
    }
    Ok(samples)
}

/// A name under guest-examples/, or a path to a manifest.
fn manifest_of(app: &str) -> PathBuf {
    if app.ends_with(".arc") || app.contains('/') {
        return PathBuf::from(app);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guest-examples").join(app).join("app.arc");
    path.canonicalize().unwrap_or(path)
}

/// Between measurements: the closed connections' teardown (a wsh app's `$disconnect`, say)
/// is not the next measurement's load.
fn settle() {
    std::thread::sleep(generator::SETTLE);
}

fn brief(s: &Sample) -> String {
    let mut out = format!("{}/s", report::thousands(s.rate));
    if let (Some(p50), Some(p99)) = (s.p50, s.p99) {
        out += &format!(", p50 {}, p99 {}", report::duration(p50), report::duration(p99));
    }
    out
}
