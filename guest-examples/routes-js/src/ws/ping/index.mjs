// A two-way route: the returned body goes back to the caller.

export function handler(event) {
  // A binary frame reads as JSON null, as in the Rust SDK's `event.json()`.
  const body = JSON.parse(event.isBase64Encoded ? 'null' : event.body);
  const n = body !== null && typeof body === 'object' && !Array.isArray(body) && 'n' in body ? body.n : null;
  return { statusCode: 200, body: JSON.stringify({ pong: sorted(n) }) };
}

// serde_json (as the Rust example uses it) writes object keys sorted; so does this.
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
}
