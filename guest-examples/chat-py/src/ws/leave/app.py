"""{"action":"leave","room":R}: the others get the departure."""

import json

from wsh import kv, rooms


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
    room = field(body(event), "room")
    if room is None:
        return {"statusCode": 200, "body": dumps({"type": "error", "message": "leave needs a room"})}
    id = event["requestContext"]["connectionId"]
    name = name_in(room, id)
    if name is None:
        return {"statusCode": 200, "body": dumps({"type": "error", "message": f"not in room {room}"})}
    rooms.leave(room, id)
    kv.delete(f"member:{room}:{id}")
    rooms.publish(room, dumps({"type": "presence", "room": room, "name": name, "event": "leave"}), exclude=[id])
    return {"statusCode": 200}
