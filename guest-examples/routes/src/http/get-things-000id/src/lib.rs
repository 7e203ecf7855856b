//! GET /things/:id: API Gateway's HTTP API request (payload 2.0) in, a Lambda-style response out,
//! with the socket URL (ARC_WSS_URL) handlers get.

use serde_json::json;
use wsh_sdk::http::{Request, Response};

fn thing(req: Request) -> Response {
    let body = json!({
        "id": req.param("id"),
        "q": req.query("q"),
        "method": req.method(),
        "wss": std::env::var("ARC_WSS_URL").ok(),
        "body": req.text(),
    });
    Response::status(200)
        .header("content-type", "application/json")
        .header("x-route", req.route_key.clone())
        .cookie("seen=1")
        .body(body.to_string())
}

wsh_sdk::http_handler!(thing);
