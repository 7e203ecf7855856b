//! HTTP on the WebSocket's port: `@http` routes as components, and `@static` files.

mod support;

use support::*;

#[tokio::test]
async fn static_files_have_types_validators_and_no_way_out() {
    let dir = scratch("static");
    std::fs::write(dir.join("app.arc"), "@app\nsite\n@ws\n@static\nfolder public\n").unwrap();
    std::fs::create_dir_all(dir.join("public/img")).unwrap();
    std::fs::write(dir.join("public/index.html"), "<h1>hi</h1>").unwrap();
    std::fs::write(dir.join("public/index.mjs"), "export {}").unwrap();
    std::fs::write(dir.join("public/img/dot.svg"), "<svg/>").unwrap();
    std::fs::write(dir.join("secret.txt"), "do not serve").unwrap();
    let server = Server::start(&dir.join("app.arc"));
    let addr = server.addr.clone();

    for (path, ty, body) in [
        ("/_static/index.html", "text/html; charset=utf-8", "<h1>hi</h1>"),
        ("/_static/", "text/html; charset=utf-8", "<h1>hi</h1>"),
        ("/_static/index.mjs", "text/javascript; charset=utf-8", "export {}"),
        ("/_static/img/dot.svg", "image/svg+xml", "<svg/>"),
    ] {
        let (status, head, got) = http(&addr, "GET", path, b"").await;
        assert_eq!((status, header(&head, "content-type"), got.as_str()), (200, Some(ty), body), "{path}");
    }

    let (_, head, _) = http(&addr, "GET", "/_static/index.mjs", b"").await;
    let etag = header(&head, "etag").expect("an etag").to_string();
    let modified = header(&head, "last-modified").expect("last-modified").to_string();
    let (status, _, body) = http_with(&addr, "GET", "/_static/index.mjs", &[("If-None-Match", &etag)], b"").await;
    assert_eq!((status, body.as_str()), (304, ""));
    let (status, _, _) = http_with(&addr, "GET", "/_static/index.mjs", &[("If-Modified-Since", &modified)], b"").await;
    assert_eq!(status, 304);
    let (status, _, _) = http_with(&addr, "GET", "/_static/index.mjs", &[("If-None-Match", "\"other\"")], b"").await;
    assert_eq!(status, 200);

    for escape in [
        "/_static/../secret.txt",
        "/_static/%2e%2e/secret.txt",
        "/_static/img/../../secret.txt",
        "/_static/..%2fsecret.txt",
    ] {
        let (status, _, body) = http(&addr, "GET", escape, b"").await;
        assert_eq!(status, 403, "{escape}: {body}");
        assert!(!body.contains("do not serve"));
    }
    assert_eq!(http(&addr, "GET", "/_static/missing.js", b"").await.0, 404);

    // Without HTTP routes, the folder is the site's root too, as in Architect's sandbox.
    let (status, _, body) = http(&addr, "GET", "/", b"").await;
    assert_eq!((status, body.as_str()), (200, "<h1>hi</h1>"));
    assert_eq!(http(&addr, "GET", "/../secret.txt", b"").await.0, 403);
    assert_eq!(http(&addr, "POST", "/", b"").await.0, 404);
}

/// An app with one route of each kind, every one of them but `get /` and `post /notify` served
/// by the echo example's request inspector (`any /*`), plus `get /boom`, whose component is a
/// WebSocket handler: the wrong world.
fn http_app(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let arc = "@app\nsite\n@ws\nwhoami\n@http\nget /\nget /things/:id\npost /things\nany /*\npost /notify\nget /boom\n";
    std::fs::write(dir.join("app.arc"), arc).unwrap();
    for (route_dir, app, route) in [
        ("ws/whoami", "routes", "whoami"),
        ("http/get-index", "echo", "GET /"),
        ("http/get-things-000id", "echo", "ANY /*"),
        ("http/post-things", "echo", "ANY /*"),
        ("http/any-catchall", "echo", "ANY /*"),
        ("http/post-notify", "echo", "POST /notify"),
        ("http/get-boom", "routes", "ping"),
    ] {
        std::fs::create_dir_all(dir.join("src").join(route_dir)).unwrap();
        std::fs::copy(built_component(app, route), dir.join("src").join(route_dir).join("h.wasm")).unwrap();
    }
    dir.join("app.arc")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test]
