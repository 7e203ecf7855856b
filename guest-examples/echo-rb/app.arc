# The seeds' echo server: every message {"text": "..."} comes back as
# {"text": "<ISO timestamp> - Echoing ..."}.
@app
echo-rb

@ws
# no further config required: $connect, $disconnect and $default
