//! The same end-to-end cases against the same app written in Rust, JavaScript, Python and Ruby:
//! `guest-examples/{echo,routes}`, `{echo,routes}-js`, `{echo,routes}-py`, `{echo,routes}-rb`.

mod support;

use std::path::PathBuf;

use serde_json::json;
use support::*;

macro_rules! suite {
    ($($lang:ident: $suffix:literal),* $(,)?) => {$(
        mod $lang {
            fn app(name: &str) -> std::path::PathBuf {
                super::prebuild(&format!("{name}{}", $suffix))
            }
            #[tokio::test]
            async fn echo() { super::echo(app("echo")).await }
            #[tokio::test]
            async fn custom_route_replies_two_way() { super::custom_route_replies_two_way(app("routes")).await }
            #[tokio::test]
            async fn connect_can_refuse() { super::connect_can_refuse(app("routes")).await }
            #[tokio::test]
            async fn disconnect_runs_once() { super::disconnect_runs_once(app("routes")).await }
            #[tokio::test]
            async fn stateless() { super::stateless(app("routes")).await }
            #[tokio::test]
            async fn send_to_a_gone_connection() { super::send_to_a_gone_connection(app("routes")).await }
            #[tokio::test]
            async fn a_throwing_handler() { super::a_throwing_handler(app("routes")).await }
            #[tokio::test]
            async fn http_route() { super::http_route(app("routes")).await }
        }
    )*};
}

suite!(rust: "", javascript: "-js", python: "-py", ruby: "-rb");

// The Rust authorizer is tests/authorizer.rs's `authorized` example.
#[tokio::test]
async fn javascript_authorizer() {
    authorizer("-js").await
}

#[tokio::test]
async fn python_authorizer() {
    authorizer("-py").await
}

#[tokio::test]
async fn ruby_authorizer() {
    authorizer("-rb").await
}

async fn http_route(app: PathBuf) {
    let server = Server::start(&app);
    let (status, head, body) = http(&server.addr, "GET", "/things/42?q=x", b"").await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert_eq!(header(&head, "x-route"), Some("GET /things/:id"));
    assert_eq!(header(&head, "set-cookie"), Some("seen=1"));
    let port = server.addr.rsplit(':').next().unwrap();
    let got: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let wss = format!("ws://localhost:{port}");
    assert_eq!(got, json!({"id": "42", "q": "x", "method": "GET", "wss": wss, "body": null}));
    assert_eq!(http(&server.addr, "GET", "/nothing/here", b"").await.0, 404);
}

/// An app whose authorizer is the language's `routes` example's `src/ws/auth`, built from its
/// sources here: it allows `auth: letmein` with context `{user: "ada"}`.
async fn authorizer(suffix: &str) {
    let dir = scratch(&format!("authorizer{suffix}"));
    let arc = "@app\nauth\n@ws\n@wsh\nauthorizer auth\nidentity-source route.request.header.auth\n";
    std::fs::write(dir.join("app.arc"), arc).unwrap();
    let source = repo().join(format!("guest-examples/routes{suffix}/src/ws/auth"));
    std::fs::create_dir_all(dir.join("src/ws/auth")).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("src/ws/auth").join(path.file_name().unwrap())).unwrap();
    }
    // The `authorized` example's `$default` answers with the connection's authorizer context.
    std::fs::create_dir_all(dir.join("src/ws/default")).unwrap();
    let echo_event = built_component("authorized", "$default");
    std::fs::copy(echo_event, dir.join("src/ws/default/h.wasm")).unwrap();
    let server = Server::start(&dir.join("app.arc"));
    let url = server.url();
    assert_eq!(connect_with_headers(&url, &[]).await.err(), Some(401));
    assert_eq!(connect_with_headers(&url, &[("auth", "nope")]).await.err(), Some(403));
    let mut ws = connect_with_headers(&url, &[("auth", "letmein")]).await.expect("allowed");
    send_json(&mut ws, json!({"hello": 1})).await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["authorizer"], json!({"user": "ada", "principalId": "user-1"}), "{reply}");
}

