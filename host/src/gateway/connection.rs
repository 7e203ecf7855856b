//! One accepted connection: its socket, its queue of messages, its handlers.
//!
//! Three loops per connection, in one task. The reader turns frames into events on a bounded queue (a
//! client that outpaces its handlers is slowed by TCP, not buffered without end). The
//! dispatcher runs those events one at a time, in arrival order, and `$disconnect` last, exactly
//! once. The writer drains the connection's outbound queue, which any handler can push to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::{Call, Gateway};
use crate::bindings::wit;
use crate::decide::events::{Body, ConnectionContext, error_frame};
use crate::decide::limits::{self, Beat, Expiry, Keepalive, TokenBucket};
use crate::decide::routing::DISCONNECT;
use crate::hub::registry::{CloseReason, Connection, ConnectionQueues, Frame, Outbound};
use crate::ids::{new_id, now_ms};
use crate::metrics::{self, OpenConnection};
use crate::runtime::CallError;
use crate::stats::{Stats, stats};

/// Messages read but not yet handled, per connection.
const INBOUND_QUEUE: usize = 16;

/// How long a client may take to answer our close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Session {
    pub gw: Arc<Gateway>,
    pub conn: Arc<Connection>,
    pub ctx: ConnectionContext,
}

/// Serves the connection until it closes, then runs `$disconnect`. `socket` is `None` when the
/// handshake never completed after `$connect` accepted it.
pub(super) async fn run(session: Session, queues: ConnectionQueues, socket: Option<WebSocket>) {
    let session = Arc::new(session);
    // Frames are boxed for the same reason as the outbound queue's (see `registry`).
    let (inbound_tx, inbound_rx) = mpsc::channel(INBOUND_QUEUE);
    // The dispatcher is a task of its own, so that a message read wakes another task, and an
    // answer queued wakes this one: a task that woke itself would be offered to another thread
    // by the scheduler, one thread hand-off per message. It ends once the reader is gone and
    // every message read before the close is handled; `$disconnect` runs after that.
    let dispatcher = tokio::spawn(dispatch(session.clone(), inbound_rx));
    let close = match socket {
        Some(socket) => {
            Stats::add(&stats().connections_accepted);
            let _open = OpenConnection::new();
            pump(&session, socket, queues, inbound_tx).await
        }
        None => {
            drop(inbound_tx);
            CloseReason::new(1006, "handshake did not complete")
        }
    };
    metrics::closed(close.code);
    // From here `ws.send` to this id answers `gone`.
    session.gw.hub.unregister(&session.conn.id).await;
    if let Err(e) = dispatcher.await {
        tracing::error!(connection = %session.conn.id, "handling this connection's messages failed: {e}");
    }
    // Boxed, like each message's handling: a handler call's state is large, and an idle
    // connection should not carry it.
    Box::pin(disconnect(&session, close)).await;
}

/// How the reader stopped.
enum ReadEnd {
    /// The client closed, or the connection dropped.
    Closed(CloseReason),
    /// A limit or the protocol was violated: we close with this.
    Violation(CloseReason),
}

/// Moves frames both ways until the connection closes; returns why it closed.
async fn pump(
    session: &Session,
    socket: WebSocket,
    queues: ConnectionQueues,
    inbound: mpsc::Sender<Box<Frame>>,
) -> CloseReason {
    let (sink, stream) = socket.split();
    let reader = read(session, stream, inbound);
    let writer = write(sink, queues);
    tokio::pin!(reader, writer);
    tokio::select! {
        end = &mut reader => match end {
            ReadEnd::Closed(reason) => reason,
            ReadEnd::Violation(reason) => {
                tracing::info!(connection = %session.conn.id, code = reason.code, "closing: {}", reason.reason);
                session.conn.evict(reason.clone());
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut writer).await;
                reason
            }
        },
        server = &mut writer => {
            if let Some(reason) = &server && reason.code == 1008 {
                Stats::add(&stats().closed_slow_consumer);
                tracing::info!(connection = %session.conn.id, code = 1008, "closing: {}", reason.reason);
            }
            // We closed (or could no longer write): give the client a moment to answer, which
            // also delivers the frames it sent before our close.
            let client = tokio::time::timeout(CLOSE_TIMEOUT, &mut reader).await;
            match (server, client) {
                (Some(reason), _) => reason,
                (None, Ok(ReadEnd::Closed(reason) | ReadEnd::Violation(reason))) => reason,
                (None, Err(_)) => CloseReason::new(1006, "connection lost"),
            }
        }
    }
}

