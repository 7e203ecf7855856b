# The one channel from Ruby to wsh. ruby.wasm's `js` extension calls out to a JavaScript engine
# (JS.eval); in a wsh handler that engine is the js-host glue component, which answers
# JS.eval("wsh:" + json) by making the wsh:handler call the JSON describes.

# The extension's C part only: JS.eval and JS::Object#to_s. (`require "js"` would also load its
# Ruby part, which evaluates JavaScript as it loads.)
require "js.so"

module Wsh
  module Host
    # Performs one call, {"op": ..., ...}; answers its "ok" value, or raises the error class
    # `errors` maps its "err" to (an unknown one as Wsh::WsError).
    def self.call(request, errors)
      answer = JSON.parse(::JS.eval("wsh:" + JSON.generate(request)).to_s)
      return answer["ok"] unless answer.key?("err")
      raise errors.fetch(answer["err"], WsError).for(request["id"], answer["reason"])
    end

    # A String in binary encoding (ASCII-8BIT, e.g. "...".b) is bytes; any other is text.
    def self.bytes?(s)
      s.encoding == Encoding::BINARY
    end

    # Text as UTF-8, or an ArgumentError naming what is wrong with it.
    def self.utf8(s, what)
      s = s.encode(Encoding::UTF_8) unless s.encoding == Encoding::UTF_8
      raise ArgumentError, "#{what} is not valid UTF-8 (for bytes, use a binary String: .b)" unless s.valid_encoding?
      s
    end

    # {"text": ...} or {"binary": base64}: a String as it is (binary Strings as a binary
    # frame), anything else as its JSON text.
    def self.frame(payload, what = "payload")
      case payload
      when String then bytes?(payload) ? { "binary" => [payload].pack("m0") } : { "text" => utf8(payload, what) }
      else { "text" => Wsh.dumps(payload) }
      end
    end
  end
end
