//! Running handler components: one engine, components compiled once, a fresh instance per event.
//!
//! Load time does everything that does not depend on the event: compile (or load the cached
//! compilation), link, type-check against the world, and one trial instantiation. The event
//! path is then only: new `Store` → instantiate from the `InstancePre` → call → drop.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder, UpdateDeadline,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::cache::CompileCache;
use crate::guest_log::GuestLog;
use crate::registry::{Frame, Registry, SendError};

mod bindings {
    pub mod ws {
        wasmtime::component::bindgen!({
            path: "../wit",
            world: "ws-handler",
            exports: { default: async },
        });
    }
    pub mod http {
        wasmtime::component::bindgen!({
            path: "../wit",
            world: "http-handler",
            exports: { default: async },
            // One set of host types and one `ws` implementation serve both worlds.
            with: {
                "wsh:handler/types": super::ws::wsh::handler::types,
                "wsh:handler/ws": super::ws::wsh::handler::ws,
            },
        });
    }
}

/// The WIT types, as the rest of the host uses them.
pub use bindings::http::wsh::handler::http_types as http_wit;
use bindings::http::{HttpHandler, HttpHandlerPre};
pub use bindings::ws::wsh::handler::types as wit;
use bindings::ws::{WsHandler, WsHandlerPre};

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

enum Pre {
    Ws(WsHandlerPre<HostState>),
    Http(HttpHandlerPre<HostState>),
}

enum Instance {
    Ws(WsHandler),
    Http(HttpHandler),
}

impl Pre {
    async fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Pre::Ws(pre) => Instance::Ws(pre.instantiate_async(store).await?),
            Pre::Http(pre) => Instance::Http(pre.instantiate_async(store).await?),
        })
    }
}

/// How often the epoch ticks. Handlers yield to other tasks at every tick and are checked
/// against their deadline, so this bounds both unfairness and deadline overshoot.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Handler calls running at once. Back-pressure beyond this is a wait, not an error.
const MAX_LIVE_INSTANCES: u32 = 100;

/// Instances prepared ahead of their event, across all handlers (one per handler at most).
const MAX_SPARE_INSTANCES: u32 = 32;

/// Per-event limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
}

/// The engine, the linker and the limits shared by every handler.
pub struct Runtime {
    linker: Linker<HostState>,
    cache: CompileCache,
    stores: StoreFactory,
    /// Bounds running calls; with the spares, what the pooling allocator has slots for.
    slots: Arc<Semaphore>,
    /// Bounds instances prepared ahead of their event.
    spares: Arc<Semaphore>,
    pooling: bool,
}

/// What every store is made from; cheap to clone into background tasks.
#[derive(Clone)]
struct StoreFactory {
    engine: Engine,
    registry: Arc<Registry>,
    limits: Limits,
    /// `ARC_WSS_URL`, known once the listener is bound.
    wss_url: Arc<OnceLock<String>>,
}

/// One route's handler, ready to instantiate.
pub struct Handler {
    pub path: PathBuf,
    /// blake3 of the component bytes: what a reload compares.
    pub hash: String,
    pre: Pre,
    /// Prefix for the guest's stdout/stderr lines.
    log: GuestLog,
    /// A fresh instance made ahead of the next event, which no event has touched: it takes
    /// instantiation off the event's path without sharing an instance between events.
    spare: Mutex<Option<Prepared>>,
    refilling: AtomicBool,
    /// Off for `wsh bench`'s inline measurement.
    prepare_ahead: AtomicBool,
}

struct Prepared {
    store: Store<HostState>,
    instance: Instance,
    _slot: OwnedSemaphorePermit,
}

