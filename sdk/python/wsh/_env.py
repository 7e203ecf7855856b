"""``os.environ`` as the host sets it for this call.

The component is a snapshot of the interpreter taken at build time, and CPython read the
environment into ``os.environ`` then. The host sets ``ARC_WSS_URL`` (the URL clients open
sockets at) in every instance's environment, so each entry refreshes ``os.environ`` from
``wasi:cli/environment`` before calling the handler."""

import os

from wit_world.imports import environment


def refresh():
    fresh = dict(environment.get_environment())
    if fresh != os.environ:
        os.environ.clear()
        os.environ.update(fresh)
