//! `{"action":"say","room":R,"text":T}`: every member gets the message, the sender included, and
//! the room's history keeps it. From a non-member: an error to the sender alone.

use chat_shared::{HISTORY, error, history_key, name_in, not_in};
use serde_json::{Value, json};
use wsh_sdk::{Event, Response, kv, rooms};

fn say(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: Value = event.json()?;
    let (Some(room), Some(text)) = (body["room"].as_str(), body["text"].as_str()) else {
        return Ok(Response::ok().json(&error("say needs a room and a text".into())));
    };
    let id = event.connection_id();
    let name = match name_in(room, id)? {
        Some(name) if rooms::rooms_of(id)?.iter().any(|r| r == room) => name,
        _ => return Ok(Response::ok().json(&not_in(room))),
    };
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64;
    let message = json!({ "type": "message", "room": room, "from": name, "text": text, "ts": ts });
    // The last HISTORY messages, kept by compare-and-swap: concurrent sayers lose nothing.
    kv::update(&history_key(room), |current| {
        let mut history: Vec<Value> = current.and_then(|c| serde_json::from_slice(c).ok()).unwrap_or_default();
        history.push(message.clone());
        let start = history.len().saturating_sub(HISTORY);
        serde_json::to_vec(&history[start..]).unwrap_or_default()
    })?;
    rooms::publish_json(room, &message, &[])?;
    Ok(Response::ok())
}

wsh_sdk::handler!(say);