async fn read(session: &Session, mut stream: SplitStream<WebSocket>, inbound: mpsc::Sender<Box<Frame>>) -> ReadEnd {
    let (gw, conn) = (&session.gw, &session.conn);
    let opened = Instant::now();
    let mut last_active = opened;
    let mut rate = TokenBucket::new(gw.app.get().settings().message_rate, opened);
    let mut keepalive = Keepalive::new(opened);
    let mut close = None;
    // One timer for the idle, lifetime and ping deadlines. A message only notes when it came;
    // the timer is moved when it fires (to the later deadline that message made) or when a
    // reload changes the limits, so a busy connection never touches the timer wheel.
    let timer = tokio::time::sleep_until(opened.into());
    tokio::pin!(timer);
    // A stream keeps one wait on the reload signal for the connection's life.
    let reloads = futures_util::stream::unfold(gw.app.subscribe(), |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    });
    tokio::pin!(reloads);
    loop {
        let message = tokio::select! {
            message = stream.next() => match message {
                Some(message) => message,
                None => break,
            },
            () = &mut timer => {
                let now = Instant::now();
                let app = gw.app.get();
                let settings = app.settings();
                let (deadline, expiry) = limits::deadline(
                    last_active,
                    Duration::from_secs(settings.idle_timeout_s),
                    opened,
                    Duration::from_secs(settings.max_lifetime_s),
                );
                let (ping_interval, ping_timeout) =
                    (Duration::from_secs(settings.ping_interval_s), Duration::from_secs(settings.ping_timeout_s));
                drop(app);
                if now >= deadline {
                    if close.is_some() {
                        break;
                    }
                    let (counter, why) = match expiry {
                        Expiry::Idle => (&stats().closed_idle, "Going away: idle timeout"),
                        Expiry::Lifetime => (&stats().closed_lifetime, "Going away: maximum connection lifetime"),
                    };
                    Stats::add(counter);
                    return ReadEnd::Violation(CloseReason::new(1001, why));
                }
                let beat_at = loop {
                    match keepalive.beat(now, ping_interval, ping_timeout) {
                        Beat::Wait(at) => break at,
                        Beat::Ping => conn.ping(),
                        Beat::Dead if close.is_some() => return ReadEnd::Closed(close.unwrap_or_else(lost)),
                        Beat::Dead => {
                            Stats::add(&stats().closed_ping_timeout);
                            tracing::info!(connection = %conn.id, "connection lost: no answer to a ping within {ping_timeout:?}");
                            // No close frame: the peer is not there to read one.
                            return ReadEnd::Closed(CloseReason::new(1006, "no answer to a ping (ping-timeout-s)"));
                        }
                    }
                };
                timer.as_mut().reset(deadline.min(beat_at).into());
                continue;
            }
            // New limits: look at the deadlines again now.
            Some(()) = reloads.next() => {
                timer.as_mut().reset(tokio::time::Instant::now());
                continue;
            }
        };
        // Any frame from the client, pings and pongs included, shows it is alive.
        last_active = Instant::now();
        keepalive.heard(last_active);
        let frame = match message {
            Ok(Message::Text(t)) => Frame::Text(t),
            Ok(Message::Binary(b)) => Frame::Binary(b),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(frame)) => {
                // Keep reading: the next read sends our reply and ends the stream.
                close = Some(match frame {
                    Some(f) => CloseReason::new(f.code, f.reason.to_string()),
                    None => CloseReason::new(1005, ""),
                });
                continue;
            }
            Err(e) => {
                return match violation(e) {
                    Some(reason) => ReadEnd::Violation(reason),
                    None => ReadEnd::Closed(close.unwrap_or_else(lost)),
                };
            }
        };
        Stats::add(&stats().frames_in);
        Stats::add_n(&stats().bytes_in, frame.len() as u64);
        let app = gw.app.get();
        // The socket's own cap was set at the handshake; a reload may have lowered the limit since.
        let max_message = (app.settings().max_message_kb as usize) << 10;
        if frame.len() > max_message {
            Stats::add(&stats().closed_too_big);
            let why = format!("Message too big: {} bytes, the limit is {max_message}", frame.len());
            return ReadEnd::Violation(CloseReason::new(1009, why));
        }
        let message_rate = app.settings().message_rate;
        if !rate.allow(message_rate, last_active) {
            // Refused out loud, never dropped silently: the client is told which message.
            Stats::add(&stats().messages_throttled);
            let request_id = new_id();
            tracing::warn!(connection = %conn.id, request = %request_id, "message refused: message-rate ({message_rate}/s) exceeded");
            let _ = conn.send(Frame::text(error_frame("Too Many Requests", &conn.id, &request_id)), app.limits.send);
            continue;
        }
        drop(app);
        if inbound.send(Box::new(frame)).await.is_err() {
            break;
        }
    }
    ReadEnd::Closed(close.unwrap_or_else(lost))
}

