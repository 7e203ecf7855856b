//! A global counter. Every event runs in a fresh instance, so it answers 1 every time.

use std::sync::atomic::{AtomicU32, Ordering};

use wsh_sdk::{Event, Response};

static COUNT: AtomicU32 = AtomicU32::new(0);

fn count(_event: Event) -> Response {
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    Response::ok().json(&serde_json::json!({ "count": n }))
}

wsh_sdk::handler!(count);
