//! `{"action":"kvbench","n":2000}`: what each key-value call costs from inside a handler,
//! measured here, through the component boundary and the host, on the app's real store.
//! `wsh bench app.arc --kv` runs it beside the same calls made natively.

use std::time::Instant;

use serde_json::{Value, json};
use wsh_sdk::{Event, Response, kv};

fn kvbench(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: Value = event.json()?;
    let n = body["n"].as_u64().unwrap_or(1000).clamp(10, 100_000) as usize;
    let bucket = kv::open("default")?;
    let value = vec![b'x'; 100];
    let mut report = serde_json::Map::new();
    let mut time = |name: &str, op: &mut dyn FnMut(usize) -> Result<(), kv::KvError>| -> Result<(), kv::KvError> {
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let started = Instant::now();
            op(i)?;
            samples.push(started.elapsed().as_nanos() as u64);
        }
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize] / 1000;
        report.insert(name.to_string(), json!({ "median_us": at(0.5), "p99_us": at(0.99) }));
        Ok(())
    };
    time("set", &mut |i| bucket.set(&format!("bench-{i}"), &value))?;
    time("get", &mut |i| bucket.get(&format!("bench-{i}")).map(drop))?;
    time("increment", &mut |_| bucket.increment("bench-counter", 1).map(drop))?;
    time("compare-and-swap", &mut |_| {
        bucket.update("bench-cas", |c| c.map_or(b"0".to_vec(), |c| c.to_vec())).map(drop)
    })?;
    time("delete", &mut |i| bucket.delete(&format!("bench-{i}")))?;
    Ok(Response::ok().json(&json!({ "ops": n, "wsh-bench": report })))
}

wsh_sdk::handler!(kvbench);
