# The counter example (guest-examples/counter) in Python, frame for frame alike.
@app
counter-py

@ws
visit
tally

@http
get /

@wsh
kv-buckets stats
