//! Which request goes where: the `@connections` API, `@static` files, a WebSocket handshake,
//! an `@http` route, wsh's own endpoints, else 404. `/metrics` is wsh's before the app's: a
//! scraper should find it whatever the app serves.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::management::{admit, target};
use super::{Gateway, connections_api, http_routes, live, rooms_api, static_files, upgrade};
use crate::app::snapshot::App;
use crate::metrics;
use crate::stats::stats;

/// Handles every request, reading the app once for all of it.
pub(crate) async fn handle(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let app = gw.app.get();
    if let Some(id) = target(req.uri().path(), connections_api::API) {
        return connections_api::handle(&gw, &app, peer, id, req).await;
    }
    if let Some(room) = target(req.uri().path(), rooms_api::API) {
        return rooms_api::handle(&gw, &app, peer, room, req).await;
    }
    if req.uri().path() == METRICS {
        return metrics(&gw, &app, peer, req).await;
    }
    if live::serves(req.uri().path()) {
        return live::handle(&gw, &app, peer, req).await;
    }
    if let (Some(root), Some(rel)) = (&app.static_dir, req.uri().path().strip_prefix(static_files::PREFIX)) {
        return static_files::serve(root, rel, req.method(), req.headers()).await;
    }
    let upgrade = req.headers().get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if upgrade {
        return upgrade::upgrade(&gw, app, peer, req).await;
    }
    plain_http(&gw, &app, peer, req).await
}

const METRICS: &str = "/metrics";

/// `GET /metrics`, to those the management APIs admit.
async fn metrics(gw: &Gateway, app: &App, peer: SocketAddr, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")]).into_response();
    }
    if let Err(refused) = admit(gw, app, peer, METRICS, "", req).await {
        return refused;
    }
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], metrics::render()).into_response()
}

/// A request that is not a WebSocket handshake: an `@http` route, else (as Architect's sandbox
/// does without a root route) a file of the `@static` folder, else 404.
async fn plain_http(gw: &Gateway, app: &App, peer: SocketAddr, req: Request) -> Response {
    if req.uri().path() == "/_wsh/stats" {
        return axum::Json(stats().json()).into_response();
    }
    if let Some(matched) = app.http.route(req.method().as_str(), req.uri().path()) {
        return http_routes::serve(gw, app, peer, matched, req).await;
    }
    if let Some(root) = &app.static_dir
        && (req.method() == Method::GET || req.method() == Method::HEAD)
    {
        let rel = req.uri().path().trim_start_matches('/');
        return static_files::serve(root, rel, req.method(), req.headers()).await;
    }
    (StatusCode::NOT_FOUND, "wsh: no HTTP route here; WebSocket clients connect to ws:// on this port\n")
        .into_response()
}
