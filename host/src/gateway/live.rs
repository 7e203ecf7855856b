//! The live page, `/_wsh`: open connections, each route's figures, the last errors and reloads.
//! A plain HTML page and a JS module embedded in the binary, which poll `/_wsh/state` once a
//! second (polling, not a socket: the page then needs no route of its own on the app's
//! WebSocket side, and a scrape-like JSON endpoint is useful to scripts too). Open to the same
//! clients as the management APIs.

use std::net::SocketAddr;
use std::time::UNIX_EPOCH;

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Gateway;
use super::management::admit;
use crate::app::snapshot::App;
use crate::ids::now_ms;
use crate::recent;

pub(super) const PAGE: &str = "/_wsh";
const SCRIPT: &str = "/_wsh/live.js";
const STATE: &str = "/_wsh/state";

/// Connections listed at most: the page is for looking, not for exporting 100 000 rows.
const MAX_LISTED: usize = 500;

/// Whether `path` is one of the live page's.
pub(super) fn serves(path: &str) -> bool {
    matches!(path, PAGE | SCRIPT | STATE)
}

pub(super) async fn handle(gw: &Gateway, app: &App, peer: SocketAddr, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response();
    }
    let path = req.uri().path().to_string();
    if let Err(refused) = admit(gw, app, peer, PAGE, &path, req).await {
        return refused;
    }
    match path.as_str() {
        PAGE => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("live/index.html")).into_response(),
        SCRIPT => {
            ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("live/live.js")).into_response()
        }
        _ => axum::Json(state(gw, app)).into_response(),
    }
}

/// What the page shows, as of now.
fn state(gw: &Gateway, app: &App) -> serde_json::Value {
    let now = now_ms();
    let mut open = gw.hub.all();
    let total = open.len();
    open.sort_by_key(|c| c.connected_at);
    let connections: Vec<_> = open
        .iter()
        .take(MAX_LISTED)
        .map(|c| {
            json!({
                "id": c.id,
                "age_s": now.saturating_sub(c.connected_at) / 1000,
                "source": c.identity.source_ip,
                "rooms": gw.hub.local().rooms_of(&c.id),
            })
        })
        .collect();
    let routes: Vec<_> = app
        .routes
        .iter()
        .map(|route| {
            let handler = app.handlers.get(&route.key);
            let built = handler
                .and_then(|h| std::fs::metadata(&h.path).ok()?.modified().ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as u64);
            json!({
                "route": route.key,
                "language": route.source.as_ref().map(|s| s.kind()),
                "built_ms": built,
                "loaded": handler.is_some(),
                "figures": handler.map(|h| h.figures()),
            })
        })
        .collect();
    json!({
        "now_ms": now,
        "app": app.manifest.app,
        "open": total,
        "connections": connections,
        "routes": routes,
        "errors": recent::failures(),
        "reloads": recent::reloads(),
    })
}
