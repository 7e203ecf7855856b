# Custom routes, two-way replies, ws.send/close/info between connections, and what happens when
# a handler fails. Messages are routed by their "action" field.
@app
routes-rb

@ws
ping     # two-way: the reply is the handler's return value
whoami   # ws.info about the caller
tell     # ws.send to another connection: {"action":"tell","to":"<id>","text":"..."}
count    # a global counter: always 1, since every event gets a fresh instance
crash    # {"action":"crash","how":"panic"|"error"|"loop"|"oom"}
bye      # the server closes the caller's connection

@http
get /things/:id   # the request as the handler saw it, and ARC_WSS_URL

@wsh
# Short, so that the runaway-handler example is stopped quickly.
handler-timeout-ms 2000
# A Ruby VM's snapshot starts at 74.3 MiB of linear memory (the other twins' limit is 64).
handler-memory-mb 128
