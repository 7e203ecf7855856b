//! Accepting TCP connections and speaking HTTP/1.1 on them until a request is complete.
//!
//! `axum::serve` configures no timer, so hyper would wait forever for a request head that
//! arrives one byte a minute (slowloris) and buffer up to ~400 KB of it. This loop gives every
//! connection a deadline for its request head and a cap on its size, and bounds how many
//! connections may be in that state at once, mini-redis style: a permit is taken before
//! `accept`, so a flood waits in the kernel's backlog rather than in wsh's memory. A WebSocket
//! gives its permit back once upgraded: from then on the gateway's own limits govern it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// Headers in one request: hyper's default, and far more than any WebSocket client sends.
const MAX_HEADERS: usize = 100;

/// HTTP connections that have not completed (or upgraded) yet. Each costs a few KiB until its
/// head deadline; beyond this many, new ones wait in the listen backlog.
const MAX_PENDING: usize = 1024;

/// What a client may do before its request is complete.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Time to send a whole request head, and the longest a kept-alive connection may idle.
    pub head_timeout: Duration,
    /// Request line plus headers, in bytes; above it, 431.
    pub max_head_bytes: usize,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets each HTTP connection
/// finish the request it is on. Upgraded sockets are not waited for here: the gateway closes
/// them with 1001. `limits` is asked at each accepted connection, so a reload applies to the
/// next one.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: impl Fn() -> HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(MAX_PENDING));
    let (stop_tx, stop_rx) = watch::channel(());
    let tasks = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => permit.expect("the permit semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning on a full fd table.
                    tracing::warn!("accept failed: {e}; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let limits = limits();
        let router = router.clone();
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                router.clone().call(req)
            });
            let conn = http1(&limits).serve_connection(TokioIo::new(stream), service).with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => log_end(peer, result),
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    log_end(peer, conn.await);
                }
            }
        });
    }
    drop(stop_tx);
    tasks.close();
    tasks.wait().await;
}

fn http1(limits: &HttpLimits) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_header_size(limits.max_head_bytes)
        .max_headers(MAX_HEADERS)
        // hyper's floor; the head limit above is what bounds a request head.
        .max_buf_size(limits.max_head_bytes.max(8192));
    builder
}

fn log_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    match result {
        Err(e) if e.is_timeout() => tracing::info!("closed HTTP connection from {peer}: request head not sent in time"),
        Err(e) if e.is_parse_too_large() => tracing::info!("refused a request from {peer}: request head too large"),
        Err(e) if e.is_parse() => tracing::info!("refused a request from {peer}: malformed HTTP ({e})"),
        Err(e) => tracing::debug!("HTTP connection from {peer} ended: {e}"),
        Ok(()) => {}
    }
}
