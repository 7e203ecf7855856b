//! The code samples of the documents wsh is modelled on (`../shared/reference/`), run as the
//! documents print them and checked against what they say: the apps in
//! `tests/fixtures/snippets/` (each one's README.md names its document and section, and what, if
//! anything, is not as printed). Each test serves a scratch copy, so that nothing is written
//! into the fixtures.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::*;

/// A scratch copy of `tests/fixtures/snippets/<name>`; returns its directory.
fn fixture(name: &str) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    let dir = scratch(&format!("snippet-{name}"));
    copy(&repo().join("tests/fixtures/snippets").join(name), &dir);
    dir
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// `{ok: true, ts: Date.now()}`, sent by the guides' "Send Events from Lambda" handler.
fn assert_ok_ts(got: &Value) {
    assert_eq!(got["ok"], true, "{got}");
    let ts = got["ts"].as_u64().unwrap_or_else(|| panic!("ts is a number: {got}"));
    assert!(ts.abs_diff(now_ms()) < 60_000, "ts {ts} is about now");
    assert_eq!(got.as_object().unwrap().len(), 2, "{got}");
}

/// Nothing arrives on `ws` within `wait` (the handler answered 200 without a body).
async fn assert_silent(ws: &mut Socket, wait: Duration) {
    if let Ok(Some(Ok(m))) = tokio::time::timeout(wait, ws.next()).await {
        panic!("expected no reply, got {m:?}");
    }
}

/// The page of the guides' `get /` (`src/http/get-index/index.js`): HTML whose script gets the
/// socket URL from `get-web-socket-url.js` (`ws://localhost:3333` without NODE_ENV).
async fn assert_index_page(server: &Server, heading: &str) {
    let (status, head, body) = http(&server.addr, "GET", "/", b"").await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert_eq!(header(&head, "content-type"), Some("text/html; charset=utf8"), "{head}");
    assert!(body.starts_with("<!doctype html>"), "{body}");
    assert!(body.contains(heading), "{body}");
    assert!(body.contains("window.WS_URL = 'ws://localhost:3333'"), "{body}");
    assert!(body.contains("<script type=module src=/_static/index.mjs></script>"), "{body}");
}

/// 000, "Send Events from Lambda" (`src/ws/connect` sends `{ok, ts}` to its own connection) and
/// the `get /` page of "Examples", with the guide's app.arc.
#[tokio::test]
async fn architect_guide_connect_sends_to_itself_and_the_page() {
    let dir = fixture("000-arc-ws-guide");
    let server = Server::start(&dir.join("app.arc"));
    // What $connect sent arrives first, right after the handshake.
    let mut ws = server.connect().await;
    assert_ok_ts(&recv_json(&mut ws).await);
    assert_index_page(&server, "<h1>WebSockets</h1>").await;
    // The guide's app has no default handler: a message gets API Gateway's Forbidden.
    send(&mut ws, r#"{"text":"hi"}"#).await;
    assert_eq!(recv_json(&mut ws).await["message"], "Forbidden");
}

/// 000, "Event Payload" > "Publish event payload (JSON) to a WebSocket client": the Node, Python
/// and Ruby samples (fragments, in a handler each; see the fixture's README.md).
#[tokio::test]
async fn architect_guide_publish_in_node_python_and_ruby() {
    let dir = fixture("000-arc-ws-guide-publish");
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    for route in ["node", "python", "ruby"] {
        send_json(&mut ws, json!({"action": route})).await;
        assert_eq!(recv_text(&mut ws).await, r#"{"action":"ping"}"#, "{route}");
    }
}

/// 002, the guide's 2019 version: the "Event Payload" handler as `$default` (answers 200, sends
/// nothing) and the "Browser Implementation" page.
#[tokio::test]
async fn architect_guide_2019_event_payload_and_page() {
    let dir = fixture("002-arc-ws-guide");
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    send(&mut ws, "anything").await;
    assert_silent(&mut ws, Duration::from_secs(1)).await;
    assert!(!server.log().contains("ERROR"), "{}", server.log());
    assert_index_page(&server, "<h1>Web sockets</h1>").await;
}

/// 002, "Custom Routes" (app.arc) and "Send Events from Lambda" (`src/ws/connected`): a message
/// with `"action": "connected"` gets `{ok, ts}`; routes without a handler fall to `$default`,
/// which this app does not have.
#[tokio::test]
async fn architect_guide_2019_custom_routes() {
    let dir = fixture("002-arc-ws-guide-custom-routes");
    let server = Server::start(&dir.join("app.arc"));
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "connected"})).await;
    assert_ok_ts(&recv_json(&mut ws).await);
    send_json(&mut ws, json!({"action": "join"})).await;
    assert_eq!(recv_json(&mut ws).await["message"], "Forbidden");
}

