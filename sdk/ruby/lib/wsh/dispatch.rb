# What the glue's entry calls for every event, `Wsh.dispatch(kind, event, env)`, and the
# handler's answer mapped back to what the WIT export returns (as JSON, which the entry reads).

module Wsh
  module Dispatch
    class << self
      # How to call `handler`: worked out once, at build time, from its parameters.
      attr_reader :call_handler
    end

    EVENT_NAMES = %i[event req request].freeze

    # Lambda's Ruby runtime calls `handler(event:, context:)`; Architect's examples write
    # `def handler(req)`. Both work, and so do `handler(event, context)` and `handler`.
    def self.prepare(file)
      unless Object.private_method_defined?(:handler) || Object.method_defined?(:handler)
        raise NoMethodError, "#{file} defines no method `handler` (def handler(event:, context:) or def handler(req))"
      end
      params = Object.instance_method(:handler).parameters
      keywords = params.select { |type, _| %i[keyreq key].include?(type) }.map(&:last)
      keyrest = params.any? { |type, _| type == :keyrest }
      if !keywords.empty? || keyrest
        unknown = params.select { |type, name| type == :keyreq && !EVENT_NAMES.include?(name) && name != :context }
        unless unknown.empty?
          raise ArgumentError, "#{file}: handler's keyword #{unknown.map { |_, n| "#{n}:" }.join(', ')} " \
                               "is none of event:, context:"
        end
        event_key = keyrest ? :event : (EVENT_NAMES & keywords).first
        with_context = keyrest || keywords.include?(:context)
        @call_handler = lambda do |event, context|
          args = {}
          args[event_key] = event if event_key
          args[:context] = context if with_context
          TOPLEVEL_BINDING.receiver.__send__(:handler, **args)
        end
      else
        positional = params.count { |type, _| %i[req opt].include?(type) }
        positional = 2 if params.any? { |type, _| type == :rest }
        @call_handler = ->(event, context) { TOPLEVEL_BINDING.receiver.__send__(:handler, *[event, context].first(positional)) }
      end
    end

    # The response conversions, run at build time: the component is a snapshot of this VM, so
    # the work Ruby does the first time through them (method caches, what full_message loads,
    # ~100 ms) is done once here instead of in every fresh instance.
    def self.warm_up
      event = JSON.parse('{"requestContext":{"routeKey":"$default","requestId":"r"},"body":"{\"a\":[1,\"x\"]}"}')
      16.times do
        JSON.parse(event["body"])
        Response.ws({ statusCode: 200, body: "x", headers: { "a" => "b" } })
        Response.ws({ "statusCode" => 200, "body" => { "k" => 1 } })
        Response.ws(nil)
        Response.authorizer({ isAuthorized: true, context: { a: "b" } })
        Response.http({ statusCode: 200, headers: { "a" => "b" }, cookies: ["c=1"], body: "x" })
        Response.http({ json: { k: 1 } })
        Response.http("<p>x</p>")
        Host.frame({ "text" => "x" })
        Context.new("r", "$default")
      end
      begin
        raise ArgumentError, "warm-up"
      rescue ArgumentError => e
        e.full_message(highlight: false)
      end
    end
  end

  UNAUTHORIZED = { "statusCode" => 401, "body" => { "text" => '{"message":"Unauthorized"}' }, "headers" => [] }.freeze

  # Called by the entry for each event: `kind` is "ws" or "http", `event` the event (or request)
  # as JSON, `env` the instance's environment as JSON. Answers {"ok": response} or
  # {"err": "Class: message"} (the backtrace goes to the log), as JSON.
  def self.dispatch(kind, event, env)
    # The snapshot holds the build's environment and PRNG state: this instance's, please.
    ENV.replace(JSON.parse(env))
    Random.srand(Random.new_seed)
    event = JSON.parse(event)
    context = Context.new(event["requestContext"]["requestId"], event["routeKey"] || event["requestContext"]["routeKey"])
    authorizer = event.key?("methodArn")
    out = Dispatch.call_handler.call(event, context)
    response = if kind == "http" then Response.http(out)
               elsif authorizer then Response.authorizer(out)
               else Response.ws(out)
               end
    JSON.generate({ "ok" => response })
  rescue Exception => e # rubocop:disable Lint/RescueException -- the export's err, as a trap would be
    # `raise "Unauthorized"`: API Gateway's way for an authorizer to answer 401.
    return JSON.generate({ "ok" => UNAUTHORIZED }) if authorizer && e.message == "Unauthorized"
    # Without the frames of the entry's eval: the handler's and the SDK's are what tell.
    e.set_backtrace(e.backtrace.reject { |l| l.start_with?("eval:", "-e:") }) if e.backtrace
    $stderr.write(e.full_message(highlight: false))
    JSON.generate({ "err" => "#{e.class}: #{e.message}".encode(Encoding::UTF_8, invalid: :replace, undef: :replace) })
  ensure
    # The instance is dropped right after the export returns: nothing else would flush.
    $stdout.flush
    $stderr.flush
  end

  # The handler's answer as the WIT response.
  module Response
    # Architect's response shorthands and the content type each sets.
    SHORTHANDS = {
      "html" => "text/html; charset=utf-8",
      "json" => "application/json; charset=utf-8",
      "text" => "text/plain; charset=utf-8",
      "css" => "text/css; charset=utf-8",
      "js" => "text/javascript; charset=utf-8",
      "xml" => "application/xml; charset=utf-8",
    }.freeze
    HTTP_KEYS = (%w[statusCode status headers cookies body isBase64Encoded type location] + SHORTHANDS.keys).freeze
    JSON_TYPE = "application/json; charset=utf-8"
    HTML_TYPE = "text/html; charset=utf-8"

    # Keys as Strings: `{statusCode: 200}` is as good as `{"statusCode" => 200}`.
    def self.keyed(h) = h.transform_keys(&:to_s)

    def self.status(value, range)
      return value if value.is_a?(Integer) && range.cover?(value)
      raise TypeError, "statusCode #{value.inspect} is not an HTTP status"
    end

    def self.headers(h)
      (h || {}).map { |k, v| [k.to_s, v.to_s] }
    end

    # A @ws handler's answer. nil means 200.
    def self.ws(r)
      return { "statusCode" => 200, "body" => nil, "headers" => [] } if r.nil?
      raise TypeError, "handler returned a #{r.class}; return {statusCode: ..., body: ...} or nil" unless r.is_a?(Hash)
      r = keyed(r)
      body = r["body"]
      body = if body.nil? then nil
             # Lambda's convention for bytes: base64 text flagged isBase64Encoded.
             elsif r["isBase64Encoded"] && body.is_a?(String) then { "binary" => [body.unpack1("m")].pack("m0") }
             else Host.frame(body, "body")
             end
      { "statusCode" => status(r.fetch("statusCode", 200), 0..65_535), "body" => body, "headers" => headers(r["headers"]) }
    end

    # An authorizer's answer ({principalId, policyDocument, context} or {isAuthorized, context})
    # as the JSON body of a 200, which is what the host reads; a Hash with a statusCode (e.g.
    # 401) is a response as it is.
    def self.authorizer(r)
      return ws(r) if r.nil? || (r.is_a?(Hash) && keyed(r).key?("statusCode"))
      { "statusCode" => 200, "body" => Host.frame(r), "headers" => [["content-type", "application/json"]] }
    end

    # An @http handler's answer: {statusCode, headers, cookies, body, isBase64Encoded} as Lambda
    # takes it, with Architect's shorthands (status, type, html, json, text, css, js, xml,
    # location). A String is an HTML page; a binary String body goes as base64; nil is an empty
    # 200; any other value (or a Hash with none of those keys) is JSON.
    def self.http(r)
      return { "statusCode" => 200, "headers" => [], "cookies" => [], "body" => nil, "isBase64Encoded" => false } if r.nil?
      if r.is_a?(String)
        return { "statusCode" => 200, "headers" => [["content-type", HTML_TYPE]], "cookies" => [],
                 "body" => Host.utf8(r, "body"), "isBase64Encoded" => false }
      end
      r = keyed(r) if r.is_a?(Hash)
      r = { "body" => r } unless r.is_a?(Hash) && HTTP_KEYS.any? { |k| r.key?(k) }
      location = r["location"]
      code = r["statusCode"] || r["status"] || (location.nil? ? 200 : 302)
      headers = headers(r["headers"])
      type = r["type"]
      body = r["body"]
      b64 = r["isBase64Encoded"] ? true : false
      key = SHORTHANDS.keys.find { |k| r.key?(k) }
      if key
        body = key == "json" ? Wsh.dumps(r[key]) : r[key]
        type ||= SHORTHANDS[key]
      end
      if body.is_a?(String) && Host.bytes?(body)
        body = [body].pack("m0")
        b64 = true
      elsif body.is_a?(String)
        body = Host.utf8(body, "body")
      elsif !body.nil?
        body = Wsh.dumps(body)
        type ||= JSON_TYPE
      end
      names = headers.map { |k, _| k.downcase }
      headers << ["content-type", type.to_s] if type && !names.include?("content-type")
      headers << ["location", location.to_s] if location && !names.include?("location")
      { "statusCode" => status(code, 100..999), "headers" => headers, "cookies" => (r["cookies"] || []).map(&:to_s),
        "body" => body, "isBase64Encoded" => b64 && !body.nil? }
    end
  end
end
