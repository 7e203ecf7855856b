// {"action":"visit"}: counts one visit, atomically, and answers the new count.
import { kv } from '@wsh/sdk'

export function handler () {
  return { statusCode: 200, body: JSON.stringify({ visits: kv.increment('visits') }) }
}
