//! The `$connect` authorizer, as API Gateway's Lambda REQUEST authorizer: the handshake must
//! carry every identity source (else 401, and the authorizer does not run), then the
//! authorizer's answer allows it (its context reaching every later event as
//! `requestContext.authorizer`) or refuses it (403). Pure: the gateway runs the handler.

use serde_json::{Map, Value};

use crate::bindings::wit;

/// API Gateway's `route.request.header.Auth` and `route.request.querystring.token`: what a
/// handshake must carry for the authorizer to run at all.
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

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentitySource::Header(name) => write!(f, "route.request.header.{name}"),
            IdentitySource::QueryString(name) => write!(f, "route.request.querystring.{name}"),
        }
    }
}

/// Why a handshake is refused, with API Gateway's status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    /// The JSON body API Gateway sends.
    pub body: &'static str,
    /// For the log.
    pub why: String,
}

impl Refusal {
    fn unauthorized(why: String) -> Refusal {
        Refusal { status: 401, body: r#"{"message":"Unauthorized"}"#, why }
    }

    fn forbidden(why: String) -> Refusal {
        Refusal { status: 403, body: r#"{"message":"Forbidden"}"#, why }
    }

    /// API Gateway's AuthorizerConfigurationException: the authorizer is missing, failed, or
    /// answered something that is not a decision. Fails closed.
    pub fn internal(why: String) -> Refusal {
        Refusal { status: 500, body: r#"{"message":null}"#, why }
    }
}

/// The first identity source the handshake lacks (an empty value counts as absent).
pub fn missing<'a>(
    sources: &'a [IdentitySource],
    headers: &[(&str, &str)],
    query: Option<&str>,
) -> Option<&'a IdentitySource> {
    sources.iter().find(|source| match source {
        IdentitySource::Header(name) => {
            !headers.iter().any(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
        }
        IdentitySource::QueryString(name) => !query
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == name.as_str() && !v.is_empty())),
    })
}

pub fn refuse_missing(source: &IdentitySource) -> Refusal {
    let what = match source {
        IdentitySource::Header(name) => format!("header {name}"),
        IdentitySource::QueryString(name) => format!("query string parameter {name}"),
    };
    Refusal::unauthorized(format!("identity source missing: {what}"))
}

/// The authorizer's answer as a decision. Allowed, it is the JSON object that later events
/// carry as `requestContext.authorizer`: the policy's `context` plus its `principalId`.
///
/// Accepted answers: an IAM policy (`{principalId, policyDocument: {Statement: [{Effect,
/// ...}]}, context}`) as API Gateway takes, or the simple `{isAuthorized, context}`; a status
/// of 401 is API Gateway's `Unauthorized` error, any other non-2xx status a denial.
pub fn decide(response: &wit::Response) -> Result<String, Refusal> {
    let status = response.status_code;
    if status == 401 {
        return Err(Refusal::unauthorized("the authorizer answered 401".into()));
    }
    if !(200..300).contains(&status) {
        return Err(Refusal::forbidden(format!("the authorizer answered {status}")));
    }
    let text = match &response.body {
        Some(wit::Data::Text(t)) => t.as_str(),
        Some(wit::Data::Binary(b)) => std::str::from_utf8(b).unwrap_or(""),
        None => "",
    };
    let answer: Map<String, Value> = serde_json::from_str(text).map_err(|_| {
        Refusal::internal(format!(
            "the authorizer's answer is not a JSON policy or {{\"isAuthorized\": ...}} object: {}",
            clip(text)
        ))
    })?;
    let allowed = if let Some(v) = answer.get("isAuthorized") {
        v.as_bool().ok_or_else(|| Refusal::internal("isAuthorized is not a boolean".into()))?
    } else if let Some(policy) = answer.get("policyDocument") {
        policy_allows(policy).map_err(Refusal::internal)?
    } else {
        return Err(Refusal::internal(format!(
            "the authorizer's answer has neither policyDocument nor isAuthorized: {}",
            clip(text)
        )));
    };
    if !allowed {
        return Err(Refusal::forbidden("the authorizer denied the connection".into()));
    }
    let mut context = match answer.get("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => {
            // API Gateway passes only strings, numbers and booleans through.
            if let Some((k, _)) = map.iter().find(|(_, v)| v.is_object() || v.is_array()) {
                return Err(Refusal::internal(format!(
                    "context.{k} is an object or array; authorizer context values are strings, numbers or booleans"
                )));
            }
            map.clone()
        }
        Some(_) => return Err(Refusal::internal("context is not an object".into())),
    };
    if let Some(principal) = answer.get("principalId") {
        context.insert("principalId".into(), principal.clone());
    }
    Ok(Value::Object(context).to_string())
}

