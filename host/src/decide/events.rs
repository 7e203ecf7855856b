//! The events handlers receive, built the way API Gateway builds them. Pure: no sockets.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::bindings::wit;
use crate::decide::routing::{CONNECT, DISCONNECT};

/// Who is on the other end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub source_ip: String,
    pub user_agent: Option<String>,
}

/// What the app is called where events say so: `requestContext.stage` and `apiId`. Part of
/// the app's settings, so an event reads them from the app it runs in.
#[derive(Debug, Clone)]
pub struct Api {
    pub stage: Arc<str>,
    pub api_id: Arc<str>,
}

/// What every event of one connection shares (and, in a cluster, what another node needs to
/// run its `$disconnect`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ConnectionContext {
    pub connection_id: String,
    pub connected_at: u64,
    /// The `Host` the client connected to.
    pub domain_name: String,
    pub identity: Identity,
    /// The authorizer's context (JSON object), when an authorizer ran on connect.
    pub authorizer: Option<String>,
}

/// A message's content.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

/// The request as the `$connect` event carries it.
pub struct ConnectRequest<'a> {
    /// `(name, value)` pairs in arrival order; names as received.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
}

impl ConnectionContext {
    fn request_context(
        &self,
        api: &Api,
        route_key: &str,
        event_type: wit::EventType,
        request_id: String,
        now: u64,
    ) -> wit::RequestContext {
        wit::RequestContext {
            route_key: route_key.to_string(),
            event_type,
            connection_id: self.connection_id.clone(),
            extended_request_id: request_id.clone(),
            request_id,
            message_id: None,
            connected_at: self.connected_at,
            request_time_epoch: now,
            request_time: common_log_time(now),
            message_direction: "IN".to_string(),
            domain_name: self.domain_name.clone(),
            stage: api.stage.to_string(),
            api_id: api.api_id.to_string(),
            identity: wit::Identity {
                source_ip: self.identity.source_ip.clone(),
                user_agent: self.identity.user_agent.clone(),
            },
            disconnect_status_code: None,
            disconnect_reason: None,
            authorizer: self.authorizer.clone(),
        }
    }

    pub fn connect(&self, api: &Api, request: &ConnectRequest<'_>, request_id: String, now: u64) -> wit::Event {
        let query: Vec<(String, String)> =
            request.query.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
        let owned: Vec<(String, String)> =
            request.headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        wit::Event {
            request_context: self.request_context(api, CONNECT, wit::EventType::Connect, request_id, now),
            headers: Some(last_values(&owned)),
            multi_value_headers: Some(multi_values(&owned)),
            query_string_parameters: (!query.is_empty()).then(|| last_values(&query)),
            multi_value_query_string_parameters: (!query.is_empty()).then(|| multi_values(&query)),
            body: None,
            is_base64_encoded: false,
            method_arn: None,
        }
    }

    /// The `$connect` authorizer's event: the connect event plus the ARN of the route it
    /// authorizes, as API Gateway's REQUEST authorizer receives.
    pub fn authorize(&self, api: &Api, request: &ConnectRequest<'_>, request_id: String, now: u64) -> wit::Event {
        let mut event = self.connect(api, request, request_id, now);
        event.method_arn =
            Some(format!("arn:aws:execute-api:local:000000000000:{}/{}/{CONNECT}", api.api_id, api.stage));
        event
    }

    pub fn message(
        &self,
        api: &Api,
        route_key: &str,
        body: Body<'_>,
        request_id: String,
        message_id: String,
        now: u64,
    ) -> wit::Event {
        let mut request_context = self.request_context(api, route_key, wit::EventType::Message, request_id, now);
        request_context.message_id = Some(message_id);
        let (body, is_base64_encoded) = match body {
            Body::Text(t) => (t.to_string(), false),
            Body::Binary(b) => (STANDARD.encode(b), true),
        };
        wit::Event {
            request_context,
            headers: None,
            multi_value_headers: None,
            query_string_parameters: None,
            multi_value_query_string_parameters: None,
            body: Some(body),
            is_base64_encoded,
            method_arn: None,
        }
    }

