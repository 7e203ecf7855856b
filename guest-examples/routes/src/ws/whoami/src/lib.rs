//! `ws.info` about the caller, plus the event as the handler saw it.

use wsh_sdk::{Event, Response, ws};

fn whoami(event: Event) -> Result<Response, wsh_sdk::Error> {
    let info = ws::info(event.connection_id())?;
    Ok(Response::ok().json(&serde_json::json!({ "info": info, "event": event })))
}

wsh_sdk::handler!(whoami);
