# `require 'architect/functions'`: the part of Architect's runtime library a wsh handler can
# use, as the WebSocket guide writes it:
#
#   Arc::WS.send id: connection_id, payload: { action: 'ping' }
#
# Arc::WS is Wsh::WS: send, close, info, and its exceptions (Arc::WS::GoneException, ...).
require "wsh"

module Arc
  WS = Wsh::WS
end
