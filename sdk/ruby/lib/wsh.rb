# wsh: write a wsh WebSocket or HTTP handler in Ruby, the way Architect's Lambda handlers are
# written. A route directory holds index.rb (or handler.rb):
#
#   require 'architect/functions'
#
#   def handler(req)
#     Arc::WS.send id: req['requestContext']['connectionId'], payload: { hello: 'world' }
#     { statusCode: 200 }
#   end
#
# The event is the Hash a Lambda behind API Gateway receives (string keys, as Lambda's Ruby
# runtime passes it). The handler runs in a fresh instance for every event: nothing it keeps in
# a global survives to the next event. See README.md beside lib/.

require "json"
require "wsh/host"
require "wsh/ws"

module Wsh
  # JSON text as JavaScript's JSON.stringify writes it for JSON values: no spaces, non-ASCII as
  # it is.
  def self.dumps(value)
    JSON.generate(value)
  end

  # The few parts of Lambda's context object that mean something here.
  Context = Struct.new(:aws_request_id, :function_name)
end

require "wsh/dispatch"
