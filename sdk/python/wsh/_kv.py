"""The app's key-value store (``wasi:keyvalue``): state that outlives the event.

    from wsh import kv

    kv.set("last", {"id": connection_id})     # stored as JSON text
    kv.get("last")                            # {'id': ...}; None when absent
    kv.increment("visits")                    # atomic, across events
    kv.update("seen", lambda ids: (ids or []) + [connection_id])
    sessions = kv.bucket("sessions")          # declared in app.arc: @wsh kv-buckets sessions

Values are bytes in the store; this API keeps JSON on top (``bytes`` as they are). A bucket is
opened the first time an event uses it: a handler that never touches ``kv`` never opens one.
"""

import json

from componentize_py_types import Err
from wit_world.imports import atomics as _atomics
from wit_world.imports import batch as _batch
from wit_world.imports import store as _store

from ._ws import dumps

_BYTES = (bytes, bytearray, memoryview)
_MIN_S64, _MAX_S64 = -(2**63), 2**63 - 1


class KvError(Exception):
    """A key-value call that did not happen. ``code`` is ``"NoSuchBucket"``, ``"AccessDenied"``
    or ``"Other"`` (the store's own message: a value over the size limit, a value ``increment``
    cannot add to, ...); ``bucket`` the bucket's name."""

    def __init__(self, code, message, bucket):
        super().__init__(message)
        self.code = code
        self.bucket = bucket


def _error(e, bucket):
    if isinstance(e, _store.Error_NoSuchStore):
        return KvError(
            "NoSuchBucket",
            f"no key-value bucket '{bucket}': declare it in app.arc with `@wsh kv-buckets {bucket}`",
            bucket,
        )
    if isinstance(e, _store.Error_AccessDenied):
        return KvError("AccessDenied", f"access to the key-value bucket '{bucket}' is denied", bucket)
    if isinstance(e, _store.Error_Other):
        return KvError("Other", e.value, bucket)
    return KvError("Other", f"key-value error {e!r}", bucket)


class _Absent:
    """``kv.ABSENT``: "no value at the key", where ``None`` would mean JSON ``null``."""

    __slots__ = ()

    def __repr__(self):
        return "kv.ABSENT"

    def __bool__(self):
        return False


ABSENT = _Absent()


def _not_json(constant):
    raise ValueError(constant)


