//! Hot reload, end to end: handlers and the manifest change under a live server while clients
//! stay connected.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::*;

const RELOAD_TIMEOUT: Duration = Duration::from_secs(60);

fn app_with_default(name: &str, arc: &str, component: &Path) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("app.arc"), arc).unwrap();
    std::fs::create_dir_all(dir.join("src/ws/default")).unwrap();
    std::fs::copy(component, dir.join("src/ws/default/handler.wasm")).unwrap();
    dir
}

#[tokio::test]
async fn a_handler_is_replaced_while_its_client_stays_connected() {
    let echo = built_component("echo", "$default");
    let dir = app_with_default("reload-swap", "@app\nswap\n@ws\n", &echo);
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"text": "one"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing one"));

    // The new version: the routes example's default, which names the route it ran as.
    let wasm = dir.join("src/ws/default/handler.wasm");
    replace_file(&wasm, &std::fs::read(built_component("routes", "$default")).unwrap());
    server.wait_for_nth("reloaded $default", 1, RELOAD_TIMEOUT).await;
    send(&mut ws, "two").await;
    assert_eq!(recv_json(&mut ws).await, json!({"route": "$default", "body": "two", "isBase64Encoded": false}));

    // A broken replacement: the error is printed, the last good version keeps answering.
    replace_file(&wasm, b"\0asm garbage");
    let log =
        server.wait_for_nth("reload $default (src/ws/default/handler.wasm changed) failed", 1, RELOAD_TIMEOUT).await;
    assert!(log.contains("keeping the previous version"), "{log}");
    send(&mut ws, "three").await;
    assert_eq!(recv_json(&mut ws).await["body"], "three");

    // Fixing the file recovers without a restart.
    replace_file(&wasm, &std::fs::read(&echo).unwrap());
    server.wait_for_nth("reloaded $default", 2, RELOAD_TIMEOUT).await;
    send_json(&mut ws, json!({"text": "four"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing four"));

    // The same bytes again: no reload.
    replace_file(&wasm, &std::fs::read(&echo).unwrap());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(server.log().matches("reloaded $default").count(), 2, "{}", server.log());
}

#[tokio::test]
async fn manifest_changes_add_and_remove_routes_live() {
    let dir = app_with_default("reload-manifest", "@app\nlive\n@ws\n", &built_component("routes", "$default"));
    std::fs::create_dir_all(dir.join("src/ws/ping")).unwrap();
    std::fs::copy(built_component("routes", "ping"), dir.join("src/ws/ping/ping.wasm")).unwrap();
    let manifest = dir.join("app.arc");
    let server = Server::start(&manifest);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "ping", "n": 1})).await;
    assert_eq!(recv_json(&mut ws).await["route"], "$default", "ping is not a route yet");

    replace_file(&manifest, b"@app\nlive\n@ws\nping\n");
    server.wait_for_log("ping added", RELOAD_TIMEOUT, |l| l.contains("routes added [ping]")).await;
    send_json(&mut ws, json!({"action": "ping", "n": 2})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"pong": 2}));

    replace_file(&manifest, b"@app\nlive\n@ws\nping\n@wsh\nroute-selection $request.body.type\n");
    server.wait_for_log("new selection", RELOAD_TIMEOUT, |l| l.contains("route selection $request.body.type")).await;
    send_json(&mut ws, json!({"type": "ping", "n": 3})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"pong": 3}));

    // A broken manifest keeps the last good one serving.
    replace_file(&manifest, b"@app\nlive\n@ws\nping pong\n");
    let log = server
        .wait_for_log("manifest error", RELOAD_TIMEOUT, |l| l.contains("app.arc:4: a @ws route is one route key"))
        .await;
    assert!(log.contains("keeping the previous version"), "{log}");
    send_json(&mut ws, json!({"type": "ping", "n": 4})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"pong": 4}));

    replace_file(&manifest, b"@app\nlive\n@ws\n");
    server.wait_for_log("ping removed", RELOAD_TIMEOUT, |l| l.contains("removed [ping]")).await;
    send_json(&mut ws, json!({"action": "ping", "n": 5})).await;
    assert_eq!(recv_json(&mut ws).await["route"], "$default", "a removed route's messages go to $default");
}

