# Reaching connections by id, like Architect's `arc.ws` and API Gateway's @connections API:
# Wsh::WS (and Arc::WS, the same module, with require 'architect/functions').

module Wsh
  # Why a ws call did not happen. `code` is the AWS-style name (GoneException), `kind` the WIT
  # case (gone), `status_code` the HTTP status API Gateway would give.
  class WsError < StandardError
    def self.code = "WsError"
    def self.kind = ""
    def self.status_code = 500
    def self.text = "ws error"

    def self.for(id, _reason)
      new("#{text}: #{id}")
    end

    def code = self.class.code
    def kind = self.class.kind
    def status_code = self.class.status_code
  end

  # No such connection (it closed, or never existed).
  class GoneException < WsError
    def self.code = "GoneException"
    def self.kind = "gone"
    def self.status_code = 410
    def self.text = "connection is gone"
  end

  class PayloadTooLargeException < WsError
    def self.code = "PayloadTooLargeException"
    def self.kind = "payload-too-large"
    def self.status_code = 413
    def self.text = "payload too large"
  end

  # The connection does not read; it is being closed with 1008.
  class SlowConsumerException < WsError
    def self.code = "SlowConsumerException"
    def self.kind = "slow-consumer"
    def self.status_code = 429
    def self.text = "connection is not reading (slow consumer)"
  end

  # The connection cannot be reached now (it is on another node and the cluster's Redis is
  # unreachable); it may still be live, and a later call may reach it. `reason` says why.
  class UnavailableException < WsError
    def self.code = "UnavailableException"
    def self.kind = "unavailable"
    def self.status_code = 503

    attr_reader :reason

    def self.for(id, reason)
      new("connection unavailable: #{id} (#{reason}); it may still be live, try again later", reason)
    end

    def initialize(message = nil, reason = nil)
      super(message)
      @reason = reason
    end
  end

  module WS
    ERRORS = [GoneException, PayloadTooLargeException, SlowConsumerException, UnavailableException]
             .to_h { |e| [e.kind, e] }.freeze
    # Arc::WS::GoneException and the like, as Wsh::GoneException.
    WsError = Wsh::WsError
    GoneException = Wsh::GoneException
    PayloadTooLargeException = Wsh::PayloadTooLargeException
    SlowConsumerException = Wsh::SlowConsumerException
    UnavailableException = Wsh::UnavailableException

    def self.call(op, id, extra = {})
      raise TypeError, "ws: id must be a connection id String, not #{id.class}" unless id.is_a?(String)
      Host.call({ "op" => op, "id" => id, **extra }, ERRORS)
    end

    # Sends `payload` to connection `id`: a String as a text frame (a binary String, .b, as a
    # binary frame), anything else as its JSON text. Raises GoneException and the like.
    def self.send(id:, payload:)
      call("send", id, Host.frame(payload))
      nil
    end

    # Closes connection `id` (code 1000); its $disconnect handler runs.
    def self.close(id:)
      call("close", id)
      nil
    end

    # {"connectionId", "connectedAt", "lastActiveAt", "identity" => {"sourceIp", "userAgent"}}.
    def self.info(id:)
      call("info", id)
    end
  end
end
