"""The component's entry for an ``@http`` route: implements the WIT export ``handle-http`` by
calling ``handler`` of the route's ``app.py`` (or the function ``_HANDLER`` names, of the file a
serverless.yml names: see ``wsh._target``) with API Gateway's HTTP API request (payload format
2.0). componentize-py imports this (and so the handler module) at build time, so an import error
there fails the build."""

import wit_world

from wsh import _env, _kv, _target
from wsh._call import failure, flush
from wsh._http import context_for, to_http_response, to_request


def _warm_up():
    """As wsh_entry's: the conversions run once at build time, so that fresh instances start
    with their bytecode specialised."""
    from wit_world.imports import http_types as wit

    context = wit.HttpRequestContext("r", 0, "localhost", "local", "app", "127.0.0.1", "warm-up")
    request = wit.HttpRequest(
        "GET /things/:id", "GET", "/things/1", "q=x", [("id", "1")], [("q", "x")], [("host", "localhost")],
        ["a=1"], "x", False, context,
    )
    for _ in range(16):
        req = to_request(request)
        context_for(req)
        to_http_response({"statusCode": 200, "headers": {"a": "b"}, "cookies": ["c=1"], "body": "x"})
        to_http_response({"json": {"k": 1}})
        to_http_response({"body": b"\x00"})
        to_http_response("<p>x</p>")
        to_http_response(None)
        # kv's value conversions (no store call: there is no host at build time).
        _kv._decode(_kv._encode({"k": [1, "x"]}))


_warm_up()
_env.install()


class WitWorld(wit_world.WitWorld):
    def handle_http(self, request):
        _target.enter(request.request_context)
        try:
            handler = _target.find()
            req = to_request(request)
            return to_http_response(handler(req, context_for(req)))
        except Exception as e:
            raise failure(e) from None
        finally:
            flush()
