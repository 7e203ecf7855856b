//! `{"action":"tally"}`: counts one, as a read-modify-write through compare-and-swap (the way
//! to update a value that is not a plain counter), and answers the new tally.

use serde_json::json;
use wsh_sdk::{Event, Response, kv};

fn tally(_event: Event) -> Result<Response, wsh_sdk::Error> {
    let stats = kv::open("stats")?;
    let written = stats.update("tally", |current| {
        let n: u64 = current.and_then(|c| std::str::from_utf8(c).ok()?.parse().ok()).unwrap_or(0);
        (n + 1).to_string().into_bytes()
    })?;
    let tally: u64 = String::from_utf8(written)?.parse()?;
    Ok(Response::ok().json(&json!({ "tally": tally })))
}

wsh_sdk::handler!(tally);
