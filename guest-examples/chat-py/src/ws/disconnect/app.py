"""A closed socket leaves its rooms: the others in each get its departure. (wsh takes it out of
the rooms after this handler returns, so it still sees them here.)"""

from wsh import kv, rooms
from vendor.shared.chat import dumps, name_in


def handler(event, context):
    id = event["requestContext"]["connectionId"]
    for room in rooms.rooms_of(id):
        name = name_in(room, id)
        if name is not None:
            rooms.publish(room, dumps({"type": "presence", "room": room, "name": name, "event": "leave"}), exclude=[id])
            kv.delete(f"member:{room}:{id}")
    return {"statusCode": 200}
