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

use crate::app::Route;
use crate::cache::CompileCache;
use crate::events::{ConnectRequest, ConnectionContext};
use crate::ids::{new_id, now_ms};
use crate::registry::{Connection, Frame, Identity, Registry};
use crate::routing::{CONNECT, DEFAULT, DISCONNECT};
use crate::runtime::{Handler, Limits, Runtime, wit};
use crate::{app, builder, manifest};

pub struct BenchOptions {
    pub manifest: Option<PathBuf>,
    pub events: usize,
    pub route: Option<String>,
    pub throughput_secs: f64,
}

pub async fn bench(opts: BenchOptions) -> Result<()> {
    let path = crate::serve::locate(opts.manifest.clone())?;
    let manifest = manifest::load(&path)?;
    let routes = app::routes(&manifest, &app::root_of(&path))?;
    let registry = Arc::new(Registry::default());
    let limits = Limits {
        timeout: Duration::from_millis(manifest.settings.handler_timeout_ms),
        memory_bytes: (manifest.settings.handler_memory_mb as usize) << 20,
    };
    let runtime = Runtime::new(limits, registry.clone(), CompileCache::from_env())?;

    // The connection the handlers talk to: registered, its queue drained, so `ws.send` works.
    let ctx = ConnectionContext {
        connection_id: new_id(),
        connected_at: now_ms(),
        domain_name: "localhost:3333".into(),
        identity: Identity { source_ip: "127.0.0.1".into(), user_agent: Some("wsh-bench".into()) },
        stage: manifest.settings.stage.clone().into(),
        api_id: "bench".into(),
        authorizer: None,
    };
    let (conn, mut queues) =
        Connection::new(ctx.connection_id.clone(), ctx.connected_at, ctx.identity.clone(), 1 << 16, usize::MAX);
    registry.insert(conn);
    tokio::spawn(async move { while queues.outbound.recv().await.is_some() {} });

    println!("{}", machine());
    println!(
        "allocator: {}; {} events per measurement\n",
        if runtime.pooling() { "pooling" } else { "on-demand" },
        opts.events
    );
    println!(
        "| route | source | build | .wasm | compile | per event, prepared ahead: median / p99 | per event, instantiated inline: median / p99 | events/s, 2 callers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for route in &routes {
        if opts.route.as_ref().is_some_and(|r| *r != route.key) {
            continue;
        }
        let Some(source) = &route.source else { continue };
        let row =
            bench_route(&runtime, route, source, &ctx, &opts).await.with_context(|| format!("route {}", route.key))?;
        println!("{row}");
    }
    Ok(())
}

async fn bench_route(
    runtime: &Runtime,
    route: &Route,
    source: &app::Source,
    ctx: &ConnectionContext,
    opts: &BenchOptions,
) -> Result<String> {
    let started = Instant::now();
    let component = builder::build(source, route.world).await?;
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
    let handler = Arc::new(runtime.load(&route.key, &component, route.world).await?);
    let event = sample_event(&route.key, ctx);

    for _ in 0..20 {
        let _ = runtime.call(&handler, &event).await;
    }
    let mut prepared = Vec::with_capacity(opts.events);
    for _ in 0..opts.events {
        // Paced: the next event arrives once its instance is ready, as it does below saturation.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !handler.has_spare() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
        prepared.push(time_call(runtime, &handler, &event).await);
    }
    handler.set_prepare_ahead(false);
    let mut inline = Vec::with_capacity(opts.events);
    for _ in 0..opts.events {
        inline.push(time_call(runtime, &handler, &event).await);
    }
    handler.set_prepare_ahead(true);
    let throughput = throughput(runtime, &handler, &event, Duration::from_secs_f64(opts.throughput_secs)).await;

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
async fn time_call(runtime: &Runtime, handler: &Arc<Handler>, event: &wit::Event) -> Duration {
    let started = Instant::now();
    runtime.call_then(handler, event, |_| started.elapsed()).await
}

async fn throughput(runtime: &Runtime, handler: &Arc<Handler>, event: &wit::Event, duration: Duration) -> f64 {
    let stop = Instant::now() + duration;
    let caller = || async {
        let mut n = 0u64;
        while Instant::now() < stop {
            let _ = runtime.call(handler, event).await;
            n += 1;
        }
        n
    };
    let started = Instant::now();
    let (a, b) = tokio::join!(caller(), caller());
    (a + b) as f64 / started.elapsed().as_secs_f64()
}

fn sample_event(key: &str, ctx: &ConnectionContext) -> wit::Event {
    let now = now_ms();
    match key {
        CONNECT => {
            let headers =
                vec![("host", "localhost:3333"), ("user-agent", "wsh-bench"), ("sec-websocket-version", "13")];
            ctx.connect(&ConnectRequest { headers, query: Some("token=abc") }, new_id(), now)
        }
        DISCONNECT => ctx.disconnect(1000, "bye", new_id(), now),
        DEFAULT => ctx.message(key, &Frame::Text(r#"{"text":"hello"}"#.into()), new_id(), new_id(), now),
        custom => {
            let body = serde_json::json!({"action": custom, "text": "hello", "n": 1, "to": ctx.connection_id});
            ctx.message(custom, &Frame::Text(body.to_string()), new_id(), new_id(), now)
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
