//! One route's handler: its component compiled, linked and type-checked once at load, ready to
//! instantiate for each event.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;
use wasmtime::component::{Component, InstancePre};

use super::guest_log::GuestLog;
use super::host_state::HostState;
use super::{Limits, Runtime};
use crate::bindings::http_world::{HttpHandler, HttpHandlerPre};
use crate::bindings::v1;
use crate::bindings::ws_world::{WsHandler, WsHandlerPre};
use crate::metrics::RouteMetrics;

/// A component that takes this long to instantiate (warm: its second instance) is torn down and
/// replaced on a handler worker (see `Aftermath::finish`). Measured here: Rust 8-20 µs,
/// JavaScript ~85 µs, Python ~580 µs.
const SLOW_TO_INSTANTIATE: Duration = Duration::from_micros(50);

/// Instances kept ready per handler: one for the next event, and one for an event of another
/// connection that comes meanwhile, or for the same client sending again before the
/// instance after its last event is made.
pub(super) const RESERVE: usize = 2;

/// Which world a route's component implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum World {
    /// `@ws` routes and the `$connect` authorizer: `handle(event)`.
    Ws,
    /// `@http` routes: `handle-http(request)`.
    Http,
}

impl World {
    pub fn name(self) -> &'static str {
        match self {
            World::Ws => "ws-handler",
            World::Http => "http-handler",
        }
    }

    fn export(self) -> &'static str {
        match self {
            World::Ws => "handle",
            World::Http => "handle-http",
        }
    }
}

/// A component ready to instantiate, by world and by the version of `wsh:handler` it was built
/// against.
pub(super) enum Pre {
    Ws(WsHandlerPre<HostState>),
    Http(HttpHandlerPre<HostState>),
    WsV1(v1::ws_world::WsHandlerPre<HostState>),
    HttpV1(v1::http_world::HttpHandlerPre<HostState>),
}

pub(super) enum Instance {
    Ws(WsHandler),
    Http(HttpHandler),
    WsV1(v1::ws_world::WsHandler),
    HttpV1(v1::http_world::HttpHandler),
}

impl Pre {
    /// `pre` as `world`, in the newest version of it the component exports.
    fn new(pre: InstancePre<HostState>, world: World) -> wasmtime::Result<Pre> {
        match world {
            World::Ws => WsHandlerPre::new(pre.clone())
                .map(Pre::Ws)
                .or_else(|e| v1::ws_world::WsHandlerPre::new(pre).map(Pre::WsV1).map_err(|_| e)),
            World::Http => HttpHandlerPre::new(pre.clone())
                .map(Pre::Http)
                .or_else(|e| v1::http_world::HttpHandlerPre::new(pre).map(Pre::HttpV1).map_err(|_| e)),
        }
    }

    pub async fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Pre::Ws(pre) => Instance::Ws(pre.instantiate_async(store).await?),
            Pre::Http(pre) => Instance::Http(pre.instantiate_async(store).await?),
            Pre::WsV1(pre) => Instance::WsV1(pre.instantiate_async(store).await?),
            Pre::HttpV1(pre) => Instance::HttpV1(pre.instantiate_async(store).await?),
        })
    }
}

/// One route's handler, ready to instantiate.
pub struct Handler {
    pub path: PathBuf,
    /// blake3 of the component bytes: what a reload compares.
    pub hash: String,
    pub(super) pre: Pre,
    /// The export this route calls, for a component built from a file of several (`_HANDLER`).
    pub(super) export: Option<Arc<str>>,
    /// Prefix for the guest's stdout/stderr lines.
    pub(super) log: GuestLog,
    /// The route's series in `/metrics`.
    pub(super) metrics: RouteMetrics,
    /// Fresh instances made ahead of the next events, which no event has touched: they take
    /// instantiation off the event's path without sharing an instance between events.
    pub(super) spare: Mutex<Vec<Prepared>>,
    /// Slow to instantiate: its teardown and its next instance are made on a handler worker.
    pub(super) big: AtomicBool,
    pub(super) refilling: AtomicBool,
    /// Off for `wsh bench`'s inline measurement.
    pub(super) prepare_ahead: AtomicBool,
}

pub(super) struct Prepared {
    pub store: Store<HostState>,
    pub instance: Instance,
    /// The memory cap it was made under; a spare made under another is not used.
    pub memory_bytes: usize,
    pub _slot: OwnedSemaphorePermit,
}

impl Handler {
    /// Instances prepared for the next events.
    /// Invocations, errors and mean duration of this handler's route.
    pub(crate) fn figures(&self) -> crate::metrics::RouteFigures {
        self.metrics.figures()
    }

