//! Seeing what wsh does: `GET /metrics`, read with the Prometheus project's own Python parser;
//! the log line per event; `--log-format json`; a handler's prints tagged with their request;
//! the live page `/_wsh` in headless Chromium (tests/browser/live.mjs).

mod support;

use std::collections::BTreeMap;

use serde_json::json;
use support::*;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// One sample: its name (with `_total`, `_bucket`, ...), labels and value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Scrapes `/metrics` from `addr` and parses it with `prometheus_client`'s text parser, which
/// refuses what Prometheus would not read.
async fn scrape(addr: &str) -> Vec<Sample> {
    let (status, head, body) = http(addr, "GET", "/metrics", b"").await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(header(&head, "content-type").unwrap().starts_with("text/plain; version=0.0.4"), "{head}");
    let python = repo().join("tests/.venv/bin/python");
    assert!(python.is_file(), "run `make setup` first: it installs prometheus-client into tests/.venv");
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = [[s.name, s.labels, s.value] for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]
print(json.dumps(samples))
"#;
    let mut child = tokio::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(body.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "the parser refused /metrics: {}\n{body}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The value of the sample `name` whose labels include `labels`; 0 when there is none.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
        .map_or(0.0, |(_, _, v)| *v)
}

#[tokio::test]
async fn metrics_parse_and_move_with_traffic() {
    let server = Server::start(&example("routes")); // handler-timeout-ms 2000
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    let before = scrape(&server.addr).await;
    assert_eq!(value(&before, "wsh_connections_open", &[]), 1.0);

    const N: usize = 7;
    let ping = [("route", "ping"), ("kind", "ws")];
    for n in 0..N {
        send_json(&mut ws, json!({"action": "ping", "n": n})).await;
        assert_eq!(recv_json(&mut ws).await, json!({"pong": n}));
    }
    for how in ["panic", "error", "oom", "loop"] {
        send_json(&mut ws, json!({"action": "crash", "how": how})).await;
        assert_eq!(recv_json(&mut ws).await["message"], "Internal server error", "{how}");
    }
    let after = scrape(&server.addr).await;
    let delta = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);

    assert_eq!(delta("wsh_invocations_total", &ping), N as f64);
    assert_eq!(delta("wsh_invocation_duration_seconds_count", &ping), N as f64);
    assert!(delta("wsh_invocation_duration_seconds_sum", &ping) > 0.0);
    assert_eq!(value(&after, "wsh_invocation_duration_seconds_bucket", &[("route", "ping"), ("le", "+Inf")]), N as f64);
    assert_eq!(delta("wsh_errors_total", &[("route", "ping")]), 0.0);
    assert_eq!(delta("wsh_invocations_total", &[("route", "crash")]), 4.0);
    for kind in ["trap", "error", "memory", "timeout"] {
        assert_eq!(delta("wsh_errors_total", &[("route", "crash"), ("error", kind)]), 1.0, "errors of kind {kind}");
    }
    let sent = (N + 4) as f64;
    assert_eq!(delta("wsh_frames_total", &[("direction", "in")]), sent);
    assert_eq!(delta("wsh_frames_total", &[("direction", "out")]), sent);
    assert!(delta("wsh_frame_bytes_total", &[("direction", "in")]) >= sent * 16.0);
    assert!(delta("wsh_frame_bytes_total", &[("direction", "out")]) >= sent * 10.0);
    assert!(value(&after, "wsh_connections_accepted_total", &[]) >= 1.0);
    assert!(value(&after, "wsh_invocations_total", &[("route", "$connect")]) >= 1.0);

    // The per-event line: route, connection, request, outcome and duration.
    let log = server.log();
    let line =
        log.lines().find(|l| l.contains(" event ") && l.contains("route=ping")).unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains(&format!("connection={id}")) && line.contains("request=") && line.contains("status=200"),
        "{line}"
    );
    assert!(line.contains("duration_ms="), "{line}");
    assert!(
        log.lines().any(|l| l.contains(" event ") && l.contains("route=crash") && l.contains("status=504")),
        "{log}"
    );

    ws.close(Some(CloseFrame { code: 4001.into(), reason: "done".into() })).await.unwrap();
    server.wait_for_log("the disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("disconnected {id} code=4001"))).await;
    let closed = scrape(&server.addr).await;
    assert_eq!(value(&closed, "wsh_closes_total", &[("code", "4001")]), 1.0);
    assert_eq!(value(&closed, "wsh_connections_open", &[]), 0.0);
    assert_eq!(value(&closed, "wsh_invocations_total", &[("route", "$disconnect")]), 1.0);
}

