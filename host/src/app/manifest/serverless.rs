//! Reading a Serverless Framework manifest (`serverless.yml`) into the same `Manifest` as
//! `app.arc`: the `websocket` events of its functions become `@ws` routes, `httpApi` and `http`
//! events `@http` routes, and each route calls the export its function's `handler` names.
//!
//! Read: `service`; `provider.runtime`, `.stage`, `.websocketsApiRouteSelectionExpression`,
//! `.logs.websocket`; `functions.<name>.handler` (`path/file.export`), `.runtime`, `.events`
//! (`websocket` in its simple and extended forms, with an `authorizer` on `$connect`; `httpApi`;
//! `http`), and wsh's own `functions.<name>.wsh.component` (a Rust crate or a ready `.wasm`).
//! Keys the framework has that wsh has no use for are ignored with one warning each; what wsh
//! cannot run locally (an `arn:` authorizer) is an error naming the function and the key.
//! Pure, like `arc`: every error names `file:line`.

use std::path::{Path, PathBuf};

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{Node, Span};

use super::{Authorizer, HandlerKind, HandlerRef, HttpRoute, Manifest, ParseError, Settings, WsSection};
use crate::decide::authorizer::IdentitySource;

/// Provider keys wsh reads; the framework's others are warned about, once each.
const PROVIDER_KEYS: &[&str] = &["name", "runtime", "stage", "websocketsApiRouteSelectionExpression", "logs"];
/// Function keys wsh reads.
const FUNCTION_KEYS: &[&str] = &["handler", "runtime", "events", "wsh"];

struct Reader<'a> {
    file: &'a Path,
    warnings: Vec<String>,
}

fn line(span: &Span) -> usize {
    span.start().map(|m| m.line()).unwrap_or(1)
}

impl Reader<'_> {
    fn err(&self, span: &Span, message: impl Into<String>) -> ParseError {
        ParseError { file: self.file.to_path_buf(), line: line(span), message: message.into() }
    }

    fn warn(&mut self, span: &Span, message: String) {
        self.warnings.push(format!("{}:{}: {message}", self.file.display(), line(span)));
    }

    fn mapping<'n>(&self, node: &'n Node, what: &str) -> Result<&'n MarkedMappingNode, ParseError> {
        node.as_mapping().ok_or_else(|| self.err(node.span(), format!("{what} must be a mapping")))
    }

    fn scalar<'n>(&self, node: &'n Node, what: &str) -> Result<&'n MarkedScalarNode, ParseError> {
        node.as_scalar().ok_or_else(|| self.err(node.span(), format!("{what} must be a single value")))
    }

    /// Warns about every key of `map` but `known`, naming it with `prefix`.
    fn unknown_keys(&mut self, map: &MarkedMappingNode, known: &[&str], prefix: &str) {
        for (key, _) in map.iter() {
            if !known.contains(&key.as_str()) {
                let span = *key.span();
                self.warn(&span, format!("ignoring {prefix}{}: wsh does not use it", key.as_str()));
            }
        }
    }
}

