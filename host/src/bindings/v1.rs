//! `wsh:handler@0.1.0`, as components built before 0.2.0 import and export it, and the
//! conversions to and from 0.2.0: the host runs one implementation of everything and speaks each
//! version at the edge. What 0.2.0 added is dropped on the way to a 0.1.0 component; what 0.1.0
//! cannot express is refused loudly, never turned into something else.

pub(crate) mod ws_world {
    wasmtime::component::bindgen!({
        path: "../wit/compat/0.1.0",
        world: "ws-handler",
        exports: { default: async },
        // An error 0.1.0 has no value for is a trap.
        imports: { default: async | trappable },
    });
}

pub(crate) mod http_world {
    wasmtime::component::bindgen!({
        path: "../wit/compat/0.1.0",
        world: "http-handler",
        exports: { default: async },
        with: {
            "wsh:handler/types": super::ws_world::wsh::handler::types,
            "wsh:handler/ws": super::ws_world::wsh::handler::ws,
        },
    });
}

pub(crate) use http_world::wsh::handler::http_types as http_wit;
pub(crate) use ws_world::wsh::handler::types as wit;

use super::{http_wit as http_v2, wit as v2};

pub(crate) fn event(e: &v2::Event) -> wit::Event {
    let c = &e.request_context;
    wit::Event {
        request_context: wit::RequestContext {
            route_key: c.route_key.clone(),
            event_type: match c.event_type {
                v2::EventType::Connect => wit::EventType::Connect,
                v2::EventType::Message => wit::EventType::Message,
                v2::EventType::Disconnect => wit::EventType::Disconnect,
            },
            connection_id: c.connection_id.clone(),
            request_id: c.request_id.clone(),
            message_id: c.message_id.clone(),
            connected_at: c.connected_at,
            request_time_epoch: c.request_time_epoch,
            domain_name: c.domain_name.clone(),
            stage: c.stage.clone(),
            api_id: c.api_id.clone(),
            identity: identity(c.identity.clone()),
            disconnect_status_code: c.disconnect_status_code,
            disconnect_reason: c.disconnect_reason.clone(),
            authorizer: c.authorizer.clone(),
        },
        headers: e.headers.clone(),
        multi_value_headers: e.multi_value_headers.clone(),
        query_string_parameters: e.query_string_parameters.clone(),
        multi_value_query_string_parameters: e.multi_value_query_string_parameters.clone(),
        body: e.body.clone(),
        is_base64_encoded: e.is_base64_encoded,
        method_arn: e.method_arn.clone(),
    }
}

pub(crate) fn response(r: wit::Response) -> v2::Response {
    v2::Response { status_code: r.status_code, body: r.body.map(data), headers: r.headers }
}

pub(crate) fn data(d: wit::Data) -> v2::Data {
    match d {
        wit::Data::Text(t) => v2::Data::Text(t),
        wit::Data::Binary(b) => v2::Data::Binary(b),
    }
}

fn identity(i: v2::Identity) -> wit::Identity {
    wit::Identity { source_ip: i.source_ip, user_agent: i.user_agent }
}

pub(crate) fn connection_info(i: v2::ConnectionInfo) -> wit::ConnectionInfo {
    wit::ConnectionInfo {
        connection_id: i.connection_id,
        connected_at: i.connected_at,
        last_active_at: i.last_active_at,
        identity: identity(i.identity),
    }
}

/// A 0.2.0 error as 0.1.0 knows it; `unavailable` has no 0.1.0 form, and is the message of a
/// trap instead (the caller gets `Internal server error`, the log says why).
pub(crate) fn ws_error(e: v2::WsError) -> Result<wit::WsError, String> {
    match e {
        v2::WsError::Gone => Ok(wit::WsError::Gone),
        v2::WsError::PayloadTooLarge => Ok(wit::WsError::PayloadTooLarge),
        v2::WsError::SlowConsumer => Ok(wit::WsError::SlowConsumer),
        v2::WsError::Unavailable(why) => Err(format!(
            "{why} (a wsh:handler@0.1.0 component has no error value for this; rebuilt against 0.2.0 it gets `unavailable`)"
        )),
    }
}

pub(crate) fn http_request(r: &http_v2::HttpRequest) -> http_wit::HttpRequest {
    let c = &r.request_context;
    http_wit::HttpRequest {
        route_key: r.route_key.clone(),
        method: r.method.clone(),
        raw_path: r.raw_path.clone(),
        raw_query_string: r.raw_query_string.clone(),
        path_parameters: r.path_parameters.clone(),
        query_string_parameters: r.query_string_parameters.clone(),
        headers: r.headers.clone(),
        cookies: r.cookies.clone(),
        body: r.body.clone(),
        is_base64_encoded: r.is_base64_encoded,
        request_context: http_wit::HttpRequestContext {
            request_id: c.request_id.clone(),
            time_epoch: c.time_epoch,
            domain_name: c.domain_name.clone(),
            stage: c.stage.clone(),
            api_id: c.api_id.clone(),
            source_ip: c.source_ip.clone(),
            user_agent: c.user_agent.clone(),
        },
    }
}

pub(crate) fn http_response(r: http_wit::HttpResponse) -> http_v2::HttpResponse {
    http_v2::HttpResponse {
        status_code: r.status_code,
        headers: r.headers,
        cookies: r.cookies,
        body: r.body,
        is_base64_encoded: r.is_base64_encoded,
    }
}
