@app
everything # the name

@ws
$connect
join
chat.send
v1:ping

@http
get /
POST /api/items
any /hooks/*

@static
folder public
fingerprint true

@tables
data
  scopeID *String

@wsh
route-selection ${request.body.service}-${request.body.action}
stage dev
handler-timeout-ms 500
handler-memory-mb 64
max-message-kb 128
max-frame-kb 32
idle-timeout-s 600
max-lifetime-s 7200
max-connections 1000
connect-rate 50
message-rate 50
outbound-queue 256
allowed-origins https://a.example http://localhost:3333/
handshake-timeout-s 10
max-header-kb 10
authorizer auth
identity-source route.request.header.Authorization route.request.querystring.token
