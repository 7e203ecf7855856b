//! `any /*`: every other request, answered with what the handler was given (API Gateway's
//! HTTP API event, payload 2.0), which makes it a handy way to see that event.

use wsh_sdk::http::{Request, Response};

fn inspect(req: Request) -> Response {
    let status = req.query("status").and_then(|s| s.parse().ok()).unwrap_or(200);
    Response::json(&req).with_status(status).header("x-route", req.route_key.clone()).cookie("seen=1; Path=/")
}

wsh_sdk::http_handler!(inspect);
