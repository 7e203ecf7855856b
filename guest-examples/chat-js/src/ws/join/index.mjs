// {"action":"join","room":R,"name":N}: the joiner gets the room's member count and recent
// history; the others get its arrival.
import { kv, rooms } from '@wsh/sdk'
import { HISTORY, body, error, historyKey, json, memberKey, presence, reply, str } from '../../shared/chat.mjs'

export function handler (event) {
  const message = body(event)
  const room = str(message, 'room')
  const name = str(message, 'name')
  if (room === undefined || name === undefined) return reply(error('join needs a room and a name'))
  const id = event.requestContext.connectionId
  // The room first: a name that is not a room is an answer, and leaves nothing behind.
  try {
    rooms.join(room, id)
  } catch (e) {
    if (e.code === 'InvalidRoom') return reply(error(`invalid room ${JSON.stringify(room)}`))
    throw e
  }
  kv.set(memberKey(room, id), name)
  rooms.publish(room, json(presence(room, name, 'join')), { except: [id] })
  const members = rooms.members(room).length
  const stored = kv.get(historyKey(room))
  const history = stored === undefined ? [] : stored
  if (!Array.isArray(history)) throw new Error(`${historyKey(room)} holds no list of messages`)
  return reply({ type: 'joined', room, members, history: history.slice(-HISTORY) })
}