impl Handler {
    /// Whether an instance is prepared for the next event.
    pub fn has_spare(&self) -> bool {
        self.spare.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// Turns preparing instances ahead of events on or off (on by default).
    pub fn set_prepare_ahead(&self, on: bool) {
        self.prepare_ahead.store(on, Ordering::Relaxed);
        if !on {
            self.spare.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

/// Why a call produced no response.
#[derive(Debug)]
pub enum CallError {
    /// The handler ran out of time.
    Timeout(Duration),
    /// It trapped (panic, out of memory, unreachable, ...).
    Trap(anyhow::Error),
    /// It returned `err(message)`.
    Returned(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout(t) => write!(f, "handler did not finish within its {} ms deadline", t.as_millis()),
            CallError::Trap(e) => write!(f, "handler trapped: {e:#}"),
            CallError::Returned(m) => write!(f, "handler returned an error: {m}"),
        }
    }
}

/// What a store holds for one event.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    registry: Arc<Registry>,
    started: Instant,
    timeout: Duration,
    timed_out: bool,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl wit::Host for HostState {}

impl bindings::ws::wsh::handler::ws::Host for HostState {
    fn send(&mut self, connection_id: String, payload: wit::Data) -> Result<(), wit::WsError> {
        let frame = match payload {
            wit::Data::Text(s) => Frame::Text(s),
            wit::Data::Binary(b) => Frame::Binary(b),
        };
        self.registry.send(&connection_id, frame).map_err(ws_error)
    }

    fn close(&mut self, connection_id: String) -> Result<(), wit::WsError> {
        let reason = crate::registry::CloseReason::new(1000, "closed by handler");
        self.registry.close(&connection_id, reason).map_err(ws_error)
    }

    fn info(&mut self, connection_id: String) -> Result<wit::ConnectionInfo, wit::WsError> {
        let info = self.registry.info(&connection_id).map_err(ws_error)?;
        Ok(wit::ConnectionInfo {
            connection_id: info.connection_id,
            connected_at: info.connected_at,
            last_active_at: info.last_active_at,
            identity: wit::Identity { source_ip: info.identity.source_ip, user_agent: info.identity.user_agent },
        })
    }
}

fn ws_error(e: SendError) -> wit::WsError {
    match e {
        SendError::Gone => wit::WsError::Gone,
        SendError::PayloadTooLarge => wit::WsError::PayloadTooLarge,
        SendError::SlowConsumer => wit::WsError::SlowConsumer,
    }
}

impl Runtime {
    pub fn new(limits: Limits, registry: Arc<Registry>, cache: CompileCache) -> Result<Runtime> {
        let (engine, pooling) = match Engine::new(&config(Some(pooling_config(limits)))) {
            Ok(engine) => (engine, true),
            Err(e) => {
                // Like `wasmtime serve`: a machine that cannot reserve the pool's address space
                // (a low `ulimit -v`, some containers) still runs, just slower per event.
                tracing::warn!("pooling allocator unavailable ({e}); using on-demand allocation");
                (Engine::new(&config(None)).map_err(anyhow::Error::from).context("creating the wasm engine")?, false)
            }
        };
        spawn_epoch_ticker(&engine);
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("linking WASI")?;
        // Both worlds import the same `ws`: linked once, from the ws-handler bindings.
        WsHandler::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(anyhow::Error::from)
            .context("linking the ws interface")?;
        Ok(Runtime {
            linker,
            cache,
            stores: StoreFactory { engine, registry, limits, wss_url: Arc::default() },
            slots: Arc::new(Semaphore::new(MAX_LIVE_INSTANCES as usize)),
            spares: Arc::new(Semaphore::new(MAX_SPARE_INSTANCES as usize)),
            pooling,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.stores.engine
    }

    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// Sets `ARC_WSS_URL` for every handler instance made from now on.
    pub fn set_wss_url(&self, url: String) {
        let _ = self.stores.wss_url.set(url);
    }

    /// Compiles (or loads the cached compilation of) `path` as the handler of `route`, checks it
    /// against the world, and instantiates it once so that a broken component fails here and
    /// not on a user's event.
    pub async fn load(&self, route: &str, path: &Path, world: World) -> Result<Handler> {
        let bytes = tokio::fs::read(path).await.with_context(|| format!("cannot read {}", path.display()))?;
        check_component(&bytes).with_context(|| format!("{} cannot be loaded", path.display()))?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        let component = self.compile(&bytes, &hash).await.with_context(|| format!("compiling {}", path.display()))?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(|pre| match world {
                World::Ws => WsHandlerPre::new(pre).map(Pre::Ws),
                World::Http => HttpHandlerPre::new(pre).map(Pre::Http),
            })
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "{} does not fit the wsh:handler/{} world (wit/handler.wit): it must export `{}` and import only `wsh:handler/ws` and WASI",
                    path.display(),
                    world.name(),
                    world.export(),
                )
            })?;
        let handler = Handler {
            path: path.to_path_buf(),
            hash,
            pre,
            log: GuestLog::new(route),
            spare: Mutex::new(None),
            refilling: AtomicBool::new(false),
            prepare_ahead: AtomicBool::new(true),
        };
        let mut store = self.stores.store(&handler.log);
        handler
            .pre
            .instantiate(&mut store)
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{} fails to instantiate", path.display()))?;
        Ok(handler)
    }

    async fn compile(&self, bytes: &[u8], hash: &str) -> Result<Component> {
        let engine = self.stores.engine.clone();
        let cache = self.cache.clone();
        let bytes = bytes.to_vec();
        let hash = hash.to_string();
        // Compiling a large guest takes seconds of CPU on every core: keep it off the threads
        // that run sockets.
        tokio::task::spawn_blocking(move || cache.load_or_compile(&engine, &bytes, &hash)).await?
    }

    /// Runs one event on a fresh instance of `handler`: the one prepared ahead when there is
    /// one, else one made now.
    pub async fn call(&self, handler: &Arc<Handler>, event: &wit::Event) -> Result<wit::Response, CallError> {
        self.call_then(handler, event, |outcome| outcome).await
    }

    /// `call`, handing the outcome to `reply` as soon as it is known. The work that follows an
    /// event — tearing its instance down, preparing the next one — happens after `reply`, on
    /// this task: off the event's latency, and without waking another thread for it.
    pub async fn call_then<R>(
        &self,
        handler: &Arc<Handler>,
        event: &wit::Event,
        reply: impl FnOnce(Result<wit::Response, CallError>) -> R,
    ) -> R {
        let call = async |store: &mut Store<HostState>, instance: Instance| match instance {
            Instance::Ws(i) => i.call_handle(store, event).await,
            Instance::Http(_) => Err(wasmtime::Error::msg("an http-handler component cannot take WebSocket events")),
        };
        self.invoke(handler, call, reply).await
    }

    /// Runs one HTTP request on a fresh instance of `handler`.
    pub async fn call_http(
        &self,
        handler: &Arc<Handler>,
        request: &http_wit::HttpRequest,
    ) -> Result<http_wit::HttpResponse, CallError> {
        let call = async |store: &mut Store<HostState>, instance: Instance| match instance {
            Instance::Http(i) => i.call_handle_http(store, request).await,
            Instance::Ws(_) => Err(wasmtime::Error::msg("a ws-handler component cannot take HTTP requests")),
        };
        self.invoke(handler, call, |outcome| outcome).await
    }

    async fn invoke<T, R>(
        &self,
        handler: &Arc<Handler>,
        call: impl AsyncFnOnce(&mut Store<HostState>, Instance) -> wasmtime::Result<Result<T, String>>,
        reply: impl FnOnce(Result<T, CallError>) -> R,
    ) -> R {
        let _live = self.slots.acquire().await.expect("the slot semaphore is never closed");
        let spare = handler.spare.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (mut store, instance) = match spare {
            Some(p) => (p.store, Ok(p.instance)),
            None => {
                let mut store = self.stores.store(&handler.log);
                let instance = handler.pre.instantiate(&mut store).await;
                (store, instance)
            }
        };
        let result = match instance {
            Ok(instance) => {
                store.data_mut().started = Instant::now();
                store.set_epoch_deadline(1);
                call(&mut store, instance).await
            }
            Err(e) => Err(e),
        };
        let outcome = match result {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(message)) => Err(CallError::Returned(message)),
            Err(_) if store.data().timed_out => Err(CallError::Timeout(self.stores.limits.timeout)),
            Err(e) => Err(CallError::Trap(e.into())),
        };
        let replied = reply(outcome);
        drop(store);
        self.prepare_next(handler).await;
        replied
    }

    /// Makes the instance for `handler`'s next event, unless one is ready or being made.
    async fn prepare_next(&self, handler: &Arc<Handler>) {
        if !handler.prepare_ahead.load(Ordering::Relaxed) || handler.refilling.swap(true, Ordering::AcqRel) {
            return;
        }
        if handler.has_spare() {
            handler.refilling.store(false, Ordering::Release);
            return;
        }
        if let Ok(slot) = self.spares.clone().try_acquire_owned() {
            let mut store = self.stores.store(&handler.log);
            if let Ok(instance) = handler.pre.instantiate(&mut store).await {
                *handler.spare.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Prepared { store, instance, _slot: slot });
            }
        }
        handler.refilling.store(false, Ordering::Release);
    }
}

