//! Reading an Architect manifest (`app.arc`).
//!
//! The format is Architect's: `@pragma` lines open sections, every other non-blank line is an
//! item of the section above it, `#` starts a comment. wsh reads `@app`, `@ws`, `@http`,
//! `@static` and its own `@wsh` section (settings Architect does not have, such as the route
//! selection expression); other pragmas are kept as warnings, as Architect ignores pragmas it
//! has no plugin for.
//!
//! Parsing is pure (text in, `Manifest` out) so that every error can name `file:line` and the
//! parser can be unit-tested and fuzzed without a filesystem.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The manifest as the user wrote it, validated but not yet resolved against the filesystem.
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

/// The `@wsh` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// API Gateway's route selection expression.
    pub route_selection: String,
    /// Reported to handlers as `requestContext.stage`.
    pub stage: String,
    /// Wall-clock budget of one handler call (API Gateway's integration timeout is 29 s).
    pub handler_timeout_ms: u64,
    /// Linear memory one handler instance may grow to.
    pub handler_memory_mb: u64,
    /// Largest message a client may send (API Gateway: 128 KB); above it, close 1009.
    pub max_message_kb: u64,
    /// Largest frame a client may send (API Gateway: 32 KB); above it, close 1009.
    pub max_frame_kb: u64,
    /// A connection that sends nothing this long is closed with 1001 (API Gateway: 10 min).
    pub idle_timeout_s: u64,
    /// A connection is closed with 1001 at this age (API Gateway: 2 h).
    pub max_lifetime_s: u64,
    /// Open connections at most; further handshakes get 503.
    pub max_connections: u64,
    /// New connections per second (a burst of as many is allowed); beyond, handshakes get 429.
    pub connect_rate: u64,
    /// Messages per second per connection; beyond, the message is refused with a
    /// `Too Many Requests` error frame.
    pub message_rate: u64,
    /// Frames waiting for a client that does not read; beyond, it is closed with 1008.
    pub outbound_queue: u64,
    /// When set, a handshake whose `Origin` is not listed is refused with 403 (browsers send
    /// `Origin`; a client without one is not a browser and is let through).
    pub allowed_origins: Option<Vec<String>>,
    /// Time a client has to send a whole HTTP request head (the WebSocket handshake included),
    /// and the longest a kept-alive HTTP connection may idle.
    pub handshake_timeout_s: u64,
    /// Request line plus headers (API Gateway: 10 KB); above it, 431.
    pub max_header_kb: u64,
    /// The `$connect` authorizer: a handler in `src/ws/<name>` that allows or denies each
    /// handshake.
    pub authorizer: Option<Authorizer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    pub name: String,
    /// What a handshake must carry for the authorizer to run at all; without it, 401.
    pub identity_sources: Vec<IdentitySource>,
}

/// API Gateway's `route.request.header.Auth` and `route.request.querystring.token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// Lower case: header names are case-insensitive.
    Header(String),
    QueryString(String),
}

impl IdentitySource {
    pub fn parse(text: &str) -> Result<IdentitySource, String> {
        let source = if let Some(name) = text.strip_prefix("route.request.header.") {
            IdentitySource::Header(name.to_ascii_lowercase())
        } else if let Some(name) = text.strip_prefix("route.request.querystring.") {
            IdentitySource::QueryString(name.to_string())
        } else {
            return Err(format!(
                "identity source '{text}' is not route.request.header.NAME or route.request.querystring.NAME"
            ));
        };
        match &source {
            IdentitySource::Header(n) | IdentitySource::QueryString(n) if n.is_empty() => {
                Err(format!("identity source '{text}' names no header or parameter"))
            }
            _ => Ok(source),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            route_selection: "$request.body.action".to_string(),
            stage: "local".to_string(),
            handler_timeout_ms: 29_000,
            handler_memory_mb: 128,
            max_message_kb: 128,
            max_frame_kb: 32,
            idle_timeout_s: 600,
            max_lifetime_s: 7200,
            max_connections: 100_000,
            connect_rate: 500,
            message_rate: 500,
            outbound_queue: 1024,
            allowed_origins: None,
            handshake_timeout_s: 10,
            max_header_kb: 10,
            authorizer: None,
        }
    }
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

/// Reads and parses the manifest at `path`.
pub fn load(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read manifest {}", path.display()))?;
    Ok(parse(&text, path)?)
}

const HTTP_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "options", "head", "any"];

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    App,
    Ws,
    Http,
    Static,
    Wsh,
    Unknown,
}

