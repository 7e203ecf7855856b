//! The live connections, addressable by id from any handler (`ws.send`) and from the gateway.
//!
//! A connection is represented by the sending half of its outbound queue, drained by the task
//! that owns the socket. Everything here is synchronous and does no I/O: pushing onto a queue
//! never waits, so a handler sending to a slow client gets an error value instead of a hang.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::{mpsc, watch};

/// A frame for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

impl Frame {
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(s) => s.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the socket's writer receives, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Frame(Frame),
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

/// Who is on the other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub source_ip: String,
    pub user_agent: Option<String>,
}

/// Why a `send`, `close` or `info` did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// No such live connection.
    Gone,
    PayloadTooLarge,
    /// The client is not reading; it is being closed with 1008.
    SlowConsumer,
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
    /// to 32 pointers on each of 10,000 idle connections.
    outbound: mpsc::Sender<Box<Outbound>>,
    /// A close that must not wait behind the queue (the queue may be full).
    evict: watch::Sender<Option<CloseReason>>,
    max_frame: usize,
}

/// The socket side of a connection: what its writer task drains.
pub struct ConnectionQueues {
    pub outbound: mpsc::Receiver<Box<Outbound>>,
    pub evict: watch::Receiver<Option<CloseReason>>,
}

impl Connection {
    /// `queue` bounds the frames waiting for a client; `max_frame` the size of one.
    pub fn new(
        id: String,
        connected_at: u64,
        identity: Identity,
        queue: usize,
        max_frame: usize,
    ) -> (Arc<Connection>, ConnectionQueues) {
        let (outbound, outbound_rx) = mpsc::channel(queue);
        let (evict, evict_rx) = watch::channel(None);
        let conn = Connection {
            id,
            connected_at,
            identity,
            last_active_at: AtomicU64::new(connected_at),
            outbound,
            evict,
            max_frame,
        };
        (Arc::new(conn), ConnectionQueues { outbound: outbound_rx, evict: evict_rx })
    }

    pub fn send(&self, frame: Frame) -> Result<(), SendError> {
        if frame.len() > self.max_frame {
            return Err(SendError::PayloadTooLarge);
        }
        match self.outbound.try_send(Box::new(Outbound::Frame(frame))) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Gone),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.evict(CloseReason::new(1008, "slow consumer: outbound queue full"));
                Err(SendError::SlowConsumer)
            }
        }
    }

    /// Closes after what is already queued has been sent.
    pub fn close(&self, reason: CloseReason) -> Result<(), SendError> {
        match self.outbound.try_send(Box::new(Outbound::Close(reason.clone()))) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Gone),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.evict(reason);
                Ok(())
            }
        }
    }

    /// Closes now, dropping what is queued.
    pub fn evict(&self, reason: CloseReason) {
        self.evict.send_if_modified(|current| {
            // The first reason wins: a later one must not overwrite why the connection went.
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
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

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn all(&self) -> Vec<Arc<Connection>> {
        self.connections.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    pub fn send(&self, id: &str, frame: Frame) -> Result<(), SendError> {
        self.get(id).ok_or(SendError::Gone)?.send(frame)
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

    fn conn(id: &str, queue: usize) -> (Arc<Connection>, ConnectionQueues) {
        let identity = Identity { source_ip: "127.0.0.1".into(), user_agent: None };
        Connection::new(id.into(), 1000, identity, queue, 16)
    }

    #[test]
    fn send_queues_in_order_and_gone_after_remove() {
        let reg = Registry::default();
        let (c, mut q) = conn("a", 8);
        reg.insert(c);
        reg.send("a", Frame::Text("1".into())).unwrap();
        reg.close("a", CloseReason::new(1000, "")).unwrap();
        assert_eq!(*q.outbound.try_recv().unwrap(), Outbound::Frame(Frame::Text("1".into())));
        assert_eq!(*q.outbound.try_recv().unwrap(), Outbound::Close(CloseReason::new(1000, "")));
        reg.remove("a");
        assert_eq!(reg.send("a", Frame::Text("x".into())), Err(SendError::Gone));
        assert_eq!(reg.info("a"), Err(SendError::Gone));
        assert_eq!(reg.send("nobody", Frame::Text("x".into())), Err(SendError::Gone));
    }

    #[test]
    fn full_queue_evicts_with_1008() {
        let (c, q) = conn("a", 1);
        c.send(Frame::Text("1".into())).unwrap();
        assert_eq!(c.send(Frame::Text("2".into())), Err(SendError::SlowConsumer));
        assert_eq!(q.evict.borrow().as_ref().map(|r| r.code), Some(1008));
        // A later reason does not replace the first.
        c.evict(CloseReason::new(1001, "going away"));
        assert_eq!(q.evict.borrow().as_ref().map(|r| r.code), Some(1008));
    }

    #[test]
    fn oversize_payload_is_refused() {
        let (c, _q) = conn("a", 4);
        assert_eq!(c.send(Frame::Binary(vec![0; 17])), Err(SendError::PayloadTooLarge));
    }

    #[test]
    fn closed_socket_is_gone() {
        let (c, q) = conn("a", 4);
        drop(q);
        assert_eq!(c.send(Frame::Text("x".into())), Err(SendError::Gone));
    }

    #[test]
    fn touch_only_moves_forward() {
        let (c, _q) = conn("a", 4);
        c.touch(5000);
        c.touch(3000);
        assert_eq!(c.info().last_active_at, 5000);
    }
}
