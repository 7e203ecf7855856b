//! Route selection: which route a message goes to.
//!
//! API Gateway evaluates a route selection expression against the JSON body of every message:
//! `$request.body.action` picks the `action` field; `${request.body.a}-${request.body.b}`
//! concatenates. A body that is not JSON, a missing field, or a key with no route goes to
//! `$default`. Pure code: no sockets, no wasm.

use serde_json::Value;

pub const CONNECT: &str = "$connect";
pub const DISCONNECT: &str = "$disconnect";
pub const DEFAULT: &str = "$default";
/// The `$connect` authorizer's key in the route table. No message can select it: custom route
/// keys cannot start with `$`.
pub const AUTHORIZER: &str = "$authorizer";

/// A parsed route selection expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A path into the JSON body: `["message", "type"]` for `request.body.message.type`.
    Body(Vec<String>),
}

impl Selector {
    pub fn parse(expr: &str) -> Result<Selector, String> {
        let bad = |why: &str| format!("route selection expression '{expr}' {why} (expected e.g. $request.body.action)");
        let mut parts = Vec::new();
        if !expr.contains("${") {
            let path = expr.strip_prefix("$request.body.").ok_or_else(|| bad("does not start with $request.body."))?;
            parts.push(Part::Body(body_path(path).ok_or_else(|| bad("has an empty field name"))?));
            return Ok(Selector { parts });
        }
        let mut rest = expr;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let end = rest[start..].find('}').ok_or_else(|| bad("has an unclosed ${"))? + start;
            let inner = &rest[start + 2..end];
            let path = inner.strip_prefix("request.body.").ok_or_else(|| bad("can only refer to request.body"))?;
            parts.push(Part::Body(body_path(path).ok_or_else(|| bad("has an empty field name"))?));
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Selector { parts })
    }

    /// The route key this body selects, if it selects one. `None` means `$default`.
    pub fn key(&self, body: &str) -> Option<String> {
        let json: Value = serde_json::from_str(body).ok()?;
        let mut key = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => key.push_str(s),
                Part::Body(path) => {
                    let mut v = &json;
                    for field in path {
                        v = v.get(field)?;
                    }
                    match v {
                        Value::String(s) => key.push_str(s),
                        Value::Number(n) => key.push_str(&n.to_string()),
                        Value::Bool(b) => key.push_str(if *b { "true" } else { "false" }),
                        _ => return None,
                    }
                }
            }
        }
        Some(key)
    }

    /// The route for a message: the selected key when `has_route` knows it, else `$default`.
    /// Binary frames have no JSON body and always go to `$default`.
    pub fn select(&self, text: Option<&str>, has_route: impl Fn(&str) -> bool) -> String {
        text.and_then(|t| self.key(t))
            .filter(|k| is_message_route(k) && has_route(k))
            .unwrap_or_else(|| DEFAULT.to_string())
    }
}

/// Whether a message may select `key`: not `$connect` and friends (custom keys never start with
/// `$`), and not an HTTP route (`GET /x`: custom keys never hold a space).
pub fn is_message_route(key: &str) -> bool {
    !key.starts_with('$') && !key.contains(' ')
}

fn body_path(path: &str) -> Option<Vec<String>> {
    let fields: Vec<String> = path.split('.').map(str::to_string).collect();
    fields.iter().all(|f| !f.is_empty()).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(expr: &str) -> Selector {
        Selector::parse(expr).unwrap()
    }

    #[test]
    fn selects_by_action() {
        let s = sel("$request.body.action");
        let routes = |k: &str| k == "join" || k == "7";
        assert_eq!(s.select(Some(r#"{"action":"join","room":1}"#), routes), "join");
        assert_eq!(s.select(Some(r#"{"action":"leave"}"#), routes), DEFAULT);
        assert_eq!(s.select(Some(r#"{"text":"hi"}"#), routes), DEFAULT);
        assert_eq!(s.select(Some("not json"), routes), DEFAULT);
        // Routes of other kinds share the table but are not for messages.
        let all = |_: &str| true;
        assert_eq!(s.select(Some(r#"{"action":"$authorizer"}"#), all), DEFAULT);
        assert_eq!(s.select(Some(r#"{"action":"GET /"}"#), all), DEFAULT);
        assert_eq!(s.select(Some(r#"{"action":7}"#), routes), "7");
        assert_eq!(s.select(Some(r#"{"action":{"x":1}}"#), routes), DEFAULT);
        assert_eq!(s.select(Some(r#"["join"]"#), routes), DEFAULT);
        assert_eq!(s.select(None, routes), DEFAULT);
    }

    #[test]
    fn builtin_keys_are_not_selectable() {
        let s = sel("$request.body.action");
        assert_eq!(s.select(Some(r#"{"action":"$connect"}"#), |_| true), DEFAULT);
    }

    #[test]
    fn nested_and_template_expressions() {
        assert_eq!(sel("$request.body.message.type").key(r#"{"message":{"type":"a"}}"#).as_deref(), Some("a"));
        let t = sel("${request.body.service}-${request.body.action}");
        assert_eq!(t.key(r#"{"service":"chat","action":"send"}"#).as_deref(), Some("chat-send"));
        assert_eq!(t.key(r#"{"service":"chat"}"#), None);
        assert_eq!(sel("v1:${request.body.a}").key(r#"{"a":"x"}"#).as_deref(), Some("v1:x"));
    }

    #[test]
    fn bad_expressions() {
        assert!(Selector::parse("body.action").is_err());
        assert!(Selector::parse("$request.body.").is_err());
        assert!(Selector::parse("${request.body.a").is_err());
        assert!(Selector::parse("${request.header.a}").is_err());
        assert!(Selector::parse("$request.body.a..b").is_err());
    }
}
