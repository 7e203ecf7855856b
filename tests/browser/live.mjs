// The live page (/_wsh) in headless Chromium: it must show the connection the test opened, the
// routes with their figures, and the error the test caused, with its request id, as sent on
// the page's WebSocket.
//
//   LIVE_CONNECTION=<id> LIVE_REQUEST=<request id> node tests/browser/live.mjs <base-url>/_wsh <out-dir>
//
// Writes <out-dir>/live.png. Environment: as harness.mjs.

import { start } from './harness.mjs'

const { browser, left, step, fail, openPage, finish } = await start('live.mjs')
const connection = process.env.LIVE_CONNECTION
const request = process.env.LIVE_REQUEST
if (!connection || !request) await fail('set LIVE_CONNECTION and LIVE_REQUEST')

const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
const p = await openPage(context, 'Live')

// Waits, polling the DOM, until `check(arg)` in the page is true.
async function until(what, check, arg) {
  await step(what, () => p.page.waitForFunction(check, arg, { timeout: left(), polling: 100 }))
}

await until(`expected connection ${connection} in #connections`,
  (id) => [...document.querySelectorAll('#connections tbody code')].some((c) => c.textContent === id), connection)
await until(`expected the error of request ${request} in #errors`,
  (id) => [...document.querySelectorAll('#errors tbody code')].some((c) => c.textContent === id), request)
await until('expected the crash route with at least one invocation and one error in #routes', () =>
  [...document.querySelectorAll('#routes tbody tr')].some((tr) => {
    const cells = [...tr.children].map((td) => td.textContent)
    return cells[0] === 'crash' && cells[1] === 'rust' && Number(cells[3]) >= 1 && Number(cells[4]) >= 1
  }))
const via = await p.page.locator('#status').getAttribute('data-via')
if (via !== 'live') await fail(`expected the page to be updated over its WebSocket, it was by ${via}`)
await finish('the live page showed the connection, the routes and the error, over its WebSocket')
