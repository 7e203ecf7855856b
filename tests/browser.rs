//! The seeds' browser app (guest-examples/echo) in a real browser: headless Chromium, driven by
//! tests/browser/chat.mjs (playwright-core), against the real server. Two pages each open the
//! page served by `get /`, whose script (`@static` public/index.mjs) opens a socket to the URL
//! the page embeds; each types a message and must see its own echo, and only its own.
//! Screenshots go to the test's output folder.

mod support;

use std::process::Command;

use support::*;

#[tokio::test]
async fn two_pages_chat_through_the_echo_app_in_chromium() {
    let server = Server::start(&prebuild("echo"));
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let script = repo().join("tests/browser/chat.mjs");
    assert!(
        repo().join("tests/browser/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `make setup`"
    );
    let base = format!("http://{}", server.addr);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(&script).arg(&base).arg(&out).output().expect("running node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser test failed:\n{stdout}\n{stderr}\nserver log:\n{}", server.log());
    println!("{stdout}");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    for shot in ["a.png", "b.png"] {
        let size = std::fs::metadata(shots.join(shot)).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1000, "{shot} missing or empty in {}", shots.display());
    }
    // Both sockets were real connections through the gateway.
    let (_, _, stats) = http(&server.addr, "GET", "/_wsh/stats", b"").await;
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert!(stats["connections_accepted"].as_u64() >= Some(2), "{stats}");
    assert!(stats["http_requests"].as_u64() >= Some(2), "{stats}");
}
