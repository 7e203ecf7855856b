//! Whatever no route claims: says which route ran and what it got.

use wsh_sdk::{Event, Response};

fn default(event: Event) -> Response {
    Response::ok().json(&serde_json::json!({
        "route": event.route_key(),
        "body": event.body,
        "isBase64Encoded": event.is_base64_encoded,
    }))
}

wsh_sdk::handler!(default);
