# The chat example (guest-examples/chat) in Python, frame for frame alike:
# {"action":"join","room":R,"name":N}, {"action":"say","room":R,"text":T},
# {"action":"leave","room":R}. Each room fans out through wsh's rooms; its last 20 messages
# are kept in the key-value store. The page at / is a client; open it in two tabs.
# A Python build packs only its route's directory (and the SDK), so each route repeats the few
# helpers the Rust chat keeps in src/shared.
@app
chat-py

@ws
join
say
leave

@http
get /

@static
folder public
