# Handlers that fail in each way a handler can: wsh answers "Internal server error" and keeps
# the connection (and everyone else) going.
require 'json'

def handler(event:, context:)
  body = JSON.parse(event['isBase64Encoded'] ? 'null' : event['body'])
  how = body.is_a?(Hash) && body['how'].is_a?(String) ? body['how'] : 'panic'
  case how
  when 'error'
    # Ruby has no panic apart from an exception: both end as the export's err(message).
    raise ArgumentError, 'the handler returned an error on purpose'
  when 'loop'
    x = 0
    loop { x += 1 }
  when 'oom'
    hoard = []
    loop { hoard << ("\x01" * (1 << 20)) }
  end
  raise 'the handler panicked on purpose'
end
