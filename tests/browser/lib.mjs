// Shared plumbing for Consort's browser journeys: Debian's Chromium driven by
// playwright-core, axe-core for WCAG 2.2 A/AA, and a pass/fail tally that ends
// with the line `browser journey: N passed, M failed`.

import { createRequire } from 'node:module'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'

const require = createRequire(import.meta.url)
const { chromium } = require('playwright-core')
const axe = require('axe-core')

export const TIMEOUT_MS = Number(process.env.JOURNEY_TIMEOUT_MS || 15_000)
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
]

/** A run of checks against one server. */
export class Journey {
  constructor (base, screenshotDir) {
    this.base = base.replace(/\/+$/, '')
    this.screenshotDir = screenshotDir
    this.passed = 0
    this.failures = []
  }

  check (name, ok, details = []) {
    if (ok) {
      this.passed++
      console.log(`ok   - ${name}`)
    } else {
      this.failures.push({ name, details })
      console.log(`FAIL - ${name}`)
      for (const line of details) console.log(`         ${line}`)
    }
    return ok
  }

  async launch () {
    if (this.screenshotDir) await mkdir(this.screenshotDir, { recursive: true })
    const executablePath = process.env.CHROMIUM || '/usr/bin/chromium'
    this.browser = await chromium.launch({ executablePath, headless: true, timeout: TIMEOUT_MS, args: CHROMIUM_ARGS })
    console.log(`browser journey: ${executablePath} (${this.browser.version()}) against ${this.base}`)
  }

  /** A fresh page in a fresh context (no cookies). */
  async page () {
    const context = await this.browser.newContext()
    context.setDefaultTimeout(TIMEOUT_MS)
    context.setDefaultNavigationTimeout(TIMEOUT_MS)
    return context.newPage()
  }

  async signIn (page, email, password) {
    await page.goto(`${this.base}/sign-in`, { waitUntil: 'load' })
    await page.locator('#email').fill(email)
    await page.locator('#password').fill(password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.waitForURL((u) => u.pathname.endsWith('/dashboard'), { waitUntil: 'load' }).catch(() => {})
    return this.check(`${email} signs in`, new URL(page.url()).pathname.endsWith('/dashboard'), [`at ${page.url()}`])
  }

  async screenshot (page, name) {
    if (!this.screenshotDir) return
    const file = path.join(this.screenshotDir, `${name}.png`)
    await page.screenshot({ path: file, fullPage: true, timeout: TIMEOUT_MS }).catch(() => {})
  }

  /** Injects axe-core through the DevTools protocol (not governed by the page's CSP) and checks WCAG 2.2 A/AA. */
  async axe (page, label) {
    const present = await page.evaluate(() => typeof window.axe === 'object')
    if (!present) await page.evaluate(axe.source)
    const violations = await page.evaluate(async (values) => {
      const results = await window.axe.run(document, { runOnly: { type: 'tag', values } })
      return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
    }, WCAG_TAGS)
    this.check(`${label}: no axe-core WCAG 2.2 A/AA violations`, violations.length === 0, violations)
  }

  /** Closes the browser, prints the tally and exits. */
  async finish () {
    if (this.browser) await this.browser.close().catch(() => {})
    if (this.failures.length > 0) {
      console.log('\nFailures:')
      for (const { name, details } of this.failures) {
        console.log(`- ${name}`)
        for (const line of details) console.log(`    ${line}`)
      }
    }
    console.log(`browser journey: ${this.passed} passed, ${this.failures.length} failed`)
    process.exit(this.failures.length > 0 ? 1 : 0)
  }
}
