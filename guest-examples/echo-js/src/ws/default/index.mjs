// The seeds' src/ws/ws-default/index.js with its `require` line replaced by an import: a twin
// of ../../../../echo (Rust), frame for frame.
import arc from '@wsh/sdk'

// What the message said: its "text" when it is JSON {"text": "..."}, else the body itself (a
// binary frame has no text). The seeds' handler parsed the body unconditionally.
function said(event) {
  if (event.isBase64Encoded) return ''
  try {
    let message = JSON.parse(event.body)
    if (message !== null && typeof message === 'object' && typeof message.text === 'string') return message.text
  } catch {}
  return event.body ?? ''
}

/**
 * append a timestamp and echo the message back to the connectionId
 */
exports.handler = async function ws(event) {
  let timestamp = new Date().toISOString()
  let connectionId = event.requestContext.connectionId
  let text = `${timestamp} - Echoing ${said(event)}`

  await arc.ws.send({
    id: connectionId,
    payload: {text}
  })

  return {statusCode: 200}
}
