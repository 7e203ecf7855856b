//! What the management APIs (`@connections`, `@rooms`, and wsh's `/metrics` and `/_wsh`) share:
//! their paths, who may use them, and API Gateway's error shape.
//!
//! Who may use them: without a configured credential, clients on loopback only (any dummy AWS
//! credentials do). With one (`WSH_ACCESS_KEY_ID` / `WSH_SECRET_ACCESS_KEY`), every request must
//! be SigV4-signed with it, from anywhere: that is how an AWS SDK client authenticates, and the
//! secret never crosses the wire. Everyone else gets 403.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Gateway;
use crate::app::snapshot::App;
use crate::decide::sigv4;

/// The target of a management path (`/@connections/{id}`, `/{stage}/@rooms/{room}`), decoded,
/// when `path` is one under `api`.
pub(super) fn target(path: &str, api: &str) -> Option<String> {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next()?;
    let at = if first == api { segments.next() } else { segments.next().filter(|s| *s == api).and(segments.next()) }?;
    if at.is_empty() || segments.next().is_some() {
        return None;
    }
    // Ids are URL-safe, but an SDK may still encode them; room names may need it.
    Some(percent_encoding::percent_decode_str(at).decode_utf8_lossy().into_owned())
}

/// Reads the request's body (at most one message) and checks who sent it; the request's parts
/// and body, or the refusal to send.
pub(super) async fn admit(
    gw: &Gateway,
    app: &App,
    peer: SocketAddr,
    api: &str,
    target: &str,
    req: Request,
) -> Result<(Parts, Bytes), Response> {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, app.limits.send.max_payload)
        .await
        .map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeException", "payload too large"))?;
    if let Err(why) = allowed(gw.credential.as_ref(), peer, &parts, &body) {
        tracing::warn!("refusing {api} {} {target} from {peer}: {why}", parts.method);
        return Err(error(StatusCode::FORBIDDEN, "ForbiddenException", &why));
    }
    Ok((parts, body))
}

/// Whether this request may use the API; why not, when it may not.
fn allowed(
    credential: Option<&sigv4::Credential>,
    peer: SocketAddr,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(), String> {
    let Some(credential) = credential else {
        return match peer.ip().is_loopback() {
            true => Ok(()),
            false => Err("the management APIs (@connections, @rooms, /metrics, /_wsh) are open to loopback clients only; to use them from elsewhere, \
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

/// API Gateway's error shape: the type in `x-amzn-ErrorType`, a JSON body with a message.
pub(super) fn error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let mut response = (status, axum::Json(serde_json::json!({ "message": message }))).into_response();
    response.headers_mut().insert("x-amzn-errortype", header::HeaderValue::from_static(kind));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let id = |p| target(p, "@connections");
        assert_eq!(id("/@connections/abc").as_deref(), Some("abc"));
        assert_eq!(id("/local/@connections/abc").as_deref(), Some("abc"));
        assert_eq!(id("/@connections/L0SM9cOFvHcCIhw%3D").as_deref(), Some("L0SM9cOFvHcCIhw="));
        assert_eq!(id("/@connections/"), None);
        assert_eq!(id("/@connections/a/b"), None);
        assert_eq!(id("/other/abc"), None);
        assert_eq!(id("/"), None);
        assert_eq!(target("/@rooms/a%2Fb", "@rooms").as_deref(), Some("a/b"));
        assert_eq!(target("/@rooms/lobby", "@connections"), None);
    }
}
