"""What the chat's handlers share (Architect's src/shared: each handler imports it as
vendor.shared.chat)."""

import json

from wsh import kv

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
