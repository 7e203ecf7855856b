"""Write a wsh WebSocket or HTTP handler in Python, the way Architect's Lambda handlers are written.

A route directory holds ``app.py``::

    from wsh import ws

    def handler(event, context):
        ws.send(id=event["requestContext"]["connectionId"], payload={"hello": "world"})
        return {"statusCode": 200}

``event`` is the dict a Lambda behind API Gateway receives (for an ``@http`` route, the HTTP
API's payload 2.0 request, with Architect's ``method``, ``path``, ``params`` and ``query``). The
handler runs in a fresh instance for every event: nothing it keeps in module scope survives to
the next event; ``kv``, the app's key-value store, is what does (``kv.get``, ``kv.set``,
``kv.increment``, ``kv.update``, ...). ``rooms`` groups connections for fan-out
(``rooms.join``, ``rooms.publish``, ...). Build it with build.py (see README.md).
"""

from ._kv import KvError, kv
from ._rooms import RoomsError, rooms
from ._ws import (
    GoneException,
    PayloadTooLargeException,
    SlowConsumerException,
    UnavailableException,
    WsError,
    dumps,
    ws,
)

__all__ = [
    "GoneException",
    "KvError",
    "PayloadTooLargeException",
    "RoomsError",
    "SlowConsumerException",
    "UnavailableException",
    "WsError",
    "dumps",
    "kv",
    "rooms",
    "ws",
]