/// A Rust handler crate outside the examples' workspace, so that editing it is safe.
fn scratch_rust_app() -> std::path::PathBuf {
    let dir = scratch("reload-rust");
    std::fs::write(dir.join("app.arc"), "@app\nrusty\n@ws\n").unwrap();
    let krate = dir.join("src/ws/default");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let sdk = repo().join("sdk");
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rusty-default\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
             [dependencies]\nwsh-sdk = {{ path = {sdk:?} }}\n\n[workspace]\n\n[profile.release]\nopt-level = \"s\"\npanic = \"abort\"\n"
        ),
    )
    .unwrap();
    std::fs::copy(repo().join("guest-examples/Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    std::fs::write(krate.join("src/lib.rs"), rust_handler("v1")).unwrap();
    dir
}

fn rust_handler(version: &str) -> String {
    format!(
        "fn h(_e: wsh_sdk::Event) -> wsh_sdk::Response {{ wsh_sdk::Response::ok().body(\"{version}\") }}\nwsh_sdk::handler!(h);\n"
    )
}

#[tokio::test]
async fn editing_rust_source_rebuilds_and_swaps_and_a_compile_error_keeps_the_old_version() {
    let dir = scratch_rust_app();
    // A target dir that outlives the scratch app, so that re-runs reuse its dependencies.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reload-rust-target");
    let server = Server::start_with(&dir.join("app.arc"), &[], &[("CARGO_TARGET_DIR", &target)]);
    let mut ws = server.connect().await;
    send(&mut ws, "hi").await;
    assert_eq!(recv_text(&mut ws).await, "v1");

    let lib = dir.join("src/ws/default/src/lib.rs");
    std::fs::write(&lib, "fn h(_e: wsh_sdk::Event) -> wsh_sdk::Response {\n    not_rust(\n}\n").unwrap();
    let log =
        server.wait_for_nth("reload $default (src/ws/default/src/lib.rs changed) failed", 1, RELOAD_TIMEOUT).await;
    assert!(log.contains("src/lib.rs:"), "the compiler's error names file and line:\n{log}");
    send(&mut ws, "hi").await;
    assert_eq!(recv_text(&mut ws).await, "v1");

    std::fs::write(&lib, rust_handler("v2")).unwrap();
    server.wait_for_nth("reloaded $default", 1, RELOAD_TIMEOUT).await;
    send(&mut ws, "hi").await;
    assert_eq!(recv_text(&mut ws).await, "v2");
}

#[tokio::test]
async fn no_watch_turns_reloading_off() {
    let echo = built_component("echo", "$default");
    let dir = app_with_default("reload-off", "@app\noff\n@ws\n", &echo);
    let server = Server::start_with(&dir.join("app.arc"), &["--no-watch"], &[]);
    let mut ws = server.connect().await;
    replace_file(
        &dir.join("src/ws/default/handler.wasm"),
        &std::fs::read(built_component("routes", "$default")).unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    send_json(&mut ws, json!({"text": "still echo"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing still echo"));
    assert!(!server.log().contains("reloaded"), "{}", server.log());
}

/// Which of the two components answered: the routes example's default (two-way JSON naming
/// the route) or the echo (a `{"text": ...}` push).
fn version_of(reply: &serde_json::Value) -> &'static str {
    if reply.get("route").is_some() { "routes" } else { "echo" }
}

/// Benchmark (run by `make bench`): 50 connections send continuously while their handler is
/// replaced 20 times. Nothing may be dropped, lost or answered with an error.
#[tokio::test]
#[ignore = "a load benchmark; run with --ignored"]
async fn bench_reload_under_load() {
    let components = [built_component("echo", "$default"), built_component("routes", "$default")];
    let dir = app_with_default("reload-load", "@app\nload\n@ws\n", &components[0]);
    let server = Server::start(&dir.join("app.arc"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..50 {
        let mut ws = server.connect().await;
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            let (mut sent, mut answered, mut errors) = (0u64, 0u64, 0u64);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                send_json(&mut ws, json!({"text": sent})).await;
                sent += 1;
                let reply = recv_json(&mut ws).await; // panics if the socket closes
                answered += 1;
                if reply.get("message").is_some() {
                    errors += 1;
                }
            }
            ws.close(None).await.unwrap();
            (sent, answered, errors)
        }));
    }
    let wasm = dir.join("src/ws/default/handler.wasm");
    let started = std::time::Instant::now();
    for i in 1..=20 {
        replace_file(&wasm, &std::fs::read(&components[i % 2]).unwrap());
        server.wait_for_nth("reloaded $default", i, RELOAD_TIMEOUT).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut sent, mut answered, mut errors) = (0, 0, 0);
    for client in clients {
        let (s, a, e) = client.await.expect("a client lost its connection or a reply");
        (sent, answered, errors) = (sent + s, answered + a, errors + e);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "reload under load: 50 connections, 20 reloads in {secs:.1} s; {sent} messages sent, {answered} answered \
         ({:.0}/s), {errors} error replies, 0 connections dropped",
        answered as f64 / secs
    );
    assert_eq!((sent, errors), (answered, 0));
}

/// Benchmark (run by `make bench`): time from a file write to the new version answering.
#[tokio::test]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_reload_latency() {
    let components = [built_component("echo", "$default"), built_component("routes", "$default")];
    let dir = app_with_default("reload-latency", "@app\nlatency\n@ws\n", &components[0]);
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    let wasm = dir.join("src/ws/default/handler.wasm");
    let mut wasm_times = Vec::new();
    for i in 1..=10 {
        let want = if i % 2 == 1 { "routes" } else { "echo" };
        let bytes = std::fs::read(&components[i % 2]).unwrap();
        wasm_times.push(time_until_version(&mut ws, want, || replace_file(&wasm, &bytes)).await);
    }
    drop(server);

    let dir = scratch_rust_app();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reload-rust-target");
    let server = Server::start_with(&dir.join("app.arc"), &[], &[("CARGO_TARGET_DIR", &target)]);
    let mut ws = server.connect().await;
    let lib = dir.join("src/ws/default/src/lib.rs");
    let mut rust_times = Vec::new();
    for i in 2..=6 {
        let version = format!("v{i}");
        let source = rust_handler(&version);
        rust_times.push(time_until_text(&mut ws, &version, || std::fs::write(&lib, &source).unwrap()).await);
    }
    drop(server);

    let js = |v: &str| format!("export function handler() {{ return {{ statusCode: 200, body: '{v}' }} }}\n");
    let mut js_times = source_reload_times("reload-js", "index.mjs", js).await;
    let py = |v: &str| format!("def handler(event, context):\n    return {{'statusCode': 200, 'body': '{v}'}}\n");
    let mut py_times = source_reload_times("reload-py", "app.py", py).await;

    println!("reload latency, file write to new version answering (median / max):");
    println!("  ready .wasm ({} swaps): {}", wasm_times.len(), summary(&mut wasm_times));
    println!("  Rust source, cargo build + load ({}): {}", rust_times.len(), summary(&mut rust_times));
    println!(
        "  JavaScript source, esbuild + componentize-qjs + compile ({}): {}",
        js_times.len(),
        summary(&mut js_times)
    );
    println!("  Python source, componentize-py + compile ({}): {}", py_times.len(), summary(&mut py_times));
}

/// Serves a one-route app whose handler file `entry` is rewritten to answer v2, v3, ...
async fn source_reload_times(name: &str, entry: &str, source: impl Fn(&str) -> String) -> Vec<Duration> {
    let dir = scratch(name);
    std::fs::write(dir.join("app.arc"), "@app\nlang\n@ws\n").unwrap();
    let file = dir.join("src/ws/default").join(entry);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // A fresh value per run: the build cache must not make this a measurement of a cache hit.
    let run = std::process::id();
    std::fs::write(&file, source(&format!("{run}-v1"))).unwrap();
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    let mut times = Vec::new();
    for i in 2..=4 {
        let version = format!("{run}-v{i}");
        let text = source(&version);
        times.push(time_until_text(&mut ws, &version, || std::fs::write(&file, &text).unwrap()).await);
    }
    times
}

async fn time_until_version(ws: &mut Socket, want: &str, change: impl FnOnce()) -> Duration {
    let started = std::time::Instant::now();
    change();
    loop {
        send_json(ws, json!({"text": "which"})).await;
        if version_of(&recv_json(ws).await) == want {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn time_until_text(ws: &mut Socket, want: &str, change: impl FnOnce()) -> Duration {
    let started = std::time::Instant::now();
    change();
    loop {
        send(ws, "which").await;
        if recv_text(ws).await == want {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    format!("{} ms / {} ms", times[times.len() / 2].as_millis(), times[times.len() - 1].as_millis())
}

/// An app on the authorized example's components, with or without its authorizer declared.
fn authorized_app(name: &str) -> std::path::PathBuf {
    let dir = app_with_default(name, "@app\nguarded\n@ws\n", &built_component("authorized", "$default"));
    std::fs::create_dir_all(dir.join("src/ws/auth")).unwrap();
    std::fs::copy(built_component("authorized", "$authorizer"), dir.join("src/ws/auth/auth.wasm")).unwrap();
    dir.join("app.arc")
}

const GUARDED: &[u8] = b"@app\nguarded\n@ws\n@wsh\nauthorizer auth\nidentity-source route.request.header.auth\n";

#[tokio::test]
async fn declaring_an_authorizer_protects_the_next_handshake_and_removing_it_opens_it() {
    let manifest = authorized_app("reload-authorizer");
    let server = Server::start(&manifest);
    let url = server.url();
    assert!(connect_with_headers(&url, &[]).await.is_ok(), "no authorizer yet: anyone connects");

    replace_file(&manifest, GUARDED);
    server.wait_for_nth("reloaded ", 1, RELOAD_TIMEOUT).await;
    assert_eq!(connect_with_headers(&url, &[]).await.err(), Some(401), "no identity: 401, without a restart");
    assert_eq!(connect_with_headers(&url, &[("auth", "nope")]).await.err(), Some(403), "denied: 403");
    let mut ws = connect_with_headers(&url, &[("auth", "letmein")]).await.expect("allowed");
    send(&mut ws, "hi").await;
    assert_eq!(recv_json(&mut ws).await["authorizer"]["principalId"], "user-ada");

    replace_file(&manifest, b"@app\nguarded\n@ws\n");
    server.wait_for_nth("reloaded ", 2, RELOAD_TIMEOUT).await;
    let mut open = connect_with_headers(&url, &[]).await.expect("the authorizer removed: handshakes go through");
    send(&mut open, "hi").await;
    assert_eq!(recv_json(&mut open).await["authorizer"], serde_json::Value::Null);
    let log = server.log();
    assert!(log.contains("settings changed: authorizer none → auth"), "{log}");
}

#[tokio::test]
async fn a_lower_max_message_kb_closes_the_next_oversize_message_with_1009() {
    let dir = app_with_default("reload-limits", "@app\nlimits\n@ws\n", &built_component("routes", "$default"));
    let manifest = dir.join("app.arc");
    let server = Server::start(&manifest);
    let mut ws = server.connect().await;
    let big = "x".repeat(2048);
    send(&mut ws, &big).await;
    assert_eq!(recv_json(&mut ws).await["body"], big.as_str(), "2 KB is within the default 128 KB");

    replace_file(&manifest, b"@app\nlimits\n@ws\n@wsh\nmax-message-kb 1\n");
    server.wait_for_log("the new limit", RELOAD_TIMEOUT, |l| l.contains("max-message-kb 128 → 1")).await;
    send(&mut ws, "small").await;
    assert_eq!(recv_json(&mut ws).await["body"], "small", "the connection stays open");
    send(&mut ws, &big).await;
    assert_eq!(recv_close(&mut ws).await, Some(1009), "the open connection follows the lower limit");

    // Raising it back cannot reach a socket opened under the lower limit: the reload says so.
    let mut small = server.connect().await;
    replace_file(&manifest, b"@app\nlimits\n@ws\n@wsh\nmax-message-kb 4\n");
    let log = server.wait_for_log("the caveat", RELOAD_TIMEOUT, |l| l.contains("max-message-kb 1 → 4 applies")).await;
    assert!(log.contains("applies to connections opened from now on; each open connection keeps 1"), "{log}");
    let mut fresh = server.connect().await;
    send(&mut fresh, &big).await;
    assert_eq!(recv_json(&mut fresh).await["body"], big.as_str(), "a new connection has the new limit");
    send(&mut small, &big).await;
    assert_eq!(recv_close(&mut small).await, Some(1009), "as the log said");
}

/// What edits leave behind is kept within `WSH_CACHE_MAX_MB`: the least recently used entries
/// go, what the app uses and what is not wsh's to prune stay.
#[tokio::test]
async fn the_cache_is_kept_within_its_budget() {
    let echo = built_component("echo", "$default");
    let dir = app_with_default("cache-budget", "@app\nbudget\n@ws\n", &echo);
    let cache = scratch("cache-budget-cache");
    let old = |path: &str, mib: usize, days: u64| {
        let path = cache.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![7u8; mib << 20]).unwrap();
        let when = std::time::SystemTime::now() - Duration::from_secs(days * 86_400);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
        path
    };
    let stale_build = old("builds/0123.wasm", 3, 2);
    let stale_function = old("functions/ab/abcd", 2, 3);
    let not_ours = old("sdk/1234/big", 8, 30);
    let server = Server::start_with(
        &dir.join("app.arc"),
        &[],
        &[("WSH_CACHE_DIR", &cache), ("WSH_CACHE_MAX_MB", Path::new("2"))],
    );
    let log = server.wait_for_nth("least recently used file(s)", 1, RELOAD_TIMEOUT).await;
    assert!(
        log.contains("removed 2 least recently used file(s), 5 MiB, to stay within 2 MiB (WSH_CACHE_MAX_MB)"),
        "{log}"
    );
    assert!(!stale_build.exists() && !stale_function.exists());
    assert!(not_ours.exists(), "pruned a file outside wsh's own cache folders");
    // The app's own compilation is recent: it stays, over budget or not, and the app serves.
    let compiled = std::fs::read_dir(cache.join("components")).unwrap().count();
    assert_eq!(compiled, 1, "the app's compiled handler was pruned");
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"text": "still here"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing still here"));
}
