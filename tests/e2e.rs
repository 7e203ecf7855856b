//! End to end: the real `wsh` binary, real WebSocket clients, guest components built from the
//! sources in `guest-examples/`. (Echo, two-way routes and statelessness are in
//! `languages.rs`, run against the Rust, JavaScript and Python apps alike.)

mod support;

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn unknown_action_non_json_and_binary_go_to_default() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let cases = [r#"{"action":"nope"}"#, "not json at all", r#"{"no":"action"}"#, r#"{"action":"$connect"}"#];
    for body in cases {
        send(&mut ws, body).await;
        assert_eq!(recv_json(&mut ws).await, json!({"route": "$default", "body": body, "isBase64Encoded": false}));
    }
    ws.send(Message::binary(vec![0u8, 1, 255])).await.unwrap();
    assert_eq!(recv_json(&mut ws).await, json!({"route": "$default", "body": "AAH/", "isBase64Encoded": true}));
}

#[tokio::test]
async fn connect_handler_can_refuse_with_its_status() {
    let server = Server::start(&example("routes"));
    assert_eq!(refused_status(&format!("{}/?deny=403", server.url())).await, 403);
    assert_eq!(refused_status(&format!("{}/?deny=401", server.url())).await, 401);
    // A refused connection never connected: no disconnect runs for it.
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    drop(ws);
    // Wait for the handler's own line: the host logs the close (with the id) just before it.
    let needle = format!("[$disconnect] disconnected {id}");
    server.wait_for_log("the accepted connection's disconnect", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    let log = server.stop();
    assert_eq!(log.matches("[$disconnect] disconnected ").count(), 1, "{log}");
}

#[tokio::test]
async fn connect_handler_chooses_the_subprotocol() {
    let server = Server::start(&example("routes"));
    let (_ws, chosen) = connect_with_protocol(&server.url(), "other, wsh.v1").await;
    assert_eq!(chosen.as_deref(), Some("wsh.v1"));
}

#[tokio::test]
async fn disconnect_runs_once_when_the_client_closes() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame { code: 4000.into(), reason: "done".into() }))
        .await
        .unwrap();
    let needle = format!("disconnected {id} code=4000 reason=\"done\"");
    server.wait_for_log("disconnect", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    // Counted once the server has exited: a late duplicate would be in the log by then.
    let log = server.stop();
    assert_eq!(log.matches(&format!("disconnected {id}")).count(), 1, "{log}");
}

#[tokio::test]
async fn disconnect_runs_once_when_the_network_drops() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    drop(ws); // no close frame: the TCP connection just goes
    let needle = format!("disconnected {id} code=1006");
    server.wait_for_log("disconnect", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    // Counted once the server has exited: a late duplicate would be in the log by then.
    let log = server.stop();
    assert_eq!(log.matches(&format!("disconnected {id}")).count(), 1, "{log}");
}

#[tokio::test]
async fn disconnect_runs_once_when_the_server_closes() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    send_json(&mut ws, json!({"action": "bye"})).await;
    assert_eq!(recv_text(&mut ws).await, "bye", "what was queued before the close is delivered");
    assert_eq!(recv_close(&mut ws).await, Some(1000));
    let needle = format!("disconnected {id} code=1000");
    server.wait_for_log("disconnect", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    // Counted once the server has exited: a late duplicate would be in the log by then.
    let log = server.stop();
    assert_eq!(log.matches(&format!("disconnected {id}")).count(), 1, "{log}");
}

#[tokio::test]
async fn a_connections_messages_are_handled_in_order() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    for n in 0..200 {
        send_json(&mut ws, json!({"action": "ping", "n": n})).await;
    }
    for n in 0..200 {
        assert_eq!(recv_json(&mut ws).await, json!({"pong": n}));
    }
}

