//! `wsh bench`: what each route's handler costs, measured in-process on this machine.
//!
//! Per route: the component build as it ran (cargo is incremental; the JS and Python tools are
//! not), the `.wasm` size, a JIT compile that bypasses the cache, and the latency the runtime
//! adds to one event — `Runtime::call`, i.e. take a fresh instance, call, hand the store to
//! be torn down — both with the instance prepared ahead (the way `wsh serve` runs) and made
//! inline on the event's path. Then throughput with two callers on the two cores.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::app::layout::{Route, Source};
use crate::app::{build, load, manifest};
use crate::bindings::wit;
use crate::decide::events::{Api, Body, ConnectRequest, ConnectionContext, Identity};
use crate::decide::routing::{CONNECT, DEFAULT, DISCONNECT};
use crate::hub::Hub;
use crate::hub::registry::Connection;
use crate::ids::{new_id, now_ms};
use crate::runtime::compile_cache::CompileCache;
use crate::runtime::{Handler, Limits, Runtime, Services};

pub struct BenchOptions {
    pub manifest: Option<PathBuf>,
    pub events: usize,
    pub route: Option<String>,
    pub throughput_secs: f64,
    /// Measure key-value calls instead (`--kv`), through the app's `kvbench` route.
    pub kv: bool,
}

pub async fn bench(opts: BenchOptions) -> Result<()> {
    let path = manifest::locate(opts.manifest.clone())?;
    let app = load::resolve(&path).await?;
    let hub = Hub::alone();
    let threads = crate::cli::serve::default_handler_threads();
    let store = crate::cli::serve::open_store(&app).await?;
    let runtime =
        Arc::new(Runtime::new(Services { hub: hub.clone(), kv: store.clone() }, CompileCache::from_env(), threads)?);
    let mut limits = app.limits.clone();
    limits.send.max_queued = 1 << 16;
    let bench = Bench { runtime: &runtime, limits, api: Api { stage: app.api.stage.clone(), api_id: "bench".into() } };

    // The connection the handlers talk to: registered, its queue drained, so `ws.send` works.
    let ctx = ConnectionContext {
        connection_id: new_id(),
        connected_at: now_ms(),
        domain_name: "localhost:3333".into(),
        identity: Identity { source_ip: "127.0.0.1".into(), user_agent: Some("wsh-bench".into()) },
        authorizer: None,
    };
    let (conn, mut queues) = Connection::new(ctx.connection_id.clone(), ctx.connected_at, ctx.identity.clone());
    hub.register(conn, String::new()).await;
    tokio::spawn(async move { while queues.outbound.next().await.is_some() {} });

    println!("{}", machine());
    if opts.kv {
        return super::bench_kv::run(&runtime, &app, &*store, &ctx, opts.events).await;
    }
    println!(
        "allocator: {}; {} events per measurement\n",
        if runtime.pooling() { "pooling" } else { "on-demand" },
        opts.events
    );
    println!(
        "| route | source | build | .wasm | compile | per event, prepared ahead: median / p99 | per event, instantiated inline: median / p99 | events/s, 2 callers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for route in &app.routes {
        if opts.route.as_ref().is_some_and(|r| *r != route.key) {
            continue;
        }
        let Some(source) = &route.source else { continue };
        let row = bench.route(route, source, &ctx, &opts).await.with_context(|| format!("route {}", route.key))?;
        println!("{row}");
    }
    Ok(())
}

/// What every measurement runs with.
struct Bench<'a> {
    runtime: &'a Arc<Runtime>,
    limits: Limits,
    api: Api,
}

impl Bench<'_> {
    async fn route(
        &self,
        route: &Route,
        source: &Source,
        ctx: &ConnectionContext,
        opts: &BenchOptions,
    ) -> Result<String> {
        let runtime = self.runtime;
        let started = Instant::now();
        let component = build::build(&route.key, source, route.world).await?;
        let build = started.elapsed();
        let bytes = std::fs::read(&component)?;
        let size = bytes.len();
        let engine = runtime.engine().clone();
        let compile = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            engine.precompile_component(&bytes).map(|_| started.elapsed())
        })
        .await?
        .map_err(anyhow::Error::from)?;
        let handler = runtime.load(&route.key, &component, route.world, route.export.as_deref(), &self.limits).await?;
        let event = sample_event(&self.api, &route.key, ctx);

        for _ in 0..20 {
            let _ = runtime.call(&handler, self.limits.clone(), event.clone()).await;
        }
        let mut prepared = Vec::with_capacity(opts.events);
        for _ in 0..opts.events {
            // Paced: the next event arrives once its instance is ready, as it does below saturation.
            let deadline = Instant::now() + Duration::from_secs(1);
            while handler.spares() == 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_micros(100)).await;
            }
            prepared.push(self.time_call(&handler, &event).await);
        }
        handler.set_prepare_ahead(false);
        let mut inline = Vec::with_capacity(opts.events);
        for _ in 0..opts.events {
            inline.push(self.time_call(&handler, &event).await);
        }
        handler.set_prepare_ahead(true);
        let throughput = self.throughput(&handler, &event, Duration::from_secs_f64(opts.throughput_secs)).await;

        Ok(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} |",
            route.key,
            source.kind(),
            human(build),
            kib(size),
            human(compile),
            percentiles(&mut prepared),
            percentiles(&mut inline),
            throughput
        ))
    }

    /// From the call to the moment its outcome is known: what the event waits for.
    async fn time_call(&self, handler: &Arc<Handler>, event: &wit::Event) -> Duration {
        let started = Instant::now();
        let _ = self.runtime.call(handler, self.limits.clone(), event.clone()).await;
        started.elapsed()
    }

    async fn throughput(&self, handler: &Arc<Handler>, event: &wit::Event, duration: Duration) -> f64 {
        let stop = Instant::now() + duration;
        let caller = || async {
            let mut n = 0u64;
            while Instant::now() < stop {
                let _ = self.runtime.call(handler, self.limits.clone(), event.clone()).await;
                n += 1;
            }
            n
        };
        let started = Instant::now();
        let (a, b) = tokio::join!(caller(), caller());
        (a + b) as f64 / started.elapsed().as_secs_f64()
    }
}

fn sample_event(api: &Api, key: &str, ctx: &ConnectionContext) -> wit::Event {
    let now = now_ms();
    match key {
        CONNECT => {
            let headers =
                vec![("host", "localhost:3333"), ("user-agent", "wsh-bench"), ("sec-websocket-version", "13")];
            ctx.connect(api, &ConnectRequest { headers, query: Some("token=abc") }, new_id(), now)
        }
        DISCONNECT => ctx.disconnect(api, 1000, "bye", new_id(), now),
        DEFAULT => ctx.message(api, key, Body::Text(r#"{"text":"hello"}"#), new_id(), new_id(), now),
        custom => {
            let body = serde_json::json!({"action": custom, "text": "hello", "n": 1, "to": ctx.connection_id});
            ctx.message(api, custom, Body::Text(&body.to_string()), new_id(), new_id(), now)
        }
    }
}

fn percentiles(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    format!("{} / {}", human(at(0.5)), human(at(0.99)))
}

fn human(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.1} s", us / 1e6)
    }
}

fn kib(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// The machine, for the figures' context.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("machine: {cpu}, {cores} cores; wsh {} (wasmtime 48)", env!("CARGO_PKG_VERSION"))
}
