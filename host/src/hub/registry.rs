//! The live connections, addressable by id from any handler (`ws.send`) and from the gateway.
//!
//! A connection is represented by the sending half of its outbound queue, drained by the task
//! that owns the socket. Everything here is synchronous and does no I/O: pushing onto a queue
//! never waits, so a handler sending to a slow client gets an error value instead of a hang.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use crate::bindings::wit;
pub use crate::decide::events::Identity;

/// A frame for one client. Its payload is shared, not copied: one frame queued for a thousand
/// connections is one allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Frame {
    pub fn text(text: impl Into<Utf8Bytes>) -> Frame {
        Frame::Text(text.into())
    }

    pub fn len(&self) -> usize {
        match self {
            Frame::Text(s) => s.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    /// The payload's bytes, and whether the frame is binary.
    pub fn into_bytes(self) -> (Bytes, bool) {
        match self {
            Frame::Text(t) => (Bytes::from(t), false),
            Frame::Binary(b) => (b, true),
        }
    }

    /// UTF-8 bytes are a text frame, anything else a binary one (how `@connections` and `@rooms`
    /// read a request body).
    pub fn from_body(body: Bytes) -> Frame {
        match Utf8Bytes::try_from(body.clone()) {
            Ok(text) => Frame::Text(text),
            Err(_) => Frame::Binary(body),
        }
    }
}

impl From<wit::Data> for Frame {
    fn from(data: wit::Data) -> Frame {
        match data {
            wit::Data::Text(t) => Frame::Text(t.into()),
            wit::Data::Binary(b) => Frame::Binary(b.into()),
        }
    }
}

/// What a send may queue, from the app's settings at the time of the send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendLimits {
    /// Bytes in one frame.
    pub max_payload: usize,
    /// Frames waiting for a client that does not read; beyond, it is closed with 1008.
    pub max_queued: usize,
}

/// What the socket's writer receives, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Frame(Frame),
    /// A WebSocket ping, to learn whether the client is still there.
    Ping,
    /// Send a close frame after everything queued before it.
    Close(CloseReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

impl CloseReason {
    pub fn new(code: u16, reason: impl Into<String>) -> CloseReason {
        CloseReason { code, reason: reason.into() }
    }
}

/// Why a `send`, `close` or `info` did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// No such live connection.
    Gone,
    PayloadTooLarge,
    /// The client is not reading; it is being closed with 1008.
    SlowConsumer,
    /// The connection is on another node, which cannot be reached now; the message says why.
    Unavailable(String),
}

/// Snapshot of a connection's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub connection_id: String,
    pub connected_at: u64,
    pub last_active_at: u64,
    pub identity: Identity,
}

/// One accepted connection as the rest of wsh sees it.
pub struct Connection {
    pub id: String,
    pub connected_at: u64,
    pub identity: Identity,
    last_active_at: AtomicU64,
    /// Boxed: a queue's first block holds 32 slots, allocated up front, and a box keeps that
    /// to 32 pointers on each of 10,000 idle connections. Unbounded as a channel, bounded by
    /// `queued` against the limit in force at each send, so that a reload changes it for open
    /// connections too.
    outbound: mpsc::UnboundedSender<Box<Outbound>>,
    /// Frames in `outbound` that the writer has not taken yet.
    queued: Arc<AtomicUsize>,
    /// A close that must not wait behind the queue (the queue may be full).
    evict: Arc<Eviction>,
    /// Its `$disconnect` ran on another node already, which took this node for lost.
    handed_over: AtomicBool,
}

/// The socket side of a connection: what its writer task drains.
pub struct ConnectionQueues {
    pub outbound: Outbox,
    pub evict: Arc<Eviction>,
}

/// A close that jumps the queue. Set once: the first reason is why the connection went.
#[derive(Default)]
pub struct Eviction {
    reason: OnceLock<CloseReason>,
    /// One waiter (the writer), which keeps one `notified()` for the connection's life instead
    /// of registering anew for every frame it writes.
    set: Notify,
}

impl Eviction {
    #[cfg(test)]
    pub fn reason(&self) -> Option<&CloseReason> {
        self.reason.get()
    }

