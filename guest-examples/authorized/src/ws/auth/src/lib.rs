//! The authorizer: an IAM policy allowing the handshake when the `auth` header holds the
//! password, denying it otherwise. Its `context` reaches every later event of the connection.

use serde_json::json;
use wsh_sdk::{Event, Response};

fn authorize(event: Event) -> Response {
    let allowed = event.header("auth") == Some("letmein");
    let user = event.query("user").unwrap_or("ada");
    let policy = json!({
        "principalId": format!("user-{user}"),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": if allowed { "Allow" } else { "Deny" },
                "Resource": event.method_arn,
            }],
        },
        "context": { "user": user, "level": 7 },
    });
    Response::ok().json(&policy)
}

wsh_sdk::handler!(authorize);
