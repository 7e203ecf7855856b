//! API Gateway's `@connections` management API on wsh's own port, so that anything outside a
//! handler (a script, a queue worker, the AWS SDK's `ApiGatewayManagementApi` client pointed at
//! wsh) can push to a connection:
//!
//! - `POST /@connections/{id}`: send the request body (a text frame when it is UTF-8);
//! - `GET /@connections/{id}`: `{connectedAt, lastActiveAt, identity: {sourceIp, userAgent}}`;
//! - `DELETE /@connections/{id}`: close it (204; its `$disconnect` runs).
//!
//! A stage prefix (`/local/@connections/{id}`, as the AWS endpoint has) is accepted. Unknown or
//! closed ids get 410 with the `GoneException` error type the AWS SDKs turn into their
//! exception.
//!
//! Who may use it: without a configured credential, clients on loopback only (any dummy AWS
//! credentials do). With one (`WSH_ACCESS_KEY_ID` / `WSH_SECRET_ACCESS_KEY`), every request must
//! be SigV4-signed with it, from anywhere: that is how an AWS SDK client authenticates, and the
//! secret never crosses the wire. Everyone else gets 403.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Gateway;
use crate::app::snapshot::App;
use crate::decide::sigv4;
use crate::hub::registry::{CloseReason, Frame, SendError};

/// The connection id of an `@connections` path, if this is one.
pub(super) fn connection_id(path: &str) -> Option<String> {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next()?;
    let at = if first == "@connections" {
        segments.next()
    } else {
        segments.next().filter(|s| *s == "@connections").and(segments.next())
    }?;
    if at.is_empty() || segments.next().is_some() {
        return None;
    }
    // Ids are URL-safe, but an SDK may still encode them.
    Some(percent_encoding::percent_decode_str(at).decode_utf8_lossy().into_owned())
}

pub(super) async fn handle(gw: &Gateway, app: &App, peer: SocketAddr, id: String, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, app.limits.send.max_payload).await {
        Ok(b) => b,
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeException", "payload too large"),
    };
    if let Err(why) = admit(gw.credential.as_ref(), peer, &parts, &body) {
        tracing::warn!("refusing @connections {} {id} from {peer}: {why}", parts.method);
        return error(StatusCode::FORBIDDEN, "ForbiddenException", &why);
    }
    match parts.method {
        Method::POST => match gw.hub.send(&id, Frame::from_body(body), app.limits.send) {
            Ok(()) => StatusCode::OK.into_response(),
            Err(e) => send_error(e),
        },
        Method::GET => match gw.hub.info(&id) {
            Ok(info) => axum::Json(serde_json::json!({
                "connectedAt": iso(info.connected_at),
                "lastActiveAt": iso(info.last_active_at),
                "identity": { "sourceIp": info.identity.source_ip, "userAgent": info.identity.user_agent },
            }))
            .into_response(),
            Err(e) => send_error(e),
        },
        Method::DELETE => match gw.hub.close(&id, CloseReason::new(1000, "closed by @connections DELETE")) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => send_error(e),
        },
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowedException", "use POST, GET or DELETE"),
    }
}

/// Whether this request may use the API; why not, when it may not.
fn admit(
    credential: Option<&sigv4::Credential>,
    peer: SocketAddr,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(), String> {
    let Some(credential) = credential else {
        return match peer.ip().is_loopback() {
            true => Ok(()),
            false => Err("the @connections API is open to loopback clients only; to use it from elsewhere, \
                 start wsh with WSH_ACCESS_KEY_ID and WSH_SECRET_ACCESS_KEY and sign requests with them"
                .into()),
        };
    };
    let headers: Vec<(&str, &[u8])> = parts.headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect();
    let request = sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &headers,
        body,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    sigv4::verify(&request, credential, now).map_err(|e| format!("{e} (the API requires the configured credential)"))
}

fn send_error(e: SendError) -> Response {
    match e {
        SendError::Gone => error(StatusCode::GONE, "GoneException", "the connection is gone"),
        SendError::PayloadTooLarge => {
            error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeException", "payload too large")
        }
        SendError::SlowConsumer => {
            error(StatusCode::TOO_MANY_REQUESTS, "LimitExceededException", "the connection is not reading")
        }
    }
}

/// API Gateway's error shape: the type in `x-amzn-ErrorType`, a JSON body with a message.
fn error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let mut response = (status, axum::Json(serde_json::json!({ "message": message }))).into_response();
    response.headers_mut().insert("x-amzn-errortype", header::HeaderValue::from_static(kind));
    response
}

/// Milliseconds since the epoch as ISO 8601, the way the AWS API returns timestamps.
fn iso(ms: u64) -> String {
    let t = time::OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(ms as i64);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(connection_id("/@connections/abc").as_deref(), Some("abc"));
        assert_eq!(connection_id("/local/@connections/abc").as_deref(), Some("abc"));
        assert_eq!(connection_id("/@connections/L0SM9cOFvHcCIhw%3D").as_deref(), Some("L0SM9cOFvHcCIhw="));
        assert_eq!(connection_id("/@connections/"), None);
        assert_eq!(connection_id("/@connections/a/b"), None);
        assert_eq!(connection_id("/other/abc"), None);
        assert_eq!(connection_id("/"), None);
    }

    #[test]
    fn timestamps_are_iso() {
        assert_eq!(iso(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
