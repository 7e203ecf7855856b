//! The app's manifest as the user wrote it: validated, not yet resolved against the
//! filesystem. Architect's `app.arc` is read by `arc`, a Serverless Framework `serverless.yml`
//! by `serverless`; wsh's own `@wsh` settings by `settings`.

mod arc;
mod serverless;
mod settings;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use arc::parse;
pub use settings::{Authorizer, Settings};

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub app: Option<String>,
    /// `None` when there is no `@ws` section: the app serves no WebSocket routes.
    pub ws: Option<WsSection>,
    pub http: Vec<HttpRoute>,
    /// The folder `@static` serves at `/_static/` (`public` unless `folder` says otherwise);
    /// `None` without `@static`.
    pub static_dir: Option<String>,
    pub settings: Settings,
    /// Things that are not errors but that the user should see (unknown pragmas, ...).
    pub warnings: Vec<String>,
    /// Where the handler of a route is, by route key, when the manifest says (serverless.yml's
    /// `handler:`); Architect's layout (`src/ws/<route>/`) for the others.
    pub handlers: BTreeMap<String, HandlerRef>,
}

/// A handler the manifest names: a file (or crate, or component) and the export a route calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerRef {
    /// Relative to the manifest's folder: `handler` for `handler.js`/`.mjs`/`.cjs`, `app.py`,
    /// a crate's directory, a `.wasm`.
    pub path: PathBuf,
    /// The function the route calls (Lambda's `_HANDLER`); `None` for a component's own export.
    pub export: Option<String>,
    pub kind: HandlerKind,
    /// The function's name in the manifest, and its line, for messages.
    pub function: String,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerKind {
    JavaScript,
    Python,
    Rust,
    Component,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WsSection {
    /// Custom route keys in the order written; the built-in routes are always present.
    pub custom_routes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// Lower case: `get`, `post`, ..., or `any`.
    pub method: String,
    pub path: String,
    pub line: usize,
}

/// A syntax or validation error at one line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads and parses the manifest at `path`: YAML (`.yml`, `.yaml`) as the Serverless
/// Framework's, anything else as Architect's. Blocking: a manifest is a few hundred bytes, read
/// at start and on reload, never on an event's path.
pub fn load(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read manifest {}", path.display()))?;
    let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    Ok(if yaml { serverless::parse(&text, path)? } else { parse(&text, path)? })
}

/// The manifests looked for in a folder, in order.
pub(crate) const MANIFESTS: &[&str] = &["app.arc", ".arc", "serverless.yml", "serverless.yaml"];

/// `app.arc`, `.arc`, `serverless.yml`, then `serverless.yaml`, in the current directory; a
/// directory argument is searched the same way.
pub fn locate(path: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match path {
        Some(p) if p.is_dir() => p,
        Some(p) => return if p.is_file() { Ok(p) } else { bail!("no manifest at {}", p.display()) },
        None => PathBuf::from("."),
    };
    MANIFESTS
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("no manifest in {} (looked for {})", dir.display(), MANIFESTS.join(", ")))
}
