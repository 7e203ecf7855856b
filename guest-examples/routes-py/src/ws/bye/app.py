"""The server closes the caller's connection; `$disconnect` then runs."""

from wsh import ws


def handler(event, context):
    id = event["requestContext"]["connectionId"]
    ws.send(id=id, payload="bye")  # a str goes as it is: the text frame `bye`
    ws.close(id=id)
