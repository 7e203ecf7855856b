# The counter example (guest-examples/counter) in JavaScript, frame for frame alike.
@app
counter-js

@ws
visit
tally

@http
get /

@wsh
kv-buckets stats
