"""{"action":"say","room":R,"text":T}: every member gets the message, the sender included, and
the room's history keeps it. From a non-member: an error to the sender alone."""

import json
import time

from wsh import kv, rooms

# Messages a room's history keeps.
HISTORY = 20


def dumps(value):
    """A frame's JSON text as serde_json writes it in the Rust chat: keys sorted, no spaces,
    non-ASCII as it is."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def body(event):
    """The message parsed as JSON, as the Rust SDK's ``event.json()``: a binary frame is null."""
    text = None if event["isBase64Encoded"] else event.get("body")
    return json.loads("null" if text is None else text)


def field(body, key):
    """``body[key]`` when it is a string (serde_json's ``body[key].as_str()``), else None."""
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def name_in(room, id):
    """The name ``id`` goes by in ``room``, when it is a member."""
    name = kv.get(f"member:{room}:{id}", kv.ABSENT)
    if name is kv.ABSENT:
        return None
    if not isinstance(name, str):
        raise ValueError(f"member:{room}:{id} holds no name")
    return name


def handler(event, context):
    message = body(event)
    room, text = field(message, "room"), field(message, "text")
    if room is None or text is None:
        return {"statusCode": 200, "body": dumps({"type": "error", "message": "say needs a room and a text"})}
    id = event["requestContext"]["connectionId"]
    name = name_in(room, id)
    if name is None or room not in rooms.rooms_of(id):
        return {"statusCode": 200, "body": dumps({"type": "error", "message": f"not in room {room}"})}
    said = {"type": "message", "room": room, "from": name, "text": text, "ts": time.time_ns() // 1_000_000}

    # The last HISTORY messages, kept by compare-and-swap: concurrent sayers lose nothing.
    # Stored as bytes, so that the text is dumps' (sorted keys), not wsh.dumps'.
    def add(history):
        history = history if isinstance(history, list) else []
        return dumps((history + [said])[-HISTORY:]).encode("utf-8")

    kv.update(f"history:{room}", add)
    rooms.publish(room, dumps(said))
    return {"statusCode": 200}
