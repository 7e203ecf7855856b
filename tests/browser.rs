//! The examples' pages in a real browser: headless Chromium, driven by tests/browser/*.mjs
//! (playwright-core), against the real server. The echo app (the seeds'): two pages each type a
//! message and must see their own echo, and only their own. The chat app: two tabs in two rooms
//! each see their own room only. Screenshots go to the test's output folder.

mod support;

use std::process::Command;

use support::*;

/// Runs `tests/browser/<script>` against `server`; its output, or a failure with the server's log.
async fn drive(server: &Server, script: &str, shots: &str) -> String {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(shots);
    let script = repo().join("tests/browser").join(script);
    assert!(
        repo().join("tests/browser/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `make test-setup`"
    );
    let base = format!("http://{}", server.addr);
    let dir = out.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(&script).arg(&base).arg(&dir).output().expect("running node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser test failed:\n{stdout}\n{stderr}\nserver log:\n{}", server.log());
    println!("{stdout}");
    stdout
}

fn screenshot_taken(shots: &str, name: &str) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(shots).join(name);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1000, "{} missing or empty", path.display());
}

#[tokio::test]
async fn two_pages_chat_through_the_echo_app_in_chromium() {
    let server = Server::start(&prebuild("echo"));
    drive(&server, "echo.mjs", "browser").await;
    for shot in ["a.png", "b.png"] {
        screenshot_taken("browser", shot);
    }
    // Both sockets were real connections through the gateway.
    let (_, _, stats) = http(&server.addr, "GET", "/_wsh/stats", b"").await;
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert!(stats["connections_accepted"].as_u64() >= Some(2), "{stats}");
    assert!(stats["http_requests"].as_u64() >= Some(2), "{stats}");
}

#[tokio::test]
async fn two_tabs_in_two_rooms_each_see_their_own_room_in_chromium() {
    let server = Server::start(&prebuild("chat"));
    drive(&server, "chat.mjs", "browser-chat").await;
    for shot in ["red.png", "blue.png"] {
        screenshot_taken("browser-chat", shot);
    }
}