fn lost() -> CloseReason {
    CloseReason::new(1006, "connection lost")
}

/// The close a read error calls for; `None` for a connection that simply went away.
fn violation(e: axum::Error) -> Option<CloseReason> {
    use tungstenite::Error;
    let inner = e.into_inner();
    let (counter, code, why) = match inner.downcast_ref::<Error>()? {
        Error::Capacity(e) => (&stats().closed_too_big, 1009, format!("Message too big: {e}")),
        Error::Utf8(_) => (&stats().closed_invalid_utf8, 1007, "Invalid UTF-8 in a text message".to_string()),
        // A peer that vanished mid-stream is a lost connection (1006), not a protocol violation.
        Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => return None,
        Error::Protocol(e) => (&stats().closed_protocol_error, 1002, format!("Protocol error: {e}")),
        _ => return None,
    };
    Stats::add(counter);
    Some(CloseReason::new(code, why))
}

/// Frames sent with one flush at most: a fan-out burst costs one write, and the first frame
/// of a long one is not held back for long.
const BURST: usize = 64;

/// Returns the close we sent, or `None` when the socket failed.
async fn write(mut sink: SplitSink<WebSocket, Message>, queues: ConnectionQueues) -> Option<CloseReason> {
    let ConnectionQueues { mut outbound, evict } = queues;
    let evicted = evict.wait();
    tokio::pin!(evicted);
    loop {
        let first = tokio::select! {
            biased;
            reason = &mut evicted => {
                send_close(&mut sink, &reason).await;
                return Some(reason);
            }
            out = outbound.next() => out?,
        };
        let burst = async {
            let mut next = Some(first);
            let mut sent = 0;
            while let Some(out) = next.take() {
                if let Outbound::Frame(frame) = &out {
                    Stats::add(&stats().frames_out);
                    Stats::add_n(&stats().bytes_out, frame.len() as u64);
                }
                let message = match out {
                    Outbound::Frame(Frame::Text(t)) => Message::Text(t),
                    Outbound::Frame(Frame::Binary(b)) => Message::Binary(b),
                    Outbound::Ping => Message::Ping(Default::default()),
                    Outbound::Close(reason) => {
                        // Sends what was fed before it, too.
                        send_close(&mut sink, &reason).await;
                        return Burst::Closed(reason);
                    }
                };
                if sink.feed(message).await.is_err() {
                    return Burst::Failed;
                }
                sent += 1;
                if sent < BURST {
                    next = outbound.try_next();
                }
            }
            match sink.flush().await {
                Ok(()) => Burst::Sent,
                Err(_) => Burst::Failed,
            }
        };
        // A client that does not read blocks the burst; an eviction must still get through.
        let ended = tokio::select! {
            biased;
            reason = &mut evicted => return Some(reason),
            ended = burst => ended,
        };
        match ended {
            Burst::Sent => {}
            Burst::Closed(reason) => return Some(reason),
            Burst::Failed => return None,
        }
    }
}

