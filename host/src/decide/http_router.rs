//! Which `@http` route a request goes to, as API Gateway's HTTP APIs choose: the most specific
//! match wins. Literal segments beat `:params`, which beat a trailing `*`, compared segment by
//! segment from the left; a route for the request's method beats `any`. Pure: no I/O.

use percent_encoding::percent_decode_str;

#[derive(Debug, Clone, Default)]
pub struct HttpRouter {
    routes: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// The route table key, e.g. `GET /things/:id`.
    key: String,
    /// Upper case; `None` for `any`.
    method: Option<String>,
    segments: Vec<Segment>,
    /// Ends in `*`: matches any (possibly empty) rest of the path, given as `proxy`.
    greedy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A request's route and its path parameters (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    pub key: &'a str,
    pub params: Vec<(String, String)>,
}

/// `GET /things/:id`: how API Gateway names an HTTP route, and how wsh keys it.
pub fn http_route_key(method: &str, path: &str) -> String {
    format!("{} {path}", method.to_ascii_uppercase())
}

impl HttpRouter {
    /// A router for `(method, path)` routes as the manifest lists them (`get`, `/things/:id`).
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> HttpRouter {
        let routes = routes
            .into_iter()
            .map(|(method, path)| {
                let mut parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                let greedy = parts.last() == Some(&"*");
                if greedy {
                    parts.pop();
                }
                let segments = parts
                    .iter()
                    .map(|p| match p.strip_prefix(':') {
                        Some(name) => Segment::Param(name.to_string()),
                        None => Segment::Literal(p.to_string()),
                    })
                    .collect();
                let key = http_route_key(method, path);
                let method = (method != "any").then(|| method.to_ascii_uppercase());
                Pattern { key, method, segments, greedy }
            })
            .collect();
        HttpRouter { routes }
    }

    /// The route for `method` (upper case) and `raw_path` (as sent, percent-encoded); `None`
    /// when no route matches. HEAD falls back to GET routes, as HTTP servers do.
    pub fn route(&self, method: &str, raw_path: &str) -> Option<Match<'_>> {
        let segments: Vec<String> = raw_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let method_fits = |m: &Option<String>| match m.as_deref() {
            None => Some(1),
            Some(m) if m == method => Some(0),
            Some("GET") if method == "HEAD" => Some(0),
            Some(_) => None,
        };
        self.routes
            .iter()
            .filter_map(|p| {
                let method_rank = method_fits(&p.method)?;
                let params = p.matches(&segments)?;
                Some((p.rank(), method_rank, p, params))
            })
            .min_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)))
            .map(|(_, _, p, params)| Match { key: &p.key, params })
    }
}

impl Pattern {
    fn matches(&self, path: &[String]) -> Option<Vec<(String, String)>> {
        let fits = if self.greedy { path.len() >= self.segments.len() } else { path.len() == self.segments.len() };
        if !fits {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(path) {
            match segment {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), part.clone())),
            }
        }
        if self.greedy {
            params.push(("proxy".to_string(), path[self.segments.len()..].join("/")));
        }
        Some(params)
    }

    /// Smaller is more specific: per segment, literal 0 and param 1; then a greedy tail 2,
    /// which sorts after any segment.
    fn rank(&self) -> Vec<u8> {
        let mut rank: Vec<u8> = self.segments.iter().map(|s| matches!(s, Segment::Param(_)) as u8).collect();
        rank.push(if self.greedy { 2 } else { 0 });
        rank
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> HttpRouter {
        HttpRouter::new(routes.iter().map(|r| r.split_once(' ').unwrap()))
    }

    fn key<'a>(r: &'a HttpRouter, method: &str, path: &str) -> Option<&'a str> {
        r.route(method, path).map(|m| m.key)
    }

    #[test]
    fn exact_then_params_then_greedy() {
        let r = router(&["get /", "get /things/:id", "get /things/new", "any /*", "post /notify"]);
        assert_eq!(key(&r, "GET", "/"), Some("GET /"));
        assert_eq!(key(&r, "GET", "/things/new"), Some("GET /things/new"));
        assert_eq!(key(&r, "GET", "/things/42"), Some("GET /things/:id"));
        assert_eq!(key(&r, "GET", "/things/42/parts"), Some("ANY /*"));
        assert_eq!(key(&r, "POST", "/notify"), Some("POST /notify"));
        assert_eq!(key(&r, "DELETE", "/notify"), Some("ANY /*"));
        assert_eq!(key(&r, "HEAD", "/things/1"), Some("GET /things/:id"));
    }

    #[test]
    fn params_are_decoded_and_proxy_is_the_rest() {
        let r = router(&["get /things/:id", "get /files/*"]);
        let m = r.route("GET", "/things/a%20b").unwrap();
        assert_eq!(m.params, vec![("id".to_string(), "a b".to_string())]);
        let m = r.route("GET", "/files/x/y.txt").unwrap();
        assert_eq!(m.params, vec![("proxy".to_string(), "x/y.txt".to_string())]);
        assert_eq!(r.route("GET", "/files").unwrap().params, vec![("proxy".to_string(), String::new())]);
    }

    #[test]
    fn methods_must_fit() {
        let r = router(&["post /notify", "get /x/:a/:b"]);
        assert_eq!(key(&r, "GET", "/notify"), None);
        assert_eq!(key(&r, "GET", "/x/1"), None);
        assert_eq!(key(&r, "GET", "/x/1/2/3"), None);
        assert!(router(&[]).route("GET", "/").is_none());
    }

    #[test]
    fn a_literal_earlier_in_the_path_wins() {
        let r = router(&["get /:a/b", "get /a/:b"]);
        assert_eq!(key(&r, "GET", "/a/b"), Some("GET /a/:b"));
        let r = router(&["any /a", "get /a"]);
        assert_eq!(key(&r, "GET", "/a"), Some("GET /a"));
    }
}
