"""The component's entry: implements the WIT export ``handle`` by calling ``handler`` of the
route's ``app.py``. componentize-py imports this (and so ``app``) at build time, so an import
error in ``app.py`` fails the build."""

import sys
import traceback

import app
import wit_world
from componentize_py_types import Err

from wsh._event import context_for, to_event, to_response

if not callable(getattr(app, "handler", None)):
    raise ImportError("app.py defines no function `handler(event, context)`")


def _warm_up():
    """Runs the SDK's own event and response conversions at build time. The component is a
    snapshot of this module after import, so CPython's first-run work on these functions
    (specialising their bytecode) is done once here instead of in every fresh instance."""
    from wit_world.imports import types as wit

    identity = wit.Identity("127.0.0.1", "warm-up")
    for event_type in (wit.EventType.CONNECT, wit.EventType.MESSAGE, wit.EventType.DISCONNECT):
        context = wit.RequestContext(
            "$default", event_type, "c", "r", "m", 0, 0, "localhost", "local", "app", identity, None, None, None
        )
        event = wit.Event(context, [("h", "v")], [("h", ["v"])], None, None, '{"action":"x"}', False)
        for _ in range(16):
            ev = to_event(event)
            context_for(ev)
            to_response({"statusCode": 200, "body": "x", "headers": {"a": "b"}})
            to_response({"statusCode": 200, "body": {"k": 1}})
            to_response(None)


_warm_up()


class WitWorld(wit_world.WitWorld):
    def handle(self, event):
        try:
            ev = to_event(event)
            return to_response(app.handler(ev, context_for(ev)))
        except Exception as e:
            # The traceback goes to the log; the host logs the message with the route and request id.
            # componentize-py mounts the route directory at /0/ and this SDK at /1/.
            trace = traceback.format_exc().replace('File "/0/', 'File "').replace('File "/1/', 'File "wsh-sdk/')
            sys.stderr.write(trace)
            raise Err(f"{type(e).__name__}: {e}") from None
        finally:
            # The instance is dropped right after this returns: nothing else would flush.
            sys.stdout.flush()
            sys.stderr.flush()
