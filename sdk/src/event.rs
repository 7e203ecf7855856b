//! The event a handler receives, with API Gateway's field names.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::bindings::wsh::handler::types as wit;

/// One WebSocket event. Serializes to the JSON a Lambda behind API Gateway receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub request_context: RequestContext,
    /// `$connect` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_value_headers: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_string_parameters: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_value_query_string_parameters: Option<BTreeMap<String, Vec<String>>>,
    /// Messages only: the text, or base64 of the bytes when `is_base64_encoded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub is_base64_encoded: bool,
    /// Authorizer calls only: `REQUEST`, as API Gateway's REQUEST authorizer event has.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Authorizer calls only: the route being authorized, for the policy's `Resource`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    pub route_key: String,
    pub event_type: EventType,
    pub connection_id: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub connected_at: u64,
    pub request_time_epoch: u64,
    /// `30/Nov/2026:15:39:50 +0000`.
    pub request_time: String,
    pub extended_request_id: String,
    /// `IN`.
    pub message_direction: String,
    pub domain_name: String,
    pub stage: String,
    pub api_id: String,
    pub identity: Identity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnect_status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnect_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    Connect,
    Message,
    Disconnect,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub source_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Event {
    pub fn connection_id(&self) -> &str {
        &self.request_context.connection_id
    }

    pub fn route_key(&self) -> &str {
        &self.request_context.route_key
    }

    /// The body of a text message.
    pub fn text(&self) -> Option<&str> {
        if self.is_base64_encoded { None } else { self.body.as_deref() }
    }

    /// The body's bytes, decoding base64 for binary messages.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let body = self.body.as_deref()?;
        if self.is_base64_encoded {
            base64::engine::general_purpose::STANDARD.decode(body).ok()
        } else {
            Some(body.as_bytes().to_vec())
        }
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.text().unwrap_or("null"))
    }

    /// A `$connect` header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let headers = self.headers.as_ref()?;
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A `$connect` query string parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_string_parameters.as_ref()?.get(name).map(String::as_str)
    }
}

fn map<V>(pairs: Option<Vec<(String, V)>>) -> Option<BTreeMap<String, V>> {
    pairs.map(|p| p.into_iter().collect())
}

impl From<wit::Identity> for Identity {
    fn from(i: wit::Identity) -> Identity {
        Identity { source_ip: i.source_ip, user_agent: i.user_agent }
    }
}

impl From<wit::Event> for Event {
    fn from(e: wit::Event) -> Event {
        let c = e.request_context;
        Event {
            request_context: RequestContext {
                route_key: c.route_key,
                event_type: match c.event_type {
                    wit::EventType::Connect => EventType::Connect,
                    wit::EventType::Message => EventType::Message,
                    wit::EventType::Disconnect => EventType::Disconnect,
                },
                connection_id: c.connection_id,
                request_id: c.request_id,
                message_id: c.message_id,
                connected_at: c.connected_at,
                request_time_epoch: c.request_time_epoch,
                request_time: c.request_time,
                extended_request_id: c.extended_request_id,
                message_direction: c.message_direction,
                domain_name: c.domain_name,
                stage: c.stage,
                api_id: c.api_id,
                identity: c.identity.into(),
                disconnect_status_code: c.disconnect_status_code,
                disconnect_reason: c.disconnect_reason,
                authorizer: c.authorizer.and_then(|a| serde_json::from_str(&a).ok()),
            },
            headers: map(e.headers),
            multi_value_headers: map(e.multi_value_headers),
            query_string_parameters: map(e.query_string_parameters),
            multi_value_query_string_parameters: map(e.multi_value_query_string_parameters),
            body: e.body,
            is_base64_encoded: e.is_base64_encoded,
            kind: e.method_arn.as_ref().map(|_| "REQUEST".to_string()),
            method_arn: e.method_arn,
        }
    }
}
