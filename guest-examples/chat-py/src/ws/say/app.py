"""{"action":"say","room":R,"text":T}: every member gets the message, the sender included, and
the room's history keeps it. From a non-member: an error to the sender alone."""

import time

from wsh import kv, rooms
from vendor.shared.chat import HISTORY, dumps, body, field, name_in


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
