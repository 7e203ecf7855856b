//! Where each route's handler lives, resolved from the manifest and the app's directories.
//!
//! Architect's layout: the handler of `@ws` route `R` is `src/ws/R/` (`connect`, `disconnect`,
//! `default`, or a custom key); the handler of `@http` route `get /things/:id` is
//! `src/http/get-things-000id/`. A route directory holds the sources of a component (a Rust crate
//! with `Cargo.toml`, a JavaScript `index.mjs`, a Python `app.py`, a Ruby `index.rb`) or a ready
//! one (`*.wasm`).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::app::manifest::{HandlerKind, HandlerRef, Manifest};
use crate::decide::http_router::http_route_key;
use crate::decide::routing::{AUTHORIZER, CONNECT, DEFAULT, DISCONNECT};
use crate::runtime::World;

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
    /// A Ruby handler file (`index.rb` / `handler.rb`).
    Ruby(PathBuf),
}

impl Source {
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Component(_) => "component",
            Source::Rust(_) => "rust",
            Source::Js(_) => "javascript",
            Source::Python(_) => "python",
            Source::Ruby(_) => "ruby",
        }
    }
}

/// Handler entry files, by language, in the order they are looked for.
type Entry = (&'static str, fn(PathBuf) -> Source);
const ENTRIES: &[Entry] = &[
    ("index.mjs", Source::Js),
    ("index.js", Source::Js),
    ("app.py", Source::Python),
    ("handler.py", Source::Python),
    // Architect's Ruby functions are `index.rb`; `handler.rb` as Python's `handler.py`.
    ("index.rb", Source::Ruby),
    ("handler.rb", Source::Ruby),
];

/// One route and its handler, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `$connect`, `$disconnect`, `$default`, a custom key, `$authorizer`, or an HTTP route
    /// key such as `GET /things/:id`.
    pub key: String,
    pub world: World,
    /// The handler's directory, relative to the app's root.
    pub rel: PathBuf,
    pub dir: PathBuf,
    pub source: Option<Source>,
    /// The export the route calls, when its file has several (serverless.yml's `file.export`):
    /// the handler's `_HANDLER`, as Lambda sets it.
    pub export: Option<String>,
}

impl Route {
    fn new(key: String, world: World, rel: PathBuf, root: &Path) -> Result<Route> {
        let dir = root.join(&rel);
        let source = detect(&dir)?;
        Ok(Route { key, world, rel, dir, source, export: None })
    }

    /// The route of a handler the manifest names. Routes that name one file share its build.
    fn named(key: String, world: World, handler: &HandlerRef, root: &Path) -> Route {
        let path = root.join(&handler.path);
        let source = match handler.kind {
            HandlerKind::JavaScript => {
                // `handler.js`, `.mjs` or `.cjs`, as the framework resolves `handler.export`.
                let found = ["js", "mjs", "cjs"].iter().map(|e| path.with_extension(e)).find(|p| p.is_file());
                Source::Js(found.unwrap_or_else(|| path.with_extension("js")))
            }
            HandlerKind::Python => Source::Python(path.clone()),
            HandlerKind::Rust => Source::Rust(path.clone()),
            HandlerKind::Component => Source::Component(path.clone()),
        };
        let rel = match handler.kind {
            HandlerKind::Rust => handler.path.clone(),
            _ => handler.path.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        Route { key, world, dir: root.join(&rel), rel, source: Some(source), export: handler.export.clone() }
    }

    /// What a missing handler means for this route, in API Gateway's terms.
    pub fn missing_meaning(&self) -> &'static str {
        match (self.world, self.key.as_str()) {
            (World::Http, _) => "its requests get a 500",
            (_, CONNECT) => "connections are accepted",
            (_, DISCONNECT) => "nothing runs when a connection closes",
            (_, DEFAULT) => "unmatched messages get a Forbidden error frame",
            (_, AUTHORIZER) => "every connection is refused with a 500 (an authorizer fails closed)",
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

/// Every route of `manifest` with its handler located under `root` (the manifest's directory):
/// the `@ws` routes, built-in ones first, then the authorizer, then the `@http` routes. A route
/// whose handler the manifest names is there; the others are in Architect's layout.
pub fn routes(manifest: &Manifest, root: &Path) -> Result<Vec<Route>> {
    let route = |key: String, world: World, architect: PathBuf| match manifest.handlers.get(&key) {
        Some(handler) => Ok(Route::named(key, world, handler, root)),
        None => Route::new(key, world, architect, root),
    };
    let mut routes = Vec::new();
    if let Some(ws) = &manifest.ws {
        let keys =
            [CONNECT, DISCONNECT, DEFAULT].into_iter().map(str::to_string).chain(ws.custom_routes.iter().cloned());
        for key in keys {
            let rel = Path::new("src/ws").join(route_dir_name(&key));
            routes.push(route(key, World::Ws, rel)?);
        }
    }
    if let Some(auth) = &manifest.settings.authorizer {
        routes.push(route(AUTHORIZER.into(), World::Ws, Path::new("src/ws").join(&auth.name))?);
    }
    for r in &manifest.http {
        let rel = Path::new("src/http").join(http_dir_name(&r.method, &r.path));
        routes.push(route(http_route_key(&r.method, &r.path), World::Http, rel)?);
    }
    Ok(routes)
}

/// Architect's directory name for an HTTP route: `get /` is `get-index`, `get /things/:id` is
/// `get-things-000id`, `any /*` is `any-catchall`.
pub fn http_dir_name(method: &str, path: &str) -> String {
    if path == "/" {
        return format!("{method}-index");
    }
    let name = path.replace(['-', '.'], "_").replace('/', "-").replace(':', "000").replace('*', "catchall");
    format!("{method}{name}")
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
        std::fs::create_dir_all(root.join("src/ws/rb")).unwrap();
        std::fs::write(root.join("src/ws/rb/index.rb"), b"").unwrap();
        std::fs::create_dir_all(root.join("src/ws/rb2")).unwrap();
        std::fs::write(root.join("src/ws/rb2/handler.rb"), b"").unwrap();
        let arc = "@app\nx\n@ws\njoin\njs\npy\nrb\nrb2\nleave\n";
        let m = crate::app::manifest::parse(arc, Path::new("app.arc")).unwrap();
        let routes = routes(&m, &root).unwrap();
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
                ("rb", Some("ruby")),
                ("rb2", Some("ruby")),
                ("leave", None)
            ]
        );
        std::fs::write(root.join("src/ws/default/other.wasm"), b"").unwrap();
        assert!(super::routes(&m, &root).unwrap_err().to_string().contains("several .wasm files"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn http_directories_follow_architect() {
        assert_eq!(http_dir_name("get", "/"), "get-index");
        assert_eq!(http_dir_name("get", "/things/:id"), "get-things-000id");
        assert_eq!(http_dir_name("post", "/notify"), "post-notify");
        assert_eq!(http_dir_name("any", "/*"), "any-catchall");
        assert_eq!(http_dir_name("get", "/a-b/c.txt"), "get-a_b-c_txt");
    }
}