/// Parses `serverless.yml` text; `file` is only used to name the file in errors.
pub fn parse(text: &str, file: &Path) -> Result<Manifest, ParseError> {
    let root = marked_yaml::parse_yaml(0, text).map_err(|e| {
        // marked-yaml says `line:column: message`.
        let message = e.to_string();
        let line = message.split(':').next().and_then(|l| l.trim().parse().ok()).unwrap_or(1);
        ParseError { file: file.to_path_buf(), line, message: format!("not YAML: {message}") }
    })?;
    let mut r = Reader { file, warnings: Vec::new() };
    let top = r.mapping(&root, "serverless.yml")?;
    let mut m = Manifest {
        app: None,
        ws: None,
        http: Vec::new(),
        static_dir: None,
        // The Serverless Framework's default stage, where Architect's is `local`.
        settings: Settings { stage: "dev".into(), ..Settings::default() },
        warnings: Vec::new(),
        handlers: Default::default(),
    };
    let mut runtime = None;
    for (key, value) in top.iter() {
        match key.as_str() {
            "service" => m.app = Some(r.scalar(value, "service")?.as_str().to_string()),
            "provider" => runtime = provider(&mut r, value, &mut m.settings)?,
            "functions" => {}
            "frameworkVersion"
            | "plugins"
            | "custom"
            | "package"
            | "resources"
            | "useDotenv"
            | "configValidationMode" => {
                let span = *key.span();
                r.warn(&span, format!("ignoring {}: wsh does not use it", key.as_str()));
            }
            other => {
                let span = *key.span();
                r.warn(&span, format!("ignoring unknown key {other}"));
            }
        }
    }
    let Some(functions) = top.get_node("functions") else {
        return Err(r.err(root.span(), "serverless.yml has no functions: nothing to serve"));
    };
    let functions = r.mapping(functions, "functions")?;
    // The authorizer is another function, named from `$connect`: read every function first.
    let mut authorizer: Option<(String, Vec<IdentitySource>, Span)> = None;
    for (name, function) in functions.iter() {
        let at = *name.span();
        let name = name.as_str();
        let f = r.mapping(function, &format!("functions.{name}"))?;
        r.unknown_keys(f, FUNCTION_KEYS, &format!("functions.{name}."));
        let handler = handler_ref(&r, name, &at, f, runtime.as_deref())?;
        let Some(events) = f.get_node("events") else {
            // A function with no event: an authorizer, or one wsh has nothing to call for.
            m.handlers.insert(function_key(name), handler);
            continue;
        };
        let events = events
            .as_sequence()
            .ok_or_else(|| r.err(events.span(), format!("functions.{name}.events must be a list")))?;
        for event in events.iter() {
            let event = r.mapping(event, &format!("an event of functions.{name}"))?;
            for (kind, spec) in event.iter() {
                let route = match kind.as_str() {
                    "websocket" => websocket(&mut r, name, spec, &mut authorizer)?.inspect(|key| {
                        let ws = m.ws.get_or_insert_with(WsSection::default);
                        if !["$connect", "$disconnect", "$default"].contains(&key.as_str())
                            && !ws.custom_routes.contains(key)
                        {
                            ws.custom_routes.push(key.clone());
                        }
                    }),
                    "httpApi" | "http" => {
                        let route = http(&r, name, kind.as_str(), spec)?;
                        let key = crate::decide::http_router::http_route_key(&route.method, &route.path);
                        if m.http.iter().any(|h| h.method == route.method && h.path == route.path) {
                            return Err(r.err(spec.span(), format!("{} is routed twice", key)));
                        }
                        m.http.push(route);
                        Some(key)
                    }
                    other => {
                        let span = *kind.span();
                        r.warn(
                            &span,
                            format!(
                                "ignoring the {other} event of functions.{name}: wsh serves websocket and HTTP events"
                            ),
                        );
                        None
                    }
                };
                if let Some(key) = route
                    && m.handlers.insert(key.clone(), handler.clone()).is_some()
                {
                    return Err(r.err(kind.span(), format!("route {key} is taken by two functions")));
                }
            }
        }
    }
    if let Some((name, sources, span)) = authorizer {
        let function = m
            .handlers
            .remove(&function_key(&name))
            .ok_or_else(|| r.err(&span, format!("authorizer '{name}' is not a function of this serverless.yml")))?;
        m.handlers.insert(crate::decide::routing::AUTHORIZER.to_string(), function);
        m.settings.authorizer = Some(Authorizer { name, identity_sources: sources });
    }
    // Functions no event reaches are not routes.
    m.handlers.retain(|key, _| !key.starts_with(FUNCTION_PREFIX));
    m.warnings = r.warnings;
    Ok(m)
}

const FUNCTION_PREFIX: &str = "function:";

fn function_key(name: &str) -> String {
    format!("{FUNCTION_PREFIX}{name}")
}

/// Reads `provider`; the runtime functions default to.
fn provider(r: &mut Reader, node: &Node, settings: &mut Settings) -> Result<Option<String>, ParseError> {
    let p = r.mapping(node, "provider")?;
    r.unknown_keys(p, PROVIDER_KEYS, "provider.");
    if let Some(stage) = p.get_scalar("stage") {
        settings.stage = stage.as_str().to_string();
    }
    if let Some(expr) = p.get_scalar("websocketsApiRouteSelectionExpression") {
        crate::decide::routing::Selector::parse(expr.as_str()).map_err(|e| r.err(expr.span(), e))?;
        settings.route_selection = expr.as_str().to_string();
    }
    if let Some(logs) = p.get_mapping("logs") {
        for (key, value) in logs.iter() {
            match key.as_str() {
                "websocket" => {
                    // `true`, or a mapping of options: either turns the access log on.
                    settings.access_log = value.as_scalar().is_none_or(|s| s.as_bool() != Some(false));
                }
                other => {
                    let span = *key.span();
                    r.warn(&span, format!("ignoring provider.logs.{other}: wsh logs WebSocket events only"));
                }
            }
        }
    }
    Ok(p.get_scalar("runtime").map(|s| s.as_str().to_string()))
}

