# Logs every disconnect, with the close code; the log is wsh's stdout.

def handler(event:, context:)
  c = event['requestContext']
  puts "disconnected #{c['connectionId']} code=#{c.fetch('disconnectStatusCode', 0)} " \
       "reason=#{debug_quoted(c.fetch('disconnectReason', ''))}"
end

# Rust's `{:?}` of a string, for the characters a close reason plausibly holds: quotes,
# backslashes and control characters escaped, everything else as it is.
def debug_quoted(s)
  named = { "\t" => '\t', "\r" => '\r', "\n" => '\n', '\\' => '\\\\', '"' => '\"', "\0" => '\0' }
  escaped = s.each_char.map do |ch|
    if named.key?(ch) then named[ch]
    elsif ch.ord < 0x20 || (0x7F..0x9F).cover?(ch.ord) then format('\u{%x}', ch.ord)
    else ch
    end
  end
  "\"#{escaped.join}\""
end
