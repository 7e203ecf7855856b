//! Where each route's handler lives, resolved from the manifest and the app's directories.
//!
//! Architect's layout: the handler of `@ws` route `R` is `src/ws/R/` (`connect`, `disconnect`,
//! `default`, or a custom key). A route directory holds the sources of a component (a Rust crate
//! with `Cargo.toml`, a JavaScript `index.mjs`, a Python `app.py`) or a ready one (`*.wasm`).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::manifest::Manifest;
use crate::routing::{CONNECT, DEFAULT, DISCONNECT};

/// What a route directory contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A component, used as it is.
    Component(PathBuf),
    /// A Rust crate (its directory) that builds a component for `wasm32-wasip2`.
    Rust(PathBuf),
    /// A JavaScript handler module (`index.mjs` / `index.js`).
    Js(PathBuf),
    /// A Python handler module (`app.py` / `handler.py`).
    Python(PathBuf),
}

impl Source {
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Component(_) => "component",
            Source::Rust(_) => "rust",
            Source::Js(_) => "javascript",
            Source::Python(_) => "python",
        }
    }
}

/// Handler entry files, by language, in the order they are looked for.
type Entry = (&'static str, fn(PathBuf) -> Source);
const ENTRIES: &[Entry] =
    &[("index.mjs", Source::Js), ("index.js", Source::Js), ("app.py", Source::Python), ("handler.py", Source::Python)];

/// One `@ws` route and its handler, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsRoute {
    /// `$connect`, `$disconnect`, `$default` or a custom key.
    pub key: String,
    pub dir: PathBuf,
    pub source: Option<Source>,
}

impl WsRoute {
    /// What a missing handler means for this route, in API Gateway's terms.
    pub fn missing_meaning(&self) -> &'static str {
        match self.key.as_str() {
            CONNECT => "connections are accepted",
            DISCONNECT => "nothing runs when a connection closes",
            DEFAULT => "unmatched messages get a Forbidden error frame",
            _ => "its messages go to $default",
        }
    }
}

/// The app's root: the manifest's directory.
pub fn root_of(manifest: &Path) -> PathBuf {
    match manifest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The directory name Architect gives a route key.
pub fn route_dir_name(key: &str) -> &str {
    key.trim_start_matches('$')
}

/// The `@ws` routes of `manifest`, built-in routes first, with their handlers located under
/// `root` (the manifest's directory).
pub fn ws_routes(manifest: &Manifest, root: &Path) -> Result<Vec<WsRoute>> {
    let Some(ws) = &manifest.ws else { return Ok(Vec::new()) };
    let keys = [CONNECT, DISCONNECT, DEFAULT].into_iter().map(str::to_string).chain(ws.custom_routes.iter().cloned());
    keys.map(|key| {
        let dir = root.join("src").join("ws").join(route_dir_name(&key));
        let source = detect(&dir)?;
        Ok(WsRoute { key, dir, source })
    })
    .collect()
}

/// What kind of handler `dir` holds; `None` when the directory is absent or empty of one.
pub fn detect(dir: &Path) -> Result<Option<Source>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    if dir.join("Cargo.toml").is_file() {
        return Ok(Some(Source::Rust(dir.to_path_buf())));
    }
    for (name, source) in ENTRIES {
        let entry = dir.join(name);
        if entry.is_file() {
            return Ok(Some(source(entry)));
        }
    }
    let mut wasm: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.is_file())
        .collect();
    wasm.sort();
    match wasm.len() {
        0 => Ok(None),
        1 => Ok(Some(Source::Component(wasm.remove(0)))),
        _ => bail!(
            "{} holds several .wasm files ({}); keep exactly one",
            dir.display(),
            wasm.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy()).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_handlers_by_architect_layout() {
        let root = std::env::temp_dir().join(format!("wsh-app-test-{}", crate::ids::new_id()));
        std::fs::create_dir_all(root.join("src/ws/default")).unwrap();
        std::fs::write(root.join("src/ws/default/handler.wasm"), b"").unwrap();
        std::fs::create_dir_all(root.join("src/ws/join")).unwrap();
        std::fs::write(root.join("src/ws/join/Cargo.toml"), b"").unwrap();
        std::fs::create_dir_all(root.join("src/ws/js")).unwrap();
        std::fs::write(root.join("src/ws/js/index.mjs"), b"").unwrap();
        std::fs::create_dir_all(root.join("src/ws/py")).unwrap();
        std::fs::write(root.join("src/ws/py/app.py"), b"").unwrap();
        let m = crate::manifest::parse("@app\nx\n@ws\njoin\njs\npy\nleave\n", Path::new("app.arc")).unwrap();
        let routes = ws_routes(&m, &root).unwrap();
        let got: Vec<(&str, Option<&str>)> =
            routes.iter().map(|r| (r.key.as_str(), r.source.as_ref().map(Source::kind))).collect();
        assert_eq!(
            got,
            vec![
                ("$connect", None),
                ("$disconnect", None),
                ("$default", Some("component")),
                ("join", Some("rust")),
                ("js", Some("javascript")),
                ("py", Some("python")),
                ("leave", None)
            ]
        );
        std::fs::write(root.join("src/ws/default/other.wasm"), b"").unwrap();
        assert!(ws_routes(&m, &root).unwrap_err().to_string().contains("several .wasm files"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
