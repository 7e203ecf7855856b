# A two-way route: the returned body goes back to the caller.
require 'json'

def handler(event:, context:)
  # A binary frame reads as JSON null, as in the Rust SDK's `event.json()`.
  body = JSON.parse(event['isBase64Encoded'] ? 'null' : event['body'])
  n = body.is_a?(Hash) ? body['n'] : nil
  { statusCode: 200, body: JSON.generate(pong: n) }
end
