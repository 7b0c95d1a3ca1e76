#!/usr/bin/env node
// Browser journey for Consort: signs in through the real pages in headless
// Chromium and checks accessibility (axe-core, WCAG 2.2 A/AA) on the way.
//
//   node journey.mjs BASE_URL EMAIL PASSWORD [SCREENSHOT_DIR]
//
// Uses Debian's Chromium (/usr/bin/chromium; set CHROMIUM to override), never
// a browser downloaded by Playwright. Exits 0 when every check passed, 1 when
// any failed, 2 on bad usage.
//
// The pages are loaded with their real Content-Security-Policy enforced, so
// the `govuk-frontend-supported` check proves that /assets/app.js ran under
// it, and a CSP violation shows up as a console error. axe-core is injected
// through the DevTools protocol (page.evaluate), which a page's CSP does not
// govern. Set JOURNEY_BYPASS_CSP=1 to instead open the pages with Playwright's
// bypassCSP and inject axe with a <script> tag (then the page's CSP is not
// enforced at all, so the checks above prove less).

import { createRequire } from 'node:module'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'

const require = createRequire(import.meta.url)
const { chromium } = require('playwright-core')
const axe = require('axe-core')

const TIMEOUT_MS = Number(process.env.JOURNEY_TIMEOUT_MS || 15_000)
const BYPASS_CSP = process.env.JOURNEY_BYPASS_CSP === '1'
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']

const [baseArg, email, password, screenshotDir] = process.argv.slice(2)
if (!baseArg || email === undefined || password === undefined) {
  console.error('usage: node journey.mjs BASE_URL EMAIL PASSWORD [SCREENSHOT_DIR]')
  process.exit(2)
}
const base = baseArg.replace(/\/+$/, '')

let passed = 0
const failures = [] // { check, details: string[] }

function pass (check) {
  passed++
  console.log(`ok   - ${check}`)
}

function fail (check, details = []) {
  failures.push({ check, details })
  console.log(`FAIL - ${check}`)
  for (const line of details) console.log(`         ${line}`)
}

function check (name, ok, details = []) {
  if (ok) pass(name)
  else fail(name, details)
  return ok
}

/** Rejects after TIMEOUT_MS: page.evaluate() has no timeout of its own. */
function withTimeout (promise, what) {
  let timer
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function screenshot (page, name) {
  if (!screenshotDir) return
  const file = path.join(screenshotDir, `${name}.png`)
  try {
    await page.screenshot({ path: file, fullPage: true, timeout: TIMEOUT_MS })
    console.log(`       screenshot: ${file}`)
  } catch (err) {
    console.log(`       (screenshot ${file} failed: ${err.message})`)
  }
}

async function runAxe (page, label) {
  const name = `${label}: no axe-core WCAG 2.2 A/AA violations`
  try {
    const present = await page.evaluate(() => typeof window.axe === 'object')
    if (!present) {
      if (BYPASS_CSP) await page.addScriptTag({ content: axe.source })
      else await withTimeout(page.evaluate(axe.source), 'injecting axe-core')
    }
    const violations = await withTimeout(
      page.evaluate(async (values) => {
        const results = await window.axe.run(document, { runOnly: { type: 'tag', values } })
        return results.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          targets: v.nodes.map((n) => n.target.join(' ')),
        }))
      }, WCAG_TAGS),
      'axe.run',
    )
    const details = []
    for (const v of violations) {
      details.push(`${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>`)
      for (const t of v.targets) details.push(`    at ${t}`)
    }
    check(name, violations.length === 0, details)
  } catch (err) {
    fail(name, [`could not run axe-core: ${err.message}`])
  }
}

/** Collects console errors and uncaught exceptions; `take()` returns and clears them. */
function watchErrors (page) {
  let errors = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location()
      errors.push(`console error: ${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`)
    }
  })
  page.on('pageerror', (err) => errors.push(`uncaught exception: ${err.message}`))
  return {
    take () {
      const out = errors
      errors = []
      return out
    },
  }
}

async function checkPageBasics (page, label, errors) {
  // Module scripts run before DOMContentLoaded; give late errors a moment.
  await page.waitForTimeout(200)
  const classes = await page.evaluate(() => ({
    supported: document.body.classList.contains('govuk-frontend-supported'),
    jsEnabled: document.body.classList.contains('js-enabled'),
    bodyClass: document.body.className,
  }))
  check(
    `${label}: <body> has govuk-frontend-supported and js-enabled (app.js ran)`,
    classes.supported && classes.jsEnabled,
    [`body class="${classes.bodyClass}"`],
  )
  const errs = errors.take()
  check(`${label}: no JavaScript console errors`, errs.length === 0, errs)
}

