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
//! Who may use it is `management`'s rule: loopback, or requests signed with the credential.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Gateway;
use super::management::{self, error};
use crate::app::snapshot::App;
use crate::hub::registry::{CloseReason, Frame, SendError};

pub(super) const API: &str = "@connections";

pub(super) async fn handle(gw: &Gateway, app: &App, peer: SocketAddr, id: String, req: Request) -> Response {
    let (parts, body) = match management::admit(gw, app, peer, "@connections", &id, req).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    match parts.method {
        Method::POST => match gw.hub.send(&id, Frame::from_body(body), app.limits.send).await {
            Ok(()) => StatusCode::OK.into_response(),
            Err(e) => send_error(e),
        },
        Method::GET => match gw.hub.info(&id).await {
            Ok(info) => axum::Json(serde_json::json!({
                "connectedAt": iso(info.connected_at),
                "lastActiveAt": iso(info.last_active_at),
                "identity": { "sourceIp": info.identity.source_ip, "userAgent": info.identity.user_agent },
            }))
            .into_response(),
            Err(e) => send_error(e),
        },
        Method::DELETE => match gw.hub.close(&id, CloseReason::new(1000, "closed by @connections DELETE")).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => send_error(e),
        },
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowedException", "use POST, GET or DELETE"),
    }
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
        SendError::Unavailable(why) => error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", &why),
    }
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
    fn timestamps_are_iso() {
        assert_eq!(iso(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
