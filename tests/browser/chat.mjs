// End-to-end test of the seeds' browser app (guest-examples/echo) in a real,
// headless browser: Debian's chromium driven by playwright-core.
//
//   node tests/browser/chat.mjs <base-url> <out-dir>
//
// Opens two pages at <base-url>, waits until both sockets are open, sends
// a message from page A and waits for A's echo, then sends one from B and
// waits for B's echo. The server's $default route answers the sender only,
// so neither page may show the other's echo. The check is ordering-based,
// not a sleep: A's echo had reached A before B sent anything, so a server
// that broadcast it would have queued it on B's socket ahead of B's own
// echo (and likewise for B's echo, checked after A's second message).
//
// Writes <out-dir>/a.png and <out-dir>/b.png (also on failure, when the
// pages still exist). Exits 0 on success; otherwise prints what was
// expected, each page's <main> text and its console errors, and exits 1.
// Any console error or uncaught page error fails the test too.
//
// Environment: CHROMIUM (default /usr/bin/chromium), CHAT_TIMEOUT_MS
// (default 30000, for the whole run).

import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'

const [baseUrl, outDir] = process.argv.slice(2)
if (!baseUrl || !outDir || process.argv.length > 4) {
  console.error('usage: node tests/browser/chat.mjs <base-url> <out-dir>')
  process.exit(2)
}

const TOTAL_MS = Number(process.env.CHAT_TIMEOUT_MS) || 30_000
const started = Date.now()
const deadline = started + TOTAL_MS
const left = () => Math.max(1, deadline - Date.now())

// Flags for running as root in a container. Chromium's sandbox cannot
// start here (as root, and without the user namespaces it needs), so
// --no-sandbox is required. playwright-core already adds it (its
// chromiumSandbox option defaults to false), along with --headless and
// --disable-dev-shm-usage (Docker's 64 MB /dev/shm crashes renderers);
// --no-sandbox is repeated here so the requirement is visible.
const LAUNCH_ARGS = [
  '--no-sandbox',
  // No GPU in a container: skip probing for one.
  '--disable-gpu',
]

const FAVICON_404 = /^Failed to load resource: .*\b404\b/

const pages = [] // { name, page, errors: [] }
let browser
let finished = false

function elapsed() {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`
}

async function describe(p) {
  const [main, state] = await p.page
    .evaluate(() => {
      const m = document.querySelector('main')
      return m ? [m.innerText, m.dataset.state] : ['<no <main> element>', undefined]
    })
    .catch((e) => [`<unavailable: ${e.message.split('\n')[0]}>`, undefined])
  const lines = [
    `page ${p.name} (${p.page.url()}), main[data-state=${state ?? '?'}]:`,
    ...main.split('\n').map((l) => `    | ${l}`),
  ]
  if (p.errors.length) {
    lines.push(`  console/page errors on ${p.name}:`, ...p.errors.map((e) => `    ! ${e}`))
  } else {
    lines.push(`  no console errors on ${p.name}`)
  }
  return lines.join('\n')
}

async function screenshots() {
  fs.mkdirSync(outDir, { recursive: true })
  for (const p of pages) {
    await p.page.screenshot({ path: path.join(outDir, `${p.name.toLowerCase()}.png`), timeout: 5000 })
  }
}

async function fail(message) {
  if (finished) return
  finished = true
  const report = [`FAIL chat.mjs (${baseUrl}) after ${elapsed()}: ${message}`]
  for (const p of pages) report.push(await describe(p))
  await screenshots().catch((e) => report.push(`(screenshots failed: ${e.message.split('\n')[0]})`))
  console.error(report.join('\n'))
  await browser?.close().catch(() => {})
  process.exit(1)
}

// Runs one step; a Playwright timeout becomes a failure that says what the
// step was waiting for.
async function step(what, fn) {
  try {
    return await fn()
  } catch (e) {
    await fail(`${what}\n  (${e.message.split('\n')[0]})`)
    // fail() exits; keep waiting so nothing after runs meanwhile.
    await new Promise(() => {})
  }
}

async function openPage(context, name) {
  const page = await context.newPage()
  const p = { name, page, errors: [] }
  pages.push(p)
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location()
      // Chromium fetches /favicon.ico on its own and logs a 404 for it as a
      // console error; that is the browser's request, not the app's.
      if (FAVICON_404.test(msg.text()) && /\/favicon\.ico$/.test(loc?.url ?? '')) return
      p.errors.push(`console.error: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`)
    }
  })
  page.on('pageerror', (err) => p.errors.push(`page error: ${err.message}`))
  page.on('crash', () => p.errors.push('page crashed'))
  const response = await step(`page ${name}: load ${baseUrl}`, () =>
    page.goto(baseUrl, { waitUntil: 'load', timeout: left() }),
  )
  if (!response || !response.ok()) {
    await fail(`page ${name}: GET ${baseUrl} expected 2xx, got ${response?.status()}`)
  }
  return p
}

// Waits until <main data-state> leaves 'connecting'/unset and requires 'open'.
async function waitOpen(p) {
  await step(`page ${p.name}: expected main[data-state=open] (socket to window.WS_URL opened)`, () =>
    p.page.waitForSelector('main[data-state="open"], main[data-state="closed"]', { timeout: left() }),
  )
  const state = await p.page.locator('main').getAttribute('data-state')
  if (state !== 'open') await fail(`page ${p.name}: expected the WebSocket to open, but main[data-state=${state}]`)
}

// The texts of the <p><code> lines the script appended for received messages.
function received(p) {
  return p.page.$$eval('main p > code', (els) => els.map((e) => e.textContent))
}

// Types text into #message, presses Enter and waits for the exact echo.
// text must contain the unique tag, so that a line that carries the tag but
// is not the exact echo (text rendered as HTML, say) fails at once instead
// of at the timeout.
async function say(p, tag, text) {
  // The seeds' echo: `${new Date().toISOString()} - Echoing ${text}`.
  const expected = ` - Echoing ${text}`
  const input = p.page.locator('#message')
  await step(`page ${p.name}: type into #message`, () => input.fill(text, { timeout: left() }))
  await step(`page ${p.name}: press Enter in #message`, () => input.press('Enter', { timeout: left() }))
  const what = `page ${p.name}: expected a line ending ${JSON.stringify(expected)} in <main> after sending ${JSON.stringify({ text })}`
  const handle = await step(what, () =>
    p.page.waitForFunction(
      ([want, tag]) => {
        const lines = [...document.querySelectorAll('main p > code')].map((c) => c.textContent)
        const line = lines.find((l) => l.endsWith(want))
        if (line !== undefined) return { ok: true, line }
        const wrong = lines.find((l) => l.includes(tag))
        return wrong !== undefined && { wrong }
      },
      [expected, tag],
      { timeout: left(), polling: 50 },
    ),
  )
  const result = await handle.jsonValue()
  if (!result.ok) await fail(`${what}, got ${JSON.stringify(result.wrong)}`)
  const value = await input.inputValue()
  if (value !== '') await fail(`page ${p.name}: expected #message to be cleared after Enter, it holds ${JSON.stringify(value)}`)
  return result.line
}