async fn echo(app: PathBuf) {
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"text": "hello"})).await;
    let reply = recv_text(&mut ws).await;
    let text = serde_json::from_str::<serde_json::Value>(&reply).unwrap()["text"].as_str().unwrap().to_string();
    let (timestamp, rest) = text.split_once(" - ").unwrap();
    assert_eq!(rest, "Echoing hello");
    assert!(timestamp.len() == 24 && timestamp.ends_with('Z'), "{timestamp}");
    assert_eq!(reply, format!(r#"{{"text":"{text}"}}"#), "byte for byte JSON.stringify({{text}})");
    send(&mut ws, "not json").await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with(" - Echoing not json"));
}

async fn custom_route_replies_two_way(app: PathBuf) {
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "ping", "n": 7})).await;
    assert_eq!(recv_text(&mut ws).await, r#"{"pong":7}"#);
    send_json(&mut ws, json!({"action": "nope"})).await;
    assert_eq!(
        recv_json(&mut ws).await,
        json!({"route": "$default", "body": r#"{"action":"nope"}"#, "isBase64Encoded": false})
    );
    let id = connection_id(&mut ws).await;
    assert_eq!(id.len(), 16);
}

async fn connect_can_refuse(app: PathBuf) {
    let server = Server::start(&app);
    assert_eq!(refused_status(&format!("{}/?deny=403", server.url())).await, 403);
    let (_ws, chosen) = connect_with_protocol(&server.url(), "x, wsh.v1").await;
    assert_eq!(chosen.as_deref(), Some("wsh.v1"));
}

async fn disconnect_runs_once(app: PathBuf) {
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: 4001.into(),
        reason: "bye now".into(),
    }))
    .await
    .unwrap();
    let needle = format!("[$disconnect] disconnected {id} code=4001 reason=\"bye now\"");
    server.wait_for_log("disconnect", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    let mut other = server.connect().await;
    let other_id = connection_id(&mut other).await;
    send_json(&mut other, json!({"action": "bye"})).await;
    assert_eq!(recv_text(&mut other).await, "bye");
    assert_eq!(recv_close(&mut other).await, Some(1000));
    let needle = format!("disconnected {other_id} code=1000");
    server.wait_for_log("server-side close", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    let log = server.stop();
    assert_eq!(log.matches(&format!("disconnected {id}")).count(), 1, "{log}");
    assert_eq!(log.matches(&format!("disconnected {other_id}")).count(), 1, "{log}");
}

async fn stateless(app: PathBuf) {
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    for _ in 0..3 {
        send_json(&mut ws, json!({"action": "count"})).await;
        assert_eq!(recv_json(&mut ws).await, json!({"count": 1}));
    }
}

async fn send_to_a_gone_connection(app: PathBuf) {
    let server = Server::start(&app);
    let mut alice = server.connect().await;
    let mut bob = server.connect().await;
    let (alice_id, bob_id) = (connection_id(&mut alice).await, connection_id(&mut bob).await);
    send_json(&mut alice, json!({"action": "tell", "to": bob_id, "text": "hi"})).await;
    assert_eq!(recv_json(&mut bob).await, json!({"from": alice_id, "text": "hi"}));
    assert_eq!(recv_json(&mut alice).await, json!({"sent": bob_id}));
    drop(bob);
    server.wait_for_log("bob's disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("disconnected {bob_id}"))).await;
    send_json(&mut alice, json!({"action": "tell", "to": bob_id, "text": "hi"})).await;
    assert_eq!(recv_json(&mut alice).await, json!({"error": "gone", "to": bob_id}));
}

async fn a_throwing_handler(app: PathBuf) {
    let server = Server::start(&app);
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    for how in ["panic", "error"] {
        send_json(&mut ws, json!({"action": "crash", "how": how})).await;
        let reply = recv_json(&mut ws).await;
        assert_eq!(
            (reply["message"].as_str(), reply["connectionId"].as_str()),
            (Some("Internal server error"), Some(id.as_str()))
        );
        let request_id = reply["requestId"].as_str().unwrap().to_string();
        server
            .wait_for_log("the error, logged", REPLY_TIMEOUT, |l| {
                l.lines().any(|l| l.contains(&request_id) && l.contains("crash"))
            })
            .await;
    }
    send_json(&mut ws, json!({"action": "ping", "n": 1})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"pong": 1}));
}

