//! Any text given to the manifest parser yields a `Manifest` or a `ParseError`, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use wsh::app::manifest;
use wsh::decide::routing::Selector;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = manifest::parse(&text, Path::new("app.arc")) {
        // The parser validated the expression, so the gateway can rely on it parsing again.
        assert!(Selector::parse(&m.settings.route_selection).is_ok());
    }
});
