# The seeds' app: a page at / whose script (public/index.mjs) opens a socket, and an echo
# server behind it: every message {"text": "..."} comes back as
# {"text": "<ISO timestamp> - Echoing ..."}. Open http://localhost:3333 in a browser.
@app
echo

@ws
# no further config required: $connect, $disconnect and $default
default

@http
get /          # the page, with the socket URL (ARC_WSS_URL) embedded
post /notify   # {"id": "<connection id>", "text": "..."} pushes to that socket
any /*         # anything else: shows the request event a handler receives

@static
folder public
