//! Handlers that fail in each way a handler can: wsh answers "Internal server error" and keeps
//! the connection (and everyone else) going.

use wsh_sdk::{Event, Response};

fn crash(event: Event) -> Result<Response, String> {
    let body: serde_json::Value = event.json().map_err(|e| e.to_string())?;
    match body["how"].as_str().unwrap_or("panic") {
        "error" => Err("the handler returned an error on purpose".into()),
        "loop" => {
            println!("looping until stopped");
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        "oom" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1; 1 << 20]);
            }
        }
        _ => panic!("the handler panicked on purpose"),
    }
}

wsh_sdk::handler!(crash);
