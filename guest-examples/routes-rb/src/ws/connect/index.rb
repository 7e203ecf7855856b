# Accepts a connection unless its query says `?deny=<status>`; agrees to the `wsh.v1`
# subprotocol when the client offers it.

def handler(event:, context:)
  # Like Rust's `str::parse::<u16>()`: digits only (an optional '+'), at most 65535.
  deny = (event['queryStringParameters'] || {})['deny']
  if deny&.match?(/\A\+?[0-9]+\z/) && deny.to_i <= 65_535
    return { statusCode: deny.to_i, body: 'connection refused by the connect handler' }
  end
  offered = header(event, 'sec-websocket-protocol') || ''
  return { statusCode: 200, headers: { 'sec-websocket-protocol' => 'wsh.v1' } } if offered.split(',').any? { |p| p.strip == 'wsh.v1' }
  { statusCode: 200 }
end

# Header names arrive as the client sent them.
def header(event, name)
  headers = event['headers'] || {}
  headers.keys.sort.find { |k| k.downcase == name }&.then { |k| headers[k] }
end
