// A closed socket leaves its rooms: the others in each get its departure. (wsh takes it out of
// the rooms after this handler returns, so it still sees them here.)
import { kv, rooms } from '@wsh/sdk'
import { json, memberKey, nameIn, presence } from '../../shared/chat.mjs'

export function handler (event) {
  const id = event.requestContext.connectionId
  for (const room of rooms.roomsOf(id)) {
    const name = nameIn(room, id)
    if (name !== undefined) {
      rooms.publish(room, json(presence(room, name, 'leave')), { except: [id] })
      kv.delete(memberKey(room, id))
    }
  }
  return { statusCode: 200 }
}
