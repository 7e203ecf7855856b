"""Logs every disconnect, with the close code; the log is wsh's stdout."""


def handler(event, context):
    c = event["requestContext"]
    print(f"disconnected {c['connectionId']} code={c.get('disconnectStatusCode', 0)} reason={debug_quoted(c.get('disconnectReason', ''))}")


def debug_quoted(s):
    """Rust's `{:?}` of a string, for the characters a close reason plausibly holds: quotes,
    backslashes and control characters escaped, everything else as it is."""
    named = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", '"': '\\"', "\0": "\\0"}
    out = []
    for ch in s:
        if ch in named:
            out.append(named[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
