//! `wsh serve` and `wsh build`: from a manifest to handlers loaded and a port listening.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use arc_swap::ArcSwap;
use tokio_util::task::TaskTracker;

use crate::app::{self, Route};
use crate::cache::CompileCache;
use crate::gateway::{Gateway, GatewayConfig, RouteTable};
use crate::http_router::HttpRouter;
use crate::limits::TokenBucket;
use crate::manifest::{self, Manifest};
use crate::registry::{CloseReason, Registry};
use crate::routing::Selector;
use crate::runtime::{Limits, Runtime};
use crate::stats::Stats;
use crate::{gateway, loader, reload, server};

pub struct ServeOptions {
    pub manifest: Option<PathBuf>,
    pub port: u16,
    pub host: String,
    /// Reload handlers and the manifest when they change.
    pub watch: bool,
}

/// Headers in one request: hyper's default, and far more than any WebSocket client sends.
const MAX_HEADERS: usize = 100;

/// HTTP connections that have not completed (or upgraded) yet. Each costs a few KiB until its
/// head deadline; beyond this many, new ones wait in the listen backlog.
const MAX_PENDING_HTTP: usize = 1024;

/// How long shutdown waits for connections to close and their disconnect handlers to run.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The app as loaded: its manifest, its routes, and the runtime that runs them.
struct Loaded {
    manifest_path: PathBuf,
    manifest: Manifest,
    routes: Vec<Route>,
    runtime: Runtime,
    table: RouteTable,
    /// Routes whose handler failed to build or load.
    failures: usize,
}

async fn load(path: Option<PathBuf>, registry: Arc<Registry>) -> Result<Loaded> {
    let manifest_path = locate(path)?;
    let manifest = manifest::load(&manifest_path)?;
    for warning in &manifest.warnings {
        tracing::warn!("{warning}");
    }
    let routes = app::routes(&manifest, &app::root_of(&manifest_path))?;
    let limits = Limits {
        timeout: Duration::from_millis(manifest.settings.handler_timeout_ms),
        memory_bytes: (manifest.settings.handler_memory_mb as usize) << 20,
    };
    let runtime = Runtime::new(limits, registry, CompileCache::from_env())?;
    let selector = Selector::parse(&manifest.settings.route_selection).map_err(anyhow::Error::msg)?;
    let (table, failures) =
        loader::table(&runtime, &routes, selector, HttpRouter::new(&manifest.http), &HashMap::new()).await;
    Ok(Loaded { manifest_path, manifest, routes, runtime, table, failures })
}

pub async fn serve(opts: ServeOptions) -> Result<()> {
    let registry = Arc::new(Registry::default());
    let loaded = load(opts.manifest, registry.clone()).await?;
    print_routes(&loaded);
    let loaded_settings = loaded.manifest.settings.clone();
    let app_name = loaded.manifest.app.clone().unwrap_or_else(|| "wsh".into());
    let (manifest_path, routes) = (loaded.manifest_path.clone(), loaded.routes.clone());
    let gw = Arc::new(Gateway {
        routes: ArcSwap::from_pointee(loaded.table),
        runtime: loaded.runtime,
        registry,
        config: GatewayConfig::new(&loaded.manifest.settings, &app_name),
        connections: TaskTracker::new(),
        connect_bucket: Mutex::new(TokenBucket::new(loaded.manifest.settings.connect_rate, Instant::now())),
        stats: Stats::default(),
        static_dir: loaded.manifest.static_dir.as_ref().map(|d| app::root_of(&loaded.manifest_path).join(d)),
        connections_credential: connections_credential()?,
    });

    // Kept alive for as long as we serve: dropping it stops the watching.
    let _watcher = match opts.watch {
        true => Some(reload::watch(gw.clone(), manifest_path, routes)?),
        false => None,
    };

    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", opts.host, opts.port))?;
    let addr = listener.local_addr()?;
    gw.runtime.set_wss_url(wss_url(addr));
    if !addr.ip().is_loopback() && gw.connections_credential.is_none() {
        tracing::warn!(
            "listening beyond loopback without a credential: the @connections API refuses non-loopback clients \
             (set WSH_ACCESS_KEY_ID and WSH_SECRET_ACCESS_KEY to open it to SigV4-signed requests)"
        );
    }
    // Tests and scripts read this line to learn the port.
    println!("wsh: listening on ws://{addr} (http://{addr})");
    let router = axum::Router::new().fallback(gateway::handle).with_state(gw.clone());
    let settings = &loaded_settings;
    let limits = server::HttpLimits {
        head_timeout: Duration::from_secs(settings.handshake_timeout_s),
        max_head_bytes: (settings.max_header_kb as usize) << 10,
        max_headers: MAX_HEADERS,
        max_pending: MAX_PENDING_HTTP,
    };
    server::run(listener, router, limits, shutdown_signal()).await;

    // Close every socket with 1001 and let each connection run its disconnect handler.
    tracing::info!("shutting down: closing {} connection(s)", gw.registry.len());
    for conn in gw.registry.all() {
        conn.evict(CloseReason::new(1001, "server shutting down"));
    }
    gw.connections.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, gw.connections.wait()).await.is_err() {
        tracing::warn!("gave up waiting for connections after {DRAIN_TIMEOUT:?}");
    }
    tracing::info!("stats: {}", gw.stats.json());
    Ok(())
}

pub async fn build(manifest: Option<PathBuf>) -> Result<()> {
    let loaded = load(manifest, Arc::new(Registry::default())).await?;
    print_routes(&loaded);
    if loaded.failures > 0 {
        bail!("{} route(s) failed to build", loaded.failures);
    }
    Ok(())
}

fn print_routes(loaded: &Loaded) {
    let name = loaded.manifest.app.as_deref().unwrap_or("(unnamed)");
    let allocator = if loaded.runtime.pooling() { "pooling" } else { "on-demand" };
    println!(
        "wsh: app {name}, route selection {}, {allocator} instance allocator",
        loaded.manifest.settings.route_selection
    );
    if loaded.routes.is_empty() {
        println!("  no @ws section: no WebSocket routes");
    }
    for route in &loaded.routes {
        let what = match (&route.source, loaded.table.handlers.get(&route.key)) {
            (None, _) => format!("no handler in {}: {}", route.dir.display(), route.missing_meaning()),
            (Some(source), Some(h)) => format!("{} ({}, {})", h.path.display(), source.kind(), &h.hash[..12]),
            (Some(source), None) => format!("{} ({}) FAILED to load, see above", route.dir.display(), source.kind()),
        };
        println!("  {:<14} {what}", route.key);
    }
}

/// The `@connections` credential, from the environment (a secret does not belong in app.arc
/// or on a command line that `ps` shows).
fn connections_credential() -> Result<Option<crate::sigv4::Credential>> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    match (var("WSH_ACCESS_KEY_ID"), var("WSH_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => {
            Ok(Some(crate::sigv4::Credential { access_key_id, secret_access_key }))
        }
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

/// `app.arc`, then `.arc`, in the current directory; a directory argument is searched the same way.
pub fn locate(path: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match path {
        Some(p) if p.is_dir() => p,
        Some(p) => return if p.is_file() { Ok(p) } else { bail!("no manifest at {}", p.display()) },
        None => PathBuf::from("."),
    };
    ["app.arc", ".arc"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("no app.arc or .arc in {}", dir.display()))
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