#[tokio::test]
async fn metrics_count_http_routes() {
    let server = Server::start(&example("routes"));
    let route = [("route", "GET /things/:id"), ("kind", "http")];
    let before = value(&scrape(&server.addr).await, "wsh_invocations_total", &route);
    for n in 0..3 {
        let (status, _, _) = http(&server.addr, "GET", &format!("/things/{n}"), b"").await;
        assert_eq!(status, 200);
    }
    let after = scrape(&server.addr).await;
    assert_eq!(value(&after, "wsh_invocations_total", &route) - before, 3.0);
    let log = server.log();
    assert!(log.lines().any(|l| l.contains(" http request ") && l.contains("route=GET /things/:id")), "{log}");
}

#[tokio::test]
async fn metrics_are_for_loopback_or_the_credential() {
    let ip = non_loopback_ip();
    let server = Server::start_with(&example("routes"), &["--host", "0.0.0.0"], &[]);
    let port = server.addr.rsplit(':').next().unwrap().to_string();
    let (status, head, body) = http(&format!("{ip}:{port}"), "GET", "/metrics", b"").await;
    assert_eq!((status, header(&head, "x-amzn-errortype")), (403, Some("ForbiddenException")), "{body}");
    assert!(!body.contains("wsh_"), "{body}");
    let (status, _, body) = http(&format!("127.0.0.1:{port}"), "GET", "/metrics", b"").await;
    assert_eq!(status, 200);
    assert!(body.contains("wsh_connections_open"), "{body}");
    // The live page and its state, likewise.
    assert_eq!(refused_status(&format!("ws://{ip}:{port}/_wsh/live")).await, 403);
    for path in ["/_wsh", "/_wsh/state", "/_wsh/live.js"] {
        let (status, _, _) = http(&format!("{ip}:{port}"), "GET", path, b"").await;
        assert_eq!(status, 403, "{path}");
        let (status, _, _) = http(&format!("127.0.0.1:{port}"), "GET", path, b"").await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn json_logs_carry_route_connection_and_request() {
    let server = Server::start_with(&example("routes"), &["--log-format", "json"], &[]);
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    send_json(&mut ws, json!({"action": "ping", "n": 1})).await;
    recv_json(&mut ws).await;
    let log = server
        .wait_for_log("a JSON line for the ping", REPLY_TIMEOUT, |l| {
            l.lines().any(|l| l.contains("\"route\":\"ping\""))
        })
        .await;
    let event = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["route"] == "ping")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(event["level"], "INFO", "{event}");
    assert_eq!(event["fields"]["connection"], id.as_str(), "{event}");
    assert!(event["fields"]["request"].as_str().is_some_and(|r| !r.is_empty()), "{event}");
    assert_eq!(event["fields"]["status"], 200, "{event}");
    assert!(event["fields"]["duration_ms"].as_f64().is_some(), "{event}");
    assert_eq!(event["fields"]["outcome"], "ok", "{event}");
    // Everything wsh itself logs is JSON, the handlers' prints included.
    // (stdout's banner and route table, for people, excepted.)
    for line in log.lines().filter(|l| !l.starts_with("wsh: ") && !l.starts_with("  ") && !l.is_empty()) {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not JSON: {line}\n{log}");
    }
}

#[tokio::test]
async fn a_handlers_prints_carry_its_request_id() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "crash", "how": "loop"})).await;
    let reply = recv_json(&mut ws).await;
    let request = reply["requestId"].as_str().unwrap().to_string();
    let log = server.log();
    let line = log.lines().find(|l| l.contains("looping until stopped")).unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("[crash]") && line.contains(&request), "{line}");
}

#[tokio::test]
async fn the_live_page_shows_connections_routes_and_errors_in_chromium() {
    assert!(
        repo().join("tests/browser/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `make test-setup`"
    );
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    send_json(&mut ws, json!({"action": "crash", "how": "error"})).await;
    let reply = recv_json(&mut ws).await;
    let request = reply["requestId"].as_str().unwrap().to_string();

    let (status, head, _) = http(&server.addr, "GET", "/_wsh", b"").await;
    assert_eq!(status, 200);
    assert!(header(&head, "content-type").unwrap().starts_with("text/html"), "{head}");
    let (_, _, state) = http(&server.addr, "GET", "/_wsh/state", b"").await;
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["connections"][0]["id"], id.as_str(), "{state}");
    assert_eq!(state["errors"][0]["request"], request.as_str(), "{state}");

    // The page's socket: the state, once a second.
    let mut feed = connect(&format!("ws://{}/_wsh/live", server.addr)).await;
    let state = recv_json(&mut feed).await;
    assert_eq!(state["connections"][0]["id"], id.as_str(), "{state}");

    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-page");
    let script = repo().join("tests/browser/live.mjs");
    let base = format!("http://{}/_wsh", server.addr);
    let dir = shots.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(&script)
            .arg(&base)
            .arg(&dir)
            .env("LIVE_CONNECTION", &id)
            .env("LIVE_REQUEST", &request)
            .output()
            .expect("running node")
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the live page test failed:\n{stdout}\n{stderr}\nserver log:\n{}", server.log());
    let shot = std::fs::metadata(shots.join("live.png")).map(|m| m.len()).unwrap_or(0);
    assert!(shot > 1000, "no screenshot at {}", shots.join("live.png").display());
    // A page left open does not hold up shutdown.
    recv_json(&mut feed).await;
    server.stop();
    drop((ws, feed));
}

