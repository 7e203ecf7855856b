# State for stateless handlers: a visit counter in the key-value store (wasi:keyvalue).
# GET / counts a visit and shows the count; over a WebSocket, {"action":"visit"} counts one and
# answers the new count, {"action":"tally"} counts through compare-and-swap, and anything else
# reads the counts.
@app
counter

@ws
visit
tally
kvbench

@http
get /

@wsh
kv-buckets stats