def _decode(data):
    """A stored value as ``get`` returns it: its JSON, else its text, else its bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    try:
        # NaN and Infinity are not JSON (JavaScript's JSON.parse refuses them too).
        return json.loads(text, parse_constant=_not_json)
    except ValueError:
        return text


def _encode(value):
    """A value as ``set`` stores it: bytes as they are, anything else as its JSON text."""
    if isinstance(value, _BYTES):
        return bytes(value)
    return dumps(value).encode("utf-8")


def _matches(data, expected):
    """Whether the stored ``data`` (``None``: absent) is what ``expected`` (``ABSENT``) means."""
    if expected is ABSENT or data is None:
        return expected is ABSENT and data is None
    if isinstance(expected, _BYTES):
        return data == bytes(expected)
    current = _decode(data)
    if isinstance(current, bytes):
        return False
    # As JSON text, so that {"a": 1} matches an equal value however the stored text is spaced.
    return dumps(current) == dumps(expected)


def _key(key):
    if not isinstance(key, str):
        raise TypeError(f"kv: a key is a str, not {type(key).__name__}")
    return key


def _drop(resource):
    """Releases a resource handle now rather than when it is collected."""
    try:
        resource.__exit__(None, None, None)
    except Exception:
        pass


class Bucket:
    """One bucket of the store: ``kv`` is the app's ``default`` bucket, ``kv.bucket(name)``
    another one (declared in app.arc with ``@wsh kv-buckets <name>``)."""

    ABSENT = ABSENT
    """For ``compare_and_swap``: the key holds no value (``None`` is JSON ``null``)."""

    def __init__(self, name):
        self.name = name
        self._handle = None

    def __repr__(self):
        return f"<wsh kv bucket {self.name!r}>"

    def _open(self):
        # Opened at the first call of an event: every event runs in a fresh instance.
        if self._handle is None:
            try:
                self._handle = _store.open(self.name)
            except Err as e:
                raise _error(e.value, self.name) from None
        return self._handle

    def _call(self, f, *args):
        handle = self._open()
        try:
            return f(handle, *args)
        except Err as e:
            raise _error(e.value, self.name) from None

    def bucket(self, name):
        """Another bucket of the store, declared in app.arc with ``@wsh kv-buckets <name>``."""
        if not isinstance(name, str):
            raise TypeError(f"kv.bucket: a name is a str, not {type(name).__name__}")
        if name in ("", "default"):
            return kv
        b = _buckets.get(name)
        if b is None:
            b = _buckets[name] = Bucket(name)
        return b

    def get(self, key, default=None):
        """The value at ``key`` parsed as JSON; ``default`` when absent. A value that is not JSON
        comes back as ``str`` (UTF-8) or ``bytes``."""
        data = self._call(_store.Bucket.get, _key(key))
        return default if data is None else _decode(data)

    def set(self, key, value):
        """Stores ``value`` as its JSON text (``wsh.dumps``); ``bytes`` as they are."""
        self._call(_store.Bucket.set, _key(key), _encode(value))

    def get_bytes(self, key, default=None):
        """The bytes at ``key``; ``default`` when absent."""
        data = self._call(_store.Bucket.get, _key(key))
        return default if data is None else data

    def set_bytes(self, key, data):
        """Stores bytes as they are (a ``str`` as its UTF-8)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif isinstance(data, _BYTES):
            data = bytes(data)
        else:
            raise TypeError(f"kv.set_bytes: expected bytes or str, not {type(data).__name__}")
        self._call(_store.Bucket.set, _key(key), data)

    def delete(self, key):
        """Removes ``key``; a key that is not there is no error."""
        self._call(_store.Bucket.delete, _key(key))

    def exists(self, key):
        return self._call(_store.Bucket.exists, _key(key))

    def keys(self):
        """Every key of the bucket (a list), read a page at a time."""
        keys, cursor = self.keys_page()
        while cursor is not None:
            page, cursor = self.keys_page(cursor)
            keys.extend(page)
        return keys

    def keys_page(self, cursor=None):
        """One page of keys (up to 1000) from ``cursor`` (``None``: the first page), and the
        next page's cursor, ``None`` after the last: ``(keys, cursor)``."""
        if cursor is not None and not isinstance(cursor, str):
            raise TypeError(f"kv.keys_page: a cursor is a str, not {type(cursor).__name__}")
        page = self._call(_store.Bucket.list_keys, cursor)
        return list(page.keys), page.cursor

    def increment(self, key, delta=1):
        """Adds ``delta`` to the integer at ``key`` (0 when absent), atomically; the new value.
        Stored as decimal text, so ``get`` reads it as an ``int``."""
        if not isinstance(delta, int) or isinstance(delta, bool):
            raise TypeError(f"kv.increment: delta must be an int, not {type(delta).__name__}")
        if not _MIN_S64 <= delta <= _MAX_S64:
            raise OverflowError(f"kv.increment: delta {delta} does not fit in 64 bits")
        handle = self._open()
        try:
            return _atomics.increment(handle, _key(key), delta)
        except Err as e:
            raise _error(e.value, self.name) from None

    def compare_and_swap(self, key, expected, value):
        """Sets ``key`` to ``value`` if it holds ``expected`` (``kv.ABSENT``: if it holds
        nothing), atomically; ``True`` if it did. Values compare as the JSON text ``set`` would
        store (``bytes`` as bytes). ``None`` is JSON ``null``, not "absent"."""
        data = _encode(value)
        cas = self._call(_atomics.Cas.new, _key(key))
        try:
            current = cas.current()
        except Err as e:
            _drop(cas)
            raise _error(e.value, self.name) from None
        if not _matches(current, expected):
            _drop(cas)
            return False
        try:
            _atomics.swap(cas, data)
            return True
        except Err as e:
            if isinstance(e.value, _atomics.CasError_CasFailed):
                _drop(e.value.value)
                return False
            raise _error(e.value.value, self.name) from None

    def update(self, key, fn, default=None):
        """Replaces the value at ``key`` with ``fn(current)`` (``current`` as ``get`` returns
        it, ``default`` when absent), atomically: when another writer came in between, ``fn``
        runs again on the newer value. Returns what ``fn`` returned, as stored (``None`` is
        stored as JSON ``null``)."""
        cas = self._call(_atomics.Cas.new, _key(key))
        while True:
            try:
                data = cas.current()
            except Err as e:
                _drop(cas)
                raise _error(e.value, self.name) from None
            try:
                new = fn(default if data is None else _decode(data))
                encoded = _encode(new)
            except BaseException:
                _drop(cas)
                raise
            try:
                _atomics.swap(cas, encoded)
                return new
            except Err as e:
                if not isinstance(e.value, _atomics.CasError_CasFailed):
                    raise _error(e.value.value, self.name) from None
                cas = e.value.value  # a new cas at the value that won

    def get_many(self, keys, default=None):
        """The values of ``keys`` (as ``get`` returns them), in order; ``default`` where absent."""
        keys = [_key(k) for k in keys]
        if not keys:
            return []
        found = self._call(_batch.get_many, keys)
        return [default if pair is None else _decode(pair[1]) for pair in found]

    def set_many(self, items):
        """Sets every pair of ``items``: a mapping or an iterable of ``(key, value)``. Not
        atomic: a failure may leave some set."""
        if hasattr(items, "items"):
            items = items.items()
        pairs = [(_key(k), _encode(v)) for k, v in items]
        if pairs:
            self._call(_batch.set_many, pairs)

    def delete_many(self, keys):
        """Removes every key of ``keys``."""
        keys = [_key(k) for k in keys]
        if keys:
            self._call(_batch.delete_many, keys)


_buckets = {}

kv = Bucket("default")
"""The app's ``default`` bucket; ``kv.bucket(name)`` for another."""
