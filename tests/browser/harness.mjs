// What the browser tests share: headless Chromium (Debian's, driven by playwright-core), pages
// that record their console errors, steps whose timeouts say what they waited for, a failure
// report with every page's <main> text, and screenshots.
//
//   const run = await start('echo.mjs')     // reads <base-url> <out-dir> from the command line
//   const a = await run.openPage(context, 'A')
//   ...
//   await run.finish('what was shown')
//
// Environment: CHROMIUM (default /usr/bin/chromium), BROWSER_TIMEOUT_MS (default 30000, for
// the whole run).

import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'

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

export async function start(script) {
  const [baseUrl, outDir] = process.argv.slice(2)
  if (!baseUrl || !outDir || process.argv.length > 4) {
    console.error(`usage: node tests/browser/${script} <base-url> <out-dir>`)
    process.exit(2)
  }
  const TOTAL_MS = Number(process.env.BROWSER_TIMEOUT_MS) || 30_000
  const started = Date.now()
  const deadline = started + TOTAL_MS
  const left = () => Math.max(1, deadline - Date.now())
  const pages = [] // { name, page, errors: [] }
  let browser
  let finished = false

  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`

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
    const report = [`FAIL ${script} (${baseUrl}) after ${elapsed()}: ${message}`]
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

  // Checks no page logged an error, takes the screenshots, and exits 0 with `summary`.
  async function finish(summary) {
    await step('screenshots', screenshots)
    const errors = pages.filter((p) => p.errors.length)
    if (errors.length) await fail(`console or page errors on ${errors.map((p) => p.name).join(', ')}`)
    finished = true
    clearTimeout(watchdog)
    await browser.close()
    console.log(`ok ${script} (${baseUrl}): ${summary}; screenshots in ${outDir} (${elapsed()})`)
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

  return { browser, baseUrl, outDir, left, step, fail, openPage, waitOpen, finish }
}
