//! Turning a route's sources into a component.
//!
//! Rust crates are built with cargo for `wasm32-wasip2`. Cargo is the authority on staleness
//! (it tracks every input, path dependencies included), so wsh always asks it, and a fresh
//! crate costs one no-op cargo run.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};

use crate::app::Source;

/// Builds `source` if it needs building; returns the component to load.
pub async fn build(route: &str, source: &Source) -> Result<PathBuf> {
    match source {
        Source::Component(path) => Ok(path.clone()),
        Source::Rust(dir) => {
            build_rust(dir).await.with_context(|| format!("route {route}: building {}", dir.display()))
        }
    }
}

async fn build_rust(dir: &Path) -> Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = tokio::process::Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("cannot run {} (is Rust installed?)", cargo.to_string_lossy()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("can't find crate for `core`") || stderr.contains("target may not be installed") {
            bail!("the wasm32-wasip2 target is missing: run `rustup target add wasm32-wasip2`");
        }
        bail!("cargo failed:\n{}", diagnostics(&stderr));
    }
    let manifest = std::fs::canonicalize(&manifest).unwrap_or(manifest);
    let stdout = String::from_utf8_lossy(&output.stdout);
    artifact(&stdout, &manifest)
        .with_context(|| format!("cargo built no component for {}: is its crate-type \"cdylib\"?", manifest.display()))
}

/// The `.wasm` that cargo reports for the package at `manifest` in its JSON messages.
fn artifact(messages: &str, manifest: &Path) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["manifest_path"].as_str().map(Path::new) == Some(manifest))
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
}

/// Cargo's stderr without its progress lines: what is left is the compiler's errors, with
/// their `file:line:column`.
fn diagnostics(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("Compiling ")
                || t.starts_with("Blocking ")
                || t.starts_with("Updating ")
                || t.starts_with("Locking ")
                || t.starts_with("Downloaded ")
                || t.starts_with("Downloading "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cdylib_of_the_route_crate() {
        let msgs = r#"{"reason":"compiler-artifact","manifest_path":"/dep/Cargo.toml","filenames":["/t/libdep.rlib"]}
not json
{"reason":"compiler-artifact","manifest_path":"/app/src/ws/default/Cargo.toml","filenames":["/t/wasm32-wasip2/release/echo.wasm"]}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            artifact(msgs, Path::new("/app/src/ws/default/Cargo.toml")),
            Some(PathBuf::from("/t/wasm32-wasip2/release/echo.wasm"))
        );
        assert_eq!(artifact(msgs, Path::new("/other/Cargo.toml")), None);
    }
}
