# Arc::WS.info about the caller, plus the event as the handler saw it.
require 'architect/functions'
require 'json'

def handler(event:, context:)
  info = Arc::WS.info id: event['requestContext']['connectionId']
  { statusCode: 200, body: JSON.generate(sorted({ 'info' => info, 'event' => event })) }
end

# serde_json (as the Rust example uses it) writes object keys sorted; so does this.
def sorted(v)
  case v
  when Hash then v.keys.sort.to_h { |k| [k, sorted(v[k])] }
  when Array then v.map { |x| sorted(x) }
  else v
  end
end