/// An explicit Deny anywhere wins, as in IAM; otherwise one Allow is needed.
fn policy_allows(policy: &Value) -> Result<bool, String> {
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("policyDocument has no Statement".into()),
    };
    let effect = |s: &Value| s.get("Effect").and_then(Value::as_str).map(str::to_ascii_lowercase);
    let effects: Vec<Option<String>> = statements.iter().map(|s| effect(s)).collect();
    if effects.iter().any(Option::is_none) {
        return Err("a policy statement has no Effect".into());
    }
    Ok(!effects.iter().any(|e| e.as_deref() == Some("deny")) && effects.iter().any(|e| e.as_deref() == Some("allow")))
}

fn clip(text: &str) -> String {
    if text.is_empty() {
        return "(empty)".into();
    }
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> wit::Response {
        wit::Response { status_code: status, body: Some(wit::Data::Text(body.into())), headers: Vec::new() }
    }

    fn policy(effect: &str) -> String {
        format!(
            r#"{{"principalId":"u1","policyDocument":{{"Version":"2012-10-17","Statement":[{{"Action":"execute-api:Invoke","Effect":"{effect}","Resource":"arn"}}]}},"context":{{"user":"ada","n":1}}}}"#
        )
    }

    #[test]
    fn identity_sources_must_all_be_present() {
        let sources = [IdentitySource::Header("auth".into()), IdentitySource::QueryString("token".into())];
        let headers = [("Auth", "secret")];
        assert_eq!(missing(&sources, &headers, Some("token=t")), None);
        assert_eq!(missing(&sources, &headers, Some("other=t")), Some(&sources[1]));
        assert_eq!(missing(&sources, &headers, Some("token=")), Some(&sources[1]));
        assert_eq!(missing(&sources, &[("auth", " ")], Some("token=t")), Some(&sources[0]));
        assert_eq!(missing(&sources, &[], None), Some(&sources[0]));
        assert_eq!(refuse_missing(&sources[0]).status, 401);
    }

    #[test]
    fn policies_allow_or_deny() {
        let allowed = decide(&answer(200, &policy("Allow"))).unwrap();
        let context: Value = serde_json::from_str(&allowed).unwrap();
        assert_eq!(context, serde_json::json!({"user": "ada", "n": 1, "principalId": "u1"}));
        assert_eq!(decide(&answer(200, &policy("Deny"))).unwrap_err().status, 403);
        let both = r#"{"policyDocument":{"Statement":[{"Effect":"Allow"},{"Effect":"Deny"}]}}"#;
        assert_eq!(decide(&answer(200, both)).unwrap_err().status, 403);
        let single = r#"{"policyDocument":{"Statement":{"Effect":"Allow"}}}"#;
        assert_eq!(decide(&answer(200, single)).unwrap(), "{}");
    }

    #[test]
    fn simple_answers_and_statuses() {
        assert_eq!(decide(&answer(200, r#"{"isAuthorized":true,"context":{"a":"b"}}"#)).unwrap(), r#"{"a":"b"}"#);
        assert_eq!(decide(&answer(200, r#"{"isAuthorized":false}"#)).unwrap_err().status, 403);
        assert_eq!(decide(&answer(401, "")).unwrap_err().status, 401);
        assert_eq!(decide(&answer(418, "")).unwrap_err().status, 403);
    }

    #[test]
    fn answers_that_are_not_decisions_fail_closed() {
        for body in ["", "yes", "[]", r#"{"ok":true}"#, r#"{"policyDocument":{}}"#, r#"{"isAuthorized":"yes"}"#] {
            assert_eq!(decide(&answer(200, body)).unwrap_err().status, 500, "{body}");
        }
        let nested = r#"{"isAuthorized":true,"context":{"roles":["a"]}}"#;
        assert!(decide(&answer(200, nested)).unwrap_err().why.contains("context.roles"));
    }
}
