//! The wasm engine: compilation settings and the pooling allocator.

use std::sync::Arc;

use anyhow::{Context, Result};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::function_cache::FunctionCache;

/// Handler calls running at once. Back-pressure beyond this is a wait, not an error.
pub(super) const MAX_LIVE_INSTANCES: u32 = 100;

/// Instances prepared ahead of their event, across all handlers (one per handler at most).
pub(super) const MAX_SPARE_INSTANCES: u32 = 32;

/// The largest memory any handler may have: what a 32-bit memory can address. The per-app cap
/// (`handler-memory-mb`) is enforced per store, so a reload can change it without a new pool.
const MAX_MEMORY: usize = 4 << 30;

/// An engine with the pooling allocator, or with on-demand allocation where the pool's address
/// space cannot be reserved; `true` when pooling.
pub(super) fn new() -> Result<(Engine, bool)> {
    let (engine, pooling) = match Engine::new(&config(Some(pooling_config()))) {
        Ok(engine) => (engine, true),
        Err(e) => {
            // Like `wasmtime serve`: a machine that cannot reserve the pool's address space
            // (a low `ulimit -v`, some containers) still runs, just slower per event.
            tracing::warn!("pooling allocator unavailable ({e}); using on-demand allocation");
            (Engine::new(&config(None)).map_err(anyhow::Error::from).context("creating the wasm engine")?, false)
        }
    };
    Ok((engine, pooling))
}

fn config(pool: Option<PoolingAllocationConfig>) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    if let Some(cache) = FunctionCache::from_env() {
        config.enable_incremental_compilation(Arc::new(cache)).expect("cranelift is enabled");
    }
    if let Some(pool) = pool {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Sized for the largest guests measured (componentize-py: 14 core instances, 12 MiB of initial
/// memory, a 5.7k-element table; StarlingMonkey: a 7.7k-element table).
fn pooling_config() -> PoolingAllocationConfig {
    // Running calls, prepared spares, instances being torn down, load-time trial instantiations.
    let n = 2 * MAX_LIVE_INSTANCES + MAX_SPARE_INSTANCES + 16;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n * 16)
        .max_core_instances_per_component(64)
        .total_memories(n * 4)
        .max_memories_per_component(8)
        .max_memory_size(MAX_MEMORY)
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
