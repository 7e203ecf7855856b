//! Reaching connections by id, like Architect's `arc.ws` and API Gateway's `@connections`.

use std::fmt;

use crate::bindings::wsh::handler::{types as wit, ws as host};
use crate::{Identity, Payload};

/// Why a `ws` call did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsError {
    /// The connection is gone (API Gateway's 410 GoneException).
    Gone,
    PayloadTooLarge,
    /// The client is not reading and is being closed.
    SlowConsumer,
    /// The connection cannot be reached now (on another node, while the cluster's Redis is
    /// down); it may still be live. The message says why.
    Unavailable(String),
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WsError::Gone => f.write_str("connection is gone"),
            WsError::PayloadTooLarge => f.write_str("payload too large"),
            WsError::SlowConsumer => f.write_str("connection is not reading (slow consumer)"),
            WsError::Unavailable(why) => write!(f, "connection unavailable: {why}"),
        }
    }
}

impl std::error::Error for WsError {}

impl From<wit::WsError> for WsError {
    fn from(e: wit::WsError) -> WsError {
        match e {
            wit::WsError::Gone => WsError::Gone,
            wit::WsError::PayloadTooLarge => WsError::PayloadTooLarge,
            wit::WsError::SlowConsumer => WsError::SlowConsumer,
            wit::WsError::Unavailable(why) => WsError::Unavailable(why),
        }
    }
}

/// Facts about a live connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub connection_id: String,
    pub connected_at: u64,
    pub last_active_at: u64,
    pub identity: Identity,
}

/// Sends text or bytes to connection `id`.
pub fn send(id: &str, payload: impl Into<Payload>) -> Result<(), WsError> {
    Ok(host::send(id, &payload.into().into())?)
}

/// Sends `value` as JSON text, as `arc.ws.send({id, payload})` does.
pub fn send_json<T: serde::Serialize + ?Sized>(id: &str, value: &T) -> Result<(), WsError> {
    // Fails only for values JSON cannot represent (maps with non-string keys): a bug in the
    // handler, reported like any other panic.
    let text = serde_json::to_string(value).expect("payload is not representable as JSON");
    send(id, text)
}

/// Closes connection `id` (its `$disconnect` handler runs).
pub fn close(id: &str) -> Result<(), WsError> {
    Ok(host::close(id)?)
}

pub fn info(id: &str) -> Result<ConnectionInfo, WsError> {
    let i = host::info(id)?;
    Ok(ConnectionInfo {
        connection_id: i.connection_id,
        connected_at: i.connected_at,
        last_active_at: i.last_active_at,
        identity: i.identity.into(),
    })
}
