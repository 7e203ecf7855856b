# The seeds' echo handler in Ruby: a twin of ../../../../echo (Rust), frame for frame.
require 'architect/functions'
require 'json'
require 'time'

# The message's "text" when it is JSON {"text": "..."}, else the body itself (a binary frame
# has no text).
def said(event)
  return '' if event['isBase64Encoded']
  body = event.fetch('body', '')
  message = JSON.parse(body)
  message.is_a?(Hash) && message['text'].is_a?(String) ? message['text'] : body
rescue JSON::ParserError
  body
end

def handler(req)
  # JavaScript's `new Date().toISOString()`: milliseconds, UTC, "Z".
  timestamp = Time.now.utc.iso8601(3)
  Arc::WS.send id: req['requestContext']['connectionId'], payload: { text: "#{timestamp} - Echoing #{said(req)}" }
  { statusCode: 200 }
end
