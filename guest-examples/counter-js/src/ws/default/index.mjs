// Anything else reads the counts, without changing them.
import { kv } from '@wsh/sdk'

export function handler () {
  const visits = kv.get('visits') ?? 0
  const tally = kv.bucket('stats').get('tally') ?? 0
  // Keys in serde_json's (sorted) order, so that the three twins answer alike.
  return { statusCode: 200, body: JSON.stringify({ tally, visits }) }
}
