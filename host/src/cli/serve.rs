//! `wsh serve` and `wsh build`: from a manifest to handlers loaded and a port listening.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio_util::task::TaskTracker;

use crate::app::load;
use crate::app::manifest;
use crate::app::reload;
use crate::app::snapshot::{App, LiveApp};
use crate::decide::limits::TokenBucket;
use crate::decide::sigv4::Credential;
use crate::features::kv::{RedisStore, Sqlite};
use crate::gateway::{Gateway, dispatch, server};
use crate::hub::Hub;
use crate::hub::registry::CloseReason;
use crate::runtime::compile_cache::CompileCache;
use crate::runtime::{Runtime, Services};
use crate::stats::stats;

pub struct ServeOptions {
    pub manifest: Option<PathBuf>,
    /// Redis, when this node serves the app with others (`--cluster redis://HOST:PORT`).
    pub cluster: Option<String>,
    /// Threads that run handlers, apart from those that serve sockets.
    pub handler_threads: usize,
    pub port: u16,
    pub host: String,
    /// Reload handlers and the manifest when they change.
    pub watch: bool,
    /// The log is JSON (`--log-format json`): handlers' prints join it as events.
    pub json_logs: bool,
}

/// How long shutdown waits for connections to close and their disconnect handlers to run.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The app loaded for the first time, with the runtime that runs it; `failures` counts the
/// routes whose handler did not build or load.
async fn start(path: Option<PathBuf>, hub: Arc<Hub>, threads: usize) -> Result<(App, Arc<Runtime>, usize)> {
    // Absolute, so that the paths a file watcher reports match the app's.
    let path = std::path::absolute(manifest::locate(path)?)?;
    let mut app = load::resolve(&path).await?;
    for warning in &app.manifest.warnings {
        tracing::warn!("{warning}");
    }
    // A cluster keeps its state where every node reaches it.
    let kv: Arc<dyn crate::features::kv::Backend> = match hub.cluster() {
        Some(cluster) => Arc::new(RedisStore::new(cluster.link.clone(), cluster.names.clone())),
        None => open_store(&app).await?,
    };
    let runtime = Arc::new(Runtime::new(Services { hub, kv }, CompileCache::from_env(), threads)?);
    let failures = load::handlers(&runtime, &mut app, &HashMap::new()).await;
    // After the loads, which mark what this app uses as recently used.
    crate::runtime::cache_prune::prune_in_background();
    Ok((app, runtime, failures))
}

pub async fn serve(opts: ServeOptions) -> Result<()> {
    crate::runtime::log_handlers_structured(opts.json_logs);
    let path = std::path::absolute(manifest::locate(opts.manifest)?)?;
    let name = load::resolve(&path).await?.manifest.app.unwrap_or_else(|| "wsh".into());
    let (hub, orphans) = match &opts.cluster {
        Some(url) => {
            let (hub, orphans) = Hub::clustered(url, &name)?;
            crate::log_output::flush();
            println!("wsh: cluster node {} through {url}", hub.node().unwrap_or_default());
            (hub, Some(orphans))
        }
        None => (Hub::alone(), None),
    };
    let (app, runtime, _failures) = start(Some(path), hub.clone(), opts.handler_threads).await?;
    print_routes(&app, &runtime);
    let connect_bucket = Mutex::new(TokenBucket::new(app.settings().connect_rate, Instant::now()));
    let gw = Arc::new(Gateway {
        app: Arc::new(LiveApp::new(app)),
        runtime,
        hub,
        connections: TaskTracker::new(),
        connect_bucket,
        credential: credential()?,
    });

    if let Some(orphans) = orphans {
        tokio::spawn(crate::gateway::orphans::run(gw.clone(), orphans));
    }

    // Kept alive for as long as we serve: dropping it stops the watching.
    let _watcher = match opts.watch {
        true => Some(reload::watch(gw.app.clone(), gw.runtime.clone())?),
        false => None,
    };

    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", opts.host, opts.port))?;
    let addr = listener.local_addr()?;
    gw.runtime.set_wss_url(wss_url(addr));
    if !addr.ip().is_loopback() && gw.credential.is_none() {
        tracing::warn!(
            "listening beyond loopback without a credential: the @connections API refuses non-loopback clients \
             (set WSH_ACCESS_KEY_ID and WSH_SECRET_ACCESS_KEY to open it to SigV4-signed requests)"
        );
    }
    // Tests and scripts read this line to learn the port.
    crate::log_output::flush();
    println!("wsh: listening on ws://{addr} (http://{addr})");
    let router = axum::Router::new().fallback(dispatch::handle).with_state(gw.clone());
    let live = gw.app.clone();
    let limits = move || {
        let app = live.get();
        server::HttpLimits {
            head_timeout: Duration::from_secs(app.settings().handshake_timeout_s),
            max_head_bytes: (app.settings().max_header_kb as usize) << 10,
        }
    };
    server::run(listener, router, limits, shutdown_signal()).await;

    // Close every socket with 1001 and let each connection run its disconnect handler.
    tracing::info!("shutting down: closing {} connection(s)", gw.hub.len());
    for conn in gw.hub.all() {
        conn.evict(CloseReason::new(1001, "server shutting down"));
    }
    gw.connections.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, gw.connections.wait()).await.is_err() {
        tracing::warn!("gave up waiting for connections after {DRAIN_TIMEOUT:?}");
    }
    tracing::info!("stats: {}", stats().json());
    Ok(())
}

