"""Whatever no route claims: says which route ran and what it got."""

from wsh import dumps


def handler(event, context):
    # Keys in serde_json's (sorted) order, so the reply matches the Rust example byte for byte.
    reply = {"body": event.get("body"), "isBase64Encoded": event["isBase64Encoded"], "route": event["requestContext"]["routeKey"]}
    return {"statusCode": 200, "body": dumps(reply)}
