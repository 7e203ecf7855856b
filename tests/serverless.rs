//! Serverless Framework apps, end to end: `guest-examples/serverless` (JavaScript) and
//! `serverless-py` (Python), the same `serverless.yml` and the same behaviour frame for frame.
//! Every function is an export of one handler file (each route calls its own: `_HANDLER`), the
//! replies go through the AWS SDK's API Gateway management API client (v3 in JavaScript, boto3
//! in Python), the `$connect` authorizer has two identity sources, and the manifest reloads live.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use support::*;
use tokio_tungstenite::tungstenite::Message;

const RELOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// `guest-examples/<name>/serverless.yml`, built once per test run (a Python build takes
/// minutes; concurrent servers would each start it).
fn example_manifest(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let manifest = repo().join("guest-examples").join(name).join("serverless.yml");
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap();
    if !built.iter().any(|b| b == name) {
        let (ok, stdout, stderr) = run_wsh(&["build", manifest.to_str().unwrap()]);
        assert!(ok, "wsh build {name} failed:\n{stdout}\n{stderr}");
        built.push(name.to_string());
    }
    manifest
}

/// A scratch copy of an example's files (not its `.wsh/` state), to change under a server.
fn copy_example(name: &str, to: &str) -> PathBuf {
    let from = example_manifest(name).parent().unwrap().to_path_buf();
    let dir = scratch(to);
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Connects as `user`, with both identity sources (the `Auth` header and `?token=`); returns
/// the socket and the connection id `$connect` sent it (its first frame, through the AWS SDK).
async fn join(server: &Server, user: &str) -> (Socket, String) {
    let url = format!("{}/?token={user}", server.url());
    let mut ws = connect_with_headers(&url, &[("Auth", "letmein")]).await.expect("the authorizer allows letmein");
    let welcome = recv_json(&mut ws).await;
    assert_eq!(welcome["welcome"], user, "{welcome}");
    let id = welcome["connectionId"].as_str().expect("the welcome names the connection").to_string();
    (ws, id)
}

/// Common Log Format, as API Gateway writes `requestTime`: `30/Nov/2026:15:39:50 +0000`.
fn is_clf(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 26
        && b[2] == b'/'
        && b[6] == b'/'
        && b[11] == b':'
        && text.ends_with(" +0000")
        && b[..2].iter().chain(&b[7..11]).all(u8::is_ascii_digit)
        && b[3].is_ascii_uppercase()
}

macro_rules! suite {
    ($($lang:ident: $example:literal, $default_export:literal),* $(,)?) => {$(
        mod $lang {
            #[tokio::test]
            async fn the_authorizer_refuses_401_and_403() { super::authorizer($example).await }
            #[tokio::test]
            async fn default_answers_through_the_aws_sdk() { super::default_route($example).await }
            #[tokio::test]
            async fn custom_route_and_a_gone_connection() { super::custom_route_and_gone($example).await }
            #[tokio::test]
            async fn http_events() { super::http_events($example).await }
            #[tokio::test]
            async fn serverless_yml_reloads_while_connected() {
                super::reload_adds_a_route($example, $default_export).await
            }
        }
    )*};
}

suite!(javascript: "serverless", "defaultHandler", python: "serverless-py", "default_handler");

async fn authorizer(example: &str) {
    let server = Server::start(&example_manifest(example));
    let url = server.url();
    // Both identity sources are required: missing either (or empty) is 401 before anything runs.
    assert_eq!(connect_with_headers(&url, &[("Auth", "letmein")]).await.err(), Some(401), "no token");
    assert_eq!(connect_with_headers(&format!("{url}/?token=ada"), &[]).await.err(), Some(401), "no Auth");
    assert_eq!(connect_with_headers(&format!("{url}/?token="), &[("Auth", "letmein")]).await.err(), Some(401));
    // Both there, and the authorizer denies: 403.
    assert_eq!(connect_with_headers(&format!("{url}/?token=ada"), &[("Auth", "nope")]).await.err(), Some(403));
    let (_ws, id) = join(&server, "ada").await;
    assert_eq!(id.len(), 16);
    let log = server
        .wait_for_log("the refusals and the connect", REPLY_TIMEOUT, |l| {
            l.contains("identity source missing")
                && l.contains("the authorizer denied")
                && l.contains("ada connected as")
        })
        .await;
    assert!(log.contains(&format!("[$connect] ada connected as {id}")), "{log}");
}

async fn default_route(example: &str) {
    let server = Server::start(&example_manifest(example));
    let (mut ws, id) = join(&server, "ada").await;
    send_json(&mut ws, json!({"text": "hi"})).await;
    // `$default` posts {echo, event} back through the management API client.
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["echo"], r#"{"text":"hi"}"#, "{reply}");
    let event = &reply["event"];
    assert_eq!(event["body"], r#"{"text":"hi"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    let rc = &event["requestContext"];
    assert_eq!(rc["routeKey"], "$default");
    assert_eq!(rc["eventType"], "MESSAGE");
    assert_eq!(rc["connectionId"], id.as_str());
    assert_eq!(rc["stage"], "dev", "provider.stage");
    assert_eq!(rc["domainName"], server.addr.as_str(), "the Host the client connected to");
    assert_eq!(rc["apiId"], if example == "serverless" { "serverless-js" } else { "serverless-py" });
    assert_eq!(rc["messageDirection"], "IN");
    let request_id = rc["requestId"].as_str().unwrap();
    assert_eq!(rc["extendedRequestId"], request_id);
    let time = rc["requestTime"].as_str().unwrap();
    assert!(is_clf(time), "requestTime {time}");
    assert!(rc["requestTimeEpoch"].as_u64().unwrap() >= rc["connectedAt"].as_u64().unwrap());
    assert!(rc["messageId"].is_string());
    assert_eq!(rc["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(rc["authorizer"], json!({"principalId": "user-ada", "user": "ada"}));
    // The access log of provider.logs.websocket.
    server
        .wait_for_log("the access log line", REPLY_TIMEOUT, |l| {
            l.lines().any(|l| l.contains("route=$default ") && l.contains(request_id) && l.contains("status=200"))
        })
        .await;
}

async fn custom_route_and_gone(example: &str) {
    let server = Server::start(&example_manifest(example));
    let (mut ada, _) = join(&server, "ada").await;
    let (mut bob, bob_id) = join(&server, "bob").await;
    send_json(&mut ada, json!({"action": "whisper", "to": bob_id, "text": "psst"})).await;
    assert_eq!(recv_json(&mut bob).await, json!({"from": "ada", "text": "psst"}));
    assert_eq!(recv_json(&mut ada).await, json!({"whispered": bob_id}), "the custom route's reply");

    // Bob leaves; a post to him fails inside the handler as the AWS SDK fails (GoneException,
    // 410), and the handler tells the caller.
    bob.close(None).await.unwrap();
    server.wait_for_log("bob's disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("{bob_id} left"))).await;
    send_json(&mut ada, json!({"action": "whisper", "to": bob_id, "text": "still there?"})).await;
    assert_eq!(recv_json(&mut ada).await, json!({"error": "GoneException", "status": 410, "to": bob_id}));
}

async fn http_events(example: &str) {
    let server = Server::start(&example_manifest(example));
    let (_ada, _) = join(&server, "ada").await;
    let (mut bob, bob_id) = join(&server, "bob").await;

    // httpApi 'POST /notify/{id}': an HTTP function posting to a socket.
    let (status, head, body) = http(&server.addr, "POST", &format!("/notify/{bob_id}"), b"hello bob").await;
    assert_eq!(status, 202, "{head}\n{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!({"notified": bob_id}));
    assert_eq!(recv_text(&mut bob).await, "hello bob");

    // http GET connections/{id}: getConnection.
    let (status, _, body) = http(&server.addr, "GET", &format!("/connections/{bob_id}"), b"").await;
    assert_eq!(status, 200, "{body}");
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got["sourceIp"], "127.0.0.1");
    assert!(got["connectedAt"].as_str().unwrap().ends_with('Z'), "{got}");

    bob.close(None).await.unwrap();
    server.wait_for_log("bob's disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("{bob_id} left"))).await;
    for (method, path) in [("POST", format!("/notify/{bob_id}")), ("GET", format!("/connections/{bob_id}"))] {
        let (status, _, body) = http(&server.addr, method, &path, b"late").await;
        assert_eq!(status, 410, "{method} {path}: {body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!({"error": "GoneException", "id": bob_id}));
    }
}

/// A function added to serverless.yml (a new route to an export the file already has) serves
/// the connection that was open before the change.
async fn reload_adds_a_route(example: &str, default_export: &str) {
    let dir = copy_example(example, &format!("serverless-reload-{example}"));
    let manifest = dir.join("serverless.yml");
    let server = Server::start(&manifest);
    let (mut ws, _) = join(&server, "ada").await;
    let shout = json!({"action": "shout", "text": "hey"});
    send_json(&mut ws, shout.clone()).await;
    assert_eq!(recv_json(&mut ws).await["event"]["requestContext"]["routeKey"], "$default", "no shout route yet");

    let yml = std::fs::read_to_string(&manifest).unwrap();
    let added = format!(
        "{yml}\n  shoutHandler:\n    handler: handler.{default_export}\n    events:\n      - websocket:\n          route: shout\n"
    );
    replace_file(&manifest, added.as_bytes());
    // The handlers rebuild (the manifest is in their directory): a Python build takes longer
    // than wsh's ping timeout, and the client answers pings only while it reads.
    let log = wait_reading(&server, &mut ws, "the new route", |l| l.contains("routes added [shout]")).await;
    assert!(log.contains("reloaded") && log.contains("serverless.yml"), "{log}");
    send_json(&mut ws, shout).await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["event"]["requestContext"]["routeKey"], "shout", "{reply}");
    assert_eq!(reply["echo"], r#"{"action":"shout","text":"hey"}"#);

    // A broken manifest keeps the app serving, and says where.
    replace_file(&manifest, format!("{added}  broken:\n    events:\n      - websocket: $default\n").as_bytes());
    wait_reading(&server, &mut ws, "the manifest error", |l| l.contains("functions.broken has no handler")).await;
    send_json(&mut ws, json!({"action": "shout"})).await;
    assert_eq!(recv_json(&mut ws).await["event"]["requestContext"]["routeKey"], "shout");
}

/// Waits for the log to satisfy `pred` while reading `ws` (so that its pings are answered);
/// nothing else may arrive on it meanwhile.
async fn wait_reading(server: &Server, ws: &mut Socket, what: &str, pred: impl Fn(&str) -> bool) -> String {
    use futures_util::StreamExt;
    let started = std::time::Instant::now();
    loop {
        let log = server.log();
        if pred(&log) {
            return log;
        }
        assert!(started.elapsed() < RELOAD_TIMEOUT, "timed out waiting for {what}; log:\n{log}");
        match tokio::time::timeout(Duration::from_millis(100), ws.next()).await {
            Err(_) | Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            Ok(other) => panic!("while waiting for {what}, the socket got {other:?}"),
        }
    }
}

#[test]
fn the_two_examples_are_twins() {
    // Same manifest but for the runtime, the service name and Python's function names.
    let read =
        |name: &str| std::fs::read_to_string(repo().join("guest-examples").join(name).join("serverless.yml")).unwrap();
    let js = read("serverless");
    let py = read("serverless-py")
        .replace("serverless-py", "serverless-js")
        .replace("python3.12", "nodejs20.x")
        .replace("a function of handler.py", "an export of handler.js")
        .replace("handler.default_handler", "handler.defaultHandler");
    assert_eq!(js, py);
    assert!(Path::new(&repo().join("guest-examples/serverless/handler.js")).is_file());
    assert!(Path::new(&repo().join("guest-examples/serverless-py/handler.py")).is_file());
}

/// A scratch Serverless Framework app of one handler file, built and served.
fn scratch_serverless(name: &str, runtime: &str, file: &str, source: &str, routes: &[&str]) -> PathBuf {
    let dir = scratch(name);
    let mut yml = format!("service: {name}\nprovider:\n  name: aws\n  runtime: {runtime}\n  stage: test\nfunctions:\n");
    let module = file.rsplit_once('.').unwrap().0;
    for route in routes {
        let export = route.trim_start_matches('$');
        yml.push_str(&format!(
            "  {export}:\n    handler: {module}.{export}\n    events:\n      - websocket: {route}\n"
        ));
    }
    std::fs::write(dir.join("serverless.yml"), yml).unwrap();
    std::fs::write(dir.join(file), source).unwrap();
    dir.join("serverless.yml")
}

/// The JavaScript SDK's Node built-ins and globals, the v2 client's forms and errors, the
/// endpoint rule, and an export `_HANDLER` names that the file lacks.
#[tokio::test]
async fn javascript_builtins_the_v2_client_and_its_errors() {
    let source = r#"
const assert = require('assert');
const { EventEmitter } = require('events');
const path = require('node:path');
const qs = require('querystring');
const crypto = require('crypto');
const url = require('url');
const util = require('util');
const AWS = require('aws-sdk');

const api = (event, endpoint) => new AWS.ApiGatewayManagementApi({
  apiVersion: '2018-11-29',
  endpoint: endpoint ?? `${event.requestContext.domainName}/${event.requestContext.stage}`,
});

exports.builtins = async (event) => {
  const e = new EventEmitter();
  let got;
  e.once('x', (v) => { got = v; });
  e.emit('x', 42);
  assert(got === 42);
  assert.deepStrictEqual({ a: [1] }, { a: [1] });
  assert.throws(() => assert.strictEqual(1, 2), assert.AssertionError);
  const u = new URL('https://example.com:8080/a/b/../c?x=1&y=two#h');
  const uuids = [crypto.randomUUID(), crypto.randomUUID()];
  return { statusCode: 200, body: JSON.stringify({
    join: path.join('/a', 'b', '../c'),
    qs: qs.parse('a=1&b=2&b=3'),
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuids[0]) && uuids[0] !== uuids[1],
    random: Math.random(),
    url: [u.host, u.pathname, u.searchParams.get('y'), u.hash, url.parse('http://h/p?q=1', true).query.q],
    format: util.format('%s:%d:%j', 'a', 7, { k: 1 }),
    inspect: util.inspect({ a: [1, 'x'], m: new Map([[1, 2]]) }),
    buffer: Buffer.from('héllo').toString('base64'),
    text: new TextDecoder().decode(new TextEncoder().encode('ünï')),
  }) };
};

exports.v2 = async (event) => {
  const id = event.requestContext.connectionId;
  const client = api(event);
  await client.postToConnection({ ConnectionId: id, Data: 'as a string' }).promise();
  await new Promise((resolve, reject) => client.postToConnection({ ConnectionId: id, Data: Buffer.from('as a Buffer') }, (err, data) => (err ? reject(err) : resolve(data))));
  await client.postToConnection({ ConnectionId: id, Data: new Uint8Array([0xff, 0x00]) }).promise();
  const info = await client.getConnection({ ConnectionId: id }).promise();
  const errors = {};
  try { await client.postToConnection({ ConnectionId: 'no-such-id', Data: 'x' }).promise(); } catch (e) { errors.gone = [e.code, e.statusCode, e.retryable]; }
  try { await client.deleteConnection({ ConnectionId: 'no-such-id' }).promise(); } catch (e) { errors.deleteGone = e.code; }
  try { await client.postToConnection({ ConnectionId: id, Data: { an: 'object' } }).promise(); } catch (e) { errors.object = e.code; }
  try { await client.postToConnection({ Data: 'x' }).promise(); } catch (e) { errors.noId = e.code; }
  try { await api(event, 'https://abc.execute-api.us-east-1.amazonaws.com/test').postToConnection({ ConnectionId: id, Data: 'x' }).promise(); } catch (e) { errors.otherHost = [e.code, e.message]; }
  try { await api(event, `https://${event.requestContext.domainName}/prod`).postToConnection({ ConnectionId: id, Data: 'x' }).promise(); } catch (e) { errors.otherStage = e.code; }
  try { new AWS.DynamoDB.DocumentClient(); } catch (e) { errors.dynamodb = e.message; }
  return { statusCode: 200, body: JSON.stringify({ connectedAt: info.ConnectedAt instanceof Date, sourceIp: info.Identity.SourceIp, errors }) };
};

exports.bye = async (event) => {
  await api(event).deleteConnection({ ConnectionId: event.requestContext.connectionId }).promise();
};
"#;
    let manifest =
        scratch_serverless("sdk-js", "nodejs20.x", "handler.js", source, &["builtins", "v2", "bye", "missing"]);
    let server = Server::start(&manifest);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "builtins"})).await;
    let got = recv_json(&mut ws).await;
    assert_eq!(got["join"], "/a/c");
    assert_eq!(got["qs"], json!({"a": "1", "b": ["2", "3"]}));
    assert_eq!(got["uuid"], true, "random v4 UUIDs, a new one each call");
    assert_eq!(got["url"], json!(["example.com:8080", "/a/c", "two", "#h", "1"]));
    assert_eq!(got["format"], r#"a:7:{"k":1}"#);
    assert_eq!(got["inspect"], "{ a: [ 1, 'x' ], m: Map(1) { 1 => 2 } }");
    assert_eq!(got["buffer"], "aMOpbGxv");
    assert_eq!(got["text"], "ünï");
    // Math.random is drawn from the host: a fresh instance does not repeat the last one's.
    send_json(&mut ws, json!({"action": "builtins"})).await;
    assert_ne!(recv_json(&mut ws).await["random"], got["random"]);

    send_json(&mut ws, json!({"action": "v2"})).await;
    assert_eq!(recv(&mut ws).await, Message::text("as a string"));
    assert_eq!(recv(&mut ws).await, Message::text("as a Buffer"), "UTF-8 bytes: a text frame");
    assert_eq!(recv(&mut ws).await, Message::binary(vec![0xff, 0x00]), "other bytes: a binary frame");
    let got = recv_json(&mut ws).await;
    assert_eq!((got["connectedAt"].as_bool(), got["sourceIp"].as_str()), (Some(true), Some("127.0.0.1")));
    let errors = &got["errors"];
    assert_eq!(errors["gone"], json!(["GoneException", 410, false]));
    assert_eq!(errors["deleteGone"], "GoneException");
    assert_eq!(errors["object"], "InvalidParameterType");
    assert_eq!(errors["noId"], "MissingRequiredParameter");
    assert_eq!(errors["otherHost"][0], "UnknownEndpoint");
    let own = format!("https://{}/test", server.addr);
    assert!(errors["otherHost"][1].as_str().unwrap().contains(&own), "names the endpoint that works: {errors}");
    assert_eq!(errors["otherStage"], "UnknownEndpoint");
    assert!(errors["dynamodb"].as_str().unwrap().starts_with("AWS.DynamoDB is not available in a wsh handler"));

    // `_HANDLER` names an export handler.js lacks: that event fails, saying so.
    send_json(&mut ws, json!({"action": "missing"})).await;
    assert_eq!(recv_json(&mut ws).await["message"], "Internal server error");
    server
        .wait_for_log("the missing export", REPLY_TIMEOUT, |l| {
            l.contains("handler.js has no export `missing` (_HANDLER=missing); its functions: builtins, v2, bye")
        })
        .await;

    // deleteConnection is ws.close.
    send_json(&mut ws, json!({"action": "bye"})).await;
    assert_eq!(recv_close(&mut ws).await, Some(1000));
}

/// The same in Python: boto3's other forms and errors, and Architect's `arc.ws`.
#[tokio::test]
async fn python_boto3_errors_and_arc() {
    let source = r#"
import json

import arc.ws
import boto3
from botocore.exceptions import ClientError


def api(event, endpoint=None):
    rc = event["requestContext"]
    return boto3.client("apigatewaymanagementapi", region_name="us-east-1",
                        endpoint_url=endpoint or f"http://{rc['domainName']}/{rc['stage']}")


def errors(event, context):
    out = {}
    client = api(event)
    cid = event["requestContext"]["connectionId"]
    client.post_to_connection(ConnectionId=cid, Data=b"\xff\x00")
    try:
        client.post_to_connection(ConnectionId="no-such-id", Data="x")
    except ClientError as e:
        out["gone"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.operation_name,
                       isinstance(e, client.exceptions.GoneException)]
    try:
        client.get_connection(ConnectionId="no-such-id")
    except client.exceptions.GoneException as e:
        out["getGone"] = e.response["Error"]["Code"]
    try:
        client.post_to_connection(ConnectionId=cid)
    except Exception as e:
        out["noData"] = type(e).__name__
    try:
        api(event, "https://abc.execute-api.us-east-1.amazonaws.com/test").post_to_connection(ConnectionId=cid, Data=b"x")
    except Exception as e:
        out["otherHost"] = [type(e).__name__, str(e)]
    try:
        boto3.client("dynamodb")
    except Exception as e:
        out["dynamodb"] = [type(e).__name__, str(e)]
    return {"statusCode": 200, "body": json.dumps(out)}


def ping(event, context):
    arc.ws.send(id=event["requestContext"]["connectionId"], payload={"action": "ping"})


def bye(event, context):
    api(event).delete_connection(ConnectionId=event["requestContext"]["connectionId"])
"#;
    let manifest = scratch_serverless("sdk-py", "python3.12", "handlers.py", source, &["errors", "ping", "bye"]);
    let server = Server::start(&manifest);
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "errors"})).await;
    assert_eq!(recv(&mut ws).await, Message::binary(vec![0xff, 0x00]), "bytes that are not UTF-8: a binary frame");
    let got = recv_json(&mut ws).await;
    assert_eq!(got["gone"], json!(["GoneException", 410, "PostToConnection", true]));
    assert_eq!(got["getGone"], "GoneException");
    assert_eq!(got["noData"], "ParamValidationError");
    assert_eq!(got["otherHost"][0], "EndpointConnectionError");
    assert!(got["otherHost"][1].as_str().unwrap().contains(&format!("https://{}/test", server.addr)), "{got}");
    assert_eq!(got["dynamodb"][0], "UnknownServiceError");
    assert!(
        got["dynamodb"][1].as_str().unwrap().contains("boto3.client('dynamodb') is not available in a wsh handler")
    );

    send_json(&mut ws, json!({"action": "ping"})).await;
    assert_eq!(recv_text(&mut ws).await, r#"{"action":"ping"}"#, "arc.ws.send");
    send_json(&mut ws, json!({"action": "bye"})).await;
    assert_eq!(recv_close(&mut ws).await, Some(1000), "delete_connection is ws.close");
}
