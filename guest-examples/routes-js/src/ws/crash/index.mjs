// Handlers that fail in each way a handler can: wsh answers "Internal server error" and keeps
// the connection (and everyone else) going.

export function handler(event) {
  const body = JSON.parse(event.isBase64Encoded ? 'null' : event.body);
  const how = typeof body?.how === 'string' ? body.how : 'panic';
  switch (how) {
    case 'error':
      // JavaScript has no panic apart from an error: both end as the export's err(message).
      throw new Error('the handler returned an error on purpose');
    case 'loop':
      for (;;) {}
    case 'oom': {
      const hoard = [];
      for (;;) hoard.push(new Uint8Array(1 << 20).fill(1));
    }
    default:
      throw new Error('the handler panicked on purpose');
  }
}
