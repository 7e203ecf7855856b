# Whatever no route claims: says which route ran and what it got.
require 'json'

def handler(event:, context:)
  # Keys in serde_json's (sorted) order, so the reply matches the Rust example byte for byte.
  reply = { body: event['body'], isBase64Encoded: event['isBase64Encoded'], route: event['requestContext']['routeKey'] }
  { statusCode: 200, body: JSON.generate(reply) }
end
