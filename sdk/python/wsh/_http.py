"""``@http``: the WIT request as the dict a Lambda behind an HTTP API receives (payload format
2.0), and the handler's answer back. Only the http-handler entry imports this module (the
ws-handler world has no http-types)."""

import base64
from types import SimpleNamespace

from wit_world.imports import http_types as wit

from ._ws import dumps


def to_request(r):
    """API Gateway's request, empty fields left out as it does, plus Architect's conveniences:
    ``method``, ``path``, ``params`` (pathParameters or ``{}``), ``query``
    (queryStringParameters or ``{}``)."""
    c = r.request_context
    http = {"method": r.method, "path": r.raw_path, "sourceIp": c.source_ip}
    if c.user_agent is not None:
        http["userAgent"] = c.user_agent
    query = dict(r.query_string_parameters)
    params = dict(r.path_parameters)
    req = {"version": "2.0", "routeKey": r.route_key, "rawPath": r.raw_path, "rawQueryString": r.raw_query_string}
    if r.cookies:
        req["cookies"] = list(r.cookies)
    req["headers"] = dict(r.headers)
    if query:
        req["queryStringParameters"] = query
    if params:
        req["pathParameters"] = params
    req["requestContext"] = {
        "requestId": c.request_id,
        "timeEpoch": c.time_epoch,
        "domainName": c.domain_name,
        "stage": c.stage,
        "apiId": c.api_id,
        "http": http,
    }
    if r.body is not None:
        req["body"] = r.body
    req["isBase64Encoded"] = r.is_base64_encoded
    req["method"] = r.method
    req["path"] = r.raw_path
    req["params"] = params
    req["query"] = query
    return req


def context_for(req):
    return SimpleNamespace(aws_request_id=req["requestContext"]["requestId"], function_name=req["routeKey"])


# Architect's response shorthands and the content type each sets.
_SHORTHANDS = (
    ("html", "text/html; charset=utf-8"),
    ("json", "application/json; charset=utf-8"),
    ("text", "text/plain; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("xml", "application/xml; charset=utf-8"),
)
_KEYS = frozenset(
    ["statusCode", "status", "headers", "cookies", "body", "isBase64Encoded", "type", "location"]
    + [k for k, _ in _SHORTHANDS]
)
_JSON = "application/json; charset=utf-8"
_HTML = "text/html; charset=utf-8"
_BYTES = (bytes, bytearray, memoryview)


def to_http_response(r):
    """What ``handler`` returned as the WIT response: ``{"statusCode", "headers", "cookies",
    "body", "isBase64Encoded"}`` as Lambda takes it, with Architect's shorthands (``status``,
    ``type``, ``html``, ``json``, ``text``, ``css``, ``js``, ``xml``, ``location``). A ``str`` is
    an HTML page; ``bytes`` go as base64; ``None`` is an empty 200; any other value (or a dict
    with none of those keys) is JSON."""
    if r is None:
        return wit.HttpResponse(200, [], [], None, False)
    if isinstance(r, str):
        return wit.HttpResponse(200, [("content-type", _HTML)], [], r, False)
    if not isinstance(r, dict) or not _KEYS.intersection(r):
        r = {"body": r}
    location = r.get("location")
    status = r.get("statusCode", r.get("status"))
    if status is None:
        status = 200 if location is None else 302
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
        raise TypeError(f"statusCode {status!r} is not an HTTP status")
    headers = [(str(k), str(v)) for k, v in (r.get("headers") or {}).items()]
    content_type = r.get("type")
    body = r.get("body")
    b64 = bool(r.get("isBase64Encoded"))
    for key, shorthand_type in _SHORTHANDS:
        if key in r:
            body = dumps(r[key]) if key == "json" else r[key]
            if content_type is None:
                content_type = shorthand_type
            break
    if body is not None and not isinstance(body, str):
        if isinstance(body, _BYTES):
            body = base64.b64encode(bytes(body)).decode("ascii")
            b64 = True
        else:
            body = dumps(body)
            if content_type is None:
                content_type = _JSON
    names = {k.lower() for k, _ in headers}
    if content_type is not None and "content-type" not in names:
        headers.append(("content-type", str(content_type)))
    if location is not None and "location" not in names:
        headers.append(("location", str(location)))
    cookies = [str(c) for c in (r.get("cookies") or [])]
    return wit.HttpResponse(status, headers, cookies, body, b64 and body is not None)
