// {"action":"tally"}: counts one as a read-modify-write through compare-and-swap (the way to
// update a value that is not a plain counter), and answers the new tally.
import { kv } from '@wsh/sdk'

export function handler () {
  const tally = kv.bucket('stats').update('tally', (n = 0) => n + 1)
  return { statusCode: 200, body: JSON.stringify({ tally }) }
}