async function assertNotReceived(p, unexpected, why) {
  const lines = await received(p)
  if (lines.includes(unexpected)) {
    await fail(`page ${p.name}: expected NOT to see ${JSON.stringify(unexpected)} (${why}), but it did`)
  }
}

const watchdog = setTimeout(() => fail(`overall timeout of ${TOTAL_MS} ms exceeded`), TOTAL_MS + 2000)

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: LAUNCH_ARGS,
    timeout: left(),
  })
} catch (e) {
  await fail(`could not launch chromium (${process.env.CHROMIUM || '/usr/bin/chromium'}; install it with \`apt-get install chromium\`, or set CHROMIUM):\n${e.message}`)
}

const context = await browser.newContext({ viewport: { width: 800, height: 450 } })
const a = await openPage(context, 'A')
const b = await openPage(context, 'B')
await Promise.all([waitOpen(a), waitOpen(b)])

// Markup in the messages checks that the page shows them as text, not HTML:
// rendered as HTML, the line's text would not be the exact echo.
const nonce = Math.random().toString(36).slice(2, 8)
const tag = (n) => `${n}-${nonce}`
const echoA1 = await say(a, tag('A1'), `${tag('A1')} says <i>hello</i> & "welcome"`)
const echoB = await say(b, tag('B1'), `${tag('B1')} says <b>hi</b>`)
await assertNotReceived(b, echoA1, 'the server replies to the sender only, and A\'s echo reached A before B sent anything')
const echoA2 = await say(a, tag('A2'), `${tag('A2')} again`)
await assertNotReceived(a, echoB, 'the server replies to the sender only, and B\'s echo reached B before A\'s second message')

// Both sockets are still open, and each page shows exactly its own echoes.
for (const [p, want] of [[a, [echoA1, echoA2]], [b, [echoB]]]) {
  const state = await p.page.locator('main').getAttribute('data-state')
  if (state !== 'open') await fail(`page ${p.name}: expected the socket to stay open, main[data-state=${state}]`)
  const got = await received(p)
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    await fail(`page ${p.name}: expected exactly these lines ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
  }
}

await step('screenshots', screenshots)
const errors = pages.filter((p) => p.errors.length)
if (errors.length) await fail(`console or page errors on ${errors.map((p) => p.name).join(', ')}`)

finished = true
clearTimeout(watchdog)
await browser.close()
console.log(`ok chat.mjs (${baseUrl}): A and B each saw only their own echoes; screenshots in ${outDir} (${elapsed()})`)
