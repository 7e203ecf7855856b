//! A route selection expression (the input's first line) evaluated against a message body (the
//! rest): parsing, key extraction and route choice never panic, and the choice is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsh::decide::routing::{DEFAULT, Selector, is_message_route};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (expr, body) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(selector) = Selector::parse(expr) else { return };
    // Some keys have a route, some do not.
    let has_route = |k: &str| k.len() % 2 == 0;
    let key = selector.key(body);
    let route = selector.select(Some(body), has_route);
    match key {
        Some(k) if is_message_route(&k) && has_route(&k) => assert_eq!(route, k),
        _ => assert_eq!(route, DEFAULT),
    }
    assert_eq!(selector.select(None, |_| true), DEFAULT);
});