async fn http_routes_get_api_gateway_requests_and_the_most_specific_route() {
    let server = Server::start(&http_app("http-routes"));
    let addr = server.addr.clone();

    let (status, head, page) = http(&addr, "GET", "/", b"").await;
    assert_eq!((status, header(&head, "content-type")), (200, Some("text/html; charset=utf-8")));
    let port = addr.rsplit(':').next().unwrap();
    assert!(page.contains(&format!("window.WS_URL = \"ws://localhost:{port}\"")), "ARC_WSS_URL in the page: {page}");

    let headers = [("Cookie", "a=1; b=2"), ("X-Multi", "one")];
    let (status, head, body) = http_with(&addr, "GET", "/things/4%202?q=x&q=y&e=%C3%A9", &headers, b"").await;
    assert_eq!(status, 200, "{head}");
    assert_eq!(header(&head, "x-route"), Some("GET /things/:id"));
    assert_eq!(header(&head, "set-cookie"), Some("seen=1; Path=/"));
    let event = json(&body);
    assert_eq!(event["routeKey"], "GET /things/:id");
    assert_eq!(event["pathParameters"], serde_json::json!({"id": "4 2"}));
    assert_eq!(event["queryStringParameters"], serde_json::json!({"q": "x,y", "e": "é"}));
    assert_eq!(event["rawPath"], "/things/4%202");
    assert_eq!(event["rawQueryString"], "q=x&q=y&e=%C3%A9");
    assert_eq!(event["cookies"], serde_json::json!(["a=1", "b=2"]));
    assert_eq!(event["headers"]["x-multi"], "one");
    assert_eq!(event["requestContext"]["http"]["method"], "GET");
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");

    let (status, _, body) =
        http_with(&addr, "POST", "/things", &[("Content-Type", "application/json")], br#"{"name":"x"}"#).await;
    let event = json(&body);
    assert_eq!((status, event["routeKey"].as_str()), (200, Some("POST /things")));
    assert_eq!((event["body"].as_str(), event["isBase64Encoded"].as_bool()), (Some(r#"{"name":"x"}"#), Some(false)));
    let (_, _, body) =
        http_with(&addr, "POST", "/things", &[("Content-Type", "application/octet-stream")], &[0, 255, 1]).await;
    let event = json(&body);
    assert_eq!((event["body"].as_str(), event["isBase64Encoded"].as_bool()), (Some("AP8B"), Some(true)));

    let (status, _, body) = http(&addr, "DELETE", "/any/thing/else?status=404", b"").await;
    let event = json(&body);
    assert_eq!((status, event["routeKey"].as_str()), (404, Some("ANY /*")), "the handler's status goes through");
    assert_eq!(event["pathParameters"]["proxy"], "any/thing/else");

    // A component of the wrong world fails at load, naming the route and the world; its
    // requests get a 500, and every other route keeps serving.
    let (status, _, body) = http(&addr, "GET", "/boom", b"").await;
    assert_eq!((status, body.as_str()), (500, r#"{"message":"Internal Server Error"}"#));
    let log = server
        .wait_for_log("the load error", REPLY_TIMEOUT, |l| {
            l.contains("GET /boom") && l.contains("does not fit the wsh:handler/http-handler world")
        })
        .await;
    assert!(log.contains("GET /boom") && log.contains("does not fit the wsh:handler/http-handler world"), "{log}");
    assert_eq!(http(&addr, "GET", "/things/1", b"").await.0, 200);
}

#[tokio::test]
async fn http_handlers_push_to_sockets() {
    let server = Server::start(&http_app("http-push"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    let body = serde_json::json!({"id": id, "text": "from HTTP"}).to_string();
    let (status, _, reply) = http(&server.addr, "POST", "/notify", body.as_bytes()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(recv_json(&mut ws).await, serde_json::json!({"text": "from HTTP"}));

    let gone = serde_json::json!({"id": "no-such-connection", "text": "x"}).to_string();
    assert_eq!(http(&server.addr, "POST", "/notify", gone.as_bytes()).await.0, 410);
    assert_eq!(http(&server.addr, "POST", "/notify", b"not json").await.0, 400);
}
