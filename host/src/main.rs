//! `wsh`: serve an Architect app's WebSocket routes, each handler a WebAssembly component.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use wsh::cli::{bench, new, preinit_ruby, serve};

#[derive(Parser)]
#[command(
    name = "wsh",
    version,
    about = "Run serverless WebSocket functions, written as WebAssembly components, on your machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build every handler, then serve HTTP and WebSocket on one port
    Serve {
        /// The app's manifest (default: ./app.arc, then ./.arc)
        manifest: Option<PathBuf>,
        /// Port to listen on (0 picks a free one)
        #[arg(long, short, default_value_t = 3333, env = "PORT")]
        port: u16,
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Do not reload handlers or the manifest when they change (production)
        #[arg(long)]
        no_watch: bool,
        /// Serve the app with other nodes through this Redis (redis://HOST:PORT)
        #[arg(long, env = "WSH_CLUSTER")]
        cluster: Option<String>,
        /// Threads that run handlers, apart from those serving sockets (default: one per core)
        #[arg(long, env = "WSH_HANDLER_THREADS")]
        handler_threads: Option<usize>,
        /// How log lines are written: text for people, json (one object a line) for machines
        #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "WSH_LOG_FORMAT")]
        log_format: LogFormat,
    },
    /// Build every handler that has sources, and check that each loads
    Build {
        /// The app's manifest (default: ./app.arc, then ./.arc)
        manifest: Option<PathBuf>,
    },
    /// Measure each route's build, compile and per-event cost on this machine
    Bench {
        /// The app's manifest (default: ./app.arc, then ./.arc)
        manifest: Option<PathBuf>,
        /// Events per latency measurement
        #[arg(long, default_value_t = 2000)]
        events: usize,
        /// Only this route (e.g. '$default')
        #[arg(long)]
        route: Option<String>,
        /// Seconds of the two-caller throughput run
        #[arg(long, default_value_t = 2.0)]
        throughput_secs: f64,
        /// Measure key-value calls through the app's `kvbench` route, beside native calls
        #[arg(long)]
        kv: bool,
    },
    /// Write a ready app (manifest, handlers, a page at /) into a new folder
    New {
        /// The folder to create (it may exist if empty)
        dir: PathBuf,
        /// The handlers' language
        #[arg(long, value_enum, default_value = "js")]
        lang: new::Lang,
        /// What the app does
        #[arg(long, value_enum, default_value = "echo")]
        template: new::Template,
    },
    /// Steps of the language builds that need wsh's wasmtime (run by the SDKs' build scripts)
    #[command(hide = true)]
    Internal {
        #[command(subcommand)]
        step: Internal,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Internal {
    /// Boot Ruby in ruby.wasm's (renamed) core module, evaluate a boot script, snapshot it
    PreinitRuby {
        /// The core module
        module: PathBuf,
        /// Ruby code to evaluate once booted: the SDK, the handler's files, `Wsh.load`
        boot: PathBuf,
        /// Where to write the snapshot
        #[arg(long, short)]
        out: PathBuf,
    },
}

/// Logs to stderr, as text or as one JSON object a line; what it returns flushes the log when
/// dropped.
fn init_log(format: LogFormat) -> [wsh::log_output::Guard; 2] {
    let (writer, guards) = wsh::log_output::start(wsh::progress::LogWriter).expect("starting the log writer threads");
    let log = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("WSH_LOG").unwrap_or_else(|_| "wsh=info".into()))
        .with_target(false)
        // Queued for a writer thread, which writes through the progress bars' writer (it sets a
        // spinner aside while a line is written).
        .with_writer(writer);
    match format {
        LogFormat::Text => log.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => log.json().with_current_span(false).with_span_list(false).init(),
    }
    guards
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let _log = init_log(match cli.command {
        Command::Serve { log_format, .. } => log_format,
        _ => LogFormat::Text,
    });
    let runtime = tokio::runtime::Runtime::new().expect("starting the tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { manifest, port, host, no_watch, cluster, handler_threads, log_format } => {
                let handler_threads = handler_threads.unwrap_or_else(serve::default_handler_threads);
                let json_logs = log_format == LogFormat::Json;
                let opts =
                    serve::ServeOptions { manifest, cluster, handler_threads, port, host, watch: !no_watch, json_logs };
                serve::serve(opts).await
            }
            Command::Build { manifest } => serve::build(manifest).await,
            Command::Bench { manifest, events, route, throughput_secs, kv } => {
                bench::bench(bench::BenchOptions { manifest, events, route, throughput_secs, kv }).await
            }
            Command::New { dir, lang, template } => new::new(new::NewOptions { dir, lang, template }),
            Command::Internal { step: Internal::PreinitRuby { module, boot, out } } => {
                preinit_ruby::preinit(&module, &boot, &out).await
            }
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            wsh::log_output::flush();
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
