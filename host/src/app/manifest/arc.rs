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

use std::path::Path;

use super::{HttpRoute, Manifest, ParseError, Settings, WsSection};

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
        handlers: Default::default(),
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
            Section::Wsh => m.settings.set(&words).map_err(|message| err(line_no, message))?,
        }
    }
    Ok(m)
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

    use crate::decide::authorizer::IdentitySource;

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
