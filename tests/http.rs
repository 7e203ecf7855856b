//! HTTP on the WebSocket's port: `@static` files.

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
}
