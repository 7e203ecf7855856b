//! What the chat's routes share: the frames of its protocol and where its state lives.
//!
//! State: the name a connection goes by in a room is `member:{room}:{connection}`, and a room's
//! last 20 messages `history:{room}`, both in the key-value store; who is in a room is wsh's
//! rooms. Frames are JSON objects, their keys in sorted order (as serde_json writes them), so
//! that the JavaScript and Python twins answer byte for byte alike.

use serde_json::{Value, json};
use wsh_sdk::kv;

/// Messages a room's history keeps.
pub const HISTORY: usize = 20;

pub fn member_key(room: &str, id: &str) -> String {
    format!("member:{room}:{id}")
}

pub fn history_key(room: &str) -> String {
    format!("history:{room}")
}

/// The name `id` goes by in `room`, when it is a member.
pub fn name_in(room: &str, id: &str) -> Result<Option<String>, kv::KvError> {
    kv::get_json(&member_key(room, id))
}

pub fn presence(room: &str, name: &str, event: &str) -> Value {
    json!({ "type": "presence", "room": room, "name": name, "event": event })
}

pub fn error(message: String) -> Value {
    json!({ "type": "error", "message": message })
}

pub fn not_in(room: &str) -> Value {
    error(format!("not in room {room}"))
}
