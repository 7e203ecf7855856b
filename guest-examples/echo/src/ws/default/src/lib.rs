//! The seeds' `src/ws/default/index.js`, in Rust.

use time::OffsetDateTime;
use time::macros::format_description;
use wsh_sdk::{Event, Response, ws};

#[derive(serde::Deserialize)]
struct Message {
    text: String,
}

#[derive(serde::Serialize)]
struct Reply {
    text: String,
}

fn echo(event: Event) -> Result<Response, wsh_sdk::Error> {
    // `new Date().toISOString()`: milliseconds, UTC.
    let iso = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let timestamp = OffsetDateTime::now_utc().format(&iso)?;
    // A body that is not `{"text": ...}` is echoed as it came.
    let said = match event.json::<Message>() {
        Ok(message) => message.text,
        Err(_) => event.text().unwrap_or_default().to_string(),
    };
    let text = format!("{timestamp} - Echoing {said}");
    ws::send_json(event.connection_id(), &Reply { text })?;
    Ok(Response::ok())
}

wsh_sdk::handler!(echo);
