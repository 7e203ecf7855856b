//! What one event's store holds: its sandbox (WASI with no files, no sockets, one environment
//! variable), its limits, and the services the host features reach through.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::Limits;
use super::guest_log::RequestSlot;
use super::handler::Handler;
use crate::features::kv::{Backend, KvView};
use crate::features::rooms::RoomsView;
use crate::features::ws::WsView;
use crate::hub::Hub;
use crate::io_thread;

/// What the host features act on, shared by every store: one `Arc` per event, not one per
/// feature.
pub(crate) struct Services {
    pub hub: Arc<Hub>,
    /// The key-value store.
    pub kv: Arc<dyn Backend>,
}

pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    store_limits: StoreLimits,
    services: Arc<Services>,
    pub(super) limits: Limits,
    pub(super) started: Instant,
    pub(super) timed_out: bool,
    /// Tells the handler's stdout and stderr which request they print for.
    request: RequestSlot,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl HostState {
    pub(super) fn ws(&mut self) -> WsView<'_> {
        WsView { hub: &self.services.hub, limits: self.limits.send }
    }

    pub(super) fn rooms(&mut self) -> RoomsView<'_> {
        RoomsView { hub: &self.services.hub, limits: self.limits.send }
    }

    pub(super) fn kv(&mut self) -> KvView<'_> {
        KvView { backend: &*self.services.kv, policy: &self.limits.kv, table: &mut self.table }
    }

    /// Applies the limits in force for the event about to run, and names its request: a store
    /// prepared ahead was made before its event was known.
    pub(super) fn start(&mut self, limits: Limits, request: &str) {
        self.request.set(request);
        self.store_limits = store_limits(&limits);
        self.limits = limits;
        self.started = Instant::now();
    }
}

/// What every store is made from; cheap to clone into background tasks.
#[derive(Clone)]
pub(super) struct Stores {
    pub engine: Engine,
    pub services: Arc<Services>,
    /// `ARC_WSS_URL`, known once the listener is bound.
    pub wss_url: Arc<OnceLock<String>>,
}

impl Stores {
    pub fn store(&self, handler: &Handler, limits: &Limits) -> Store<HostState> {
        // No preopened directories, no sockets, and of the environment only the socket URL
        // (Architect's `ARC_WSS_URL`) and, for a route of a file with several exports, the one
        // it calls (Lambda's `_HANDLER`): a handler reaches the world only through its imports.
        let mut wasi = WasiCtx::builder();
        let request = RequestSlot::default();
        let (stdout, stderr) = handler.log.streams(&request);
        wasi.stdout(stdout).stderr(stderr).allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
        if let Some(url) = self.wss_url.get() {
            wasi.env("ARC_WSS_URL", url);
        }
        if let Some(export) = &handler.export {
            wasi.env("_HANDLER", export);
        }
        let state = HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            store_limits: store_limits(limits),
            services: self.services.clone(),
            limits: limits.clone(),
            started: Instant::now(),
            timed_out: false,
            request,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.store_limits);
        // Set again when the call starts: a prepared store may wait a while for its event.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            if state.started.elapsed() >= state.limits.timeout {
                state.timed_out = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            // It runs long: off a socket thread it goes, and it yields to the other handlers on
            // its worker at every tick.
            io_thread::ask_to_move();
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }
}

fn store_limits(limits: &Limits) -> StoreLimits {
    StoreLimitsBuilder::new().memory_size(limits.memory_bytes).trap_on_grow_failure(true).build()
}
