# An echo server: every message {"text": "..."} comes back as
# {"text": "<ISO timestamp> - Echoing ..."}. The page at / (public/index.html) is a client:
# run `wsh serve` here and open http://localhost:3333.
@app
echo

@ws
# $connect, $disconnect and $default; only $default has a handler (src/ws/default)

@static
folder public