/// Parses manifest text; `file` is only used to name the file in errors.
pub fn parse(text: &str, file: &Path) -> Result<Manifest, ParseError> {
    let err = |line: usize, message: String| ParseError { file: file.to_path_buf(), line, message };
    let mut m = Manifest {
        app: None,
        ws: None,
        http: Vec::new(),
        static_dir: None,
        settings: Settings::default(),
        warnings: Vec::new(),
    };
    let mut section = Section::None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let line = line.trim();
        if let Some(name) = line.strip_prefix('@') {
            if indented {
                return Err(err(line_no, format!("pragma '@{name}' must start at the beginning of the line")));
            }
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(err(line_no, format!("'{line}' is not a pragma name (expected e.g. @app, @ws, @http)")));
            }
            section = match name {
                "app" => Section::App,
                "ws" => {
                    m.ws.get_or_insert_with(WsSection::default);
                    Section::Ws
                }
                "http" => Section::Http,
                "static" => {
                    // Architect's default folder; `folder <dir>` overrides it.
                    m.static_dir.get_or_insert_with(|| "public".to_string());
                    Section::Static
                }
                "wsh" => Section::Wsh,
                other => {
                    m.warnings.push(format!("{}:{line_no}: ignoring unknown pragma @{other}", file.display()));
                    Section::Unknown
                }
            };
            continue;
        }
        if indented && section != Section::Unknown {
            return Err(err(
                line_no,
                format!("unexpected indented line '{line}': wsh reads one item per line, without nested settings"),
            ));
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match section {
            Section::None => {
                return Err(err(
                    line_no,
                    format!("'{line}' is outside any section: expected a pragma such as @app first"),
                ));
            }
            Section::Unknown => {}
            Section::App => {
                if m.app.is_some() {
                    return Err(err(line_no, format!("@app takes one name, found a second one '{line}'")));
                }
                if words.len() != 1 {
                    return Err(err(line_no, format!("app name '{line}' must be one word")));
                }
                m.app = Some(line.to_string());
            }
            Section::Ws => {
                let [key] = words[..] else {
                    return Err(err(line_no, format!("a @ws route is one route key per line, found '{line}'")));
                };
                let key = key.trim_start_matches('$');
                if !valid_route_key(key) {
                    return Err(err(
                        line_no,
                        format!("'{key}' is not a valid route key (letters, digits, '-', '_', '.', ':' only)"),
                    ));
                }
                let ws = m.ws.get_or_insert_with(WsSection::default);
                if ["connect", "disconnect", "default"].contains(&key) {
                    // Listing a built-in route is allowed (Architect's older form does), and a no-op.
                    continue;
                }
                if ws.custom_routes.iter().any(|r| r == key) {
                    return Err(err(line_no, format!("route '{key}' is listed twice")));
                }
                ws.custom_routes.push(key.to_string());
            }
            Section::Http => {
                let [method, path] = words[..] else {
                    return Err(err(line_no, format!("an @http route is 'method /path', found '{line}'")));
                };
                let method = method.to_ascii_lowercase();
                if !HTTP_METHODS.contains(&method.as_str()) {
                    return Err(err(
                        line_no,
                        format!("unknown HTTP method '{method}' (expected one of {})", HTTP_METHODS.join(", ")),
                    ));
                }
                if !path.starts_with('/') {
                    return Err(err(line_no, format!("HTTP path '{path}' must start with '/'")));
                }
                if m.http.iter().any(|r| r.method == method && r.path == path) {
                    return Err(err(line_no, format!("route '{method} {path}' is listed twice")));
                }
                m.http.push(HttpRoute { method, path: path.to_string(), line: line_no });
            }
            Section::Static => match words[..] {
                ["folder", dir] => m.static_dir = Some(dir.to_string()),
                [_, _] => m.warnings.push(format!("{}:{line_no}: ignoring @static setting '{line}'", file.display())),
                _ => return Err(err(line_no, format!("a @static setting is 'key value', found '{line}'"))),
            },
            Section::Wsh => parse_setting(&mut m.settings, &words).map_err(|message| err(line_no, message))?,
        }
    }
    Ok(m)
}