#[tokio::test]
async fn failing_handlers_answer_internal_server_error_and_the_connection_lives_on() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    for how in ["panic", "error", "oom"] {
        send_json(&mut ws, json!({"action": "crash", "how": how})).await;
        let reply = recv_json(&mut ws).await;
        assert_eq!(reply["message"], "Internal server error", "{how}: {reply}");
        assert_eq!(reply["connectionId"], id.as_str());
        let request_id = reply["requestId"].as_str().unwrap().to_string();
        // The log names the route and the request.
        server
            .wait_for_log("the error log", REPLY_TIMEOUT, |l| {
                l.lines().any(|l| l.contains(&request_id) && l.contains("crash"))
            })
            .await;
        send_json(&mut ws, json!({"action": "ping", "n": how})).await;
        assert_eq!(recv_json(&mut ws).await, json!({"pong": how}));
    }
    assert!(server.log().contains("the handler returned an error on purpose"));
}

#[tokio::test]
async fn a_runaway_handler_is_stopped_at_its_deadline() {
    let server = Server::start(&example("routes")); // handler-timeout-ms 2000
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "crash", "how": "loop"})).await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["message"], "Internal server error");
    server
        .wait_for_log("the deadline, logged", REPLY_TIMEOUT, |l| {
            l.contains("did not finish within its 2000 ms deadline")
        })
        .await;
    send_json(&mut ws, json!({"action": "ping", "n": 1})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"pong": 1}));
}

#[tokio::test]
async fn other_connections_are_served_while_a_handler_runs_away() {
    // A deadline far longer than any scheduling delay, so that the check is about order, not speed.
    let dir = scratch("runaway");
    std::fs::write(
        dir.join("app.arc"),
        "@app
runaway
@ws
crash
ping
@wsh
handler-timeout-ms 60000
",
    )
    .unwrap();
    for route in ["crash", "ping"] {
        std::fs::create_dir_all(dir.join("src/ws").join(route)).unwrap();
        std::fs::copy(built_component("routes", route), dir.join("src/ws").join(route).join("h.wasm")).unwrap();
    }
    let server = Server::start(&dir.join("app.arc"));
    let mut looping = server.connect().await;
    let mut other = server.connect().await;
    send_json(&mut looping, json!({"action": "crash", "how": "loop"})).await;
    server.wait_for_log("the loop to start", REPLY_TIMEOUT, |l| l.contains("[crash] looping until stopped")).await;
    for n in 0..20 {
        send_json(&mut other, json!({"action": "ping", "n": n})).await;
        assert_eq!(recv_json(&mut other).await, json!({"pong": n}));
    }
    let pending = tokio::time::timeout(Duration::from_millis(100), recv(&mut looping)).await;
    assert!(pending.is_err(), "the runaway handler is still running while the other connection was served");
}

#[tokio::test]
async fn ws_send_reaches_another_connection_and_reports_gone() {
    let server = Server::start(&example("routes"));
    let mut alice = server.connect().await;
    let mut bob = server.connect().await;
    let bob_id = connection_id(&mut bob).await;
    let alice_id = connection_id(&mut alice).await;
    send_json(&mut alice, json!({"action": "tell", "to": bob_id, "text": "hi bob"})).await;
    assert_eq!(recv_json(&mut bob).await, json!({"from": alice_id, "text": "hi bob"}));
    assert_eq!(recv_json(&mut alice).await, json!({"sent": bob_id}));
    bob.close(None).await.unwrap();
    drop(bob);
    server.wait_for_log("bob's disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("disconnected {bob_id}"))).await;
    send_json(&mut alice, json!({"action": "tell", "to": bob_id, "text": "still there?"})).await;
    assert_eq!(recv_json(&mut alice).await, json!({"error": "gone", "to": bob_id}));
}

#[tokio::test]
async fn whoami_sees_the_api_gateway_event() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "whoami"})).await;
    let reply = recv_json(&mut ws).await;
    let (info, event) = (&reply["info"], &reply["event"]);
    let ctx = &event["requestContext"];
    assert_eq!(ctx["routeKey"], "whoami");
    assert_eq!(ctx["eventType"], "MESSAGE");
    assert_eq!(ctx["connectionId"], info["connectionId"]);
    assert_eq!(ctx["connectedAt"], info["connectedAt"]);
    assert_eq!(ctx["stage"], "local");
    assert_eq!(ctx["apiId"], "routes");
    assert_eq!(ctx["domainName"], server.addr.as_str());
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    assert!(ctx["messageId"].is_string() && ctx["requestId"].is_string());
    assert!(ctx["requestTimeEpoch"].as_u64().unwrap() >= ctx["connectedAt"].as_u64().unwrap());
    assert_eq!(event["body"], json!({"action": "whoami"}).to_string());
    assert_eq!(event["isBase64Encoded"], false);
    assert!(info["lastActiveAt"].as_u64().unwrap() >= info["connectedAt"].as_u64().unwrap());
}

