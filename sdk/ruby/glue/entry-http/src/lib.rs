//! The `handle-http` export of a Ruby `@http` handler: the WIT request as the JSON of the Hash a
//! Lambda behind an HTTP API receives (payload format 2.0, with Architect's `method`, `path`,
//! `params` and `query`, as the Python SDK builds it), handed to the Ruby SDK's
//! `Wsh.dispatch`, whose answer becomes the WIT response.

use serde_json::{Value, json};

wit_bindgen::generate!({
    inline: r#"
        package wsh:ruby-glue;

        world entry-http {
            import ruby:legacy/guest@0.1.0;
            use wsh:handler/http-types@0.2.0.{http-request, http-response};
            export handle-http: func(request: http-request) -> result<http-response, string>;
        }
    "#,
    // wsh's WIT (the repository's wit/), then ruby.wasm's.
    path: ["../../../../wit", "../../wit"],
    world: "wsh:ruby-glue/entry-http",
    generate_all,
});

#[path = "../../vm/vm.rs"]
mod vm;

/// API Gateway's request, empty fields left out as it does.
fn to_request(r: HttpRequest) -> Value {
    let c = r.request_context;
    let mut http = json!({ "method": r.method, "path": r.raw_path, "sourceIp": c.source_ip });
    if let Some(agent) = c.user_agent {
        http["userAgent"] = json!(agent);
    }
    let query = vm::pairs(&r.query_string_parameters);
    let params = vm::pairs(&r.path_parameters);
    let mut req = json!({
        "version": "2.0",
        "routeKey": r.route_key,
        "rawPath": r.raw_path,
        "rawQueryString": r.raw_query_string,
    });
    if !r.cookies.is_empty() {
        req["cookies"] = json!(r.cookies);
    }
    req["headers"] = vm::pairs(&r.headers);
    if !r.query_string_parameters.is_empty() {
        req["queryStringParameters"] = query.clone();
    }
    if !r.path_parameters.is_empty() {
        req["pathParameters"] = params.clone();
    }
    req["requestContext"] = json!({
        "requestId": c.request_id,
        "timeEpoch": c.time_epoch,
        "domainName": c.domain_name,
        "stage": c.stage,
        "apiId": c.api_id,
        "http": http,
    });
    if let Some(body) = r.body {
        req["body"] = json!(body);
    }
    req["isBase64Encoded"] = json!(r.is_base64_encoded);
    // Architect's conveniences.
    req["method"] = json!(r.method);
    req["path"] = json!(r.raw_path);
    req["params"] = params;
    req["query"] = query;
    req
}

/// `{"statusCode", "headers": [[k, v]], "cookies", "body", "isBase64Encoded"}`, as the SDK's
/// `Wsh::Response.http` writes it.
fn to_response(v: &Value) -> Result<HttpResponse, String> {
    let status_code = v["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).ok_or("bad statusCode")?;
    let cookies = v["cookies"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    Ok(HttpResponse {
        status_code,
        headers: vm::tuples(&v["headers"]),
        cookies,
        body: v["body"].as_str().map(str::to_string),
        is_base64_encoded: v["isBase64Encoded"].as_bool().unwrap_or(false),
    })
}

struct Entry;

impl Guest for Entry {
    fn handle_http(request: HttpRequest) -> Result<HttpResponse, String> {
        to_response(&vm::dispatch("http", &to_request(request))?)
    }
}

export!(Entry);
