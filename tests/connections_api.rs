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

const BOTO3_POST: &str = r#"
import sys, boto3, botocore
endpoint, cid, key, secret = sys.argv[1:5]
c = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id=key, aws_secret_access_key=secret)
try:
    c.post_to_connection(ConnectionId=cid, Data=b'{"signed":true}')
    print("sent")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
"#;

async fn boto3_post(endpoint: &str, id: &str, key: &str, secret: &str) -> String {
    let python = repo().join("tests/.venv/bin/python");
    assert!(python.is_file(), "run `make setup` first: it installs boto3 into tests/.venv");
    let out = tokio::process::Command::new(python)
        .args(["-c", BOTO3_POST, endpoint, id, key, secret])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn beyond_loopback_the_api_needs_the_credential() {
    let ip = non_loopback_ip();
    let open = Server::start_with(&example("routes"), &["--host", "0.0.0.0"], &[]);
    let port = open.addr.rsplit(':').next().unwrap().to_string();
    let (local, remote) = (format!("127.0.0.1:{port}"), format!("{ip}:{port}"));
    open.wait_for_log("a warning at start", REPLY_TIMEOUT, |l| l.contains("refuses non-loopback clients")).await;
    let mut ws = connect(&format!("ws://{local}")).await;
    let id = connection_id(&mut ws).await;
    let path = format!("/@connections/{id}");
    let (status, head, body) = http(&remote, "POST", &path, b"from afar").await;
    assert_eq!((status, header(&head, "x-amzn-errortype")), (403, Some("ForbiddenException")), "{body}");
    assert!(body.contains("WSH_ACCESS_KEY_ID"), "the refusal says how to open it: {body}");
    assert_eq!(http(&local, "POST", &path, b"from here").await.0, 200);
    assert_eq!(recv_text(&mut ws).await, "from here", "the refused push was not delivered");

    // With a credential, requests signed with it work from anywhere, and nothing else does.
    let key = std::path::Path::new("AKIDWSH");
    let secret = std::path::Path::new("s3cret-for-tests");
    let envs = [("WSH_ACCESS_KEY_ID", key), ("WSH_SECRET_ACCESS_KEY", secret)];
    let signed = Server::start_with(&example("routes"), &["--host", "0.0.0.0"], &envs);
    let (local, remote) = (format!("127.0.0.1:{port}", port = signed.addr.rsplit(':').next().unwrap()), {
        format!("{ip}:{}", signed.addr.rsplit(':').next().unwrap())
    });
    let mut ws = connect(&format!("ws://{local}")).await;
    let id = connection_id(&mut ws).await;
    let endpoint = format!("http://{remote}/local");
    assert_eq!(boto3_post(&endpoint, &id, "AKIDWSH", "wrong-secret").await, "ForbiddenException");
    assert_eq!(boto3_post(&endpoint, &id, "AKIDOTHER", "s3cret-for-tests").await, "ForbiddenException");
    assert_eq!(http(&local, "POST", &format!("/@connections/{id}"), b"unsigned").await.0, 403, "loopback too");
    assert_eq!(boto3_post(&endpoint, &id, "AKIDWSH", "s3cret-for-tests").await, "sent");
    assert_eq!(recv_json(&mut ws).await, json!({"signed": true}), "only the signed push arrived");
    let log = signed
        .wait_for_log("the refusals", REPLY_TIMEOUT, |l| {
            l.contains("signature does not match") && l.contains("unknown access key id")
        })
        .await;
    assert!(log.contains("signature does not match") && log.contains("unknown access key id"), "{log}");
}
