"""{"action":"join","room":R,"name":N}: the joiner gets the room's member count and recent
history; the others get its arrival."""

import json

from wsh import RoomsError, kv, rooms
from vendor.shared.chat import HISTORY, dumps, body, field


def handler(event, context):
    message = body(event)
    room, name = field(message, "room"), field(message, "name")
    if room is None or name is None:
        return {"statusCode": 200, "body": dumps({"type": "error", "message": "join needs a room and a name"})}
    id = event["requestContext"]["connectionId"]
    # The room first: a name that is not a room is an answer, and leaves nothing behind.
    try:
        rooms.join(room, id)
    except RoomsError as e:
        if e.code != "InvalidRoom":
            raise
        return {"statusCode": 200, "body": dumps({"type": "error", "message": "invalid room " + json.dumps(room, ensure_ascii=False)})}
    kv.set(f"member:{room}:{id}", name)
    rooms.publish(room, dumps({"type": "presence", "room": room, "name": name, "event": "join"}), exclude=[id])
    members = len(rooms.members(room))
    history = kv.get(f"history:{room}", [])
    if not isinstance(history, list):
        raise ValueError(f"history:{room} holds no list of messages")
    joined = {"type": "joined", "room": room, "members": members, "history": history[-HISTORY:]}
    return {"statusCode": 200, "body": dumps(joined)}
