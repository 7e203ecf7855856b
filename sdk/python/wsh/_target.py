"""Which function of the handler module an event calls.

build.py writes ``wsh_target.py`` (the module's name and file) beside the entry; the entry imports
that module at build time. At run time the function is the one Lambda's ``_HANDLER`` names
(``handler.connect``: the part after the last dot), which wsh sets when several routes of a
serverless.yml share one file, else ``handler``. ``_HANDLER`` is read from the instance's
environment when the event runs (the component is a build-time snapshot), through the same
mapping ``os.environ`` is."""

import importlib
import inspect
import os

import wsh_target

from . import _ws

module = importlib.import_module(wsh_target.MODULE)
FILE = wsh_target.FILE


def _functions():
    """The functions the handler file defines, for messages."""
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
    ]


_fallback = getattr(module, "handler", None)
if not callable(_fallback):
    _fallback = None
    # At build time: a file with no function at all is no handler file, whatever _HANDLER says.
    if not _functions():
        raise ImportError(f"{FILE} defines no function (def handler(event, context): ..., or the functions serverless.yml names)")


def find():
    """The function this event calls; a missing one raises, naming the file and the name."""
    spec = os.environ.get("_HANDLER")
    if not spec:
        if _fallback is not None:
            return _fallback
        raise AttributeError(f"{FILE} defines no function `handler` (its functions: {', '.join(_functions())}); name one in serverless.yml's handler: file.function")
    name = spec.rsplit(".", 1)[-1]
    f = getattr(module, name, None)
    if not callable(f):
        raise AttributeError(f"{FILE} has no function `{name}` (_HANDLER={spec}); its functions: {', '.join(_functions()) or 'none'}")
    return f


def enter(request_context):
    """Notes the running event's request context (``domain_name``, ``stage``): the app's own
    endpoint, for the boto3 management API client."""
    _ws.current = request_context
