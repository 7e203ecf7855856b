//! `wsh bench --kv`: what a key-value call costs a handler, beside the same call made natively.
//!
//! The handler side is the app's `kvbench` route (guest-examples/counter has one in Rust), which
//! times each call from inside the component and reports its figures; the native side makes the
//! same calls on the same store straight through the host's backend, with no component in
//! between. The ratio is what the component boundary and the host functions add.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use futures_util::FutureExt;
use serde_json::{Value, json};

use crate::app::build;
use crate::app::snapshot::App;
use crate::bindings::wit;
use crate::decide::events::{Api, Body, ConnectionContext};
use crate::features::kv::Backend;
use crate::ids::{new_id, now_ms};
use crate::runtime::Runtime;

const ROUTE: &str = "kvbench";

pub(super) async fn run(
    runtime: &Arc<Runtime>,
    app: &App,
    store: &dyn Backend,
    ctx: &ConnectionContext,
    n: usize,
) -> Result<()> {
    let route = app.routes.iter().find(|r| r.key == ROUTE).with_context(|| {
        format!("--kv runs the app's `{ROUTE}` route, which this app lacks (guest-examples/counter has one)")
    })?;
    let source = route.source.as_ref().with_context(|| format!("the `{ROUTE}` route has no handler"))?;
    let component = build::build(&route.key, source, route.world).await?;
    let handler = runtime.load(ROUTE, &component, route.world, route.export.as_deref(), &app.limits).await?;
    let api = Api { stage: app.api.stage.clone(), api_id: "bench".into() };
    let body = json!({ "action": ROUTE, "n": n }).to_string();
    let event = ctx.message(&api, ROUTE, Body::Text(&body), new_id(), new_id(), now_ms());
    let response = runtime.call(&handler, app.limits.clone(), event).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let reported: Value = match response.body {
        Some(wit::Data::Text(t)) => serde_json::from_str(&t).context("the kvbench route answered no JSON")?,
        _ => bail!("the kvbench route answered no body"),
    };
    let native = native(store, n)?;
    println!("key-value calls, {n} each, on {} (median / p99):\n", app.root.join(".wsh/kv.sqlite").display());
    println!("| call | from a Rust handler | native (the host's backend) | handler / native |");
    println!("|---|---|---|---|");
    for (op, (median, p99)) in native {
        let handler = &reported["wsh-bench"][op];
        let (h_median, h_p99) =
            (handler["median_us"].as_f64().unwrap_or(f64::NAN), handler["p99_us"].as_f64().unwrap_or(f64::NAN));
        println!(
            "| {op} | {h_median:.0} µs / {h_p99:.0} µs | {median:.1} µs / {p99:.1} µs | {:.1}× |",
            h_median / median.max(0.1)
        );
    }
    Ok(())
}

/// The same calls as the route makes, on keys of their own, timed from the host.
fn native(store: &dyn Backend, n: usize) -> Result<Vec<(&'static str, (f64, f64))>> {
    let value = vec![b'x'; 100];
    let bucket = "default";
    let now = |f: futures_util::future::BoxFuture<'_, Result<(), String>>| {
        f.now_or_never().expect("the SQLite backend completes at once").map_err(anyhow::Error::msg)
    };
    let mut report = Vec::new();
    let mut time = |name: &'static str, op: &mut dyn FnMut(usize) -> Result<()>| -> Result<()> {
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let started = Instant::now();
            op(i)?;
            samples.push(started.elapsed().as_secs_f64() * 1e6);
        }
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
        report.push((name, (at(0.5), at(0.99))));
        Ok(())
    };
    time("set", &mut |i| now(store.set(bucket, &format!("native-bench-{i}"), &value)))?;
    time("get", &mut |i| now(Box::pin(store.get(bucket, &format!("native-bench-{i}")).map(|r| r.map(drop)))))?;
    time("increment", &mut |_| now(Box::pin(store.increment(bucket, "native-bench-counter", 1).map(|r| r.map(drop)))))?;
    time("compare-and-swap", &mut |_| {
        let current =
            store.get(bucket, "native-bench-cas").now_or_never().expect("at once").map_err(anyhow::Error::msg)?;
        let next = current.clone().unwrap_or_else(|| b"0".to_vec());
        now(Box::pin(store.swap(bucket, "native-bench-cas", current.as_deref(), &next).map(|r| r.map(drop))))
    })?;
    time("delete", &mut |i| now(store.delete(bucket, &format!("native-bench-{i}"))))?;
    Ok(report)
}