/// A JavaScript syntax error and a Python import error: each named with its file, line and
/// route at startup, while the app's other routes serve.
#[tokio::test]
async fn build_errors_name_file_line_and_route_and_others_serve() {
    let dir = scratch("build-errors");
    std::fs::write(dir.join("app.arc"), "@app\nbroken\n@ws\nbadjs\nbadpy\n").unwrap();
    for route in ["default", "badjs", "badpy"] {
        std::fs::create_dir_all(dir.join("src/ws").join(route)).unwrap();
    }
    std::fs::copy(built_component("echo", "$default"), dir.join("src/ws/default/echo.wasm")).unwrap();
    std::fs::write(dir.join("src/ws/badjs/index.mjs"), "export function handler(event) {\n  let x = ;\n}\n").unwrap();
    std::fs::write(
        dir.join("src/ws/badpy/app.py"),
        "import json\nimport no_such_module\n\ndef handler(event, context):\n    pass\n",
    )
    .unwrap();
    let server = Server::start(&dir.join("app.arc"));
    let log = server.log();
    assert!(log.contains("route badjs: building") && log.contains("index.mjs:2:"), "{log}");
    assert!(
        log.contains("route badpy: building") && log.contains("app.py\", line 2") && log.contains("no_such_module"),
        "{log}"
    );
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "badjs"})).await;
    assert_eq!(recv_json(&mut ws).await["message"], "Internal server error");
    send_json(&mut ws, json!({"text": "still here"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing still here"));
}

/// A Ruby syntax error and a Ruby load error (a missing file): each named with its file, line
/// and route at startup, while the app's other routes serve.
#[tokio::test]
async fn ruby_build_errors_name_file_line_and_route() {
    let dir = scratch("build-errors-rb");
    std::fs::write(dir.join("app.arc"), "@app\nbroken\n@ws\nsyntax\nmissing\n").unwrap();
    for route in ["default", "syntax", "missing"] {
        std::fs::create_dir_all(dir.join("src/ws").join(route)).unwrap();
    }
    std::fs::copy(built_component("echo", "$default"), dir.join("src/ws/default/echo.wasm")).unwrap();
    std::fs::write(dir.join("src/ws/syntax/index.rb"), "def handler(req)\n  x = (1 +\nend\n").unwrap();
    std::fs::write(dir.join("src/ws/missing/index.rb"), "require 'json'\nrequire_relative 'nowhere'\n").unwrap();
    let server = Server::start(&dir.join("app.arc"));
    // stderr (the errors) and stdout (the listening line) are read apart: wait for both.
    server
        .wait_for_log("the syntax error", REPLY_TIMEOUT, |l| {
            l.contains("route syntax: building") && l.contains("syntax/index.rb:3")
        })
        .await;
    server
        .wait_for_log("the load error", REPLY_TIMEOUT, |l| {
            l.contains("route missing: building") && l.contains("LoadError") && l.contains("nowhere")
        })
        .await;
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "syntax"})).await;
    assert_eq!(recv_json(&mut ws).await["message"], "Internal server error");
    send_json(&mut ws, json!({"text": "still here"})).await;
    assert!(recv_json(&mut ws).await["text"].as_str().unwrap().ends_with("Echoing still here"));
}
