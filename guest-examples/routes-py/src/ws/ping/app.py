"""A two-way route: the returned body goes back to the caller."""

import json


def handler(event, context):
    # A binary frame reads as JSON null, as in the Rust SDK's `event.json()`.
    body = json.loads("null" if event["isBase64Encoded"] else event["body"])
    n = body.get("n") if isinstance(body, dict) else None
    # sort_keys: serde_json (as the Rust example uses it) writes object keys sorted.
    return {"statusCode": 200, "body": json.dumps({"pong": n}, separators=(",", ":"), ensure_ascii=False, sort_keys=True)}
