//! A two-way route: the returned body goes back to the caller.

use wsh_sdk::{Event, Response};

fn ping(event: Event) -> Result<Response, wsh_sdk::Error> {
    let body: serde_json::Value = event.json()?;
    Ok(Response::ok().json(&serde_json::json!({ "pong": body.get("n") })))
}

wsh_sdk::handler!(ping);
