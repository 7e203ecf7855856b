"""Sends text to another connection by id (`"times": n` sends it n times); tells the caller
when that connection is gone, or cannot be reached now."""

import json

from wsh import GoneException, UnavailableException, dumps, ws


def handler(event, context):
    body = json.loads("null" if event["isBase64Encoded"] else event["body"])
    body = body if isinstance(body, dict) else {}
    to = body["to"] if isinstance(body.get("to"), str) else ""
    text = body["text"] if isinstance(body.get("text"), str) else ""
    # serde_json's as_u64(): a whole, non-negative JSON number without a fraction part.
    times = body.get("times")
    times = times if type(times) is int and 0 <= times < 2**64 else 1
    message = {"from": event["requestContext"]["connectionId"], "text": text}
    for _ in range(times):
        try:
            ws.send(id=to, payload=message)
        except GoneException:
            return {"statusCode": 200, "body": dumps({"error": "gone", "to": to})}
        except UnavailableException as e:
            # On another node while the cluster's Redis is down: may be live, cannot be reached.
            return {"statusCode": 200, "body": dumps({"error": "unavailable", "to": to, "why": e.reason})}
    return {"statusCode": 200, "body": dumps({"sent": to})}
