# Sends every message back unchanged, text as text and binary as binary: the endpoint the
# Autobahn WebSocket conformance suite tests (`make autobahn`).
@app
mirror

@ws

@wsh
# Autobahn's groups 1-7 and 10 send frames and messages of up to 64 KiB.
max-frame-kb 128
max-message-kb 128
message-rate 100000
connect-rate 100000
