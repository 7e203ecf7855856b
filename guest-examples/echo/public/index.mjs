// Browser side of the echo example (the seeds app), after Architect's WebSocket seeds
// script. The page sets window.WS_URL; this module opens a socket to it,
// shows every {"text": ...} message it receives and sends {"text": ...}
// when Enter is pressed in #message.
//
// <main data-state> is 'connecting', then 'open', then 'closed', so a
// test can wait on the state instead of sleeping.
//
// As a module this file runs in strict mode with its own scope: it adds
// no globals.

const main = document.querySelector('main')
const input = document.getElementById('message')
const socket = new WebSocket(window.WS_URL)

main.dataset.state = 'connecting'

socket.addEventListener('open', () => {
  main.innerHTML = `<p><b><code>${new Date().toISOString()} - opened</code></b></p>`
  main.dataset.state = 'open'
})

socket.addEventListener('close', () => {
  main.innerHTML = 'Closed <a href=/>reload</a>'
  main.dataset.state = 'closed'
})

socket.addEventListener('message', (event) => {
  let msg
  try {
    msg = JSON.parse(event.data)
  } catch {
    console.warn('ignoring a message that is not JSON:', event.data)
    return
  }
  // Build the nodes by hand: the text comes from the network, so it never
  // goes through innerHTML.
  const p = document.createElement('p')
  const code = document.createElement('code')
  code.textContent = String(msg?.text ?? '')
  p.append(code)
  main.append(p)
})

input.addEventListener('keyup', (event) => {
  if (event.key !== 'Enter') return
  const text = input.value
  if (!text || socket.readyState !== WebSocket.OPEN) return
  socket.send(JSON.stringify({ text }))
  input.value = ''
})
