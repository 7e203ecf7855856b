// Browser side of the chat example: join a room under a name, say things, see the room.
//
// The page sets window.WS_URL. <main data-state> is 'connecting', then 'open', then 'closed',
// and <ul id=log> gets one <li> per frame, with data-type set to the frame's type, so that a
// test can wait on them instead of sleeping. Text from the network is set as textContent,
// never as HTML.

const main = document.querySelector('main')
const log = document.getElementById('log')
const form = document.getElementById('join')
const say = document.getElementById('say')
const socket = new WebSocket(window.WS_URL)
let room = null

main.dataset.state = 'connecting'
socket.addEventListener('open', () => { main.dataset.state = 'open' })
socket.addEventListener('close', () => { main.dataset.state = 'closed' })

function line (type, text) {
  const li = document.createElement('li')
  li.dataset.type = type
  li.textContent = text
  log.append(li)
}

socket.addEventListener('message', (event) => {
  const frame = JSON.parse(event.data)
  switch (frame.type) {
    case 'joined':
      for (const m of frame.history) line('history', `${m.from}: ${m.text}`)
      line('joined', `joined ${frame.room} (${frame.members} here)`)
      break
    case 'message':
      line('message', `${frame.from}: ${frame.text}`)
      break
    case 'presence':
      line('presence', `${frame.name} ${frame.event === 'join' ? 'joined' : 'left'}`)
      break
    default:
      line(frame.type ?? 'other', frame.message ?? event.data)
  }
})

form.addEventListener('submit', (event) => {
  event.preventDefault()
  room = form.room.value
  socket.send(JSON.stringify({ action: 'join', room, name: form.name.value }))
})

say.addEventListener('submit', (event) => {
  event.preventDefault()
  if (!room || !say.text.value) return
  socket.send(JSON.stringify({ action: 'say', room, text: say.text.value }))
  say.text.value = ''
})
