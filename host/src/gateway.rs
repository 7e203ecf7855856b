//! The WebSocket endpoint: accepting a connection means running `$connect` before the upgrade
//! completes, as API Gateway does, then handing the socket to its connection task.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::task::TaskTracker;

use crate::events::{ConnectRequest, ConnectionContext};
use crate::http_router::HttpRouter;
use crate::ids::{new_id, now_ms};
use crate::limits::TokenBucket;
use crate::manifest::{IdentitySource, Settings};
use crate::registry::{Connection, Identity, Registry};
use crate::routing::{AUTHORIZER, CONNECT, Selector};
use crate::runtime::{Handler, Runtime};
use crate::stats::Stats;
use crate::{authorizer, connection, connections_api, http_routes, static_files};

/// The routes in force. Replaced whole (hot reload); an event uses the table it started with.
#[derive(Clone)]
pub struct RouteTable {
    pub selector: Selector,
    /// Which `@http` route a request goes to.
    pub http: HttpRouter,
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

/// The limits every connection lives within (see `manifest::Settings` for each one's meaning).
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub stage: Arc<str>,
    pub api_id: Arc<str>,
    pub max_message: usize,
    pub max_frame: usize,
    pub outbound_queue: usize,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
    pub max_connections: usize,
    pub connect_rate: u64,
    pub message_rate: u64,
    pub allowed_origins: Option<Vec<String>>,
    /// When set, the `$connect` authorizer runs first, on handshakes that carry these.
    pub identity_sources: Option<Vec<IdentitySource>>,
}

impl GatewayConfig {
    pub fn new(settings: &Settings, api_id: &str) -> GatewayConfig {
        GatewayConfig {
            stage: settings.stage.clone().into(),
            api_id: api_id.into(),
            max_message: (settings.max_message_kb as usize) << 10,
            max_frame: (settings.max_frame_kb as usize) << 10,
            outbound_queue: settings.outbound_queue as usize,
            idle_timeout: Duration::from_secs(settings.idle_timeout_s),
            max_lifetime: Duration::from_secs(settings.max_lifetime_s),
            max_connections: settings.max_connections as usize,
            connect_rate: settings.connect_rate,
            message_rate: settings.message_rate,
            allowed_origins: settings.allowed_origins.clone(),
            identity_sources: settings.authorizer.as_ref().map(|a| a.identity_sources.clone()),
        }
    }
}

pub struct Gateway {
    pub routes: ArcSwap<RouteTable>,
    pub runtime: Runtime,
    pub registry: Arc<Registry>,
    pub config: GatewayConfig,
    /// Every connection task, so that shutdown can wait for their disconnect handlers.
    pub connections: TaskTracker,
    /// New connections per second, across all clients.
    pub connect_bucket: Mutex<TokenBucket>,
    pub stats: Stats,
    /// The `@static` folder, served at `/_static/`.
    pub static_dir: Option<std::path::PathBuf>,
    /// What `@connections` requests must be signed with; `None` opens it to loopback only.
    pub connections_credential: Option<crate::sigv4::Credential>,
}

/// tungstenite's default read buffer is 128 KiB per connection. It is only the smallest read:
/// once a frame's header is in, tungstenite reserves the whole frame, so large messages still
/// arrive in few reads, and 10,000 idle connections stay small.
const READ_BUFFER: usize = 512;

