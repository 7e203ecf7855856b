"""A global counter. Every event runs in a fresh instance, so it answers 1 every time."""

from wsh import dumps

count = 0


def handler(event, context):
    global count
    count += 1
    return {"statusCode": 200, "body": dumps({"count": count})}