    pub fn disconnect(&self, api: &Api, code: u16, reason: &str, request_id: String, now: u64) -> wit::Event {
        let mut request_context = self.request_context(api, DISCONNECT, wit::EventType::Disconnect, request_id, now);
        request_context.disconnect_status_code = Some(code);
        request_context.disconnect_reason = Some(reason.to_string());
        wit::Event {
            request_context,
            headers: None,
            multi_value_headers: None,
            query_string_parameters: None,
            multi_value_query_string_parameters: None,
            body: None,
            is_base64_encoded: false,
            method_arn: None,
        }
    }
}

/// `30/Nov/2026:15:39:50 +0000`: API Gateway's `requestTime`, Common Log Format, in UTC.
fn common_log_time(epoch_ms: u64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    time::OffsetDateTime::from_unix_timestamp((epoch_ms / 1000) as i64)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_default()
}

/// One entry per name, the last value winning, in first-seen order.
fn last_values(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(name, _)| name == k) {
            Some(entry) => entry.1 = v.clone(),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

fn multi_values(pairs: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(name, _)| name == k) {
            Some(entry) => entry.1.push(v.clone()),
            None => out.push((k.clone(), vec![v.clone()])),
        }
    }
    out
}

/// API Gateway's error frame: `{"message": ..., "connectionId": ..., "requestId": ...}`.
pub fn error_frame(message: &str, connection_id: &str, request_id: &str) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ErrorFrame<'a> {
        message: &'a str,
        connection_id: &'a str,
        request_id: &'a str,
    }
    serde_json::to_string(&ErrorFrame { message, connection_id, request_id }).expect("plain strings serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ConnectionContext {
        ConnectionContext {
            connection_id: "c1".into(),
            connected_at: 10,
            domain_name: "localhost:3333".into(),
            identity: Identity { source_ip: "127.0.0.1".into(), user_agent: Some("ua".into()) },
            authorizer: None,
        }
    }

    fn api() -> Api {
        Api { stage: "local".into(), api_id: "app".into() }
    }

    #[test]
    fn connect_event_carries_headers_and_query() {
        let req = ConnectRequest {
            headers: vec![("host", "h"), ("x-a", "1"), ("x-a", "2")],
            query: Some("token=t&room=a&room=b"),
        };
        let e = ctx().connect(&api(), &req, "r1".into(), 20);
        assert_eq!(e.request_context.route_key, "$connect");
        assert!(matches!(e.request_context.event_type, wit::EventType::Connect));
        assert_eq!(e.request_context.request_time_epoch, 20);
        assert_eq!(e.request_context.request_time, "01/Jan/1970:00:00:00 +0000");
        assert_eq!(e.request_context.extended_request_id, "r1");
        assert_eq!(e.request_context.message_direction, "IN");
        assert_eq!(e.headers.unwrap(), vec![("host".into(), "h".into()), ("x-a".into(), "2".into())]);
        assert_eq!(e.multi_value_headers.unwrap()[1], ("x-a".to_string(), vec!["1".to_string(), "2".to_string()]));
        assert_eq!(e.query_string_parameters.unwrap(), vec![("token".into(), "t".into()), ("room".into(), "b".into())]);
        assert!(e.body.is_none());
    }

    #[test]
    fn message_event_base64_encodes_binary() {
        let e = ctx().message(&api(), "$default", Body::Binary(&[0, 255]), "r".into(), "m".into(), 30);
        assert_eq!(e.body.as_deref(), Some("AP8="));
        assert!(e.is_base64_encoded);
        assert_eq!(e.request_context.message_id.as_deref(), Some("m"));
        assert!(e.headers.is_none());
    }

    #[test]
    fn disconnect_event_carries_the_close_code() {
        let e = ctx().disconnect(&api(), 1001, "going away", "r".into(), 40);
        assert_eq!(e.request_context.disconnect_status_code, Some(1001));
        assert_eq!(e.request_context.route_key, "$disconnect");
        assert!(e.request_context.message_id.is_none());
    }

    #[test]
    fn request_time_is_common_log_format() {
        assert_eq!(common_log_time(1_796_053_190_123), "30/Nov/2026:15:39:50 +0000");
    }

    #[test]
    fn error_frame_shape() {
        assert_eq!(
            error_frame("Internal server error", "c", "r"),
            r#"{"message":"Internal server error","connectionId":"c","requestId":"r"}"#
        );
    }
}
