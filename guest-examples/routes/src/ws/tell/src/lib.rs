//! Sends text to another connection by id; tells the caller when that connection is gone.

use wsh_sdk::{Event, Response, WsError, ws};

fn tell(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: serde_json::Value = event.json()?;
    let to = body["to"].as_str().unwrap_or_default();
    let text = body["text"].as_str().unwrap_or_default();
    let from = event.connection_id();
    match ws::send_json(to, &serde_json::json!({ "from": from, "text": text })) {
        Ok(()) => Ok(Response::ok().json(&serde_json::json!({ "sent": to }))),
        Err(WsError::Gone) => Ok(Response::ok().json(&serde_json::json!({ "error": "gone", "to": to }))),
        Err(e) => Err(e.into()),
    }
}

wsh_sdk::handler!(tell);
