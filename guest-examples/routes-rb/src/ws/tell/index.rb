# Sends text to another connection by id (`"times": n` sends it n times); tells the caller when
# that connection is gone, or cannot be reached now.
require 'architect/functions'
require 'json'

def handler(event:, context:)
  body = JSON.parse(event['isBase64Encoded'] ? 'null' : event['body'])
  body = {} unless body.is_a?(Hash)
  to = body['to'].is_a?(String) ? body['to'] : ''
  text = body['text'].is_a?(String) ? body['text'] : ''
  # serde_json's as_u64(): a whole, non-negative JSON number without a fraction part.
  times = body['times'].is_a?(Integer) && body['times'] >= 0 && body['times'] < 2**64 ? body['times'] : 1
  message = { from: event['requestContext']['connectionId'], text: text }
  times.times do
    Arc::WS.send id: to, payload: message
  rescue Arc::WS::GoneException
    return { statusCode: 200, body: JSON.generate(error: 'gone', to: to) }
  rescue Arc::WS::UnavailableException => e
    # On another node while the cluster's Redis is down: may be live, cannot be reached.
    return { statusCode: 200, body: JSON.generate(error: 'unavailable', to: to, why: e.reason) }
  end
  { statusCode: 200, body: JSON.generate(sent: to) }
end
