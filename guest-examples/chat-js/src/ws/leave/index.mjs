// {"action":"leave","room":R}: the others get the departure.
import { kv, rooms } from '@wsh/sdk'
import { body, error, json, memberKey, nameIn, notIn, presence, reply, str } from '../../shared/chat.mjs'

export function handler (event) {
  const room = str(body(event), 'room')
  if (room === undefined) return reply(error('leave needs a room'))
  const id = event.requestContext.connectionId
  const name = nameIn(room, id)
  if (name === undefined) return reply(notIn(room))
  rooms.leave(room, id)
  kv.delete(memberKey(room, id))
  rooms.publish(room, json(presence(room, name, 'leave')), { except: [id] })
  return { statusCode: 200 }
}