/// Where a function's code is, and which of its exports the routes call.
fn handler_ref(
    r: &Reader,
    name: &str,
    at: &Span,
    f: &MarkedMappingNode,
    default_runtime: Option<&str>,
) -> Result<HandlerRef, ParseError> {
    let span = *at;
    if let Some(wsh) = f.get_mapping("wsh") {
        let component = wsh.get_scalar("component").ok_or_else(|| {
            r.err(wsh.span(), format!("functions.{name}.wsh names a Rust crate or a .wasm as `component: <path>`"))
        })?;
        let path = PathBuf::from(component.as_str());
        let kind = match path.extension().is_some_and(|e| e == "wasm") {
            true => HandlerKind::Component,
            false => HandlerKind::Rust,
        };
        return Ok(HandlerRef { path, export: None, kind, function: name.to_string(), line: line(&span) });
    }
    let handler = f.get_scalar("handler").ok_or_else(|| {
        r.err(
            &span,
            format!(
                "functions.{name} has no handler (e.g. `handler: handler.connect`, file handler.js, export connect)"
            ),
        )
    })?;
    let (file, export) = handler.as_str().rsplit_once('.').ok_or_else(|| {
        r.err(handler.span(), format!("functions.{name}.handler '{}' is not path/file.export", handler.as_str()))
    })?;
    let runtime = f.get_scalar("runtime").map(|s| s.as_str()).or(default_runtime).unwrap_or("nodejs");
    let (kind, path) = if runtime.starts_with("python") {
        (HandlerKind::Python, PathBuf::from(format!("{file}.py")))
    } else if runtime.starts_with("nodejs") {
        (HandlerKind::JavaScript, PathBuf::from(file))
    } else {
        let at = f.get_scalar("runtime").map_or(span, |s| *s.span());
        return Err(r.err(&at, format!(
            "functions.{name}: runtime '{runtime}' is not one wsh runs (nodejs*, python*; or a Rust crate or .wasm under functions.{name}.wsh.component)"
        )));
    };
    Ok(HandlerRef {
        path,
        export: Some(export.to_string()),
        kind,
        function: name.to_string(),
        line: line(handler.span()),
    })
}

/// A `websocket` event: its route key; the `$connect` event's authorizer is noted.
fn websocket(
    r: &mut Reader,
    function: &str,
    spec: &Node,
    authorizer: &mut Option<(String, Vec<IdentitySource>, Span)>,
) -> Result<Option<String>, ParseError> {
    let (route, details) = match spec {
        Node::Scalar(s) => (s.as_str().to_string(), None),
        Node::Mapping(m) => {
            let route = m.get_scalar("route").ok_or_else(|| {
                r.err(m.span(), format!("functions.{function}: a websocket event names its route (`route: $default`)"))
            })?;
            (route.as_str().to_string(), Some(m))
        }
        Node::Sequence(s) => {
            return Err(r.err(s.span(), format!("functions.{function}: a websocket event is a route or a mapping")));
        }
    };
    let Some(details) = details else { return Ok(Some(route)) };
    for (key, value) in details.iter() {
        match key.as_str() {
            "route" => {}
            // wsh always sends a handler's body back to the caller.
            "routeResponseSelectionExpression" => {}
            "authorizer" if route == "$connect" => *authorizer = Some(connect_authorizer(r, function, value)?),
            "authorizer" => {
                return Err(
                    r.err(key.span(), format!("functions.{function}: only the $connect route takes an authorizer"))
                );
            }
            other => {
                let span = *key.span();
                r.warn(&span, format!("ignoring functions.{function}.events websocket.{other}"));
            }
        }
    }
    Ok(Some(route))
}

