"""{"action":"leave","room":R}: the others get the departure."""


from wsh import kv, rooms
from vendor.shared.chat import dumps, body, field, name_in


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