#[tokio::test]
async fn reloads_are_counted_by_outcome_and_listed() {
    let manifest =
        scratch_app("obs-reload", "@app\nobs\n@ws\nping\n", &[("ws/ping", built_component("routes", "ping"))]);
    let server = Server::start(&manifest);
    replace_file(&manifest, b"@app\nobs\n@ws\nping\n@wsh\nhandler-timeout-ms 5000\n");
    server.wait_for_log("the reload", REPLY_TIMEOUT, |l| l.contains("reloaded ")).await;
    replace_file(&manifest, b"@app\nobs\n@ws\nping pong\n");
    server.wait_for_log("the failed reload", REPLY_TIMEOUT, |l| l.contains("keeping the previous version")).await;
    let samples = scrape(&server.addr).await;
    assert_eq!(value(&samples, "wsh_reloads_total", &[("outcome", "ok")]), 1.0);
    assert_eq!(value(&samples, "wsh_reloads_total", &[("outcome", "failed")]), 1.0);
    let (_, _, state) = http(&server.addr, "GET", "/_wsh/state", b"").await;
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let reloads = state["reloads"].as_array().unwrap();
    assert_eq!(reloads.len(), 2, "{state}");
    assert_eq!(
        (reloads[0]["ok"].as_bool(), reloads[1]["ok"].as_bool()),
        (Some(false), Some(true)),
        "newest first: {state}"
    );
    assert!(reloads[0]["detail"].as_str().unwrap().contains("app.arc:4"), "{state}");
}

#[tokio::test]
async fn key_value_calls_are_counted_by_operation() {
    let server = Server::start(&example("counter"));
    let total = |samples: &[Sample]| -> f64 {
        samples.iter().filter(|(n, _, _)| n == "wsh_kv_operations_total").map(|(_, _, v)| v).sum()
    };
    let before = scrape(&server.addr).await;
    for _ in 0..3 {
        let (status, _, _) = http(&server.addr, "GET", "/", b"").await;
        assert_eq!(status, 200);
    }
    let after = scrape(&server.addr).await;
    // A visit is one increment at least (and whatever else the page reads).
    assert!(total(&after) - total(&before) >= 3.0, "{after:?}");
    let increments = value(&after, "wsh_kv_operations_total", &[("op", "increment")])
        - value(&before, "wsh_kv_operations_total", &[("op", "increment")]);
    assert!(increments >= 3.0, "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_messages_are_counted_each_way() {
    use support::services::Redis;
    let redis = Redis::start("obs-cluster");
    let app = example("routes");
    let args = ["--cluster", &redis.url(), "--no-watch"].map(str::to_string);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (one, two) = (Server::start_with(&app, &args, &[]), Server::start_with(&app, &args, &[]));
    for server in [&one, &two] {
        server.wait_for_log("joining the cluster", REPLY_TIMEOUT, |l| l.contains("cluster: node ")).await;
    }
    let mut on_one = one.connect().await;
    let mut on_two = two.connect().await;
    let to = connection_id(&mut on_two).await;
    let (before_out, before_in) = (scrape(&one.addr).await, scrape(&two.addr).await);
    send_json(&mut on_one, json!({"action": "tell", "to": to, "text": "across"})).await;
    assert_eq!(recv_json(&mut on_one).await["sent"], to.as_str());
    assert_eq!(recv_json(&mut on_two).await["text"], "across");
    let (after_out, after_in) = (scrape(&one.addr).await, scrape(&two.addr).await);
    let out = [("direction", "out")];
    let heard = [("direction", "in")];
    assert!(
        value(&after_out, "wsh_cluster_messages_total", &out) > value(&before_out, "wsh_cluster_messages_total", &out)
    );
    assert!(
        value(&after_in, "wsh_cluster_messages_total", &heard)
            > value(&before_in, "wsh_cluster_messages_total", &heard)
    );
    assert_eq!(value(&after_out, "wsh_redis_errors_total", &[]), 0.0);
}
