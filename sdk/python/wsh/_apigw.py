"""The API Gateway management API (``boto3.client("apigatewaymanagementapi", endpoint_url=...)``)
inside a wsh handler: there is no network, so a call to the app's own endpoint
(``https://{domainName}/{stage}`` of the running event, or ``ARC_WSS_URL``'s host) becomes the
``ws`` call it stands for; any other endpoint is an error that names the one that works.

``post_to_connection`` is ``ws.send`` (``Data`` as ``bytes`` or ``str``; bytes that are UTF-8
go as a text frame, as API Gateway's ``@connections`` POST sends them), ``get_connection``
``ws.info``, ``delete_connection`` ``ws.close``. A failure raises botocore's ``ClientError`` with
the service's error code (``GoneException``, 410), as the class ``client.exceptions`` names."""

import os
import re
import uuid
from datetime import datetime, timezone

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    ParamValidationError,
)

from . import _ws


class GoneException(ClientError):
    pass


class ForbiddenException(ClientError):
    pass


class LimitExceededException(ClientError):
    pass


class PayloadTooLargeException(ClientError):
    pass


_CODES = {
    "gone": ("GoneException", 410),
    "payload-too-large": ("PayloadTooLargeException", 413),
    # The peer does not read; API Gateway's nearest is its throttling error.
    "slow-consumer": ("LimitExceededException", 429),
    "unavailable": ("UnavailableException", 503),
}


class _Exceptions:
    """``client.exceptions``: the service's error classes, all ``ClientError``."""

    ClientError = ClientError
    GoneException = GoneException
    ForbiddenException = ForbiddenException
    LimitExceededException = LimitExceededException
    PayloadTooLargeException = PayloadTooLargeException

    def from_code(self, code):
        return getattr(self, code, ClientError)


def _metadata(status):
    return {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}


def _own_endpoint():
    """``(hosts, stage, how to name it)`` for the running event."""
    c = _ws.current
    wss = os.environ.get("ARC_WSS_URL") or ""
    wss_host = re.sub(r"^[a-z]+://", "", wss, flags=re.I).split("/", 1)[0]
    hosts = [h.lower() for h in (getattr(c, "domain_name", None), wss_host) if h]
    stage = getattr(c, "stage", None)
    if c is not None:
        want = f"https://{c.domain_name}/{c.stage}"
    elif wss_host:
        want = f"https://{wss_host}"
    else:
        want = "https://{event['requestContext']['domainName']}/{event['requestContext']['stage']}"
    return hosts, stage, want


def _check_endpoint(endpoint_url):
    hosts, stage, want = _own_endpoint()
    if not endpoint_url:
        raise EndpointConnectionError(
            endpoint_url="",
            error=f"the apigatewaymanagementapi client has no endpoint_url: in a wsh handler it reaches this app's connections at {want} (the event's requestContext domainName and stage)",
        )
    m = re.match(r"^(?:([a-z][a-z0-9+.-]*)://)?([^/?#]*)([^?#]*)", str(endpoint_url).strip(), re.I)
    scheme, host, path = (m.group(1) or "https").lower(), m.group(2).lower(), m.group(3)
    if scheme not in ("http", "https", "ws", "wss"):
        raise EndpointConnectionError(endpoint_url=endpoint_url, error=f"not an http(s) URL; this app's is {want}")
    if host not in hosts:
        raise EndpointConnectionError(
            endpoint_url=endpoint_url,
            error=f"not this app's: a wsh handler has no network and reaches only its own app's connections, at {want}",
        )
    path = path.rstrip("/")
    if path and (stage is None or path != f"/{stage}"):
        raise EndpointConnectionError(endpoint_url=endpoint_url, error=f"names stage {path[1:]}, not this app's: use {want}")


def _data(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    elif hasattr(value, "read"):
        raw = value.read()
        if isinstance(raw, str):
            return raw
    else:
        raise ParamValidationError(
            report=f"Invalid type for parameter Data, value: {value!r}, type: {type(value)}, valid types: <class 'bytes'>, <class 'bytearray'>, file-like object"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _connection_id(kwargs):
    if "ConnectionId" not in kwargs:
        raise ParamValidationError(report='Missing required parameter in input: "ConnectionId"')
    cid = kwargs["ConnectionId"]
    if not isinstance(cid, str):
        raise ParamValidationError(
            report=f"Invalid type for parameter ConnectionId, value: {cid!r}, type: {type(cid)}, valid types: <class 'str'>"
        )
    return cid


def _unknown(kwargs, known, operation):
    extra = [k for k in kwargs if k not in known]
    if extra:
        raise ParamValidationError(report=f'Unknown parameter in input: "{extra[0]}", must be one of: {", ".join(known)}')


def _keywords_only(name, args):
    if args:
        raise TypeError(f"{name}() only accepts keyword arguments.")


class ApiGatewayManagementApi:
    """boto3's ``apigatewaymanagementapi`` client, routed to wsh's ws calls."""

    exceptions = _Exceptions()

    def __init__(self, endpoint_url=None, region_name=None):
        self._endpoint_url = endpoint_url
        self.meta = type("ClientMeta", (), {"endpoint_url": endpoint_url, "region_name": region_name, "service_model": None})()

    def _call(self, operation, f):
        _check_endpoint(self._endpoint_url)
        try:
            return f()
        except _ws.WsError as e:
            code, status = _CODES.get(e.kind, ("InternalServerError", 500))
            cls = getattr(_Exceptions, code, ClientError)
            raise cls({"Error": {"Code": code, "Message": str(e)}, "ResponseMetadata": _metadata(status)}, operation) from None

    def post_to_connection(self, *args, **kwargs):
        _keywords_only("post_to_connection", args)
        _unknown(kwargs, ("ConnectionId", "Data"), "PostToConnection")
        cid = _connection_id(kwargs)
        if "Data" not in kwargs:
            raise ParamValidationError(report='Missing required parameter in input: "Data"')
        data = _data(kwargs["Data"])
        self._call("PostToConnection", lambda: _ws.ws.send(cid, data))
        return {"ResponseMetadata": _metadata(200)}

    def get_connection(self, *args, **kwargs):
        _keywords_only("get_connection", args)
        _unknown(kwargs, ("ConnectionId",), "GetConnection")
        cid = _connection_id(kwargs)
        info = self._call("GetConnection", lambda: _ws.ws.info(cid))
        identity = {"SourceIp": info["identity"]["sourceIp"]}
        if "userAgent" in info["identity"]:
            identity["UserAgent"] = info["identity"]["userAgent"]
        return {
            "ResponseMetadata": _metadata(200),
            "ConnectedAt": datetime.fromtimestamp(info["connectedAt"] / 1000, tz=timezone.utc),
            "Identity": identity,
            "LastActiveAt": datetime.fromtimestamp(info["lastActiveAt"] / 1000, tz=timezone.utc),
        }

    def delete_connection(self, *args, **kwargs):
        _keywords_only("delete_connection", args)
        _unknown(kwargs, ("ConnectionId",), "DeleteConnection")
        cid = _connection_id(kwargs)
        self._call("DeleteConnection", lambda: _ws.ws.close(cid))
        return {"ResponseMetadata": _metadata(204)}

    def can_paginate(self, operation_name):
        return False

    def close(self):
        pass
