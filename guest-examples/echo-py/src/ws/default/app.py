"""The seeds' echo handler in Python: a twin of ../../../../echo (Rust), frame for frame."""

import json
from datetime import datetime, timezone

from wsh import ws


def said(event):
    """The message's "text" when it is JSON {"text": "..."}, else the body itself (a binary
    frame has no text)."""
    if event["isBase64Encoded"]:
        return ""
    body = event.get("body", "")
    try:
        message = json.loads(body)
    except ValueError:
        return body
    if isinstance(message, dict) and isinstance(message.get("text"), str):
        return message["text"]
    return body


def handler(event, context):
    # JavaScript's `new Date().toISOString()`: milliseconds, UTC, "Z".
    timestamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    text = f"{timestamp} - Echoing {said(event)}"
    ws.send(id=event["requestContext"]["connectionId"], payload={"text": text})
    return {"statusCode": 200}
