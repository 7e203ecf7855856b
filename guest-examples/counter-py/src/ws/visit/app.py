"""{"action":"visit"}: counts one visit, atomically, and answers the new count."""

import json

from wsh import kv


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"visits": kv.increment("visits")}, separators=(",", ":"), sort_keys=True)}
