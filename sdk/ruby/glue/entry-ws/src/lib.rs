//! The `handle` export of a Ruby `@ws` handler (or `$connect` authorizer): the WIT event as the
//! JSON of the Hash a Lambda behind API Gateway receives (the Python SDK's keys, absent fields
//! left out), handed to the Ruby SDK's `Wsh.dispatch`, whose answer becomes the WIT response.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

wit_bindgen::generate!({
    inline: r#"
        package wsh:ruby-glue;

        world entry-ws {
            import ruby:legacy/guest@0.1.0;
            use wsh:handler/types@0.2.0.{event, response};
            export handle: func(event: event) -> result<response, string>;
        }
    "#,
    // wsh's WIT (the repository's wit/), then ruby.wasm's.
    path: ["../../../../wit", "../../wit"],
    world: "wsh:ruby-glue/entry-ws",
    generate_all,
});

#[path = "../../vm/vm.rs"]
mod vm;

use wsh::handler::types::{Data, EventType};

/// API Gateway leaves absent fields out rather than sending nulls.
fn compact(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_string(), v)).collect())
}

fn pairs(p: Option<Vec<(String, String)>>) -> Value {
    p.map_or(Value::Null, |p| vm::pairs(&p))
}

fn multi(p: Option<Vec<(String, Vec<String>)>>) -> Value {
    p.map_or(Value::Null, |p| Value::Object(p.into_iter().map(|(k, v)| (k, json!(v))).collect::<Map<_, _>>()))
}

fn to_event(e: Event) -> Value {
    let c = e.request_context;
    // Not JSON: as absent, like the other SDKs.
    let authorizer = c.authorizer.and_then(|a| serde_json::from_str::<Value>(&a).ok()).unwrap_or(Value::Null);
    let event_type = match c.event_type {
        EventType::Connect => "CONNECT",
        EventType::Message => "MESSAGE",
        EventType::Disconnect => "DISCONNECT",
    };
    let request_context = compact(vec![
        ("routeKey", json!(c.route_key)),
        ("eventType", json!(event_type)),
        ("connectionId", json!(c.connection_id)),
        ("requestId", json!(c.request_id)),
        ("messageId", json!(c.message_id)),
        ("connectedAt", json!(c.connected_at)),
        ("requestTimeEpoch", json!(c.request_time_epoch)),
        ("requestTime", json!(c.request_time)),
        ("extendedRequestId", json!(c.extended_request_id)),
        ("messageDirection", json!(c.message_direction)),
        ("domainName", json!(c.domain_name)),
        ("stage", json!(c.stage)),
        ("apiId", json!(c.api_id)),
        (
            "identity",
            compact(vec![("sourceIp", json!(c.identity.source_ip)), ("userAgent", json!(c.identity.user_agent))]),
        ),
        ("disconnectStatusCode", json!(c.disconnect_status_code)),
        ("disconnectReason", json!(c.disconnect_reason)),
        ("authorizer", authorizer),
    ]);
    // A call to the $connect authorizer: API Gateway's REQUEST authorizer event.
    let request_type = e.method_arn.as_ref().map(|_| "REQUEST");
    compact(vec![
        ("requestContext", request_context),
        ("headers", pairs(e.headers)),
        ("multiValueHeaders", multi(e.multi_value_headers)),
        ("queryStringParameters", pairs(e.query_string_parameters)),
        ("multiValueQueryStringParameters", multi(e.multi_value_query_string_parameters)),
        ("body", json!(e.body)),
        ("isBase64Encoded", json!(e.is_base64_encoded)),
        ("type", json!(request_type)),
        ("methodArn", json!(e.method_arn)),
    ])
}

/// `{"statusCode", "body": {"text"} | {"binary": <base64>} | null, "headers": [[k, v]]}`, as
/// the SDK's `Wsh::Response.ws` writes it.
fn to_response(v: &Value) -> Result<Response, String> {
    let status_code = v["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).ok_or("bad statusCode")?;
    let body = match (&v["body"]["text"], &v["body"]["binary"]) {
        (Value::String(t), _) => Some(Data::Text(t.clone())),
        (_, Value::String(b)) => Some(Data::Binary(B64.decode(b).map_err(|e| e.to_string())?)),
        _ => None,
    };
    Ok(Response { status_code, body, headers: vm::tuples(&v["headers"]) })
}

struct Entry;

impl Guest for Entry {
    fn handle(event: Event) -> Result<Response, String> {
        to_response(&vm::dispatch("ws", &to_event(event))?)
    }
}

export!(Entry);