pub async fn build(manifest: Option<PathBuf>) -> Result<()> {
    let (app, runtime, failures) = start(manifest, Hub::alone(), default_handler_threads()).await?;
    print_routes(&app, &runtime);
    if failures > 0 {
        bail!("{failures} route(s) failed to build");
    }
    Ok(())
}

fn print_routes(app: &App, runtime: &Runtime) {
    let name = app.manifest.app.as_deref().unwrap_or("(unnamed)");
    let allocator = if runtime.pooling() { "pooling" } else { "on-demand" };
    // After the load errors it refers to ("see above").
    crate::log_output::flush();
    println!(
        "wsh: app {name}, route selection {}, {allocator} instance allocator, {} handler threads",
        app.settings().route_selection,
        runtime.handler_threads()
    );
    if app.routes.is_empty() {
        println!("  no @ws section: no WebSocket routes");
    }
    for route in &app.routes {
        let what = match (&route.source, app.handlers.get(&route.key)) {
            (None, _) => format!("no handler in {}: {}", route.dir.display(), route.missing_meaning()),
            (Some(source), Some(h)) => format!("{} ({}, {})", h.path.display(), source.kind(), &h.hash[..12]),
            (Some(source), None) => format!("{} ({}) FAILED to load, see above", route.dir.display(), source.kind()),
        };
        println!("  {:<14} {what}", route.key);
    }
}

/// The app's key-value store: `.wsh/kv.sqlite` in its folder.
pub(crate) async fn open_store(app: &App) -> Result<Arc<Sqlite>> {
    let path = app.root.join(".wsh").join("kv.sqlite");
    let store = tokio::task::spawn_blocking({
        let path = path.clone();
        move || Sqlite::open(&path)
    })
    .await??;
    if store.created() {
        tracing::info!("key-value store {}", path.display());
    } else {
        tracing::info!("key-value store {} (created when a handler first uses it)", path.display());
    }
    Ok(Arc::new(store))
}

/// One handler thread per core.
pub fn default_handler_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The `@connections` credential, from the environment (a secret does not belong in app.arc
/// or on a command line that `ps` shows).
fn credential() -> Result<Option<Credential>> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    match (var("WSH_ACCESS_KEY_ID"), var("WSH_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Credential { access_key_id, secret_access_key })),
        (None, None) => Ok(None),
        _ => bail!("set both WSH_ACCESS_KEY_ID and WSH_SECRET_ACCESS_KEY, or neither"),
    }
}

/// `ARC_WSS_URL`: what a page served from here gives its browser to open a socket with. On
/// loopback or every interface that is `localhost`, as in Architect's sandbox.
fn wss_url(addr: std::net::SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() || ip.is_unspecified() {
        format!("ws://localhost:{}", addr.port())
    } else {
        format!("ws://{addr}")
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
