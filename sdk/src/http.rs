//! `@http` handlers: API Gateway's HTTP API request (payload format 2.0) in, a response out.
//!
//! ```ignore
//! use wsh_sdk::http::{Request, Response};
//!
//! fn index(_req: Request) -> Response {
//!     Response::html(format!("<script>window.WS_URL = '{}'</script>", wsh_sdk::wss_url()))
//! }
//! wsh_sdk::http_handler!(index);
//! ```

use std::collections::BTreeMap;
use std::fmt::Display;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::http_bindings::wsh::handler::http_types as wit;

/// One HTTP request. Serializes to the JSON a Lambda behind an HTTP API receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub version: String,
    /// The route as the manifest names it, e.g. `GET /things/:id`.
    pub route_key: String,
    pub raw_path: String,
    pub raw_query_string: String,
    pub cookies: Vec<String>,
    /// Lower-case names; repeated values joined with `,`.
    pub headers: BTreeMap<String, String>,
    pub query_string_parameters: BTreeMap<String, String>,
    pub path_parameters: BTreeMap<String, String>,
    pub request_context: RequestContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    pub request_id: String,
    pub time_epoch: u64,
    pub domain_name: String,
    pub stage: String,
    pub api_id: String,
    pub http: HttpContext,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpContext {
    /// Upper case, e.g. `GET`.
    pub method: String,
    pub path: String,
    pub source_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Request {
    pub fn method(&self) -> &str {
        &self.request_context.http.method
    }

    /// A `:name` path parameter (or `proxy`, for a route ending in `*`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.path_parameters.get(name).map(String::as_str)
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_string_parameters.get(name).map(String::as_str)
    }

    /// A header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The body of a text request.
    pub fn text(&self) -> Option<&str> {
        if self.is_base64_encoded { None } else { self.body.as_deref() }
    }

    /// The body's bytes, decoding base64.
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.body, self.is_base64_encoded) {
            (None, _) => Vec::new(),
            (Some(b), true) => STANDARD.decode(b).unwrap_or_default(),
            (Some(t), false) => t.as_bytes().to_vec(),
        }
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.bytes())
    }
}

impl From<wit::HttpRequest> for Request {
    fn from(r: wit::HttpRequest) -> Request {
        let c = r.request_context;
        Request {
            version: "2.0".into(),
            route_key: r.route_key,
            request_context: RequestContext {
                request_id: c.request_id,
                time_epoch: c.time_epoch,
                domain_name: c.domain_name,
                stage: c.stage,
                api_id: c.api_id,
                http: HttpContext {
                    method: r.method,
                    path: r.raw_path.clone(),
                    source_ip: c.source_ip,
                    user_agent: c.user_agent,
                },
            },
            raw_path: r.raw_path,
            raw_query_string: r.raw_query_string,
            cookies: r.cookies,
            headers: r.headers.into_iter().collect(),
            query_string_parameters: r.query_string_parameters.into_iter().collect(),
            path_parameters: r.path_parameters.into_iter().collect(),
            body: r.body,
            is_base64_encoded: r.is_base64_encoded,
        }
    }
}

/// What an HTTP handler answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status_code: u16,
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<String>,
    pub body: Vec<u8>,
}

impl Default for Response {
    fn default() -> Response {
        Response::status(200)
    }
}

impl Response {
    pub fn status(status_code: u16) -> Response {
        Response { status_code, headers: Vec::new(), cookies: Vec::new(), body: Vec::new() }
    }

    /// 200 with `body` and a content type: Architect's `{type, body}` shorthand.
    pub fn typed(content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response::status(200).header("content-type", content_type).body(body)
    }

    pub fn html(body: impl Into<String>) -> Response {
        Response::typed("text/html; charset=utf-8", body.into())
    }

    pub fn text(body: impl Into<String>) -> Response {
        Response::typed("text/plain; charset=utf-8", body.into())
    }

    pub fn json<T: Serialize + ?Sized>(value: &T) -> Response {
        let body = serde_json::to_vec(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}").into_bytes());
        Response::typed("application/json; charset=utf-8", body)
    }

    /// 302 to `location`.
    pub fn redirect(location: &str) -> Response {
        Response::status(302).header("location", location)
    }

    pub fn with_status(mut self, status_code: u16) -> Response {
        self.status_code = status_code;
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A `Set-Cookie` value, e.g. `session=abc; HttpOnly`.
    pub fn cookie(mut self, cookie: impl Into<String>) -> Response {
        self.cookies.push(cookie.into());
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }
}

impl From<Response> for wit::HttpResponse {
    fn from(r: Response) -> wit::HttpResponse {
        let (body, is_base64_encoded) = match String::from_utf8(r.body) {
            Ok(t) if t.is_empty() => (None, false),
            Ok(t) => (Some(t), false),
            Err(e) => (Some(STANDARD.encode(e.into_bytes())), true),
        };
        wit::HttpResponse { status_code: r.status_code, headers: r.headers, cookies: r.cookies, body, is_base64_encoded }
    }
}

/// What an HTTP handler function may return.
pub trait IntoHttpResult {
    fn into_http_result(self) -> Result<Response, String>;
}

impl IntoHttpResult for Response {
    fn into_http_result(self) -> Result<Response, String> {
        Ok(self)
    }
}

impl<T: IntoHttpResult, E: Display> IntoHttpResult for Result<T, E> {
    fn into_http_result(self) -> Result<Response, String> {
        self.map_err(|e| format!("{e:#}"))?.into_http_result()
    }
}
