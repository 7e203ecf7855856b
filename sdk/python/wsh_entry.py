"""The component's entry for a ``@ws`` route (or the ``$connect`` authorizer): implements the
WIT export ``handle`` by calling ``handler`` of the route's ``app.py`` (or the function
``_HANDLER`` names, of the file a serverless.yml names: see ``wsh._target``). componentize-py
imports this (and so the handler module) at build time, so an import error there fails the
build."""

import wit_world

from wsh import _env, _kv, _rooms, _target
from wsh._call import failure, flush
from wsh._event import (
    UNAUTHORIZED,
    context_for,
    is_unauthorized,
    to_authorizer_response,
    to_event,
    to_response,
)


def _warm_up():
    """Runs the SDK's own event and response conversions at build time. The component is a
    snapshot of this module after import, so CPython's first-run work on these functions
    (specialising their bytecode) is done once here instead of in every fresh instance."""
    from wit_world.imports import types as wit

    identity = wit.Identity("127.0.0.1", "warm-up")
    for event_type in (wit.EventType.CONNECT, wit.EventType.MESSAGE, wit.EventType.DISCONNECT):
        context = wit.RequestContext(
            "$default", event_type, "c", "r", "m", 0, 0, "01/Jan/1970:00:00:00 +0000", "r", "IN", "localhost", "local",
            "app", identity, None, None, None,
        )
        event = wit.Event(context, [("h", "v")], [("h", ["v"])], None, None, '{"action":"x"}', False, None)
        authorizer = wit.Event(context, [("h", "v")], [("h", ["v"])], None, None, None, False, "arn")
        for _ in range(16):
            ev = to_event(event)
            context_for(ev)
            to_event(authorizer)
            to_response({"statusCode": 200, "body": "x", "headers": {"a": "b"}})
            to_response({"statusCode": 200, "body": {"k": 1}})
            to_response(None)
            to_authorizer_response({"isAuthorized": True, "context": {"a": "b"}})
            # kv's value conversions (no store call: there is no host at build time).
            _kv._decode(_kv._encode({"k": [1, "x"]}))
            # rooms' argument checks and error mapping; never a rooms call (a host call), for
            # the same reason.
            _rooms._check_room("publish", "r")
            _rooms._check_id("publish", "c")
            _rooms._error(_rooms._host.RoomsError_Gone(), "r", "c")


_warm_up()
_env.install()


class WitWorld(wit_world.WitWorld):
    def handle(self, event):
        authorizer = event.method_arn is not None
        _target.enter(event.request_context)
        try:
            handler = _target.find()
            ev = to_event(event)
            out = handler(ev, context_for(ev))
            return to_authorizer_response(out) if authorizer else to_response(out)
        except Exception as e:
            if authorizer and is_unauthorized(e):
                return UNAUTHORIZED
            raise failure(e) from None
        finally:
            flush()
