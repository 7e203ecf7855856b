"""`ws.info` about the caller, plus the event as the handler saw it."""

import json

from wsh import ws


def handler(event, context):
    info = ws.info(id=event["requestContext"]["connectionId"])
    # sort_keys: serde_json (as the Rust example uses it) writes object keys sorted.
    body = json.dumps({"info": info, "event": event}, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return {"statusCode": 200, "body": body}
