//! The `@connections` API, end to end: plain HTTP, and the AWS SDK's ApiGatewayManagementApi
//! client (boto3) pointed at wsh.

mod support;

use serde_json::json;
use support::*;

#[tokio::test]
async fn post_get_delete_and_410() {
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;

    let (status, _, _) = http(&server.addr, "POST", &format!("/@connections/{id}"), b"{\"pushed\":true}").await;
    assert_eq!(status, 200);
    assert_eq!(recv_text(&mut ws).await, r#"{"pushed":true}"#);

    let (status, _, body) = http(&server.addr, "GET", &format!("/local/@connections/{id}"), b"").await;
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert!(info["connectedAt"].as_str().unwrap().ends_with('Z') && info["lastActiveAt"].is_string(), "{info}");

    let (status, _, _) = http(&server.addr, "DELETE", &format!("/@connections/{id}"), b"").await;
    assert_eq!(status, 204);
    assert_eq!(recv_close(&mut ws).await, Some(1000));
    server.wait_for_log("disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("disconnected {id} code=1000"))).await;

    for method in ["POST", "GET", "DELETE"] {
        let (status, head, body) = http(&server.addr, method, &format!("/@connections/{id}"), b"x").await;
        assert_eq!(status, 410, "{method}");
        assert_eq!(header(&head, "x-amzn-errortype"), Some("GoneException"), "{head}");
        assert!(body.contains("message"), "{body}");
    }
}

#[tokio::test]
async fn the_aws_sdk_client_works_against_wsh() {
    let python = repo().join("tests/.venv/bin/python");
    assert!(python.is_file(), "run `make setup` first: it installs boto3 into tests/.venv");
    let server = Server::start(&example("routes"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    let script = r#"
import json, sys, boto3
endpoint, cid = sys.argv[1], sys.argv[2]
c = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="local", aws_secret_access_key="local")
c.post_to_connection(ConnectionId=cid, Data=b'{"from":"boto3"}')
info = c.get_connection(ConnectionId=cid)
print(json.dumps({"sourceIp": info["Identity"]["SourceIp"], "connectedAt": info["ConnectedAt"].isoformat()}))
c.delete_connection(ConnectionId=cid)
try:
    c.post_to_connection(ConnectionId=cid, Data=b"again")
    print("no error")
except c.exceptions.GoneException:
    print("GoneException")
"#;
    let endpoint = format!("http://{}/local", server.addr);
    let out =
        tokio::process::Command::new(python).arg("-c").arg(script).arg(&endpoint).arg(&id).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(recv_json(&mut ws).await, json!({"from": "boto3"}));
    assert_eq!(recv_close(&mut ws).await, Some(1000));
    let mut lines = stdout.lines();
    let info: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(info["sourceIp"], "127.0.0.1");
    assert_eq!(lines.next(), Some("GoneException"), "{stdout}");
}
