// The server closes the caller's connection; `$disconnect` then runs.

import { ws } from '@wsh/sdk';

export async function handler(event) {
  const id = event.requestContext.connectionId;
  await ws.send({ id, payload: 'bye' }); // a string goes as it is: the text frame `bye`
  await ws.close({ id });
}
