"""Rooms: named groups of connections, for fan-out.

    from wsh import rooms

    rooms.join("lobby", connection_id)
    reached = rooms.publish("lobby", {"hello": "all"}, exclude=[connection_id])
    rooms.members("lobby")                    # ['...', ...]: connection ids
    rooms.rooms_of(connection_id)             # ['lobby']

One ``publish`` queues one payload for every member of a room, on the host: no table of ids to
scan, no send per member. A connection leaves every room when it closes, after its
``$disconnect`` handler has run (so that handler still sees its rooms). Nothing here calls the
host until a method is called: importing it is free, and it can be imported at build time.
"""

from componentize_py_types import Err
from wit_world.imports import rooms as _host

from ._ws import _frame

_PAGE = 1000


class RoomsError(Exception):
    """A rooms call that did not happen. ``code`` is ``"Gone"`` (no such live connection),
    ``"InvalidRoom"`` (room names are 1 to 256 bytes of text without control characters),
    ``"PayloadTooLarge"`` or ``"Unavailable"`` (the cluster's Redis cannot be reached; the
    message says why); ``room`` the room the call was about (``None`` for ``rooms_of``);
    ``reason`` the host's own words for ``"InvalidRoom"`` and ``"Unavailable"``, else ``None``."""

    def __init__(self, code, message, room=None, reason=None):
        super().__init__(message)
        self.code = code
        self.room = room
        self.reason = reason


def _name(room):
    """A room name in a message: quoted, and cut short when long (an invalid one may be huge)."""
    return repr(room[:64] + "..." if len(room) > 64 else room) if isinstance(room, str) else ""


def _error(e, room, id):
    if isinstance(e, _host.RoomsError_Gone):
        return RoomsError("Gone", f"connection is gone: {id}", room)
    if isinstance(e, _host.RoomsError_InvalidRoom):
        return RoomsError("InvalidRoom", f"invalid room {_name(room)}: {e.value}", room, e.value)
    if isinstance(e, _host.RoomsError_PayloadTooLarge):
        return RoomsError("PayloadTooLarge", f"payload too large for room {_name(room)}", room)
    if isinstance(e, _host.RoomsError_Unavailable):
        return RoomsError("Unavailable", f"rooms unavailable: {e.value}; try again later", room, e.value)
    return RoomsError("Unavailable", f"rooms error {e!r}", room)


def _call(f, room, id, *args):
    try:
        return f(*args)
    except Err as e:
        raise _error(e.value, room, id) from None


def _check_room(what, room):
    if not isinstance(room, str):
        raise TypeError(f"rooms.{what}: a room is a str, not {type(room).__name__}")


def _check_id(what, id):
    if not isinstance(id, str):
        raise TypeError(f"rooms.{what}: id must be a connection id string, not {type(id).__name__}")


class _Rooms:
    def join(self, room, id):
        """Adds connection ``id`` to ``room`` (made when its first member joins); joining twice
        is one membership. Raises ``RoomsError`` ``"Gone"`` when the connection is not live."""
        _check_room("join", room)
        _check_id("join", id)
        _call(_host.join, room, id, room, id)

    def leave(self, room, id):
        """Takes connection ``id`` out of ``room``; not being in it is no error."""
        _check_room("leave", room)
        _check_id("leave", id)
        _call(_host.leave, room, id, room, id)

    def publish(self, room, payload, exclude=()):
        """Sends ``payload`` to every member of ``room`` but the ids in ``exclude`` (a ``str``:
        that one id), as ``ws.send`` sends it: ``str`` as a text frame, ``bytes`` as a binary
        frame, anything else as its JSON text (``wsh.dumps``). Returns how many members it was
        queued for."""
        _check_room("publish", room)
        skip = [exclude] if isinstance(exclude, str) else list(exclude or ())
        for id in skip:
            _check_id("publish (exclude)", id)
        data = _frame(payload)
        return _call(_host.publish, room, None, room, data, skip)

    def members(self, room):
        """Every member of ``room``, by connection id (in id order), read a page at a time."""
        out = []
        cursor = None
        while True:
            page, cursor = self.members_page(room, cursor)
            out.extend(page)
            if cursor is None:
                return out

    def members_page(self, room, cursor=None, limit=_PAGE):
        """Up to ``limit`` (1 to 1000) members of ``room`` after ``cursor`` (``None``: from the
        first) → ``(members, cursor)``, the next page's cursor, ``None`` after the last."""
        _check_room("members_page", room)
        if cursor is not None and not isinstance(cursor, str):
            raise TypeError(f"rooms.members_page: a cursor is a str, not {type(cursor).__name__}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _PAGE:
            raise ValueError(f"rooms.members_page: limit must be an int from 1 to {_PAGE}, not {limit!r}")
        page = _call(_host.members, room, None, room, cursor, limit)
        return list(page.members), page.cursor

    def rooms_of(self, id):
        """The rooms connection ``id`` is in, by name (none for a connection that is gone)."""
        _check_id("rooms_of", id)
        return list(_call(_host.rooms_of, None, id, id))


rooms = _Rooms()
