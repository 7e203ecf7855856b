"""Anything else reads the counts, without changing them."""

import json

from wsh import kv


def handler(event, context):
    visits = kv.get("visits", 0)
    tally = kv.bucket("stats").get("tally", 0)
    return {"statusCode": 200, "body": json.dumps({"visits": visits, "tally": tally}, separators=(",", ":"), sort_keys=True)}
