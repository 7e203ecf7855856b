"""``os.environ`` as the host sets it for the running instance.

The component is a snapshot of the interpreter taken at build time, and CPython read the
environment into ``os.environ`` then. The host sets ``ARC_WSS_URL`` (the URL clients open
sockets at) in every instance's environment. So the entry modules replace ``os.environ``, once
the build-time imports are done, with a mapping that reads ``wasi:cli/environment`` the first
time it is used. Every event runs on a fresh instance of the snapshot, in which it has not been
read yet: a handler that never looks at the environment pays nothing for it.

Use ``os.environ`` or ``os.getenv`` inside the handler; a module that did ``from os import
environ`` at import time holds the build-time mapping."""

import os
from collections.abc import MutableMapping

from wit_world.imports import environment


class _CallEnviron(MutableMapping):
    def __init__(self):
        self._data = None

    def _load(self):
        if self._data is None:
            self._data = dict(environment.get_environment())
        return self._data

    def __getitem__(self, key):
        return self._load()[key]

    def __setitem__(self, key, value):
        self._load()[key] = value

    def __delitem__(self, key):
        del self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def copy(self):
        return dict(self._load())

    def __repr__(self):
        return f"environ({self._load()!r})"


def install():
    """Called at the end of an entry module's import, i.e. still at build time: nothing may
    read the new mapping before the snapshot is taken (the host's environment is not there)."""
    os.environ = _CallEnviron()
