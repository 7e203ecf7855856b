//! Anything else reads the counts, without changing them.

use serde_json::json;
use wsh_sdk::{Event, Response, kv};

fn read(_event: Event) -> Result<Response, wsh_sdk::Error> {
    let visits: i64 = kv::get_json("visits")?.unwrap_or(0);
    let tally: i64 = kv::open("stats")?.get_json("tally")?.unwrap_or(0);
    Ok(Response::ok().json(&json!({ "visits": visits, "tally": tally })))
}

wsh_sdk::handler!(read);
