// Sends text to another connection by id (`"times": n` sends it n times); tells the caller
// when that connection is gone, or cannot be reached now.

import { ws } from '@wsh/sdk';

export async function handler(event) {
  const body = JSON.parse(event.isBase64Encoded ? 'null' : event.body) ?? {};
  const to = typeof body.to === 'string' ? body.to : '';
  const text = typeof body.text === 'string' ? body.text : '';
  // serde_json's as_u64(); JSON.parse cannot tell 2.0 from 2, so 2.0 counts as 2 here (1 in Rust).
  const times = Number.isInteger(body.times) && body.times >= 0 ? body.times : 1;
  const message = { from: event.requestContext.connectionId, text };
  for (let i = 0; i < times; i++) {
    try {
      await ws.send({ id: to, payload: message });
    } catch (err) {
      if (err.code === 'GoneException') return { statusCode: 200, body: JSON.stringify({ error: 'gone', to }) };
      // On another node while the cluster's Redis is down: may be live, cannot be reached.
      if (err.code === 'UnavailableException') {
        return { statusCode: 200, body: JSON.stringify({ error: 'unavailable', to, why: err.reason }) };
      }
      throw err;
    }
  }
  return { statusCode: 200, body: JSON.stringify({ sent: to }) };
}
