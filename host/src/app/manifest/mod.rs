//! The app's manifest as the user wrote it: validated, not yet resolved against the
//! filesystem. Architect's `app.arc` is read by `arc`; wsh's own `@wsh` settings by `settings`.

mod arc;
mod settings;

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

/// Reads and parses the manifest at `path`. Blocking: a manifest is a few hundred bytes, read
/// at start and on reload, never on an event's path.
pub fn load(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read manifest {}", path.display()))?;
    Ok(parse(&text, path)?)
}

/// `app.arc`, then `.arc`, in the current directory; a directory argument is searched the same way.
pub fn locate(path: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match path {
        Some(p) if p.is_dir() => p,
        Some(p) => return if p.is_file() { Ok(p) } else { bail!("no manifest at {}", p.display()) },
        None => PathBuf::from("."),
    };
    ["app.arc", ".arc"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| format!("no app.arc or .arc in {}", dir.display()))
}
