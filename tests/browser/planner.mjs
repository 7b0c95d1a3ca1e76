#!/usr/bin/env node
// Browser journey for the planner: two boroughs' buyers upload their contracts
// registers as CSV, the coordinator confirms that their CCTV contracts are
// comparable, and sees the joint cohort on the planner page and in the timeline.
//
//   node planner.mjs BASE_URL CREDENTIALS_JSON [SCREENSHOT_DIR]
//
// CREDENTIALS_JSON is a file mapping the demo emails to their passwords.

import { readFileSync } from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { Journey } from './lib.mjs'

const [base, credentialsFile, screenshotDir] = process.argv.slice(2)
if (!base || !credentialsFile) {
  console.error('usage: node planner.mjs BASE_URL CREDENTIALS_JSON [SCREENSHOT_DIR]')
  process.exit(2)
}
const passwords = JSON.parse(readFileSync(credentialsFile, 'utf8'))
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
const j = new Journey(base, screenshotDir)

async function upload (email, authority, file) {
  const page = await j.page()
  if (!(await j.signIn(page, email, passwords[email]))) return
  await page.goto(`${j.base}/register/import`, { waitUntil: 'load' })
  await j.axe(page, `${email}: import page`)
  await page.locator('#authority').selectOption(authority)
  await page.locator('#file').setInputFiles(path.join(fixtures, file))
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Import register' }).click()])
  const banner = (await page.locator('.govuk-notification-banner').textContent().catch(() => '')) || ''
  j.check(`${email} imports ${file}`, /Imported .* added/.test(banner), [banner.replace(/\s+/g, ' ').trim() || 'no success banner'])
  await j.screenshot(page, `upload-${authority}`)
  await page.context().close()
}

try {
  await j.launch()
  await upload('buyer@cmd.example', 'GB-LAE-CMD', 'camden-register.csv')
  await upload('buyer@hck.example', 'GB-LAE-HCK', 'hackney-register.csv')

  const page = await j.page()
  await j.signIn(page, 'coordinator@lhpp.example', passwords['coordinator@lhpp.example'])
  await page.goto(`${j.base}/consortia/1/groupings`, { waitUntil: 'load' })
  await j.axe(page, 'groupings page')
  const suggestion = page.locator('.app-suggestion').filter({ hasText: 'CMD-CCTV-1' }).filter({ hasText: 'HCK-CCTV-7' })
  if (j.check('the two CCTV contracts are suggested as comparable', (await suggestion.count()) === 1)) {
    await suggestion.getByLabel('Category name').fill('CCTV and concierge')
    await suggestion.getByRole('button', { name: /^Confirm/ }).click()
    await page.waitForURL((u) => u.search.includes('notice='), { waitUntil: 'load' }).catch(() => {})
    const summary = (await page.locator('.govuk-error-summary').textContent().catch(() => '')) || ''
    j.check('confirming says so', (await page.locator('.govuk-notification-banner').count()) === 1, [`at ${page.url()}`, summary.replace(/\s+/g, ' ').trim()])
  }
  await page.goto(`${j.base}/consortia/1/planner?category=${encodeURIComponent('CCTV and concierge')}`, { waitUntil: 'load' })
  await j.screenshot(page, 'planner')
  const heading = await page.getByRole('heading', { name: 'CCTV and concierge', exact: true }).count()
  j.check('the planner shows the new category', heading === 1)
  const cohort = page.locator('table').filter({ hasText: 'Joint go-live' }).locator('tbody tr').first()
  const text = ((await cohort.textContent().catch(() => '')) || '').replace(/\s+/g, ' ')
  j.check('the best joint cohort has both boroughs', text.includes('London Borough of Camden') && text.includes('London Borough of Hackney'), [text])
  const svg = (await page.locator('svg.app-timeline').innerHTML().catch(() => '')) || ''
  j.check('the timeline shows both contracts', svg.includes('CMD-CCTV-1') && svg.includes('HCK-CCTV-7'))
  await j.axe(page, 'planner page')
  // From the cohort to the advice on a route to market.
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('link', { name: /^Route to market/ }).first().click()])
  const advice = (await page.locator('h1').textContent().catch(() => '')) || ''
  j.check('the cohort leads to route-to-market advice', advice.includes('Route to market: CCTV and concierge'), [`at ${page.url()}`, advice])
  const routes = await page.locator('#ranking tbody tr').count()
  j.check('the advice ranks all seven routes', routes === 7, [`${routes} rows`])
  await j.screenshot(page, 'advice')
  await j.axe(page, 'advice page')
  await page.goto(`${j.base}/register`, { waitUntil: 'load' })
  await j.axe(page, 'register page')
} catch (err) {
  j.check('the planner journey ran to the end', false, [err.stack || String(err)])
}
await j.finish()
