"""Architect's Python runtime library as a wsh handler has it: ``arc.ws``::

    import arc.ws

    def handler(event, context):
        arc.ws.send(id=event["requestContext"]["connectionId"], payload={"action": "ping"})

as ``require('@architect/functions')`` is the wsh SDK in JavaScript. This package goes into
handler components only (build.py)."""

from . import ws

__all__ = ["ws"]
