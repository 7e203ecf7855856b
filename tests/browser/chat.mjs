// The chat example (guest-examples/chat, or a twin) in headless Chromium: two tabs join
// different rooms, each says something, and each must see its own room only.
//
//   node tests/browser/chat.mjs <base-url> <out-dir>
//
// The check is ordering-based, not a sleep: B speaks only after A's message reached A, and A
// speaks again only after B's reached B, so a server that let a message into the other room
// would have queued it ahead of that tab's next own line. Writes <out-dir>/red.png and
// <out-dir>/blue.png. Environment: as harness.mjs.

import { start } from './harness.mjs'

const { browser, left, step, fail, openPage, waitOpen, finish } = await start('chat.mjs')

/** The lines of the page's log, as `type: text`. */
function lines(p) {
  return p.page.$$eval('#log li', (els) => els.map((e) => `${e.dataset.type}: ${e.textContent}`))
}

async function waitLine(p, want) {
  await step(`page ${p.name}: expected the line ${JSON.stringify(want)} in #log`, () =>
    p.page.waitForFunction(
      (want) => [...document.querySelectorAll('#log li')].some((e) => `${e.dataset.type}: ${e.textContent}` === want),
      want,
      { timeout: left(), polling: 50 },
    ),
  )
}

async function join(p, name, room) {
  await step(`page ${p.name}: fill the join form`, async () => {
    await p.page.fill('#join [name=name]', name, { timeout: left() })
    await p.page.fill('#join [name=room]', room, { timeout: left() })
    await p.page.click('#join button', { timeout: left() })
  })
  await waitLine(p, `joined: joined ${room} (1 here)`)
}

async function say(p, name, text) {
  await step(`page ${p.name}: say ${JSON.stringify(text)}`, async () => {
    await p.page.fill('#say [name=text]', text, { timeout: left() })
    await p.page.click('#say button', { timeout: left() })
  })
  await waitLine(p, `message: ${name}: ${text}`)
}

const context = await browser.newContext({ viewport: { width: 800, height: 450 } })
const red = await openPage(context, 'Red')
const blue = await openPage(context, 'Blue')
await Promise.all([waitOpen(red), waitOpen(blue)])

const nonce = Math.random().toString(36).slice(2, 8)
await join(red, 'ann', `red-${nonce}`)
await join(blue, 'ben', `blue-${nonce}`)
// Markup checks that the page shows messages as text.
await say(red, 'ann', `hello <i>red</i> ${nonce}`)
await say(blue, 'ben', `hello <b>blue</b> ${nonce}`)
await say(red, 'ann', `again red ${nonce}`)

const want = {
  Red: [`joined: joined red-${nonce} (1 here)`, `message: ann: hello <i>red</i> ${nonce}`, `message: ann: again red ${nonce}`],
  Blue: [`joined: joined blue-${nonce} (1 here)`, `message: ben: hello <b>blue</b> ${nonce}`],
}
for (const p of [red, blue]) {
  const got = await lines(p)
  if (JSON.stringify(got) !== JSON.stringify(want[p.name])) {
    await fail(`page ${p.name}: expected exactly ${JSON.stringify(want[p.name])}, got ${JSON.stringify(got)}`)
  }
}
await finish('two tabs in two rooms each saw only their own room')
