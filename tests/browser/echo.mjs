// End-to-end test of the seeds' browser app (guest-examples/echo) in a real,
// headless browser: Debian's chromium driven by playwright-core.
//
//   node tests/browser/echo.mjs <base-url> <out-dir>
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
// Environment: as harness.mjs.

import { start } from './harness.mjs'

const { browser, left, step, fail, openPage, waitOpen, finish } = await start('echo.mjs')

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

await finish('A and B each saw only their own echoes')
