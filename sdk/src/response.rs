//! What a handler returns.

use std::fmt::Display;

use crate::bindings::wsh::handler::types as wit;

/// A frame's content: text or bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Text(String),
    Binary(Vec<u8>),
}

impl From<&str> for Payload {
    fn from(s: &str) -> Payload {
        Payload::Text(s.to_string())
    }
}

impl From<String> for Payload {
    fn from(s: String) -> Payload {
        Payload::Text(s)
    }
}

impl From<&String> for Payload {
    fn from(s: &String) -> Payload {
        Payload::Text(s.clone())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Payload {
        Payload::Binary(b)
    }
}

impl From<&[u8]> for Payload {
    fn from(b: &[u8]) -> Payload {
        Payload::Binary(b.to_vec())
    }
}

impl From<Payload> for wit::Data {
    fn from(p: Payload) -> wit::Data {
        match p {
            Payload::Text(t) => wit::Data::Text(t),
            Payload::Binary(b) => wit::Data::Binary(b),
        }
    }
}

/// A handler's answer. On `$connect`, a status outside 200-299 refuses the connection; on a
/// message route, a body is sent back to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status_code: u16,
    pub body: Option<Payload>,
    pub headers: Vec<(String, String)>,
}

impl Default for Response {
    fn default() -> Response {
        Response::ok()
    }
}

impl Response {
    /// 200, no body.
    pub fn ok() -> Response {
        Response::status(200)
    }

    pub fn status(status_code: u16) -> Response {
        Response { status_code, body: None, headers: Vec::new() }
    }

    /// Sets the body: text or bytes.
    pub fn body(mut self, body: impl Into<Payload>) -> Response {
        self.body = Some(body.into());
        self
    }

    /// Sets the body to `value` as JSON text.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Response {
        let text = serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        self.body(text)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl From<Response> for wit::Response {
    fn from(r: Response) -> wit::Response {
        wit::Response { status_code: r.status_code, body: r.body.map(Into::into), headers: r.headers }
    }
}

/// What a handler function may return.
pub trait IntoResult {
    fn into_result(self) -> Result<Response, String>;
}

impl IntoResult for Response {
    fn into_result(self) -> Result<Response, String> {
        Ok(self)
    }
}

impl IntoResult for () {
    fn into_result(self) -> Result<Response, String> {
        Ok(Response::ok())
    }
}

impl<T: IntoResult, E: Display> IntoResult for Result<T, E> {
    fn into_result(self) -> Result<Response, String> {
        self.map_err(|e| format!("{e:#}"))?.into_result()
    }
}
