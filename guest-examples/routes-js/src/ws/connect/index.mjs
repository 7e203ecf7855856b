// Accepts a connection unless its query says `?deny=<status>`; agrees to the `wsh.v1`
// subprotocol when the client offers it.

export function handler(event) {
  // Like Rust's `str::parse::<u16>()`: digits only (an optional '+'), at most 65535.
  const deny = event.queryStringParameters?.deny;
  if (deny !== undefined && /^\+?[0-9]+$/.test(deny) && Number(deny) <= 65535) {
    return { statusCode: Number(deny), body: 'connection refused by the connect handler' };
  }
  const offered = header(event, 'sec-websocket-protocol') ?? '';
  if (offered.split(',').some((p) => p.trim() === 'wsh.v1')) {
    return { statusCode: 200, headers: { 'sec-websocket-protocol': 'wsh.v1' } };
  }
  return { statusCode: 200 };
}

// Header names arrive as the client sent them.
function header(event, name) {
  const key = Object.keys(event.headers ?? {}).sort().find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : event.headers[key];
}