enum Burst {
    Sent,
    Closed(CloseReason),
    Failed,
}

async fn send_close(sink: &mut SplitSink<WebSocket, Message>, reason: &CloseReason) {
    let frame = CloseFrame { code: reason.code, reason: reason.reason.clone().into() };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
}

/// Runs each message's route in arrival order.
async fn dispatch(session: Arc<Session>, mut inbound: mpsc::Receiver<Box<Frame>>) {
    while let Some(frame) = inbound.recv().await {
        Box::pin(on_message(&session, *frame)).await;
    }
}

async fn on_message(session: &Session, frame: Frame) {
    let Session { gw, conn, ctx } = session;
    let now = now_ms();
    conn.touch(now);
    let app = gw.app.get();
    let body = match &frame {
        Frame::Text(t) => Body::Text(t.as_str()),
        Frame::Binary(b) => Body::Binary(b),
    };
    let text = match body {
        Body::Text(t) => Some(t),
        Body::Binary(_) => None,
    };
    let route = app.selector.select(text, |key| app.has_route(key));
    let request_id = new_id();
    let send = |frame: Frame| {
        let _ = conn.send(frame, app.limits.send);
    };
    let handler = match app.handler(&route) {
        Some(Ok(handler)) => handler,
        Some(Err(why)) => {
            tracing::error!(route = %route, connection = %conn.id, request = %request_id, "handler did not load: {why}");
            return send(Frame::text(error_frame("Internal server error", &conn.id, &request_id)));
        }
        // No route matched and there is no $default: API Gateway's answer.
        None => return send(Frame::text(error_frame("Forbidden", &conn.id, &request_id))),
    };
    Stats::add(&stats().messages);
    let event = ctx.message(&app.api, &route, body, request_id.clone(), new_id(), now);
    let reply = |outcome: Result<wit::Response, CallError>| match outcome {
        // A two-way route: the body goes back to the caller.
        Ok(response) => {
            if let Some(body) = response.body {
                send(body.into());
            }
        }
        Err(e) => {
            Stats::add(&stats().handler_errors);
            tracing::error!(route = %route, connection = %conn.id, request = %request_id, "{e}");
            send(Frame::text(error_frame("Internal server error", &conn.id, &request_id)));
        }
    };
    let call = Call { route: &route, connection: &conn.id, request: &request_id };
    let (outcome, after) = gw.call_then(&app, call, &handler, event).await;
    reply(outcome);
    // Let the writer send the answer before the teardown.
    tokio::task::yield_now().await;
    after.finish().await;
}

/// Runs `$disconnect`, then takes the connection out of its rooms: the handler still sees them
/// (to tell the others it left), and nobody is sent anything through it meanwhile, since it is
/// out of the registry already.
async fn disconnect(session: &Session, close: CloseReason) {
    let Session { gw, conn, ctx } = session;
    tracing::debug!(connection = %conn.id, code = close.code, "disconnected");
    // Taken over by another node, which took this one for lost: it ran the handler already.
    if !conn.handed_over() {
        run_disconnect(gw, ctx, &close).await;
    }
    gw.hub.leave_all(&conn.id).await;
}

/// Runs the app's `$disconnect` for the connection `ctx` describes, if the app has one.
pub(super) async fn run_disconnect(gw: &Gateway, ctx: &ConnectionContext, close: &CloseReason) {
    let app = gw.app.get();
    let Some(Ok(handler)) = app.handler(DISCONNECT) else { return };
    let request_id = new_id();
    let event = ctx.disconnect(&app.api, close.code, &close.reason, request_id.clone(), now_ms());
    let call = Call { route: DISCONNECT, connection: &ctx.connection_id, request: &request_id };
    let (outcome, after) = gw.call_then(&app, call, &handler, event).await;
    if let Err(e) = outcome {
        tracing::error!(route = DISCONNECT, connection = %ctx.connection_id, request = %request_id, "{e}");
    }
    after.finish().await;
}
