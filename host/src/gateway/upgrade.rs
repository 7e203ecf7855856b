//! A WebSocket handshake becoming a connection, as API Gateway does it: admission (capacity,
//! rate, origin), the authorizer, then `$connect` before the upgrade completes, then the socket
//! handed to its connection task. One app snapshot decides all of it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::connection::{self, Session};
use super::{Call, Gateway};
use crate::app::snapshot::App;
use crate::bindings::wit;
use crate::decide::authorizer::{self, IdentitySource, Refusal};
use crate::decide::events::{ConnectRequest, ConnectionContext, Identity};
use crate::decide::routing::{AUTHORIZER, CONNECT};
use crate::hub::registry::Connection;
use crate::ids::{new_id, now_ms};
use crate::stats::{Stats, stats};

/// tungstenite's default read buffer is 128 KiB per connection. It is only the smallest read:
/// once a frame's header is in, tungstenite reserves the whole frame, so large messages still
/// arrive in few reads, and 10,000 idle connections stay small.
const READ_BUFFER: usize = 512;

pub(super) async fn upgrade(gw: &Arc<Gateway>, app: Arc<App>, peer: SocketAddr, req: Request) -> Response {
    if let Some(refusal) = admit(gw, &app) {
        return refusal;
    }
    let settings = app.settings();
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if let (Some(allowed), Some(origin)) = (&settings.allowed_origins, origin)
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
        connection_id: gw.hub.new_connection_id(),
        connected_at: now_ms(),
        domain_name: text(header::HOST).unwrap_or_else(|| "localhost".into()),
        identity: Identity { source_ip: peer.ip().to_string(), user_agent: text(header::USER_AGENT) },
        authorizer: None,
    };
    let request = ConnectRequest {
        headers: headers.iter().filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))).collect(),
        query: parts.uri.query(),
    };

    // While the app declares an authorizer, no handshake skips it.
    if let Some(sources) = app.identity_sources() {
        match authorize(gw, &app, sources, &ctx, &request).await {
            Ok(context) => ctx.authorizer = Some(context),
            Err(refusal) => {
                Stats::add(&stats().connections_refused_by_authorizer);
                tracing::info!(route = AUTHORIZER, connection = %ctx.connection_id, status = refusal.status, "connection refused: {}", refusal.why);
                let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::FORBIDDEN);
                return (status, [(header::CONTENT_TYPE, "application/json")], refusal.body).into_response();
            }
        }
    }

    // Registered before `$connect` runs: what it (or anyone) sends to the connection waits in
    // its queue and goes out right after the 101, first; rooms it joins hold it. A refusal
    // undoes both, and the queue is dropped unsent.
    let (conn, queues) = Connection::new(ctx.connection_id.clone(), ctx.connected_at, ctx.identity.clone());
    // In a cluster, another node runs its `$disconnect` from this record should this one be lost.
    let record = serde_json::to_string(&ctx).expect("a connection's facts serialize");
    gw.hub.register(conn.clone(), record).await;
    let extra_headers = match run_connect(gw, &app, &ctx, &request).await {
        Ok(headers) => headers,
        Err(refusal) => {
            gw.hub.unregister(&conn.id).await;
            gw.hub.leave_all(&conn.id).await;
            return refusal;
        }
    };

    let mut ws = ws
        .max_message_size((settings.max_message_kb as usize) << 10)
        .max_frame_size((settings.max_frame_kb as usize) << 10)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0);
    let mut extra_headers = extra_headers;
    if let Some(protocol) = take_header(&mut extra_headers, "sec-websocket-protocol") {
        ws = ws.protocols([protocol]);
    }
    let session = Session { gw: gw.clone(), conn, ctx };
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