/// `authorizer: name` or `{name, identitySource}`; the framework's default identity source is
/// the `Auth` header.
fn connect_authorizer(
    r: &Reader,
    function: &str,
    node: &Node,
) -> Result<(String, Vec<IdentitySource>, Span), ParseError> {
    let (name, sources) = match node {
        Node::Scalar(s) => (s.clone(), None),
        Node::Mapping(m) => {
            let name = m.get_scalar("name").or_else(|| m.get_scalar("arn")).ok_or_else(|| {
                r.err(m.span(), format!("functions.{function}: the authorizer names a function (`name: auth`)"))
            })?;
            (name.clone(), m.get_node("identitySource"))
        }
        Node::Sequence(s) => {
            return Err(r.err(s.span(), format!("functions.{function}: an authorizer is a name or a mapping")));
        }
    };
    if name.as_str().starts_with("arn:") || node.as_mapping().is_some_and(|m| m.get_node("arn").is_some()) {
        return Err(r.err(name.span(), format!(
            "functions.{function}.events websocket.authorizer is an ARN ({}): wsh runs authorizers that are functions of this serverless.yml; name one",
            name.as_str()
        )));
    }
    let sources = match sources {
        None => vec![IdentitySource::Header("auth".into())],
        Some(Node::Scalar(s)) => vec![IdentitySource::parse(s.as_str()).map_err(|e| r.err(s.span(), e))?],
        Some(Node::Sequence(list)) => list
            .iter()
            .map(|s| {
                let s = r.scalar(s, "an identity source")?;
                IdentitySource::parse(s.as_str()).map_err(|e| r.err(s.span(), e))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(r.err(other.span(), "identitySource is a source or a list of them")),
    };
    Ok((name.as_str().to_string(), sources, *name.span()))
}

/// An `httpApi` (`'GET /things/{id}'`, `{method, path}`, `'*'`) or `http` (REST API paths,
/// without the leading slash) event as an `@http` route: `{id}` becomes `:id`, `{proxy+}` a
/// trailing `*`.
fn http(r: &Reader, function: &str, kind: &str, spec: &Node) -> Result<HttpRoute, ParseError> {
    let (method, path, at) = match spec {
        Node::Scalar(s) if s.as_str() == "*" => ("any".to_string(), "/*".to_string(), *s.span()),
        Node::Scalar(s) => {
            let (method, path) = s.as_str().split_once(' ').ok_or_else(|| {
                r.err(
                    s.span(),
                    format!("functions.{function}: an {kind} event is 'METHOD /path', found '{}'", s.as_str()),
                )
            })?;
            (method.to_string(), path.trim().to_string(), *s.span())
        }
        Node::Mapping(m) => {
            let method = m.get_scalar("method").map_or("any", |s| s.as_str());
            let path = m
                .get_scalar("path")
                .ok_or_else(|| r.err(m.span(), format!("functions.{function}: an {kind} event has a path")))?;
            (method.to_string(), path.as_str().to_string(), *m.span())
        }
        Node::Sequence(s) => {
            return Err(r.err(s.span(), format!("functions.{function}: an {kind} event is a string or a mapping")));
        }
    };
    let method = match method.to_ascii_lowercase().as_str() {
        "*" => "any".to_string(),
        m => m.to_string(),
    };
    if !["get", "post", "put", "patch", "delete", "options", "head", "any"].contains(&method.as_str()) {
        return Err(r.err(&at, format!("functions.{function}: unknown HTTP method '{method}'")));
    }
    let path = format!("/{}", path.trim_start_matches('/'));
    let segments: Vec<String> = path
        .split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(p) if p.ends_with('+') => "*".to_string(),
            Some(p) => format!(":{p}"),
            None => s.to_string(),
        })
        .collect();
    Ok(HttpRoute { method, path: segments.join("/"), line: line(&at) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Manifest {
        parse(text, Path::new("serverless.yml")).expect("parses")
    }

    fn error(text: &str) -> String {
        parse(text, Path::new("serverless.yml")).expect_err("must fail").to_string()
    }

    const GUIDE: &str = "service: serverless-websockets
provider:
  name: aws
  runtime: nodejs20.x
  stage: dev
  websocketsApiRouteSelectionExpression: $request.body.route
  logs:
    websocket: true
functions:
  connectHandler:
    handler: handler.connectHandler
    events:
      - websocket: $connect
      - websocket:
          route: $disconnect
  defaultHandler:
    handler: src/handler.defaultHandler
    events:
      - websocket: $default
  sayHandler:
    handler: handler.say
    events:
      - websocket:
          route: say
          routeResponseSelectionExpression: $default
  page:
    handler: http.page
    runtime: python3.12
    events:
      - httpApi: 'GET /things/{id}'
      - http:
          method: post
          path: notify/{proxy+}
";

    #[test]
    fn reads_the_framework_guide_shapes() {
        let m = ok(GUIDE);
        assert_eq!(m.app.as_deref(), Some("serverless-websockets"));
        assert_eq!(m.settings.stage, "dev");
        assert_eq!(m.settings.route_selection, "$request.body.route");
        assert!(m.settings.access_log);
        assert_eq!(m.ws.as_ref().unwrap().custom_routes, ["say"]);
        let connect = &m.handlers["$connect"];
        assert_eq!((connect.path.as_path(), connect.export.as_deref()), (Path::new("handler"), Some("connectHandler")));
        assert_eq!(m.handlers["$disconnect"].export.as_deref(), Some("connectHandler"), "one function, two routes");
        assert_eq!(m.handlers["$default"].path, Path::new("src/handler"));
        assert_eq!(m.handlers["GET /things/:id"].kind, HandlerKind::Python);
        assert_eq!(m.handlers["GET /things/:id"].path, Path::new("http.py"));
        assert_eq!(
            m.http.iter().map(|h| (h.method.as_str(), h.path.as_str())).collect::<Vec<_>>(),
            [("get", "/things/:id"), ("post", "/notify/*")]
        );
        assert!(m.warnings.is_empty(), "every key of the guide's shapes is read: {:?}", m.warnings);
    }

    #[test]
    fn authorizers_by_name_or_with_identity_sources() {
        let yml = "service: a
functions:
  auth:
    handler: handler.auth
  connect:
    handler: handler.connect
    events:
      - websocket:
          route: $connect
          authorizer: auth
";
        let m = ok(yml);
        let auth = m.settings.authorizer.unwrap();
        assert_eq!(auth.identity_sources, vec![IdentitySource::Header("auth".into())], "the framework's default");
        assert_eq!(m.handlers["$authorizer"].export.as_deref(), Some("auth"));
        let with_sources = yml.replace("authorizer: auth", "authorizer:\n            name: auth\n            identitySource:\n              - route.request.header.Auth\n              - route.request.querystring.token");
        let auth = ok(&with_sources).settings.authorizer.unwrap();
        assert_eq!(auth.identity_sources.len(), 2);
        let arn = yml.replace("authorizer: auth", "authorizer: arn:aws:lambda:us-east-1:1:function:auth");
        assert!(
            error(&arn).starts_with("serverless.yml:10: functions.connect.events websocket.authorizer is an ARN"),
            "{}",
            error(&arn)
        );
    }

    #[test]
    fn errors_name_file_line_and_function() {
        assert!(
            error("service: a\nfunctions:\n  f:\n    events:\n      - websocket: $default\n")
                .starts_with("serverless.yml:3: functions.f has no handler")
        );
        assert!(
            error("service: a\nfunctions:\n  f:\n    handler: h.f\n    runtime: java17\n").contains("runtime 'java17'")
        );
        assert!(
            error("service: a\nfunctions:\n  f:\n    handler: nodot\n")
                .starts_with("serverless.yml:4: functions.f.handler 'nodot'")
        );
        assert!(error("service: [a\n").starts_with("serverless.yml:"));
        assert!(error("service: a\n").contains("no functions"));
        let twice = "service: a\nfunctions:\n  f:\n    handler: h.f\n    events:\n      - websocket: $default\n  g:\n    handler: h.g\n    events:\n      - websocket: $default\n";
        assert!(
            error(twice).starts_with("serverless.yml:10: route $default is taken by two functions"),
            "{}",
            error(twice)
        );
    }

    #[test]
    fn rust_components_and_unknown_keys() {
        let m = ok(
            "service: a\nplugins:\n  - serverless-offline\nfunctions:\n  f:\n    wsh:\n      component: crates/echo\n    memorySize: 128\n    events:\n      - websocket: $default\n",
        );
        assert_eq!(m.handlers["$default"].kind, HandlerKind::Rust);
        assert_eq!(m.warnings.len(), 2, "{:?}", m.warnings);
        assert!(m.warnings[1].starts_with("serverless.yml:8: ignoring functions.f.memorySize"), "{:?}", m.warnings);
    }
}
