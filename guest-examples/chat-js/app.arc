# The chat example (guest-examples/chat) in JavaScript, frame for frame alike:
# {"action":"join","room":R,"name":N}, {"action":"say","room":R,"text":T},
# {"action":"leave","room":R}. Each room fans out through wsh's rooms; its last 20 messages
# are kept in the key-value store. The page at / is a client; open it in two tabs.
@app
chat-js

@ws
join
say
leave

@http
get /

@static
folder public
