//! `{"action":"join","room":R,"name":N}`: the joiner gets the room's member count and recent
//! history; the others get its arrival.

use chat_shared::{HISTORY, error, history_key, member_key, presence};
use serde_json::{Value, json};
use wsh_sdk::{Event, Response, kv, rooms};

fn join(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: Value = event.json()?;
    let (Some(room), Some(name)) = (body["room"].as_str(), body["name"].as_str()) else {
        return Ok(Response::ok().json(&error("join needs a room and a name".into())));
    };
    let id = event.connection_id();
    // The room first: a name that is not a room is an answer, and leaves nothing behind.
    match rooms::join(room, id) {
        Err(rooms::RoomsError::InvalidRoom(_)) => {
            return Ok(Response::ok().json(&error(format!("invalid room {}", serde_json::to_string(room)?))));
        }
        joined => joined?,
    }
    kv::set_json(&member_key(room, id), name)?;
    rooms::publish_json(room, &presence(room, name, "join"), &[id])?;
    let members = rooms::members(room)?.len();
    let history: Vec<Value> = kv::get_json(&history_key(room))?.unwrap_or_default();
    let start = history.len().saturating_sub(HISTORY);
    let joined = json!({ "type": "joined", "room": room, "members": members, "history": &history[start..] });
    Ok(Response::ok().json(&joined))
}

wsh_sdk::handler!(join);