async function main () {
  if (screenshotDir) await mkdir(screenshotDir, { recursive: true })

  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium'
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: TIMEOUT_MS,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
  console.log(`browser journey: ${executablePath} (${browser.version()}) against ${base}` +
    (BYPASS_CSP ? ' [bypassCSP]' : ''))

  try {
    const context = await browser.newContext({ bypassCSP: BYPASS_CSP })
    context.setDefaultTimeout(TIMEOUT_MS)
    context.setDefaultNavigationTimeout(TIMEOUT_MS)
    const page = await context.newPage()
    const errors = watchErrors(page)

    // 1. Sign-in page.
    const response = await page.goto(`${base}/sign-in`, { waitUntil: 'load' })
    const status = response ? response.status() : 0
    if (!check('GET /sign-in answers 200', status === 200, [`status ${status}`])) return
    await screenshot(page, '01-sign-in')
    await checkPageBasics(page, 'sign-in', errors)
    await runAxe(page, 'sign-in')

    // 2. Sign in.
    const labelled = (await page.getByLabel('Email address', { exact: true }).count()) === 1 &&
      (await page.getByLabel('Password', { exact: true }).count()) === 1
    check('sign-in: fields labelled "Email address" and "Password"', labelled)
    await page.locator('#email').fill(email)
    await page.locator('#password').fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    try {
      await page.waitForURL((url) => url.pathname.endsWith('/dashboard'), { waitUntil: 'load' })
    } catch {
      // Fall through: the URL check below reports where we ended up.
    }
    const url = new URL(page.url())
    const h1 = ((await page.locator('h1').first().textContent({ timeout: TIMEOUT_MS }).catch(() => null)) || '').trim()
    if (!check('signing in lands on /dashboard', url.pathname.endsWith('/dashboard'), [`at ${page.url()}`, `h1: "${h1}"`])) {
      const summary = await page.locator('.govuk-error-summary').textContent({ timeout: 1000 }).catch(() => null)
      if (summary) console.log(`         error summary: ${summary.replace(/\s+/g, ' ').trim()}`)
      await screenshot(page, '99-failure')
      return
    }
    check('dashboard: <h1> contains "Dashboard"', h1.includes('Dashboard'), [`h1: "${h1}"`])
    await screenshot(page, '02-dashboard')
    await checkPageBasics(page, 'dashboard', errors)
    await runAxe(page, 'dashboard')

    // 3. Without JavaScript: a wrong password shows the error summary, the right
    //    one reaches the dashboard, and signing out works (every page is plain HTML).
    const plain = await browser.newContext({ javaScriptEnabled: false })
    plain.setDefaultTimeout(TIMEOUT_MS)
    const p2 = await plain.newPage()
    await p2.goto(`${base}/sign-in`, { waitUntil: 'load' })
    await p2.locator('#email').fill(email)
    await p2.locator('#password').fill('not the password at all')
    await p2.getByRole('button', { name: 'Sign in', exact: true }).click()
    await p2.waitForLoadState('load')
    const summary = await p2.locator('.govuk-error-summary a[href="#email"]').count()
    check('no JavaScript: a wrong password shows the error summary linked to the field', summary === 1)
    await screenshot(p2, '03-sign-in-error')
    await p2.locator('#password').fill(password)
    await p2.getByRole('button', { name: 'Sign in', exact: true }).click()
    await p2.waitForURL((u) => u.pathname.endsWith('/dashboard'), { waitUntil: 'load' }).catch(() => {})
    check('no JavaScript: signing in reaches the dashboard', new URL(p2.url()).pathname.endsWith('/dashboard'), [`at ${p2.url()}`])
    await p2.getByRole('button', { name: 'Sign out', exact: true }).click()
    await p2.waitForURL((u) => u.pathname.endsWith('/sign-in'), { waitUntil: 'load' }).catch(() => {})
    check('no JavaScript: signing out returns to the sign-in page', new URL(p2.url()).pathname.endsWith('/sign-in'), [`at ${p2.url()}`])
    await plain.close()

    // 4. The error state of a form is accessible too (in a context not signed in).
    const fresh = await browser.newContext({ bypassCSP: BYPASS_CSP })
    fresh.setDefaultTimeout(TIMEOUT_MS)
    const p3 = await fresh.newPage()
    await p3.goto(`${base}/sign-in`, { waitUntil: 'load' })
    await p3.getByRole('button', { name: 'Sign in', exact: true }).click()
    await p3.waitForLoadState('load')
    await runAxe(p3, 'sign-in with errors')
    await fresh.close()
  } finally {
    await browser.close().catch(() => {})
  }
}

// A last-resort guard in case something hangs outside the per-step timeouts.
const watchdog = setTimeout(() => {
  console.log('FAIL - browser journey did not finish within 2 minutes')
  console.log(`browser journey: ${passed} passed, ${failures.length + 1} failed`)
  process.exit(1)
}, 120_000)
watchdog.unref()

try {
  await main()
} catch (err) {
  fail('browser journey ran to the end', [err.stack || String(err)])
}

if (failures.length > 0) {
  console.log('')
  console.log('Failures:')
  for (const { check: name, details } of failures) {
    console.log(`- ${name}`)
    for (const line of details) console.log(`    ${line}`)
  }
}
console.log(`browser journey: ${passed} passed, ${failures.length} failed`)
process.exit(failures.length > 0 ? 1 : 0)