/// Refuses a handshake that would exceed max-connections (503) or connect-rate (429).
fn admit(gw: &Gateway, app: &App) -> Option<Response> {
    let settings = app.settings();
    if gw.hub.len() >= settings.max_connections as usize {
        Stats::add(&stats().connections_refused_full);
        tracing::warn!("refusing a connection: max-connections ({}) reached", settings.max_connections);
        return Some((StatusCode::SERVICE_UNAVAILABLE, "too many connections\n").into_response());
    }
    if !gw.connect_bucket.lock().unwrap_or_else(|e| e.into_inner()).allow(settings.connect_rate, Instant::now()) {
        Stats::add(&stats().connections_refused_rate);
        tracing::warn!("refusing a connection: connect-rate ({}/s) exceeded", settings.connect_rate);
        return Some((StatusCode::TOO_MANY_REQUESTS, "too many new connections\n").into_response());
    }
    None
}

/// Runs the authorizer on a handshake that carries every identity source. Fails closed: an
/// authorizer that is missing, broken or failing refuses everyone.
async fn authorize(
    gw: &Gateway,
    app: &App,
    sources: &[IdentitySource],
    ctx: &ConnectionContext,
    request: &ConnectRequest<'_>,
) -> Result<String, Refusal> {
    if let Some(source) = authorizer::missing(sources, &request.headers, request.query) {
        return Err(authorizer::refuse_missing(source));
    }
    let handler = match app.handler(AUTHORIZER) {
        Some(Ok(handler)) => handler,
        Some(Err(why)) => return Err(Refusal::internal(format!("the authorizer did not load: {why}"))),
        None => {
            return Err(Refusal::internal("the manifest names an authorizer but its directory has no handler".into()));
        }
    };
    let request_id = new_id();
    let event = ctx.authorize(&app.api, request, request_id.clone(), now_ms());
    let call = Call { route: AUTHORIZER, connection: &ctx.connection_id, request: &request_id };
    match gw.call(app, call, &handler, event).await {
        Ok(response) => authorizer::decide(&response),
        Err(e) => {
            Stats::add(&stats().handler_errors);
            Err(Refusal::internal(format!("request {request_id}: {e}")))
        }
    }
}

/// Runs `$connect`, if the app has one; its extra response headers when it accepts, the
/// refusal to send when it does not.
async fn run_connect(
    gw: &Gateway,
    app: &App,
    ctx: &ConnectionContext,
    request: &ConnectRequest<'_>,
) -> Result<Vec<(String, String)>, Response> {
    let handler = match app.handler(CONNECT) {
        None => return Ok(Vec::new()),
        Some(Ok(handler)) => handler,
        Some(Err(why)) => {
            tracing::error!(route = CONNECT, connection = %ctx.connection_id, "refusing connection: the handler did not load: {why}");
            return Err((StatusCode::INTERNAL_SERVER_ERROR, "Internal server error\n").into_response());
        }
    };
    let request_id = new_id();
    let event = ctx.connect(&app.api, request, request_id.clone(), ctx.connected_at);
    let call = Call { route: CONNECT, connection: &ctx.connection_id, request: &request_id };
    match gw.call(app, call, &handler, event).await {
        Ok(response) if (200..300).contains(&response.status_code) => Ok(response.headers),
        Ok(response) => {
            Stats::add(&stats().connections_refused_by_handler);
            tracing::info!(route = CONNECT, connection = %ctx.connection_id, request = %request_id, status = response.status_code, "connection refused by handler");
            let status = StatusCode::from_u16(response.status_code).unwrap_or(StatusCode::FORBIDDEN);
            Err((status, body_bytes(response.body)).into_response())
        }
        Err(e) => {
            Stats::add(&stats().connections_refused_by_handler);
            Stats::add(&stats().handler_errors);
            tracing::error!(route = CONNECT, connection = %ctx.connection_id, request = %request_id, "{e}");
            Err((StatusCode::INTERNAL_SERVER_ERROR, "Internal server error\n").into_response())
        }
    }
}

fn take_header(headers: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let index = headers.iter().position(|(k, _)| k.eq_ignore_ascii_case(name))?;
    Some(headers.remove(index).1)
}

fn body_bytes(body: Option<wit::Data>) -> Vec<u8> {
    match body {
        Some(wit::Data::Text(t)) => t.into_bytes(),
        Some(wit::Data::Binary(b)) => b,
        None => Vec::new(),
    }
}