impl StoreFactory {
    fn store(&self, log: &GuestLog) -> Store<HostState> {
        // No preopened directories, no sockets, and of the environment only the socket URL
        // (Architect's `ARC_WSS_URL`): a handler reaches the world only through `ws`.
        let mut wasi = WasiCtx::builder();
        wasi.stdout(log.stdout()).stderr(log.stderr()).allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
        if let Some(url) = self.wss_url.get() {
            wasi.env("ARC_WSS_URL", url);
        }
        let wasi = wasi.build();
        let limits = StoreLimitsBuilder::new().memory_size(self.limits.memory_bytes).trap_on_grow_failure(true).build();
        let state = HostState {
            wasi,
            table: ResourceTable::new(),
            limits,
            registry: self.registry.clone(),
            started: Instant::now(),
            timeout: self.limits.timeout,
            timed_out: false,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // Set again when the call starts: a prepared store may wait a while for its event.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            if state.started.elapsed() >= state.timeout {
                state.timed_out = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }
}

fn config(pool: Option<PoolingAllocationConfig>) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    if let Some(pool) = pool {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Sized for the largest guests measured (componentize-py: 14 core instances, 12 MiB of initial
/// memory, a 5.7k-element table; StarlingMonkey: a 7.7k-element table).
fn pooling_config(limits: Limits) -> PoolingAllocationConfig {
    // Running calls, prepared spares, instances being torn down, load-time trial instantiations.
    let n = 2 * MAX_LIVE_INSTANCES + MAX_SPARE_INSTANCES + 16;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n * 16)
        .max_core_instances_per_component(64)
        .total_memories(n * 4)
        .max_memories_per_component(8)
        .max_memory_size(limits.memory_bytes)
        .total_tables(n * 8)
        .max_tables_per_component(16)
        .table_elements(20_000)
        .total_stacks(n)
        // Reset dirty pages with memset instead of unmapping them: a fresh instance of a big
        // guest then costs no page faults. Costs RSS only for slots actually used.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(64 << 20)
        .table_keep_resident(1 << 20)
        .async_stack_keep_resident(1 << 20);
    pool
}

fn spawn_epoch_ticker(engine: &Engine) {
    // A weak handle: the thread ends when the engine does.
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wsh-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
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