#[tokio::test]
async fn a_broken_manifest_names_file_and_line_and_exits() {
    let dir = scratch("broken-manifest");
    let manifest = dir.join("app.arc");
    std::fs::write(&manifest, "@app\nbroken\n\n@ws\njoin the room\n").unwrap();
    let (ok, _stdout, stderr) = run_wsh(&["serve", manifest.to_str().unwrap(), "--port", "0"]);
    assert!(!ok);
    assert!(stderr.contains(&format!("{}:5: a @ws route is one route key per line", manifest.display())), "{stderr}");
    let (ok, _, stderr) = run_wsh(&["serve", dir.join("missing.arc").to_str().unwrap()]);
    assert!(!ok && stderr.contains("no manifest at"), "{stderr}");
}

/// An app assembled from built components: a working `$default`, a `.wasm` that is not wasm,
/// a core module that is not a component, and a route with no directory at all.
fn assemble_bad_app() -> std::path::PathBuf {
    let dir = scratch("bad-components");
    std::fs::write(dir.join("app.arc"), "@app\nbad\n@ws\ngarbage\ncore\nghost\n").unwrap();
    for route in ["default", "garbage", "core"] {
        std::fs::create_dir_all(dir.join("src/ws").join(route)).unwrap();
    }
    std::fs::copy(built_component("echo", "$default"), dir.join("src/ws/default/echo.wasm")).unwrap();
    std::fs::write(dir.join("src/ws/garbage/handler.wasm"), b"this is not wasm").unwrap();
    std::fs::write(dir.join("src/ws/core/handler.wasm"), b"\0asm\x01\0\0\0").unwrap();
    dir.join("app.arc")
}

#[tokio::test]
async fn invalid_components_are_named_at_startup_and_everyone_else_is_served() {
    let manifest = assemble_bad_app();
    let server = Server::start(&manifest);
    let log = server.log();
    assert!(
        log.contains("route garbage:") && log.contains("garbage/handler.wasm cannot be loaded: not a WebAssembly file"),
        "{log}"
    );
    assert!(log.contains("route core:") && log.contains("a core WebAssembly module, not a component"), "{log}");
    assert!(log.contains("ghost") && log.contains("its messages go to $default"), "{log}");

    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "garbage"})).await;
    assert_eq!(recv_json(&mut ws).await["message"], "Internal server error");
    send_json(&mut ws, json!({"action": "ghost", "text": "boo"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with(" - Echoing boo"));

    let (ok, stdout, stderr) = run_wsh(&["build", manifest.to_str().unwrap()]);
    assert!(!ok, "wsh build must fail:\n{stdout}");
    assert!(stderr.contains("2 route(s) failed"), "{stderr}");
}

#[tokio::test]
async fn without_a_default_route_unmatched_messages_are_forbidden() {
    let dir = scratch("no-default");
    std::fs::write(dir.join("app.arc"), "@app\nnodefault\n@ws\necho\n").unwrap();
    std::fs::create_dir_all(dir.join("src/ws/echo")).unwrap();
    std::fs::copy(built_component("echo", "$default"), dir.join("src/ws/echo/echo.wasm")).unwrap();
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "echo", "text": "x"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with(" - Echoing x"));
    send_json(&mut ws, json!({"action": "other"})).await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["message"], "Forbidden");
    assert!(reply["connectionId"].is_string() && reply["requestId"].is_string());
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_and_runs_disconnect() {
    let server = Server::start(&example("routes"));
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    let (a_id, b_id) = (connection_id(&mut a).await, connection_id(&mut b).await);
    server.signal("TERM");
    assert_eq!(recv_close(&mut a).await, Some(1001));
    assert_eq!(recv_close(&mut b).await, Some(1001));
    for id in [a_id, b_id] {
        let needle = format!("disconnected {id} code=1001");
        server.wait_for_log("disconnect on shutdown", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    }
    let status = server.wait();
    assert!(status.success(), "exit status {status}");
}
