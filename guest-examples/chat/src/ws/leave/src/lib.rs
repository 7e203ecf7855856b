//! `{"action":"leave","room":R}`: the others get the departure.

use chat_shared::{error, member_key, name_in, not_in, presence};
use serde_json::Value;
use wsh_sdk::{Event, Response, kv, rooms};

fn leave(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: Value = event.json()?;
    let Some(room) = body["room"].as_str() else {
        return Ok(Response::ok().json(&error("leave needs a room".into())));
    };
    let id = event.connection_id();
    let Some(name) = name_in(room, id)? else { return Ok(Response::ok().json(&not_in(room))) };
    rooms::leave(room, id)?;
    kv::delete(&member_key(room, id))?;
    rooms::publish_json(room, &presence(room, &name, "leave"), &[id])?;
    Ok(Response::ok())
}

wsh_sdk::handler!(leave);