    /// Resolves once the connection is evicted, with why.
    pub async fn wait(&self) -> CloseReason {
        loop {
            if let Some(reason) = self.reason.get() {
                return reason.clone();
            }
            self.set.notified().await;
        }
    }
}

/// The receiving end of a connection's outbound queue.
pub struct Outbox {
    rx: mpsc::UnboundedReceiver<Box<Outbound>>,
    queued: Arc<AtomicUsize>,
}

impl Outbox {
    /// The next queued frame or close; `None` once the connection is dropped everywhere.
    pub async fn next(&mut self) -> Option<Outbound> {
        let out = self.rx.recv().await?;
        self.queued.fetch_sub(1, Ordering::Relaxed);
        Some(*out)
    }

    /// The next queued frame or close if there is one now: lets the writer send a burst with
    /// one flush.
    pub fn try_next(&mut self) -> Option<Outbound> {
        let out = self.rx.try_recv().ok()?;
        self.queued.fetch_sub(1, Ordering::Relaxed);
        Some(*out)
    }
}

impl Connection {
    pub fn new(id: String, connected_at: u64, identity: Identity) -> (Arc<Connection>, ConnectionQueues) {
        let (outbound, outbound_rx) = mpsc::unbounded_channel();
        let evict = Arc::new(Eviction::default());
        let queued = Arc::new(AtomicUsize::new(0));
        let conn = Connection {
            id,
            connected_at,
            identity,
            last_active_at: AtomicU64::new(connected_at),
            outbound,
            queued: queued.clone(),
            evict: evict.clone(),
            handed_over: AtomicBool::new(false),
        };
        (Arc::new(conn), ConnectionQueues { outbound: Outbox { rx: outbound_rx, queued }, evict })
    }

    pub fn send(&self, frame: Frame, limits: SendLimits) -> Result<(), SendError> {
        if frame.len() > limits.max_payload {
            return Err(SendError::PayloadTooLarge);
        }
        if self.queued.fetch_add(1, Ordering::Relaxed) >= limits.max_queued {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.evict(CloseReason::new(1008, "slow consumer: outbound queue full"));
            return Err(SendError::SlowConsumer);
        }
        self.push(Outbound::Frame(frame))
    }

    /// Queues a ping (whatever the queue's bound: a stuck client is the writer's to find out).
    pub fn ping(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
        let _ = self.push(Outbound::Ping);
    }

    /// Closes after what is already queued has been sent.
    pub fn close(&self, reason: CloseReason) -> Result<(), SendError> {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.push(Outbound::Close(reason))
    }

    fn push(&self, out: Outbound) -> Result<(), SendError> {
        self.outbound.send(Box::new(out)).map_err(|_| {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            SendError::Gone
        })
    }

    /// Closes now, dropping what is queued.
    pub fn evict(&self, reason: CloseReason) {
        // The first reason wins: a later one must not overwrite why the connection went.
        if self.evict.reason.set(reason).is_ok() {
            // A permit, should the writer not be waiting at this moment.
            self.evict.set.notify_one();
        }
    }

    /// Closes it without its `$disconnect`, which another node ran: that node took this one for
    /// lost (it lost Redis for longer than its lease) and took its connections over.
    pub fn hand_over(&self) {
        self.handed_over.store(true, Ordering::Release);
        self.evict(CloseReason::new(1001, "going away: another node took this one for lost"));
    }

    pub fn handed_over(&self) -> bool {
        self.handed_over.load(Ordering::Acquire)
    }

    pub fn touch(&self, now: u64) {
        self.last_active_at.fetch_max(now, Ordering::Relaxed);
    }

    pub fn info(&self) -> ConnectionInfo {
        ConnectionInfo {
            connection_id: self.id.clone(),
            connected_at: self.connected_at,
            last_active_at: self.last_active_at.load(Ordering::Relaxed),
            identity: self.identity.clone(),
        }
    }
}

/// Every live connection by id.
#[derive(Default)]
pub struct Registry {
    connections: RwLock<HashMap<String, Arc<Connection>>>,
}

