"""Handlers that fail in each way a handler can: wsh answers "Internal server error" and keeps
the connection (and everyone else) going."""

import json


def handler(event, context):
    body = json.loads("null" if event["isBase64Encoded"] else event["body"])
    how = body.get("how") if isinstance(body, dict) else None
    how = how if isinstance(how, str) else "panic"
    if how == "error":
        # Python has no panic apart from an exception: both end as the export's err(message).
        raise RuntimeError("the handler returned an error on purpose")
    if how == "loop":
        x = 0
        while True:
            x += 1
    if how == "oom":
        hoard = []
        while True:
            hoard.append(b"\x01" * (1 << 20))
    raise RuntimeError("the handler panicked on purpose")
