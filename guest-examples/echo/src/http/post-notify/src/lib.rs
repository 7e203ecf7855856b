//! `POST /notify {"id": "<connection id>", "text": "..."}`: an HTTP function pushing to a socket,
//! as `arc.ws.send` does from any Architect function.

use wsh_sdk::http::{Request, Response};
use wsh_sdk::{WsError, ws};

#[derive(serde::Deserialize)]
struct Notify {
    id: String,
    text: String,
}

fn notify(req: Request) -> Response {
    let Ok(n) = req.json::<Notify>() else {
        return Response::json(&serde_json::json!({"error": "expected {\"id\": ..., \"text\": ...}"})).with_status(400);
    };
    match ws::send_json(&n.id, &serde_json::json!({ "text": n.text })) {
        Ok(()) => Response::json(&serde_json::json!({ "sent": n.id })),
        Err(WsError::Gone) => Response::json(&serde_json::json!({"error": "no such connection"})).with_status(410),
        Err(e) => Response::json(&serde_json::json!({ "error": e.to_string() })).with_status(503),
    }
}

wsh_sdk::http_handler!(notify);
