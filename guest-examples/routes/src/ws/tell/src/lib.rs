//! Sends text to another connection by id (`"times": n` sends it n times); tells the caller
//! when that connection is gone, or cannot be reached now.

use wsh_sdk::{Event, Response, WsError, ws};

fn tell(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: serde_json::Value = event.json()?;
    let to = body["to"].as_str().unwrap_or_default();
    let text = body["text"].as_str().unwrap_or_default();
    let times = body["times"].as_u64().unwrap_or(1);
    let message = serde_json::json!({ "from": event.connection_id(), "text": text });
    for _ in 0..times {
        match ws::send_json(to, &message) {
            Ok(()) => {}
            Err(WsError::Gone) => return Ok(Response::ok().json(&serde_json::json!({ "error": "gone", "to": to }))),
            // On another node while the cluster's Redis is down: may be live, cannot be reached.
            Err(WsError::Unavailable(why)) => {
                return Ok(Response::ok().json(&serde_json::json!({ "error": "unavailable", "to": to, "why": why })));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Response::ok().json(&serde_json::json!({ "sent": to })))
}

wsh_sdk::handler!(tell);
