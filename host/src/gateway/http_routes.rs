//! An `@http` request, end to end: read it as API Gateway's HTTP API would (payload format
//! 2.0), run the route's handler on a fresh instance, and turn its answer into a response.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;

use super::{Call, Gateway, access_log};
use crate::app::snapshot::App;
use crate::bindings::http_wit;
use crate::decide::http_router::Match;
use crate::ids::{new_id, now_ms};
use crate::metrics::Outcome;
use crate::recent;
use crate::runtime::{CallError, Handler};
use crate::stats::{Stats, stats};

/// Lambda's request payload limit.
const MAX_BODY: usize = 6 << 20;

/// A request body must arrive within this; the head already had its own deadline.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `req` with the route `matched` chose from `app`: the handler comes from the same
/// app as the match, so a reload in between cannot split them.
pub(super) async fn serve(gw: &Gateway, app: &App, peer: SocketAddr, matched: Match<'_>, req: Request) -> Response {
    Stats::add(&stats().http_requests);
    let key = matched.key;
    let handler = match app.handler(key) {
        Some(Ok(handler)) => handler,
        Some(Err(why)) => {
            tracing::error!(route = %key, "request refused: the handler did not load: {why}");
            return error(StatusCode::INTERNAL_SERVER_ERROR);
        }
        None => {
            tracing::error!(route = %key, "request refused: the route has no handler in its directory");
            return error(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let request = match read(req, peer, key, matched.params, app).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    call(gw, app, &handler, key, request).await
}

async fn call(gw: &Gateway, app: &App, handler: &Arc<Handler>, key: &str, request: http_wit::HttpRequest) -> Response {
    let request_id = request.request_context.request_id.clone();
    let started = Instant::now();
    let outcome = gw.runtime.call_http(handler, app.limits.clone(), request).await;
    let ended = outcome.as_ref().map_or_else(CallError::outcome, |_| Outcome::Ok);
    if let Err(e) = &outcome {
        recent::failure(key, "-", &request_id, e.to_string());
    }
    let response = respond_to(outcome, key, &request_id);
    if app.settings().access_log {
        let call = Call { route: key, connection: "-", request: &request_id };
        access_log("http request", call, response.status().as_u16(), ended, started);
    }
    response
}

fn respond_to(outcome: Result<http_wit::HttpResponse, CallError>, key: &str, request_id: &str) -> Response {
    match outcome {
        Ok(answer) => respond(answer).unwrap_or_else(|why| {
            tracing::error!(route = %key, request = %request_id, "bad response from the handler: {why}");
            error(StatusCode::INTERNAL_SERVER_ERROR)
        }),
        Err(e) => {
            Stats::add(&stats().handler_errors);
            tracing::error!(route = %key, request = %request_id, "{e}");
            // API Gateway's answers: 503 when the integration timed out, else 500.
            match e {
                CallError::Timeout(_) => error(StatusCode::SERVICE_UNAVAILABLE),
                _ => error(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
    }
}

async fn read(
    req: Request,
    peer: SocketAddr,
    key: &str,
    params: Vec<(String, String)>,
    app: &App,
) -> Result<http_wit::HttpRequest, Response> {
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(error(StatusCode::PAYLOAD_TOO_LARGE));
        }
        Ok(Err(e)) => {
            tracing::info!(route = %key, "request body from {peer} broke off: {e}");
            return Err(error(StatusCode::BAD_REQUEST));
        }
        Err(_) => return Err(error(StatusCode::REQUEST_TIMEOUT)),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == header::COOKIE {
            cookies.extend(value.split(';').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string));
            continue;
        }
        join_into(&mut headers, name.as_str(), value);
    }
    let mut query = Vec::new();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        join_into(&mut query, &k, v.into_owned());
    }
    let text = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
    let content_type = text(header::CONTENT_TYPE).unwrap_or_default();
    let (body, is_base64_encoded) = match (bytes.is_empty(), is_text(&content_type), std::str::from_utf8(&bytes)) {
        (true, _, _) => (None, false),
        (false, true, Ok(t)) => (Some(t.to_string()), false),
        _ => (Some(STANDARD.encode(&bytes)), true),
    };
    Ok(http_wit::HttpRequest {
        route_key: key.to_string(),
        method: parts.method.as_str().to_string(),
        raw_path: parts.uri.path().to_string(),
        raw_query_string: parts.uri.query().unwrap_or("").to_string(),
        path_parameters: params,
        query_string_parameters: query,
        headers,
        cookies,
        body,
        is_base64_encoded,
        request_context: http_wit::HttpRequestContext {
            request_id: new_id(),
            time_epoch: now_ms(),
            domain_name: text(header::HOST).unwrap_or_else(|| "localhost".into()),
            stage: app.api.stage.to_string(),
            api_id: app.api.api_id.to_string(),
            source_ip: peer.ip().to_string(),
            user_agent: text(header::USER_AGENT),
        },
    })
}

/// API Gateway joins a repeated header or parameter's values with commas.
fn join_into(pairs: &mut Vec<(String, String)>, name: &str, value: String) {
    match pairs.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => {
            v.push(',');
            v.push_str(&value);
        }
        None => pairs.push((name.to_string(), value)),
    }
}

/// Bodies API Gateway hands over as text; everything else arrives base64-encoded.
fn is_text(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime.is_empty()
        || mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || ["application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded"]
            .contains(&mime.as_str())
}

fn respond(answer: http_wit::HttpResponse) -> Result<Response, String> {
    let status = StatusCode::from_u16(answer.status_code).map_err(|_| format!("status {}", answer.status_code))?;
    let body = match (answer.body, answer.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(b), true) => {
            STANDARD.decode(b.trim()).map_err(|e| format!("isBase64Encoded, but the body is not: {e}"))?
        }
        (Some(t), false) => t.into_bytes(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        let name = HeaderName::try_from(name.as_str()).map_err(|_| format!("header name {name:?}"))?;
        let value = HeaderValue::try_from(value.as_str()).map_err(|_| format!("header {name}: value {value:?}"))?;
        headers.append(name, value);
    }
    for cookie in answer.cookies {
        let value = HeaderValue::try_from(cookie.as_str()).map_err(|_| format!("cookie {cookie:?}"))?;
        headers.append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// API Gateway's error bodies.
fn error(status: StatusCode) -> Response {
    let message = status.canonical_reason().unwrap_or("Error");
    (status, [(header::CONTENT_TYPE, "application/json")], format!("{{\"message\":\"{message}\"}}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bodies_by_content_type() {
        for t in ["", "text/html; charset=utf-8", "application/json", "application/ld+json", "image/svg+xml"] {
            assert!(is_text(t), "{t}");
        }
        for t in ["application/octet-stream", "image/png", "multipart/form-data; boundary=x"] {
            assert!(!is_text(t), "{t}");
        }
    }

    #[test]
    fn repeated_values_are_joined() {
        let mut pairs = Vec::new();
        join_into(&mut pairs, "a", "1".into());
        join_into(&mut pairs, "b", "2".into());
        join_into(&mut pairs, "a", "3".into());
        assert_eq!(pairs, vec![("a".into(), "1,3".into()), ("b".into(), "2".into())]);
    }

    #[test]
    fn responses_keep_cookies_and_decode_base64() {
        let answer = http_wit::HttpResponse {
            status_code: 201,
            headers: vec![("content-type".into(), "image/png".into())],
            cookies: vec!["a=1".into(), "b=2; HttpOnly".into()],
            body: Some(STANDARD.encode([0u8, 159, 146, 150])),
            is_base64_encoded: true,
        };
        let r = respond(answer).unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers().get_all(header::SET_COOKIE).iter().count(), 2);
        let bad = http_wit::HttpResponse {
            status_code: 200,
            headers: vec![("bad header".into(), "x".into())],
            cookies: vec![],
            body: None,
            is_base64_encoded: false,
        };
        assert!(respond(bad).unwrap_err().contains("header name"));
    }
}