/// Handles every request: a WebSocket upgrade becomes a connection.
pub async fn handle(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    if let Some(id) = connections_api::connection_id(req.uri().path()) {
        return connections_api::handle(&gw, peer, id, req).await;
    }
    if let (Some(root), Some(rel)) = (&gw.static_dir, req.uri().path().strip_prefix(static_files::PREFIX)) {
        return static_files::serve(root, rel, req.method(), req.headers()).await;
    }
    let upgrade = req.headers().get(header::UPGRADE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if !upgrade {
        return plain_http(&gw, peer, req).await;
    }
    if let Some(refusal) = admit(&gw) {
        return refusal;
    }
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if let (Some(allowed), Some(origin)) = (&gw.config.allowed_origins, origin)
        && !allowed.iter().any(|a| a == origin)
    {
        tracing::warn!("refusing a connection from origin {origin}: not in allowed-origins");
        return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
    }
    let (mut parts, _body) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let headers = &parts.headers;
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut ctx = ConnectionContext {
        connection_id: new_id(),
        connected_at: now_ms(),
        domain_name: text(header::HOST).unwrap_or_else(|| "localhost".into()),
        identity: Identity { source_ip: peer.ip().to_string(), user_agent: text(header::USER_AGENT) },
        stage: gw.config.stage.clone(),
        api_id: gw.config.api_id.clone(),
        authorizer: None,
    };

    let request = ConnectRequest {
        headers: headers.iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect(),
        query: parts.uri.query(),
    };
    if let Some(sources) = &gw.config.identity_sources {
        match authorize(&gw, sources, &ctx, &request).await {
            Ok(context) => ctx.authorizer = Some(context),
            Err(refusal) => {
                Stats::add(&gw.stats.connections_refused_by_authorizer);
                tracing::info!(route = AUTHORIZER, connection = %ctx.connection_id, status = refusal.status, "connection refused: {}", refusal.why);
                let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::FORBIDDEN);
                return (status, [(header::CONTENT_TYPE, "application/json")], refusal.body).into_response();
            }
        }
    }

    let mut extra_headers = Vec::new();
    let connect = gw.routes.load().handler(CONNECT);
    if let Some(Err(why)) = connect {
        tracing::error!(route = CONNECT, connection = %ctx.connection_id, "refusing connection: the handler did not load: {why}");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error\n").into_response();
    }
    if let Some(Ok(handler)) = connect {
        let request_id = new_id();
        let event = ctx.connect(&request, request_id.clone(), ctx.connected_at);
        match gw.runtime.call(&handler, &event).await {
            Ok(response) if (200..300).contains(&response.status_code) => extra_headers = response.headers,
            Ok(response) => {
                Stats::add(&gw.stats.connections_refused_by_handler);
                tracing::info!(route = CONNECT, connection = %ctx.connection_id, request = %request_id, status = response.status_code, "connection refused by handler");
                let status = StatusCode::from_u16(response.status_code).unwrap_or(StatusCode::FORBIDDEN);
                return (status, body_text(response.body)).into_response();
            }
            Err(e) => {
                Stats::add(&gw.stats.connections_refused_by_handler);
                Stats::add(&gw.stats.handler_errors);
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
    let mut ws = ws
        .max_message_size(gw.config.max_message)
        .max_frame_size(gw.config.max_frame)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0);
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

/// Runs the authorizer on a handshake that carries every identity source. Fails closed: an
/// authorizer that is missing, broken or failing refuses everyone.
async fn authorize(
    gw: &Gateway,
    sources: &[IdentitySource],
    ctx: &ConnectionContext,
    request: &ConnectRequest<'_>,
) -> Result<String, authorizer::Refusal> {
    if let Some(source) = authorizer::missing(sources, &request.headers, request.query) {
        return Err(authorizer::refuse_missing(source));
    }
    let internal = authorizer::Refusal::internal;
    let handler = match gw.routes.load().handler(AUTHORIZER) {
        Some(Ok(handler)) => handler,
        Some(Err(why)) => return Err(internal(format!("the authorizer did not load: {why}"))),
        None => return Err(internal("the manifest names an authorizer but its directory has no handler".into())),
    };
    let request_id = new_id();
    let event = ctx.authorize(request, request_id.clone(), now_ms());
    match gw.runtime.call(&handler, &event).await {
        Ok(response) => authorizer::decide(&response),
        Err(e) => {
            Stats::add(&gw.stats.handler_errors);
            Err(internal(format!("request {request_id}: {e}")))
        }
    }
}

/// A request that is not a WebSocket handshake: an `@http` route, else (as Architect's sandbox
/// does without a root route) a file of the `@static` folder, else 404.
async fn plain_http(gw: &Arc<Gateway>, peer: SocketAddr, req: Request) -> Response {
    if req.uri().path() == "/_wsh/stats" {
        return axum::Json(gw.stats.json()).into_response();
    }
    let table = gw.routes.load_full();
    if let Some(matched) = table.http.route(req.method().as_str(), req.uri().path()) {
        return http_routes::serve(gw, &table, peer, matched, req).await;
    }
    if let Some(root) = &gw.static_dir
        && (req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD)
    {
        let rel = req.uri().path().trim_start_matches('/');
        return static_files::serve(root, rel, req.method(), req.headers()).await;
    }
    (StatusCode::NOT_FOUND, "wsh: no HTTP route here; WebSocket clients connect to ws:// on this port\n")
        .into_response()
}

/// Refuses a handshake that would exceed max-connections (503) or connect-rate (429).
fn admit(gw: &Gateway) -> Option<Response> {
    if gw.registry.len() >= gw.config.max_connections {
        Stats::add(&gw.stats.connections_refused_full);
        tracing::warn!("refusing a connection: max-connections ({}) reached", gw.config.max_connections);
        return Some((StatusCode::SERVICE_UNAVAILABLE, "too many connections\n").into_response());
    }
    if !gw.connect_bucket.lock().unwrap_or_else(|e| e.into_inner()).allow(Instant::now()) {
        Stats::add(&gw.stats.connections_refused_rate);
        tracing::warn!("refusing a connection: connect-rate ({}/s) exceeded", gw.config.connect_rate);
        return Some((StatusCode::TOO_MANY_REQUESTS, "too many new connections\n").into_response());
    }
    None
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
