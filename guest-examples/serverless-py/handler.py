"""The functions serverless.yml names, as a Serverless Framework websocket app writes them in
Python: several in one file, replies through boto3's API Gateway management API client pointed
at ``https://{domainName}/{stage}``. Under wsh the client reaches the connections through wsh's
ws calls (a handler has no network), and fails as on AWS: a ``ClientError`` with code
``GoneException`` (``api.exceptions.GoneException``) for a connection that has closed."""

import json

import boto3


def management_api(request_context):
    """The management API of the app the request came to (a WebSocket event or an HTTP request)."""
    endpoint = "https://{}/{}".format(request_context["domainName"], request_context["stage"])
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)


def post(request_context, connection_id, payload):
    management_api(request_context).post_to_connection(
        ConnectionId=connection_id, Data=json.dumps(payload, separators=(",", ":")).encode()
    )


def header(event, name):
    for k, v in (event.get("headers") or {}).items():
        if k.lower() == name.lower():
            return v
    return None


def auth(event, context):
    """The $connect authorizer: `Auth: letmein` is allowed, as the user `?token=` names."""
    user = (event.get("queryStringParameters") or {}).get("token")
    effect = "Allow" if header(event, "Auth") == "letmein" else "Deny"
    return {
        "principalId": f"user-{user}",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"user": user},
    }


def connect(event, context):
    """$connect: what it sends its own connection arrives right after the handshake."""
    rc = event["requestContext"]
    print(f"{rc['authorizer']['user']} connected as {rc['connectionId']}")
    post(rc, rc["connectionId"], {"welcome": rc["authorizer"]["user"], "connectionId": rc["connectionId"]})
    return {"statusCode": 200}


def disconnect(event, context):
    rc = event["requestContext"]
    print(f"{rc['connectionId']} left ({rc['disconnectStatusCode']})")
    return {"statusCode": 200}


def default_handler(event, context):
    """$default: the guide's reply, the event posted back to its own connection."""
    rc = event["requestContext"]
    post(rc, rc["connectionId"], {"echo": event.get("body"), "event": event})
    return {"statusCode": 200}


def whisper(event, context):
    """whisper: to another connection; a gone one is the caller's answer (a two-way route's body)."""
    message = json.loads(event["body"])
    rc = event["requestContext"]
    api = management_api(rc)
    try:
        api.post_to_connection(
            ConnectionId=message["to"],
            Data=json.dumps({"from": rc["authorizer"]["user"], "text": message["text"]}, separators=(",", ":")).encode(),
        )
        return {"statusCode": 200, "body": json.dumps({"whispered": message["to"]}, separators=(",", ":"))}
    except api.exceptions.GoneException as e:
        error = {"error": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"], "to": message["to"]}
        return {"statusCode": 200, "body": json.dumps(error, separators=(",", ":"))}


def notify(req, context):
    """POST /notify/{id}: an HTTP function pushing its body to a socket."""
    id = req["pathParameters"]["id"]
    api = management_api(req["requestContext"])
    try:
        api.post_to_connection(ConnectionId=id, Data=(req.get("body") or "").encode())
        return {"statusCode": 202, "body": json.dumps({"notified": id}, separators=(",", ":"))}
    except api.exceptions.GoneException as e:
        return {"statusCode": 410, "body": json.dumps({"error": e.response["Error"]["Code"], "id": id}, separators=(",", ":"))}


def connection(req, context):
    """GET /connections/{id}: get_connection."""
    id = req["pathParameters"]["id"]
    api = management_api(req["requestContext"])
    try:
        c = api.get_connection(ConnectionId=id)
        body = {"connectedAt": c["ConnectedAt"].isoformat(timespec="milliseconds").replace("+00:00", "Z"), "sourceIp": c["Identity"]["SourceIp"]}
        return {"statusCode": 200, "body": json.dumps(body, separators=(",", ":"))}
    except api.exceptions.GoneException as e:
        return {"statusCode": 410, "body": json.dumps({"error": e.response["Error"]["Code"], "id": id}, separators=(",", ":"))}
