// Logs every disconnect, with the close code; the log is wsh's stdout.

export function handler(event) {
  const c = event.requestContext;
  console.log(`disconnected ${c.connectionId} code=${c.disconnectStatusCode ?? 0} reason=${debugQuoted(c.disconnectReason ?? '')}`);
}

// Rust's `{:?}` of a string, for the characters a close reason plausibly holds: quotes,
// backslashes and control characters escaped, everything else as it is.
function debugQuoted(s) {
  const named = { '\t': '\\t', '\r': '\\r', '\n': '\\n', '\\': '\\\\', '"': '\\"', '\0': '\\0' };
  const escaped = s.replace(/[\t\r\n\\"\0]|[\x01-\x1f\x7f-\x9f]/g, (ch) => named[ch] ?? `\\u{${ch.charCodeAt(0).toString(16)}}`);
  return `"${escaped}"`;
}
