//! A two-way route that answers every message with itself, byte for byte.

use wsh_sdk::{Event, Response};

fn mirror(event: Event) -> Response {
    match event.text() {
        Some(text) => Response::ok().body(text),
        None => Response::ok().body(event.bytes().unwrap_or_default()),
    }
}

wsh_sdk::handler!(mirror);