/// 003, the Architect 5.0 announcement: the echo server walkthrough. Its `get /` uses
/// `arc.http.helpers.static` in a variable named `static` (sloppy-mode CommonJS), its
/// `ws-default` logs the event and echoes the text with a timestamp.
#[tokio::test]
async fn architect_5_echo_server() {
    let dir = fixture("003-arc5-announcement");
    let server = Server::start(&dir.join("app.arc"));
    let (status, head, body) = http(&server.addr, "GET", "/", b"").await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert_eq!(header(&head, "content-type"), Some("text/html; charset=utf8"));
    assert!(body.contains("<h1>Web sockets echo server demo</h1>"), "{body}");
    assert!(body.contains("window.WS_URL = 'ws://localhost:3333'"), "{body}");
    assert!(body.contains("<script type=module src=/_static/index.mjs></script>"), "static('/index.mjs'): {body}");

    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"text": "hello"})).await;
    let reply = recv_text(&mut ws).await;
    let text = serde_json::from_str::<Value>(&reply).unwrap()["text"].as_str().unwrap().to_string();
    let (timestamp, rest) = text.split_once(" - ").unwrap();
    assert_eq!(rest, "Echoing hello");
    assert!(timestamp.len() == 24 && timestamp.ends_with('Z'), "{timestamp}");
    server
        .wait_for_log("the handler's console.log", REPLY_TIMEOUT, |l| l.contains("[$default] ws-default called with"))
        .await;
}

/// 004, the Serverless Framework's websocket event: the "Example serverless.yaml" with the
/// guide's `defaultHandler` (posts the whole event back through `AWS.ApiGatewayManagementApi`,
/// using `AWS` and `util` without requiring them), a custom route `foo`, and one function on
/// both `$connect` and `$disconnect`; then the "Simple" and "Extended" event definitions.
#[tokio::test]
async fn serverless_guide_routes_and_reply() {
    let dir = fixture("004-serverless-guide");
    let server = Server::start(&dir.join("serverless.yml"));
    assert!(server.log().contains("ignoring provider.websocketsApiName"), "{}", server.log());
    let mut ws = server.connect().await;
    send(&mut ws, "hello").await;
    let event = recv_json(&mut ws).await;
    assert_eq!(event["body"], "hello", "{event}");
    let rc = &event["requestContext"];
    assert_eq!(rc["routeKey"], "$default");
    assert_eq!(rc["apiId"], "serverless-ws-test");
    assert_eq!(rc["domainName"], server.addr.as_str());
    assert_eq!(rc["extendedRequestId"], rc["requestId"]);
    assert_eq!(rc["messageDirection"], "IN");
    assert!(rc["requestTime"].as_str().unwrap().ends_with(" +0000"), "{rc}");
    let id = rc["connectionId"].as_str().unwrap().to_string();

    send_json(&mut ws, json!({"action": "foo", "n": 1})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"handler": "fooHandler", "message": {"action": "foo", "n": 1}}));
    drop(ws);
    let log = server
        .wait_for_log("connectionHandler on both", REPLY_TIMEOUT, |l| {
            l.contains(&format!("connectionHandler DISCONNECT {id}"))
        })
        .await;
    assert!(log.contains(&format!("[$connect] connectionHandler CONNECT {id}")), "{log}");
    drop(server);

    // "Simple": `- websocket: $connect`; "Extended": `- websocket: {route: $disconnect}`.
    for (manifest, route, function) in
        [("simple.yml", "$connect", "connectHandler"), ("extended.yml", "$disconnect", "disconnectHandler")]
    {
        let server = Server::start(&dir.join(manifest));
        let mut ws = server.connect().await;
        send(&mut ws, "x").await;
        assert_eq!(recv_json(&mut ws).await["message"], "Forbidden", "{manifest} has no $default");
        drop(ws);
        let needle = format!("[{route}] {function} ");
        server.wait_for_log(&needle, REPLY_TIMEOUT, |l| l.contains(&needle)).await;
    }
}

/// 004, "Using Authorizers": by name (the framework's default identity source, the `Auth`
/// header), with `identitySource` (both the header and the query string are required), and the
/// two ARN forms, which wsh cannot run locally and refuses naming the function and key.
#[tokio::test]
async fn serverless_guide_authorizers() {
    let dir = fixture("004-serverless-guide-authorizer");
    {
        let server = Server::start(&dir.join("serverless.yml"));
        let url = server.url();
        assert_eq!(connect_with_headers(&url, &[]).await.err(), Some(401), "no Auth header");
        assert_eq!(connect_with_headers(&url, &[("Auth", "nope")]).await.err(), Some(403));
        connect_with_headers(&url, &[("Auth", "secret")]).await.expect("allowed");
        server
            .wait_for_log("connect", REPLY_TIMEOUT, |l| {
                l.contains("[$connect] connectHandler ") && l.contains("principal me")
            })
            .await;
    }
    {
        let server = Server::start(&dir.join("identity-sources.yml"));
        let url = server.url();
        assert_eq!(connect_with_headers(&url, &[("Auth", "secret")]).await.err(), Some(401), "no Auth query parameter");
        assert_eq!(connect_with_headers(&format!("{url}/?Auth=secret"), &[]).await.err(), Some(401), "no Auth header");
        assert_eq!(connect_with_headers(&format!("{url}/?Auth=nope"), &[("Auth", "secret")]).await.err(), Some(403));
        connect_with_headers(&format!("{url}/?Auth=secret"), &[("Auth", "secret")]).await.expect("allowed");
    }
    for manifest in ["arn.yml", "arn-object.yml"] {
        let (ok, _, stderr) = run_wsh(&["build", dir.join(manifest).to_str().unwrap()]);
        assert!(!ok, "{manifest}");
        assert!(stderr.contains(&format!("{manifest}:")), "file:line: {stderr}");
        assert!(
            stderr.contains("functions.connectHandler.events websocket.authorizer is an ARN (arn:aws:lambda:us-east-1:1234567890:function:auth)"),
            "{stderr}"
        );
    }
}
