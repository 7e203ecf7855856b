"""The WIT event as the dict a Lambda behind API Gateway receives, and the handler's answer back."""

import base64
import json
from types import SimpleNamespace

from wit_world.imports import types as wit

from ._ws import _frame


def _compact(d):
    """API Gateway leaves absent fields out rather than sending nulls."""
    return {k: v for k, v in d.items() if v is not None}


def _dict(pairs):
    return None if pairs is None else dict(pairs)


def to_event(e):
    c = e.request_context
    authorizer = None
    if c.authorizer is not None:
        try:
            authorizer = json.loads(c.authorizer)
        except ValueError:
            pass  # not JSON: as absent, like the Rust SDK
    request_context = _compact({
        "routeKey": c.route_key,
        "eventType": c.event_type.name.upper(),
        "connectionId": c.connection_id,
        "requestId": c.request_id,
        "messageId": c.message_id,
        "connectedAt": c.connected_at,
        "requestTimeEpoch": c.request_time_epoch,
        "requestTime": c.request_time,
        "extendedRequestId": c.extended_request_id,
        "messageDirection": c.message_direction,
        "domainName": c.domain_name,
        "stage": c.stage,
        "apiId": c.api_id,
        "identity": _compact({"sourceIp": c.identity.source_ip, "userAgent": c.identity.user_agent}),
        "disconnectStatusCode": c.disconnect_status_code,
        "disconnectReason": c.disconnect_reason,
        "authorizer": authorizer,
    })
    return _compact({
        "requestContext": request_context,
        "headers": _dict(e.headers),
        "multiValueHeaders": _dict(e.multi_value_headers),
        "queryStringParameters": _dict(e.query_string_parameters),
        "multiValueQueryStringParameters": _dict(e.multi_value_query_string_parameters),
        "body": e.body,
        "isBase64Encoded": e.is_base64_encoded,
        # A call to the $connect authorizer: API Gateway's REQUEST authorizer event.
        "type": None if e.method_arn is None else "REQUEST",
        "methodArn": e.method_arn,
    })


def context_for(event):
    """The few parts of Lambda's context object that mean something here."""
    rc = event["requestContext"]
    return SimpleNamespace(aws_request_id=rc["requestId"], function_name=rc["routeKey"])


def to_response(r):
    """What ``handler`` returned as the WIT response. ``None`` means 200."""
    if r is None:
        return wit.Response(200, None, [])
    if not isinstance(r, dict):
        raise TypeError(f"handler returned a {type(r).__name__}; return {{'statusCode': ..., 'body': ...}} or None")
    status = r.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 65535:
        raise TypeError(f"statusCode {status!r} is not an HTTP status")
    body = r.get("body")
    if body is not None:
        # Lambda's convention for bytes: base64 text flagged isBase64Encoded.
        if r.get("isBase64Encoded") and isinstance(body, str):
            body = wit.Data_Binary(base64.b64decode(body))
        else:
            body = _frame(body)
    headers = [(str(k), str(v)) for k, v in (r.get("headers") or {}).items()]
    return wit.Response(status, body, headers)


UNAUTHORIZED = wit.Response(401, wit.Data_Text('{"message":"Unauthorized"}'), [])


def is_unauthorized(e):
    """``raise Exception("Unauthorized")``: API Gateway's way for an authorizer to answer 401."""
    return str(e) == "Unauthorized"


def to_authorizer_response(r):
    """An authorizer's answer (``{"principalId", "policyDocument", "context"}`` or
    ``{"isAuthorized", "context"}``) as the JSON body of a 200, which is what the host reads;
    a dict with a ``statusCode`` (e.g. 401) is a response as it is."""
    if r is None or (isinstance(r, dict) and "statusCode" in r):
        return to_response(r)
    return wit.Response(200, _frame(r), [("content-type", "application/json")])
