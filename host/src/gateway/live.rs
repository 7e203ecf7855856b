//! The live page, `/_wsh`: open connections, each route's figures, the last errors and reloads.
//! A plain HTML page and a JS module embedded in the binary. The page holds a WebSocket to
//! `/_wsh/live`, on which wsh sends the state once a second (it falls back to polling
//! `/_wsh/state`, the same JSON, which scripts can read too). Open to the same clients as the
//! management APIs; the page's socket is wsh's own, never the app's, and is not counted as one
//! of its connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;

use super::Gateway;
use super::management::admit;
use crate::app::snapshot::App;
use crate::ids::now_ms;
use crate::recent;

pub(super) const PAGE: &str = "/_wsh";
const SCRIPT: &str = "/_wsh/live.js";
const STATE: &str = "/_wsh/state";
const FEED: &str = "/_wsh/live";

/// How often the page's socket is sent the state.
const EVERY: Duration = Duration::from_secs(1);

/// Connections listed at most: the page is for looking, not for exporting 100 000 rows.
const MAX_LISTED: usize = 500;

/// Whether `path` is one of the live page's.
pub(super) fn serves(path: &str) -> bool {
    matches!(path, PAGE | SCRIPT | STATE | FEED)
}

pub(super) async fn handle(gw: &Arc<Gateway>, app: &App, peer: SocketAddr, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response();
    }
    let path = req.uri().path().to_string();
    let mut parts = match admit(gw, app, peer, PAGE, &path, req).await {
        Ok((parts, _)) => parts,
        Err(refused) => return refused,
    };
    match path.as_str() {
        PAGE => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("live/index.html")).into_response(),
        SCRIPT => {
            ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("live/live.js")).into_response()
        }
        FEED => match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(ws) => {
                let gw = gw.clone();
                ws.on_upgrade(move |socket| feed(gw, socket))
            }
            Err(refused) => refused.into_response(),
        },
        _ => axum::Json(state(gw, app)).into_response(),
    }
}

/// Sends the state every [`EVERY`] until the page goes away. What the page sends is read and
/// dropped, so that its close is seen.
async fn feed(gw: Arc<Gateway>, socket: WebSocket) {
    let (mut tx, mut rx) = socket.split();
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let text = state(&gw, &gw.app.get()).to_string();
                if tx.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            heard = rx.next() => match heard {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
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
