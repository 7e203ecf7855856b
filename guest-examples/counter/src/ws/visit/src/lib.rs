//! `{"action":"visit"}`: counts one visit, atomically, and answers the new count.

use serde_json::json;
use wsh_sdk::{Event, Response, kv};

fn visit(_event: Event) -> Result<Response, wsh_sdk::Error> {
    let visits = kv::increment("visits", 1)?;
    Ok(Response::ok().json(&json!({ "visits": visits })))
}

wsh_sdk::handler!(visit);
