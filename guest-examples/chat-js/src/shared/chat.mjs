// What the chat's routes share (each route imports it by relative path; esbuild bundles it into
// every route, and wsh rebuilds them all when it changes): the frames of its protocol and where
// its state lives.
//
// State: the name a connection goes by in a room is `member:{room}:{connection}`, and a room's
// last 20 messages `history:{room}`, both in the key-value store; who is in a room is wsh's
// rooms. Frames are JSON objects with their keys in sorted order and no spaces, as serde_json
// writes them in the Rust chat, so that the three twins answer byte for byte alike.
import { kv } from '@wsh/sdk'

/** Messages a room's history keeps. */
export const HISTORY = 20

export const memberKey = (room, id) => `member:${room}:${id}`

export const historyKey = (room) => `history:${room}`

/** A copy of `value` whose objects have their keys in sorted order. JSON.stringify writes keys
 *  in insertion order (integer-like keys first, but the protocol has none), so the copy's JSON
 *  is what serde_json writes. */
export function sorted (value) {
  if (Array.isArray(value)) return value.map(sorted)
  if (value === null || typeof value !== 'object') return value
  const out = {}
  for (const key of Object.keys(value).sort()) out[key] = sorted(value[key])
  return out
}

/** A frame's JSON text, as serde_json writes it. */
export const json = (value) => JSON.stringify(sorted(value))

/** The message body parsed as JSON, as the Rust SDK's `event.json()`: a binary frame (or none)
 *  is `null`. */
export function body (event) {
  return JSON.parse(event.isBase64Encoded || event.body == null ? 'null' : event.body)
}

/** `body[key]` when it is a string (serde_json's `body[key].as_str()`), else undefined. */
export function str (body, key) {
  const value = body !== null && typeof body === 'object' ? body[key] : undefined
  return typeof value === 'string' ? value : undefined
}

/** The name `id` goes by in `room`, when it is a member. */
export function nameIn (room, id) {
  const name = kv.get(memberKey(room, id))
  if (name !== undefined && typeof name !== 'string') throw new Error(`${memberKey(room, id)} holds no name`)
  return name
}

export const presence = (room, name, event) => ({ type: 'presence', room, name, event })

export const error = (message) => ({ type: 'error', message })

export const notIn = (room) => error(`not in room ${room}`)

/** A two-way route's reply: `value` as a text frame to the caller. */
export const reply = (value) => ({ statusCode: 200, body: json(value) })
