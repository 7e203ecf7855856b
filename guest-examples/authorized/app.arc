# A $connect authorizer, as API Gateway's Lambda REQUEST authorizer: a handshake without an
# `auth` header is refused with 401 before any handler runs; src/ws/auth allows or denies the
# rest (403), and what it allows with reaches every later event as requestContext.authorizer.
# Try: websocat -H 'auth: letmein' ws://localhost:3333
@app
authorized

@ws
default

@wsh
authorizer auth
identity-source route.request.header.auth
