"""``arc.ws``: Architect's WebSocket helpers, on wsh's ``ws`` calls.

``send(id, payload)`` sends ``payload`` to connection ``id``: a ``str`` as it is, ``bytes`` as a
binary frame, anything else as its JSON text (as ``wsh.ws.send``; Architect JSON-encodes strings
too). ``close(id)`` closes it (its ``$disconnect`` runs), ``info(id)`` describes it
(``connectionId``, ``connectedAt``, ``lastActiveAt``, ``identity``). A gone connection raises
``wsh.GoneException``."""

from wsh import GoneException, ws as _ws

__all__ = ["GoneException", "close", "info", "send"]


def send(id, payload):
    _ws.send(id=id, payload=payload)


def close(id):
    _ws.close(id=id)


def info(id):
    return _ws.info(id=id)
