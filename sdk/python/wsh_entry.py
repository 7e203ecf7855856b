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