const SETTINGS: &[&str] = &[
    "route-selection",
    "stage",
    "handler-timeout-ms",
    "handler-memory-mb",
    "max-message-kb",
    "max-frame-kb",
    "idle-timeout-s",
    "max-lifetime-s",
    "max-connections",
    "connect-rate",
    "message-rate",
    "outbound-queue",
    "allowed-origins",
    "handshake-timeout-s",
    "max-header-kb",
    "authorizer",
    "identity-source",
];

fn parse_setting(s: &mut Settings, words: &[&str]) -> Result<(), String> {
    if let ["identity-source", sources @ ..] = words {
        let Some(auth) = &mut s.authorizer else {
            return Err("identity-source belongs to an authorizer: put 'authorizer <name>' on a line before it".into());
        };
        if sources.is_empty() {
            return Err(
                "identity-source lists one or more sources, e.g. 'identity-source route.request.header.Auth'".into()
            );
        }
        auth.identity_sources = sources.iter().map(|t| IdentitySource::parse(t)).collect::<Result<_, _>>()?;
        return Ok(());
    }
    if let ["allowed-origins", origins @ ..] = words {
        if origins.is_empty() {
            return Err("allowed-origins lists one or more origins, e.g. 'allowed-origins https://example.com'".into());
        }
        s.allowed_origins = Some(origins.iter().map(|o| o.trim_end_matches('/').to_string()).collect());
        return Ok(());
    }
    let [key, value] = words[..] else {
        return Err(format!("a @wsh setting is 'key value', found '{}'", words.join(" ")));
    };
    let number = |what: &str| -> Result<u64, String> {
        value
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{what} must be a positive whole number, found '{value}'"))
    };
    match key {
        "route-selection" => {
            crate::routing::Selector::parse(value)?;
            s.route_selection = value.to_string();
        }
        "stage" => s.stage = value.to_string(),
        "handler-timeout-ms" => s.handler_timeout_ms = number(key)?,
        "handler-memory-mb" => s.handler_memory_mb = number(key)?,
        "max-message-kb" => s.max_message_kb = number(key)?,
        "max-frame-kb" => s.max_frame_kb = number(key)?,
        "idle-timeout-s" => s.idle_timeout_s = number(key)?,
        "max-lifetime-s" => s.max_lifetime_s = number(key)?,
        "max-connections" => s.max_connections = number(key)?,
        "connect-rate" => s.connect_rate = number(key)?,
        "message-rate" => s.message_rate = number(key)?,
        "outbound-queue" => s.outbound_queue = number(key)?,
        "handshake-timeout-s" => s.handshake_timeout_s = number(key)?,
        "max-header-kb" => s.max_header_kb = number(key)?,
        "authorizer" => {
            if !valid_route_key(value) || value.contains(':') {
                return Err(format!("authorizer '{value}' is not a directory name under src/ws"));
            }
            s.authorizer = Some(Authorizer { name: value.to_string(), identity_sources: Vec::new() });
        }
        other => return Err(format!("unknown @wsh setting '{other}' (known: {})", SETTINGS.join(", "))),
    }
    Ok(())
}

fn valid_route_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

