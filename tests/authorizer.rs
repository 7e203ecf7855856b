//! The `$connect` authorizer, end to end: identity sources (401 without them), allow and deny
//! (403), the context reaching later events, and failing closed.

mod support;

use serde_json::json;
use support::*;

async fn stats(server: &Server) -> serde_json::Value {
    let (_, _, body) = http(&server.addr, "GET", "/_wsh/stats", b"").await;
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn the_authorizer_decides_and_its_context_reaches_every_event() {
    let server = Server::start(&prebuild("authorized"));
    let url = server.url();
    assert_eq!(connect_with_headers(&url, &[]).await.err(), Some(401), "no identity source: 401");
    assert_eq!(connect_with_headers(&url, &[("auth", "")]).await.err(), Some(401), "an empty one counts as absent");
    assert_eq!(connect_with_headers(&url, &[("auth", "nope")]).await.err(), Some(403), "denied by the policy");

    let mut ws = connect_with_headers(&format!("{url}/?user=grace"), &[("Auth", "letmein")]).await.expect("allowed");
    send(&mut ws, "hello").await;
    let reply = recv_json(&mut ws).await;
    assert_eq!(reply["authorizer"], json!({"user": "grace", "level": 7, "principalId": "user-grace"}));
    send(&mut ws, "again").await;
    assert_eq!(recv_json(&mut ws).await["authorizer"]["user"], "grace", "every event, not just the first");

    assert_eq!(stats(&server).await["connections_refused_by_authorizer"], 3);
    let log = server
        .wait_for_log("both refusals", REPLY_TIMEOUT, |l| {
            l.contains("identity source missing: header auth") && l.contains("the authorizer denied the connection")
        })
        .await;
    assert!(log.contains("identity source missing: header auth"), "{log}");
    assert!(log.contains("the authorizer denied the connection"), "{log}");
}

/// An app whose authorizer is the component of `route` in the routes example (or none).
fn app_with_authorizer(name: &str, authorizer: Option<(&str, &str)>, source: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let arc = format!("@app\n{name}\n@ws\nwhoami\n@wsh\nauthorizer auth\nidentity-source {source}\n");
    std::fs::write(dir.join("app.arc"), arc).unwrap();
    std::fs::create_dir_all(dir.join("src/ws/whoami")).unwrap();
    std::fs::copy(built_component("routes", "whoami"), dir.join("src/ws/whoami/h.wasm")).unwrap();
    if let Some((app, route)) = authorizer {
        std::fs::create_dir_all(dir.join("src/ws/auth")).unwrap();
        std::fs::copy(built_component(app, route), dir.join("src/ws/auth/h.wasm")).unwrap();
    }
    dir.join("app.arc")
}

#[tokio::test]
async fn query_string_identity_sources() {
    let app = app_with_authorizer("auth-query", Some(("authorized", "$authorizer")), "route.request.querystring.token");
    let server = Server::start(&app);
    let url = server.url();
    assert_eq!(connect_with_headers(&url, &[("auth", "letmein")]).await.err(), Some(401));
    assert_eq!(connect_with_headers(&format!("{url}/?token=t"), &[("auth", "nope")]).await.err(), Some(403));
    let mut ws = connect_with_headers(&format!("{url}/?token=t"), &[("auth", "letmein")]).await.expect("allowed");
    assert!(!connection_id(&mut ws).await.is_empty());
}

#[tokio::test]
async fn authorizers_fail_closed() {
    // No handler in src/ws/auth.
    let server = Server::start(&app_with_authorizer("auth-missing", None, "route.request.header.auth"));
    assert_eq!(connect_with_headers(&server.url(), &[("auth", "x")]).await.err(), Some(500));
    server.wait_for_log("why", REPLY_TIMEOUT, |l| l.contains("its directory has no handler")).await;

    // A handler whose answer is not a decision ({"pong": null}), and one that traps.
    for (name, route, why) in
        [("auth-confused", "ping", "neither policyDocument nor isAuthorized"), ("auth-crash", "crash", "trapped")]
    {
        let server = Server::start(&app_with_authorizer(name, Some(("routes", route)), "route.request.header.auth"));
        assert_eq!(connect_with_headers(&server.url(), &[("auth", "x")]).await.err(), Some(500), "{name}");
        let log = server.wait_for_log("authorizer refusal", REPLY_TIMEOUT, |l| l.contains("connection refused")).await;
        assert!(log.contains(why), "{name}: {log}");
    }
}
