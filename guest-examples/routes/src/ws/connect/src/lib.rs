//! Accepts a connection unless its query says `?deny=<status>`; agrees to the `wsh.v1`
//! subprotocol when the client offers it.

use wsh_sdk::{Event, Response};

fn connect(event: Event) -> Response {
    if let Some(status) = event.query("deny").and_then(|s| s.parse().ok()) {
        return Response::status(status).body("connection refused by the connect handler");
    }
    let offered = event.header("sec-websocket-protocol").unwrap_or_default();
    if offered.split(',').any(|p| p.trim() == "wsh.v1") {
        return Response::ok().header("sec-websocket-protocol", "wsh.v1");
    }
    Response::ok()
}

wsh_sdk::handler!(connect);
