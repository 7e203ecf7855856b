"""Accepts a connection unless its query says `?deny=<status>`; agrees to the `wsh.v1`
subprotocol when the client offers it."""

import re


def handler(event, context):
    # Like Rust's `str::parse::<u16>()`: digits only (an optional '+'), at most 65535.
    deny = (event.get("queryStringParameters") or {}).get("deny")
    if deny is not None and re.fullmatch(r"\+?[0-9]+", deny) and int(deny) <= 65535:
        return {"statusCode": int(deny), "body": "connection refused by the connect handler"}
    offered = header(event, "sec-websocket-protocol") or ""
    if any(p.strip() == "wsh.v1" for p in offered.split(",")):
        return {"statusCode": 200, "headers": {"sec-websocket-protocol": "wsh.v1"}}
    return {"statusCode": 200}


def header(event, name):
    """Header names arrive as the client sent them."""
    headers = event.get("headers") or {}
    return next((headers[k] for k in sorted(headers) if k.lower() == name), None)
