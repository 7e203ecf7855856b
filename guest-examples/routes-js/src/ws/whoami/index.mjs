// `ws.info` about the caller, plus the event as the handler saw it.

import { ws } from '@wsh/sdk';

export async function handler(event) {
  const info = await ws.info({ id: event.requestContext.connectionId });
  return { statusCode: 200, body: JSON.stringify(sorted({ info, event })) };
}

// serde_json (as the Rust example uses it) writes object keys sorted; so does this.
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
}
