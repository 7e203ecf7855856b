// {"action":"say","room":R,"text":T}: every member gets the message, the sender included, and
// the room's history keeps it. From a non-member: an error to the sender alone.
import { kv, rooms } from '@wsh/sdk'
import { HISTORY, body, error, historyKey, json, nameIn, notIn, reply, sorted, str } from '../../shared/chat.mjs'

export function handler (event) {
  const message = body(event)
  const room = str(message, 'room')
  const text = str(message, 'text')
  if (room === undefined || text === undefined) return reply(error('say needs a room and a text'))
  const id = event.requestContext.connectionId
  const name = nameIn(room, id)
  if (name === undefined || !rooms.roomsOf(id).includes(room)) return reply(notIn(room))
  const said = { type: 'message', room, from: name, text, ts: Date.now() }
  // The last HISTORY messages, kept by compare-and-swap: concurrent sayers lose nothing.
  kv.update(historyKey(room), (history) => sorted([...(Array.isArray(history) ? history : []), said].slice(-HISTORY)))
  rooms.publish(room, json(said))
  return { statusCode: 200 }
}
