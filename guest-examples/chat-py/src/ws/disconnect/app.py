"""A closed socket leaves its rooms: the others in each get its departure. (wsh takes it out of
the rooms after this handler returns, so it still sees them here.)"""

import json

from wsh import kv, rooms


def dumps(value):
    """A frame's JSON text as serde_json writes it in the Rust chat: keys sorted, no spaces,
    non-ASCII as it is."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def name_in(room, id):
    """The name ``id`` goes by in ``room``, when it is a member."""
    name = kv.get(f"member:{room}:{id}", kv.ABSENT)
    if name is kv.ABSENT:
        return None
    if not isinstance(name, str):
        raise ValueError(f"member:{room}:{id} holds no name")
    return name


def handler(event, context):
    id = event["requestContext"]["connectionId"]
    for room in rooms.rooms_of(id):
        name = name_in(room, id)
        if name is not None:
            rooms.publish(room, dumps({"type": "presence", "room": room, "name": name, "event": "leave"}), exclude=[id])
            kv.delete(f"member:{room}:{id}")
    return {"statusCode": 200}
