//! The `@rooms` API, beside `@connections` and under the same access rule: publish to a room
//! from outside the app, and see who is in it.
//!
//! - `POST /@rooms/{room}`: the body goes to every member (a text frame when it is UTF-8);
//!   answers `{"queued": n}`;
//! - `GET /@rooms/{room}?cursor=&limit=`: `{"members": [...], "cursor": ...}`, a page of member
//!   connection ids.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Gateway;
use super::management::{self, error};
use crate::app::snapshot::App;
use crate::hub::RoomError;
use crate::hub::registry::Frame;
use crate::hub::rooms::PAGE;

pub(super) const API: &str = "@rooms";

pub(super) async fn handle(gw: &Gateway, app: &App, peer: SocketAddr, room: String, req: Request) -> Response {
    let (parts, body) = match management::admit(gw, app, peer, API, &room, req).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    match parts.method {
        Method::POST => match gw.hub.publish(&room, &Frame::from_body(body), &[], app.limits.send).await {
            Ok(queued) => axum::Json(json!({ "queued": queued })).into_response(),
            Err(e) => room_error(e),
        },
        Method::GET => {
            let query: Vec<(String, String)> =
                form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()).into_owned().collect();
            let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            let limit = param("limit").and_then(|l| l.parse().ok()).unwrap_or(PAGE);
            match gw.hub.members(&room, param("cursor"), limit).await {
                Ok((members, cursor)) => axum::Json(json!({ "members": members, "cursor": cursor })).into_response(),
                Err(e) => room_error(e),
            }
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowedException", "use POST or GET"),
    }
}

fn room_error(e: RoomError) -> Response {
    match e {
        RoomError::InvalidRoom(why) => error(StatusCode::BAD_REQUEST, "BadRequestException", &why),
        RoomError::PayloadTooLarge => {
            error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeException", "payload too large")
        }
        RoomError::Gone => error(StatusCode::GONE, "GoneException", "the connection is gone"),
        RoomError::Unavailable(why) => error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", &why),
    }
}
