//! A closed socket leaves its rooms: the others in each get its departure. (wsh takes it out of
//! the rooms after this handler returns, so it still sees them here.)

use chat_shared::{member_key, name_in, presence};
use wsh_sdk::{Event, Response, kv, rooms};

fn disconnect(event: Event) -> Result<Response, wsh_sdk::Error> {
    let id = event.connection_id();
    for room in rooms::rooms_of(id)? {
        if let Some(name) = name_in(&room, id)? {
            rooms::publish_json(&room, &presence(&room, &name, "leave"), &[id])?;
            kv::delete(&member_key(&room, id))?;
        }
    }
    Ok(Response::ok())
}

wsh_sdk::handler!(disconnect);