/// Drops a `#` comment: a `#` at the start of the line or after white space.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Manifest {
        parse(text, Path::new("app.arc")).expect("parses")
    }

    fn error(text: &str) -> String {
        parse(text, Path::new("app.arc")).expect_err("must fail").to_string()
    }

    #[test]
    fn reads_the_seed_app() {
        let m = ok(
            "@app\nmyapp # the name\n\n@ws\n# no further config required\n\n@http\nget /\n\n@static\nfolder public\n",
        );
        assert_eq!(m.app.as_deref(), Some("myapp"));
        assert_eq!(m.ws, Some(WsSection::default()));
        assert_eq!(m.http, vec![HttpRoute { method: "get".into(), path: "/".into(), line: 8 }]);
        assert_eq!(m.static_dir.as_deref(), Some("public"));
        assert!(m.warnings.is_empty());
    }

    #[test]
    fn static_defaults_to_public() {
        assert_eq!(ok("@app\nx\n@static\n").static_dir.as_deref(), Some("public"));
        assert_eq!(ok("@app\nx\n").static_dir, None);
    }

    #[test]
    fn custom_routes_and_builtins() {
        let m = ok("@app\nx\n@ws\naction\n$connect\njoin\ndefault\n");
        assert_eq!(m.ws.unwrap().custom_routes, vec!["action", "join"]);
    }

    #[test]
    fn no_ws_section_means_no_socket() {
        assert_eq!(ok("@app\nx\n").ws, None);
    }

    #[test]
    fn settings() {
        let m = ok("@app\nx\n@ws\n@wsh\nroute-selection $request.body.type\nhandler-timeout-ms 500\n");
        assert_eq!(m.settings.route_selection, "$request.body.type");
        assert_eq!(m.settings.handler_timeout_ms, 500);
    }

    #[test]
    fn allowed_origins_take_a_list() {
        let m = ok("@app\nx\n@wsh\nallowed-origins https://a.example http://localhost:3333/\n");
        assert_eq!(m.settings.allowed_origins, Some(vec!["https://a.example".into(), "http://localhost:3333".into()]));
        assert!(error("@app\nx\n@wsh\nallowed-origins\n").contains("one or more origins"));
    }

    #[test]
    fn authorizer_with_identity_sources() {
        let m = ok(
            "@app\nx\n@wsh\nauthorizer auth\nidentity-source route.request.header.Auth route.request.querystring.token\n",
        );
        let auth = m.settings.authorizer.unwrap();
        assert_eq!(auth.name, "auth");
        assert_eq!(
            auth.identity_sources,
            vec![IdentitySource::Header("auth".into()), IdentitySource::QueryString("token".into())]
        );
        assert!(error("@app\nx\n@wsh\nidentity-source route.request.header.A\n").contains("put 'authorizer <name>'"));
        assert!(error("@app\nx\n@wsh\nauthorizer a\nidentity-source header.A\n").contains("is not route.request"));
        assert!(error("@app\nx\n@wsh\nauthorizer a\nidentity-source route.request.header.\n").contains("names no"));
        assert!(error("@app\nx\n@wsh\nauthorizer ../up\n").contains("not a directory name"));
    }

    #[test]
    fn unknown_pragmas_warn() {
        let m = ok("@app\nx\n@tables\ndata\n  scopeID *String\n@ws\n");
        assert_eq!(m.warnings, vec!["app.arc:3: ignoring unknown pragma @tables"]);
    }

    #[test]
    fn errors_name_file_and_line() {
        assert_eq!(error("myapp\n"), "app.arc:1: 'myapp' is outside any section: expected a pragma such as @app first");
        assert!(error("@app\nx\n@ws\njoin room\n").starts_with("app.arc:4: a @ws route is one route key"));
        assert!(error("@app\nx\n@http\nfetch /\n").starts_with("app.arc:4: unknown HTTP method 'fetch'"));
        assert!(error("@app\nx\n@http\nget index\n").starts_with("app.arc:4: HTTP path 'index'"));
        assert!(error("@app\nx\n@ws\na\na\n").starts_with("app.arc:5: route 'a' is listed twice"));
        assert!(error("@app\nx\n@ws\nbad/key\n").starts_with("app.arc:4: 'bad/key' is not a valid route key"));
        assert!(error("@app\nx\n@wsh\nroute-selection body.action\n").starts_with("app.arc:4: "));
        assert!(error("@app\nx\n@wsh\nhandler-timeout-ms soon\n").contains("positive whole number"));
        assert!(error("@ap p\n").starts_with("app.arc:1: '@ap p' is not a pragma name"));
        assert!(error("@app\nx\n@ws\n  nested\n").starts_with("app.arc:4: unexpected indented line"));
    }

    #[test]
    fn hash_inside_a_word_is_not_a_comment() {
        assert!(error("@app\nx\n@ws\nroom#1\n").contains("'room#1' is not a valid route key"));
        assert_eq!(ok("@app\nx\n@ws\nroom #1\n").ws.unwrap().custom_routes, vec!["room"]);
    }
}
