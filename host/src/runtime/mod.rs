//! Running handler components: one engine, components compiled once, a fresh instance per event.
//!
//! Load time does everything that does not depend on the event: compile (or load the cached
//! compilation), link, type-check against the world, and one trial instantiation. The event
//! path is then only: new `Store` → instantiate from the `InstancePre` → call → drop.

pub(crate) mod cache_prune;
pub(crate) mod compile_cache;
mod engine;
mod epoch;
mod executor;
mod function_cache;
mod guest_log;
mod handler;
mod host_state;
mod invoke;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::Linker;

use self::compile_cache::CompileCache;
use self::epoch::EpochClock;
use self::executor::Executor;
pub(crate) use self::guest_log::structured as log_handlers_structured;
pub(crate) use self::handler::{Handler, World};
pub(crate) use self::host_state::Services;
use self::host_state::{HostState, Stores};
pub(crate) use self::invoke::{Aftermath, CallError};
use crate::features::kv::{BatchShape, KvPolicy};
use crate::features::{kv, rooms, ws};
use crate::hub::registry::SendLimits;

/// What one event may use, from the app's settings when the event starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    /// What the handler's `ws.send` calls may queue.
    pub send: SendLimits,
    /// The buckets and value size the key-value calls allow.
    pub kv: Arc<KvPolicy>,
}

/// The engine, the linkers and the services shared by every handler.
pub struct Runtime {
    /// Everything a handler may import, once per shape of `wasi:keyvalue/batch` (the published
    /// one first): a component links against the first that fits it.
    linkers: [Linker<HostState>; 2],
    cache: CompileCache,
    stores: Stores,
    /// The threads handlers run on.
    executor: Executor,
    /// Deadlines and fair shares for running calls.
    clock: Arc<EpochClock>,
    /// Bounds running calls; with the spares, what the pooling allocator has slots for.
    slots: Arc<Semaphore>,
    /// Bounds instances prepared ahead of their event.
    spares: Arc<Semaphore>,
    pooling: bool,
}

impl Runtime {
    /// A runtime whose handlers run on `threads` worker threads.
    pub fn new(services: Services, cache: CompileCache, threads: usize) -> Result<Runtime> {
        let (engine, pooling) = engine::new()?;
        let clock = EpochClock::start(&engine);
        Ok(Runtime {
            linkers: [linker(&engine, BatchShape::Published)?, linker(&engine, BatchShape::Spin)?],
            cache,
            stores: Stores { engine, services: Arc::new(services), wss_url: Arc::default() },
            executor: Executor::new(threads)?,
            clock,
            slots: Arc::new(Semaphore::new(engine::MAX_LIVE_INSTANCES as usize)),
            spares: Arc::new(Semaphore::new(engine::MAX_SPARE_INSTANCES as usize)),
            pooling,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.stores.engine
    }

    pub fn pooling(&self) -> bool {
        self.pooling
    }

    pub fn handler_threads(&self) -> usize {
        self.executor.threads()
    }

    /// Sets `ARC_WSS_URL` for every handler instance made from now on.
    pub fn set_wss_url(&self, url: String) {
        let _ = self.stores.wss_url.set(url);
    }
}

/// Everything a handler may import: WASI, and each host feature in every version. Both worlds
/// import the same features.
fn linker(engine: &Engine, batch: BatchShape) -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("linking WASI")?;
    ws::add_to_linker(&mut linker, HostState::ws).context("linking wsh:handler/ws")?;
    rooms::add_to_linker(&mut linker, HostState::rooms).context("linking wsh:handler/rooms")?;
    kv::add_to_linker(&mut linker, batch, HostState::kv).context("linking wasi:keyvalue")?;
    Ok(linker)
}