    pub fn spares(&self) -> usize {
        self.spare_list().len()
    }

    /// Turns preparing instances ahead of events on or off (on by default).
    pub fn set_prepare_ahead(&self, on: bool) {
        self.prepare_ahead.store(on, Ordering::Relaxed);
        if !on {
            self.spare_list().clear();
        }
    }

    /// A prepared instance made under this memory cap; any made under another is thrown away.
    pub(super) fn take_spare(&self, memory_bytes: usize) -> Option<Prepared> {
        let mut spares = self.spare_list();
        spares.retain(|p| p.memory_bytes == memory_bytes);
        spares.pop()
    }

    pub(super) fn add_spare(&self, prepared: Prepared) {
        self.spare_list().push(prepared);
    }

    fn spare_list(&self) -> std::sync::MutexGuard<'_, Vec<Prepared>> {
        self.spare.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Runtime {
    /// Compiles (or loads the cached compilation of) `path` as the handler of `route`, checks it
    /// against the world, and instantiates it once (on a handler worker) so that a broken
    /// component fails here and not on a user's event.
    pub async fn load(
        self: &Arc<Self>,
        route: &str,
        path: &Path,
        world: World,
        export: Option<&str>,
        limits: &Limits,
    ) -> Result<Arc<Handler>> {
        let bytes = tokio::fs::read(path).await.with_context(|| format!("cannot read {}", path.display()))?;
        check_component(&bytes).with_context(|| format!("{} cannot be loaded", path.display()))?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        let component = self.compile(bytes, &hash).await.with_context(|| format!("compiling {}", path.display()))?;
        // The first linker that fits: they differ only in the shape of `wasi:keyvalue/batch`.
        let linked = match self.linkers[0].instantiate_pre(&component) {
            Ok(pre) => Ok(pre),
            Err(e) => self.linkers[1].instantiate_pre(&component).map_err(|_| e),
        };
        let pre = linked.and_then(|pre| Pre::new(pre, world)).map_err(anyhow::Error::from).with_context(|| {
            format!(
                "{} does not fit the wsh:handler/{} world (wit/handler.wit): it must export `{}` and import only \
                 `wsh:handler/ws`, `wasi:keyvalue` and WASI",
                path.display(),
                world.name(),
                world.export(),
            )
        })?;
        let handler = Arc::new(Handler {
            path: path.to_path_buf(),
            hash,
            pre,
            export: export.map(Into::into),
            log: GuestLog::new(route),
            metrics: RouteMetrics::new(
                route,
                match world {
                    World::Ws => "ws",
                    World::Http => "http",
                },
            ),
            spare: Mutex::new(Vec::new()),
            big: AtomicBool::new(false),
            refilling: AtomicBool::new(false),
            prepare_ahead: AtomicBool::new(true),
        });
        let (runtime, trial, limits) = (self.clone(), handler.clone(), limits.clone());
        let took = self
            .executor
            .run(async move {
                let _ticking = runtime.clock.running();
                // Twice: the first instance pays for first touches that later ones do not.
                let mut took = [Duration::ZERO; 2];
                for t in &mut took {
                    let started = Instant::now();
                    let mut store = runtime.stores.store(&trial, &limits);
                    trial.pre.instantiate(&mut store).await?;
                    *t = started.elapsed();
                }
                tracing::debug!("trial instantiations took {took:?}");
                Ok::<_, wasmtime::Error>(took[1])
            })
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{} fails to instantiate", path.display()))?;
        if took >= SLOW_TO_INSTANTIATE {
            handler.big.store(true, Ordering::Relaxed);
        }
        Ok(handler)
    }

    async fn compile(&self, bytes: Vec<u8>, hash: &str) -> Result<Component> {
        let engine = self.stores.engine.clone();
        let cache = self.cache.clone();
        let hash = hash.to_string();
        // Compiling a large guest takes seconds of CPU on every core: keep it off the threads
        // that run sockets.
        tokio::task::spawn_blocking(move || cache.load_or_compile(&engine, &bytes, &hash)).await?
    }
}

/// A clear word for the most common wrong files, before wasmtime's less direct ones.
fn check_component(bytes: &[u8]) -> Result<()> {
    if !bytes.starts_with(b"\0asm") {
        bail!("not a WebAssembly file (no \\0asm header)");
    }
    if !wasmparser::Parser::is_component(bytes) {
        bail!(
            "a core WebAssembly module, not a component: build it for a component target (e.g. `cargo build --target wasm32-wasip2`)"
        );
    }
    Ok(())
}