impl Registry {
    pub fn insert(&self, conn: Arc<Connection>) {
        self.write().insert(conn.id.clone(), conn);
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Connection>> {
        self.write().remove(id)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.connections.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    pub fn len(&self) -> usize {
        self.connections.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn all(&self) -> Vec<Arc<Connection>> {
        self.connections.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    pub fn send(&self, id: &str, frame: Frame, limits: SendLimits) -> Result<(), SendError> {
        self.get(id).ok_or(SendError::Gone)?.send(frame, limits)
    }

    pub fn close(&self, id: &str, reason: CloseReason) -> Result<(), SendError> {
        self.get(id).ok_or(SendError::Gone)?.close(reason)
    }

    pub fn info(&self, id: &str) -> Result<ConnectionInfo, SendError> {
        Ok(self.get(id).ok_or(SendError::Gone)?.info())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Connection>>> {
        // A panic while holding the lock cannot leave the map half-updated (insert and remove
        // are single calls), so a poisoned lock is still sound to use.
        self.connections.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: &str) -> (Arc<Connection>, ConnectionQueues) {
        let identity = Identity { source_ip: "127.0.0.1".into(), user_agent: None };
        Connection::new(id.into(), 1000, identity)
    }

    fn limits(max_queued: usize) -> SendLimits {
        SendLimits { max_payload: 16, max_queued }
    }

    #[tokio::test]
    async fn send_queues_in_order_and_gone_after_remove() {
        let reg = Registry::default();
        let (c, mut q) = conn("a");
        reg.insert(c);
        reg.send("a", Frame::text("1"), limits(8)).unwrap();
        reg.close("a", CloseReason::new(1000, "")).unwrap();
        assert_eq!(q.outbound.next().await, Some(Outbound::Frame(Frame::text("1"))));
        assert_eq!(q.outbound.next().await, Some(Outbound::Close(CloseReason::new(1000, ""))));
        reg.remove("a");
        assert_eq!(reg.send("a", Frame::text("x"), limits(8)), Err(SendError::Gone));
        assert_eq!(reg.info("a"), Err(SendError::Gone));
        assert_eq!(reg.send("nobody", Frame::text("x"), limits(8)), Err(SendError::Gone));
    }

    #[tokio::test]
    async fn full_queue_evicts_with_1008_under_the_limit_in_force() {
        let (c, mut q) = conn("a");
        c.send(Frame::text("1"), limits(2)).unwrap();
        c.send(Frame::text("2"), limits(2)).unwrap();
        // A lower limit applies to the next send.
        assert_eq!(c.send(Frame::text("3"), limits(1)), Err(SendError::SlowConsumer));
        assert_eq!(q.evict.reason().map(|r| r.code), Some(1008));
        // A later reason does not replace the first.
        c.evict(CloseReason::new(1001, "going away"));
        assert_eq!(q.evict.reason().map(|r| r.code), Some(1008));
        // What the writer takes frees room.
        q.outbound.next().await.unwrap();
        q.outbound.next().await.unwrap();
        c.send(Frame::text("4"), limits(1)).unwrap();
    }

    #[test]
    fn oversize_payload_is_refused() {
        let (c, _q) = conn("a");
        assert_eq!(c.send(Frame::Binary(vec![0; 17].into()), limits(4)), Err(SendError::PayloadTooLarge));
    }

    #[test]
    fn closed_socket_is_gone() {
        let (c, q) = conn("a");
        drop(q);
        assert_eq!(c.send(Frame::text("x"), limits(4)), Err(SendError::Gone));
    }

    #[test]
    fn bodies_are_text_when_they_are_utf8() {
        assert_eq!(Frame::from_body(Bytes::from_static(b"hi")), Frame::text("hi"));
        assert_eq!(Frame::from_body(Bytes::from_static(b"\xff")), Frame::Binary(Bytes::from_static(b"\xff")));
    }

    #[test]
    fn touch_only_moves_forward() {
        let (c, _q) = conn("a");
        c.touch(5000);
        c.touch(3000);
        assert_eq!(c.info().last_active_at, 5000);
    }
}
