"""get /: the chat's page, with the socket URL embedded; public/index.mjs is its script."""

import json
import os

PAGE = """<!doctype html>
<html>
<head><meta charset=utf-8><title>Chat</title><link rel=icon href="data:,"></head>
<body>
<main>
<form id=join><input name=name placeholder=name required> <input name=room placeholder=room required> <button>Join</button></form>
<ul id=log></ul>
<form id=say><input name=text placeholder="say something" autocomplete=off> <button>Say</button></form>
</main>
<script>window.WS_URL = {url}</script>
<script type=module src=/_static/index.mjs></script>
</body>
</html>
"""


def handler(req, context):
    # JSON-encoding the URL (ARC_WSS_URL) makes it a safe JavaScript string literal.
    url = json.dumps(os.environ.get("ARC_WSS_URL", "ws://localhost:3333"), ensure_ascii=False)
    return {"statusCode": 200, "headers": {"content-type": "text/html; charset=utf-8"}, "body": PAGE.format(url=url)}
