//! The key-value store (`wasi:keyvalue`), end to end: atomic under contention in every
//! language, durable across `kill -9`, paged, standard (a component built for another host's
//! WIT links), and bad input answered with error values.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::*;

/// A scratch copy of one of the counter examples (its own store in its own folder).
fn counter_app(name: &str, example: &str) -> PathBuf {
    prebuild(example);
    let arc = std::fs::read_to_string(example_dir(example).join("app.arc")).unwrap();
    let routes: Vec<(&str, PathBuf)> = [("ws/visit", "visit"), ("ws/tally", "tally"), ("ws/default", "$default")]
        .into_iter()
        .map(|(dir, route)| (dir, built_component(example, route)))
        .collect();
    scratch_app(name, &arc, &routes)
}

fn example_dir(name: &str) -> PathBuf {
    example(name).parent().unwrap().to_path_buf()
}

/// 50 connections each counting 100 times through `action`: every count is distinct, and the
/// last is exactly 5000.
async fn contend(server: &Server, action: &str, field: &str) {
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let url = server.url();
            let (action, field) = (action.to_string(), field.to_string());
            tokio::spawn(async move {
                let mut ws = connect(&url).await;
                let mut seen = Vec::new();
                for _ in 0..100 {
                    send_json(&mut ws, json!({ "action": action })).await;
                    let reply = recv_json(&mut ws).await;
                    seen.push(reply[&field].as_i64().unwrap_or_else(|| panic!("no {field} in {reply}")));
                }
                seen
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 5000, "{action}: every update saw a value of its own");
    assert_eq!(all.last(), Some(&5000), "{action}: no update was lost");
}

async fn counts_are_exact_under_contention(example: &str) {
    let server = Server::start(&counter_app(&format!("kv-contention-{example}"), example));
    contend(&server, "visit", "visits").await;
    contend(&server, "tally", "tally").await;
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({ "action": "read" })).await;
    assert_eq!(recv_json(&mut ws).await, json!({ "visits": 5000, "tally": 5000 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_increments_and_compare_and_swap_lose_nothing_under_contention() {
    counts_are_exact_under_contention("counter").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_increments_and_compare_and_swap_lose_nothing_under_contention() {
    counts_are_exact_under_contention("counter-js").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_increments_and_compare_and_swap_lose_nothing_under_contention() {
    counts_are_exact_under_contention("counter-py").await;
}

/// The page counts a visit per GET in each language, and the socket sees the same count.
#[tokio::test]
async fn the_page_and_the_socket_share_one_count() {
    for example in ["counter", "counter-js", "counter-py"] {
        let app = counter_app(&format!("kv-page-{example}"), example);
        let page = built_component(example, "GET /");
        let dir = app.parent().unwrap().join("src/http/get-index");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(page, dir.join("handler.wasm")).unwrap();
        let server = Server::start(&app);
        for n in 1..=2 {
            let (status, _, body) = http(&server.addr, "GET", "/", b"").await;
            assert_eq!(status, 200, "{example}");
            assert!(body.contains(&format!("visited <span id=visits>{n}</span> times")), "{example}: {body}");
        }
        let mut ws = server.connect().await;
        send_json(&mut ws, json!({ "action": "visit" })).await;
        assert_eq!(recv_text(&mut ws).await, r#"{"visits":3}"#, "{example}: frame for frame alike");
        send_json(&mut ws, json!({ "action": "read" })).await;
        assert_eq!(recv_text(&mut ws).await, r#"{"tally":0,"visits":3}"#, "{example}");
    }
}

#[tokio::test]
async fn a_set_that_returned_survives_kill_9() {
    let app = counter_app("kv-durable", "counter");
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    for n in 1..=3 {
        send_json(&mut ws, json!({ "action": "visit" })).await;
        assert_eq!(recv_json(&mut ws).await["visits"], n);
    }
    server.kill();
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({ "action": "read" })).await;
    assert_eq!(recv_json(&mut ws).await["visits"], 3, "what was acknowledged is still there");
}

#[tokio::test]
async fn a_file_that_is_not_a_store_stops_wsh_and_is_left_alone() {
    let app = counter_app("kv-not-a-store", "counter");
    let store = app.parent().unwrap().join(".wsh/kv.sqlite");
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    std::fs::write(&store, "my notes, not a database").unwrap();
    let (ok, _, stderr) = run_wsh(&["serve", app.to_str().unwrap(), "--port", "0"]);
    assert!(!ok, "wsh must not start over it");
    assert!(stderr.contains(".wsh/kv.sqlite is not a wsh key-value store"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&store).unwrap(), "my notes, not a database");
}

#[tokio::test]
async fn an_app_that_never_uses_the_store_gets_no_file() {
    let app = scratch_app("kv-unused", "@app\nunused\n@ws\n", &[("ws/default", built_component("echo", "$default"))]);
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({ "text": "hi" })).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing hi"));
    drop(server);
    assert!(!app.parent().unwrap().join(".wsh").exists(), "an app without key-value calls got a .wsh/ folder");
}

/// An app whose `$default` is the standard-interfaces fixture.
fn standard_app(name: &str, settings: &str) -> PathBuf {
    let manifest = format!("@app\n{name}\n@ws\n@wsh\n{settings}\n");
    scratch_app(name, &manifest, &[("ws/default", fixture_component("kv-standard"))])
}

#[tokio::test]
async fn a_component_written_against_the_standard_wit_alone_runs() {
    let server = Server::start(&standard_app("kv-standard", "kv-max-value-kb 1"));
    let mut ws = server.connect().await;
    send(&mut ws, "first").await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(
        reply,
        json!({"count": 1, "found": ["1", "first", "-"], "casBefore": "-", "swapped": true, "unknownBucketRefused": true})
    );
    send(&mut ws, "second").await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["count"], 2);
    assert_eq!(reply["casBefore"], "first", "the swap read what the last one wrote");

    // A value over the limit is an error value naming the setting, not a trap.
    send(&mut ws, "big 2000").await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["stored"], false);
    assert!(reply["error"].as_str().unwrap().contains("over the 1024-byte limit (@wsh kv-max-value-kb)"), "{reply}");
    send(&mut ws, "big 1000").await;
    assert_eq!(recv_json(&mut ws).await["stored"], true);
}

#[tokio::test]
async fn list_keys_pages_through_ten_thousand_keys() {
    let server = Server::start(&standard_app("kv-pages", "stage local"));
    let mut ws = server.connect().await;
    send(&mut ws, "fill 10000").await;
    assert_eq!(recv_json(&mut ws).await, json!({ "filled": 10000 }));
    send(&mut ws, "keys").await;
    let reply: Value = recv_json(&mut ws).await;
    assert_eq!(reply, json!({"keys": 10000, "pages": 10, "sorted": true, "first": "k00000", "last": "k09999"}));
}

#[tokio::test]
async fn a_component_built_against_wit_0_1_0_keeps_working() {
    let manifest = "@app\nold\n@ws\n";
    let server =
        Server::start(&scratch_app("compat-0.1.0", manifest, &[("ws/default", fixture_component("handler-0.1.0"))]));
    let mut ws = server.connect().await;
    send(&mut ws, "hello").await;
    let pushed = recv_text(&mut ws).await;
    assert_eq!(pushed, "pushed by a 0.1.0 handler");
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["version"], "0.1.0");
    assert_eq!(reply["route"], "$default");
    assert_eq!(reply["body"], "hello");
    assert_eq!(reply["sameId"], true);
    assert_eq!(reply["goneIsGone"], true);
    assert!(reply["connectedAt"].as_u64().unwrap() > 1_700_000_000_000);
}
