//! Rooms: named groups of connections. One `publish` reaches every member, without a table of
//! ids to scan or a send per member.
//!
//! ```ignore
//! use wsh_sdk::rooms;
//!
//! rooms::join("lobby", event.connection_id())?;
//! let reached = rooms::publish_json("lobby", &json!({"hello": "all"}), &[event.connection_id()])?;
//! ```
//!
//! A connection leaves every room when it closes, after its `$disconnect` handler has run: that
//! handler still sees its rooms, to tell them it left.

use std::fmt;

use crate::Payload;
use crate::bindings::wsh::handler::rooms as host;

/// Why a rooms call did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomsError {
    /// No such live connection.
    Gone,
    /// Room names are 1 to 256 bytes of text without control characters.
    InvalidRoom(String),
    PayloadTooLarge,
    /// Not reachable now (the cluster's Redis is down).
    Unavailable(String),
}

impl fmt::Display for RoomsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomsError::Gone => f.write_str("connection is gone"),
            RoomsError::InvalidRoom(why) => write!(f, "invalid room: {why}"),
            RoomsError::PayloadTooLarge => f.write_str("payload too large"),
            RoomsError::Unavailable(why) => write!(f, "rooms unavailable: {why}"),
        }
    }
}

impl std::error::Error for RoomsError {}

impl From<host::RoomsError> for RoomsError {
    fn from(e: host::RoomsError) -> RoomsError {
        match e {
            host::RoomsError::Gone => RoomsError::Gone,
            host::RoomsError::InvalidRoom(why) => RoomsError::InvalidRoom(why),
            host::RoomsError::PayloadTooLarge => RoomsError::PayloadTooLarge,
            host::RoomsError::Unavailable(why) => RoomsError::Unavailable(why),
        }
    }
}

/// Adds connection `id` to `room`.
pub fn join(room: &str, id: &str) -> Result<(), RoomsError> {
    Ok(host::join(room, id)?)
}

/// Takes connection `id` out of `room`; not being in it is no error.
pub fn leave(room: &str, id: &str) -> Result<(), RoomsError> {
    Ok(host::leave(room, id)?)
}

/// Sends `payload` to every member of `room` but those in `except`; how many it was queued for.
pub fn publish(room: &str, payload: impl Into<Payload>, except: &[&str]) -> Result<u32, RoomsError> {
    let except: Vec<String> = except.iter().map(|e| e.to_string()).collect();
    Ok(host::publish(room, &payload.into().into(), &except)?)
}

/// [`publish`] of `value` as JSON text.
pub fn publish_json<T: serde::Serialize + ?Sized>(room: &str, value: &T, except: &[&str]) -> Result<u32, RoomsError> {
    let text = serde_json::to_string(value).expect("payload is not representable as JSON");
    publish(room, text, except)
}

/// Every member of `room`, by connection id, read a page at a time.
pub fn members(room: &str) -> Result<Vec<String>, RoomsError> {
    let mut members = Vec::new();
    let mut cursor = None;
    loop {
        let page = host::members(room, cursor.as_deref(), 1000)?;
        members.extend(page.members);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(members),
        }
    }
}

/// Up to `limit` members of `room` after `cursor`, and the cursor of the next page.
pub fn members_page(room: &str, cursor: Option<&str>, limit: u32) -> Result<(Vec<String>, Option<String>), RoomsError> {
    let page = host::members(room, cursor, limit)?;
    Ok((page.members, page.cursor))
}

/// The rooms connection `id` is in.
pub fn rooms_of(id: &str) -> Result<Vec<String>, RoomsError> {
    Ok(host::rooms_of(id)?)
}
