"""{"action":"tally"}: counts one as a read-modify-write through compare-and-swap (the way to
update a value that is not a plain counter), and answers the new tally."""

import json

from wsh import kv


def handler(event, context):
    tally = kv.bucket("stats").update("tally", lambda n: n + 1, default=0)
    return {"statusCode": 200, "body": json.dumps({"tally": tally}, separators=(",", ":"), sort_keys=True)}
