//! The WebSocket endpoint: accepting a connection means running `$connect` before the upgrade
//! completes, as API Gateway does, then handing the socket to its connection task.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::task::TaskTracker;

use crate::connection;
use crate::events::{ConnectRequest, ConnectionContext};
use crate::ids::{new_id, now_ms};
use crate::registry::{Connection, Identity, Registry};
use crate::routing::{CONNECT, Selector};
use crate::runtime::{Handler, Runtime};

/// The routes in force. Replaced whole (hot reload); an event uses the table it started with.
#[derive(Clone)]
pub struct RouteTable {
    pub selector: Selector,
    /// Route key → handler, for the routes that have one.
    pub handlers: HashMap<String, Arc<Handler>>,
    /// Routes whose handler failed to build or load, with why. Their events get an error
    /// rather than silently going elsewhere.
    pub broken: HashMap<String, Arc<str>>,
}

impl RouteTable {
    pub fn has_route(&self, key: &str) -> bool {
        self.handlers.contains_key(key) || self.broken.contains_key(key)
    }

    /// `None` when the route has no handler at all.
    pub fn handler(&self, key: &str) -> Option<Result<Arc<Handler>, Arc<str>>> {
        match self.handlers.get(key) {
            Some(h) => Some(Ok(h.clone())),
            None => self.broken.get(key).map(|why| Err(why.clone())),
        }
    }
}

/// Sizes that bound what one connection can hold.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub stage: Arc<str>,
    pub api_id: Arc<str>,
    /// Largest message accepted from a client (API Gateway: 128 KB).
    pub max_message: usize,
    /// Largest frame accepted from a client (API Gateway: 32 KB).
    pub max_frame: usize,
    /// Frames waiting for a client that is not reading, before it is closed with 1008.
    pub outbound_queue: usize,
}

pub struct Gateway {
    pub routes: ArcSwap<RouteTable>,
    pub runtime: Runtime,
    pub registry: Arc<Registry>,
    pub config: GatewayConfig,
    /// Every connection task, so that shutdown can wait for their disconnect handlers.
    pub connections: TaskTracker,
}

/// Handles every request: a WebSocket upgrade becomes a connection.
pub async fn handle(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let upgrade = req.headers().get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if !upgrade {
        return (StatusCode::NOT_FOUND, "wsh: no HTTP route here; WebSocket clients connect to ws:// on this port\n")
            .into_response();
    }
    let (mut parts, _body) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let headers = &parts.headers;
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let ctx = ConnectionContext {
        connection_id: new_id(),
        connected_at: now_ms(),
        domain_name: text(header::HOST).unwrap_or_else(|| "localhost".into()),
        identity: Identity { source_ip: peer.ip().to_string(), user_agent: text(header::USER_AGENT) },
        stage: gw.config.stage.clone(),
        api_id: gw.config.api_id.clone(),
        authorizer: None,
    };

    let mut extra_headers = Vec::new();
    let connect = gw.routes.load().handler(CONNECT);
    if let Some(Err(why)) = connect {
        tracing::error!(route = CONNECT, connection = %ctx.connection_id, "refusing connection: the handler did not load: {why}");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error\n").into_response();
    }
    if let Some(Ok(handler)) = connect {
        let request = ConnectRequest {
            headers: headers.iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect(),
            query: parts.uri.query(),
        };
        let request_id = new_id();
        let event = ctx.connect(&request, request_id.clone(), ctx.connected_at);
        match gw.runtime.call(&handler, &event).await {
            Ok(response) if (200..300).contains(&response.status_code) => extra_headers = response.headers,
            Ok(response) => {
                tracing::info!(route = CONNECT, connection = %ctx.connection_id, request = %request_id, status = response.status_code, "connection refused by handler");
                let status = StatusCode::from_u16(response.status_code).unwrap_or(StatusCode::FORBIDDEN);
                return (status, body_text(response.body)).into_response();
            }
            Err(e) => {
                tracing::error!(route = CONNECT, connection = %ctx.connection_id, request = %request_id, "{e}");
                return (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error\n").into_response();
            }
        }
    }

    let (conn, queues) = Connection::new(
        ctx.connection_id.clone(),
        ctx.connected_at,
        ctx.identity.clone(),
        gw.config.outbound_queue,
        gw.config.max_message,
    );
    // Registered before the handshake completes: a frame sent to it from now on waits in its
    // queue, so nothing sent right after `$connect` is lost.
    gw.registry.insert(conn.clone());

    let protocol = take_header(&mut extra_headers, "sec-websocket-protocol");
    let mut ws = ws.max_message_size(gw.config.max_message).max_frame_size(gw.config.max_frame);
    if let Some(protocol) = protocol {
        ws = ws.protocols([protocol]);
    }
    let session = connection::Session { gw: gw.clone(), conn, ctx };
    // The upgrade callback may never run (the client went away): the session's disconnect
    // must still run, exactly once.
    let (tx, rx) = tokio::sync::oneshot::channel();
    gw.connections.spawn(async move {
        let socket = rx.await.ok();
        connection::run(session, queues, socket).await;
    });
    let mut response = ws.on_upgrade(move |socket| async move {
        let _ = tx.send(socket);
    });
    for (name, value) in extra_headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
            && !response.headers().contains_key(&name)
        {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn take_header(headers: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let index = headers.iter().position(|(k, _)| k.eq_ignore_ascii_case(name))?;
    Some(headers.remove(index).1)
}

fn body_text(body: Option<crate::runtime::wit::Data>) -> Vec<u8> {
    match body {
        Some(crate::runtime::wit::Data::Text(t)) => t.into_bytes(),
        Some(crate::runtime::wit::Data::Binary(b)) => b,
        None => Vec::new(),
    }
}
