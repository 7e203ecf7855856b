// The live page's script: redraws the tables from the state wsh sends on its socket once a
// second. Text goes in with textContent only: routes, errors and room names come from the app
// and its clients.

const POLL_MS = 1000

function cell(text, cls) {
  const td = document.createElement('td')
  td.textContent = text
  if (cls) td.className = cls
  return td
}

function code(text) {
  const td = document.createElement('td')
  const c = document.createElement('code')
  c.textContent = text
  td.append(c)
  return td
}

function fill(id, rows, empty) {
  const body = document.querySelector(`#${id} tbody`)
  body.replaceChildren(...rows)
  if (rows.length === 0) {
    const tr = document.createElement('tr')
    const td = cell(empty)
    td.colSpan = document.querySelectorAll(`#${id} thead th`).length
    tr.append(td)
    body.append(tr)
  }
}

function row(...cells) {
  const tr = document.createElement('tr')
  tr.append(...cells)
  return tr
}

const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '')
const ago = (s) => (s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${(s / 3600).toFixed(1)} h`)

function draw(state) {
  document.getElementById('app').textContent = state.app ? `— ${state.app}` : ''
  document.getElementById('open').textContent = state.open
  fill('connections', state.connections.map((c) =>
    row(code(c.id), cell(ago(c.age_s), 'n'), cell(c.source), cell(c.rooms.join(', ')))), 'none')
  fill('routes', state.routes.map((r) => {
    const f = r.figures || { invocations: 0, errors: 0, mean_ms: 0 }
    return row(code(r.route), cell(r.language || '—'), cell(r.built_ms ? new Date(r.built_ms).toLocaleString() : '—'),
      cell(f.invocations, 'n'), cell(f.errors, f.errors ? 'n bad' : 'n'), cell(`${f.mean_ms.toFixed(3)} ms`, 'n'))
  }), 'no routes')
  fill('errors', state.errors.map((e) =>
    row(cell(time(e.at_ms)), code(e.route), code(e.request), code(e.connection), cell(e.error, 'bad'))), 'none')
  fill('reloads', state.reloads.map((r) =>
    row(cell(time(r.at_ms)), code(r.what), cell(r.ok ? 'ok' : 'failed', r.ok ? 'ok' : 'bad'), cell(r.detail))), 'none')
}

function updated(how) {
  const status = document.getElementById('status')
  status.textContent = `updated ${new Date().toLocaleTimeString()} (${how})`
  status.dataset.updated = String(Date.now())
  status.dataset.via = how
}

// Polls /_wsh/state: what the page does while its socket is down.
async function poll() {
  try {
    const response = await fetch('/_wsh/state', { cache: 'no-store' })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    draw(await response.json())
    updated('polling')
  } catch (e) {
    document.getElementById('status').textContent = `cannot reach wsh: ${e.message}`
  }
}

// wsh sends the state on /_wsh/live once a second; when the socket closes (wsh restarting, a
// proxy that drops it), the page polls and tries the socket again.
function live() {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/_wsh/live`)
  socket.onmessage = (message) => {
    draw(JSON.parse(message.data))
    updated('live')
  }
  socket.onclose = () => {
    poll()
    setTimeout(live, POLL_MS)
  }
}

live()
