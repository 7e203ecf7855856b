//! Answers every message with what the authorizer attached to the connection.

use serde_json::json;
use wsh_sdk::{Event, Response};

fn whoami(event: Event) -> Response {
    Response::ok().json(&json!({ "authorizer": event.request_context.authorizer }))
}

wsh_sdk::handler!(whoami);
