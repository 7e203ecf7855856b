"""Reaching connections by id, like Architect's ``arc.ws`` and API Gateway's ``@connections``."""

import json

from componentize_py_types import Err
from wit_world.imports import types as wit
from wit_world.imports import ws as host


def dumps(value):
    """JSON text exactly as JavaScript's ``JSON.stringify`` and serde_json write it: no spaces,
    non-ASCII as it is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


#: The running event's request context (``domain_name``, ``stage``), set by the entries: the
#: app's own endpoint, for the boto3 management API client.
current = None


class WsError(Exception):
    """Why a ``ws`` call did not happen. ``code`` is the AWS-style name (``GoneException``),
    ``kind`` the WIT case (``gone``), ``status_code`` the HTTP status API Gateway would give."""

    code = "WsError"
    kind = ""
    status_code = 500


class GoneException(WsError):
    """No such connection (it closed, or never existed)."""

    code, kind, status_code = "GoneException", "gone", 410


class PayloadTooLargeException(WsError):
    code, kind, status_code = "PayloadTooLargeException", "payload-too-large", 413


class SlowConsumerException(WsError):
    """The connection does not read; it is being closed with 1008."""

    code, kind, status_code = "SlowConsumerException", "slow-consumer", 429


class UnavailableException(WsError):
    """The connection cannot be reached now (it is on another node and the cluster's Redis is
    unreachable); it may still be live, and a later call may reach it. The message says why."""

    code, kind, status_code = "UnavailableException", "unavailable", 503
    #: The host's reason, as it said it.
    reason = None


_ERRORS = {
    wit.WsError_Gone: (GoneException, "connection is gone"),
    wit.WsError_PayloadTooLarge: (PayloadTooLargeException, "payload too large"),
    wit.WsError_SlowConsumer: (SlowConsumerException, "connection is not reading (slow consumer)"),
    wit.WsError_Unavailable: (UnavailableException, "connection unavailable"),
}


def _call(f, id, *args):
    if not isinstance(id, str):
        raise TypeError(f"ws: id must be a connection id string, not {type(id).__name__}")
    try:
        return f(id, *args)
    except Err as e:
        cls, text = _ERRORS.get(type(e.value), (WsError, f"ws error {e.value!r}"))
        if isinstance(e.value, wit.WsError_Unavailable):
            err = cls(f"{text}: {id} ({e.value.value}); it may still be live, try again later")
            err.reason = e.value.value
            raise err from None
        raise cls(f"{text}: {id}") from None


def _frame(payload):
    """Strings and bytes as they are; anything else as its JSON text."""
    if isinstance(payload, str):
        return wit.Data_Text(payload)
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return wit.Data_Binary(bytes(payload))
    return wit.Data_Text(dumps(payload))


class _Ws:
    def send(self, id, payload):
        """Sends ``payload`` to connection ``id``: ``str`` as a text frame, ``bytes`` as a
        binary frame, anything else as its JSON text (``dumps``)."""
        _call(host.send, id, _frame(payload))

    def close(self, id):
        """Closes connection ``id`` (code 1000); its ``$disconnect`` handler runs."""
        _call(host.close, id)

    def info(self, id):
        """``{"connectionId", "connectedAt", "lastActiveAt", "identity": {"sourceIp", "userAgent"}}``."""
        i = _call(host.info, id)
        identity = {"sourceIp": i.identity.source_ip}
        if i.identity.user_agent is not None:
            identity["userAgent"] = i.identity.user_agent
        return {
            "connectionId": i.connection_id,
            "connectedAt": i.connected_at,
            "lastActiveAt": i.last_active_at,
            "identity": identity,
        }


ws = _Ws()
