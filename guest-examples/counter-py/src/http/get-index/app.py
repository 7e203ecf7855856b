"""get /: counts a visit and shows the count; the page's socket counts more."""

import json
import os

from wsh import kv

PAGE = """<!doctype html>
<html>
<head><meta charset=utf-8><title>Visits</title><link rel=icon href="data:,"></head>
<body>
<h1>This page has been visited <span id=visits>{visits}</span> times</h1>
<button id=visit>Visit over the socket</button>
<script type=module>
const ws = new WebSocket({url})
ws.onmessage = (m) => {{ document.querySelector('#visits').textContent = JSON.parse(m.data).visits }}
document.querySelector('#visit').onclick = () => ws.send(JSON.stringify({{ action: 'visit' }}))
</script>
</body>
</html>
"""


def handler(req, context):
    visits = kv.increment("visits")
    body = PAGE.format(visits=visits, url=json.dumps(os.environ["ARC_WSS_URL"]))
    return {"statusCode": 200, "headers": {"content-type": "text/html; charset=utf-8"}, "body": body}
