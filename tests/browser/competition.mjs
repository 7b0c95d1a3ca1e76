#!/usr/bin/env node
// Browser journey for a whole competition: Camden's buyer creates and
// publishes an open procedure under PA 2023; two suppliers find it under
// Opportunities and bid (the second with JavaScript off); the server's clock
// moves past the tender deadline; two openers open the bids; two evaluators
// declare and score; the moderator agrees the consensus and completes; the
// buyer decides the award and issues the award notice, which starts the
// standstill and queues the outcome letters (the caller checks they arrive).
//
//   node competition.mjs BASE_URL CREDENTIALS_JSON CLOCK_OFFSET_FILE [SCREENSHOT_DIR]
//
// CREDENTIALS_JSON maps the demo emails to their passwords (an opener's
// opening-key passphrase is its password in the demo). CLOCK_OFFSET_FILE is
// the file given to `consort serve --clock-offset-file`: this script writes
// the number of seconds that moves the server past the deadline.

import { readFileSync, writeFileSync } from 'node:fs'
import process from 'node:process'
import { Journey, TIMEOUT_MS } from './lib.mjs'

const [base, credentialsFile, clockOffsetFile, screenshotDir] = process.argv.slice(2)
if (!base || !credentialsFile || !clockOffsetFile) {
  console.error('usage: node competition.mjs BASE_URL CREDENTIALS_JSON CLOCK_OFFSET_FILE [SCREENSHOT_DIR]')
  process.exit(2)
}
const passwords = JSON.parse(readFileSync(credentialsFile, 'utf8'))
const j = new Journey(base, screenshotDir)

const BUYER = 'buyer@cmd.example'
const OPENERS = ['opener1@cmd.example', 'opener2@cmd.example']
const EVALUATORS = ['evaluator@cmd.example', 'evaluator2@cmd.example']
const MODERATOR = 'moderator@cmd.example'
const TITLE = 'Repairs scheduling service for Camden'
const QUESTION = 'Describe how you will schedule repairs within 24 hours'
// Each supplier's answer carries its marker, so any page showing a bid tells whose it is.
const SUPPLIERS = [
  { email: 'supplier@supplier1.example', name: 'Example Housing Systems Ltd', marker: 'ALPHA', unitPrice: '1000', javaScript: true, score: '4', agreed: 'strong and evidenced' },
  { email: 'supplier@supplier2.example', name: 'Sample Tenancy Software Ltd', marker: 'BRAVO', unitPrice: '900', javaScript: false, score: '2', agreed: 'gaps in detail' },
]
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/** The text of what `locator` matches now (empty when nothing does: no waiting), spaces collapsed. */
async function textOf (locator) {
  return (await locator.allTextContents()).join(' ').replace(/\s+/g, ' ').trim()
}

/**
 * Clicks `button`, waits for the page the form leads to (which may have the
 * same address as the form's page), and returns whether its path ends with `path`.
 */
async function submit (page, button, path) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }).catch(() => {}), button.click()])
  return new URL(page.url()).pathname.endsWith(path)
}

/** What went wrong on a page that did not go where it should: its URL and error summary. */
async function why (page) {
  return [`at ${page.url()}`, await textOf(page.locator('.govuk-error-summary'))]
}

async function goto (page, path) {
  await page.goto(`${j.base}${path}`, { waitUntil: 'load' })
}

/** Loads `path` again until `locator` is on it (the work of a background task), for up to 30 s. */
async function untilShown (page, path, locator) {
  const deadline = Date.now() + 30_000
  for (;;) {
    await goto(page, path)
    if ((await locator.count()) > 0) return true
    if (Date.now() > deadline) return false
    await page.waitForTimeout(250)
  }
}

/** A signed-in page for `email` in a fresh browser context, or null. */
async function signedIn (email, options = {}) {
  const context = await j.browser.newContext(options)
  context.setDefaultTimeout(TIMEOUT_MS)
  context.setDefaultNavigationTimeout(TIMEOUT_MS)
  const page = await context.newPage()
  return (await j.signIn(page, email, passwords[email])) ? page : null
}

/** The day after the date written like `29 December 2026 at 00:00` in `text`. */
function dayAfter (text) {
  const m = /(\d{1,2}) ([A-Z][a-z]+) (\d{4}) at \d\d:\d\d/.exec(text)
  if (!m || !MONTHS.includes(m[2])) return null
  const next = new Date(Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]), Number(m[1]) + 1))
  return { day: next.getUTCDate(), month: next.getUTCMonth() + 1, year: next.getUTCFullYear() }
}

/** Buyer: a draft with criteria, a price line and a team, published. Returns its id. */
async function createAndPublish () {
  const page = await signedIn(BUYER)
  if (!page) throw new Error('the buyer could not sign in')
  await goto(page, '/competitions')
  await j.axe(page, 'buyer: competitions page')
  await Promise.all([page.waitForURL((u) => u.pathname === '/competitions/new'), page.getByRole('button', { name: 'Create a competition' }).click()])
  await j.axe(page, 'buyer: create a competition page')
  await page.locator('#title').fill(TITLE)
  await page.locator('#description').fill('Booking and tracking responsive repairs for council homes.')
  await page.locator('input[name="procedure"][value="open_procedure"]').check()
  await page.locator('input[name="regime"][value="pa2023"]').check()
  await page.locator('#eligibility').check()
  await Promise.all([
    page.waitForURL((u) => /^\/competitions\/\d+$/.test(u.pathname), { waitUntil: 'load' }).catch(() => {}),
    page.getByRole('button', { name: 'Create draft' }).click(),
  ])
  const created = /^\/competitions\/(\d+)$/.exec(new URL(page.url()).pathname)
  if (!j.check('the buyer creates a draft competition', created !== null, await why(page))) throw new Error('no draft')
  const id = Number(created[1])
  const overview = `/competitions/${id}`
  j.check('the draft shows its title and status', (await textOf(page.locator('h1'))) === TITLE && (await textOf(page.locator('#status'))) === 'Draft')
  await j.axe(page, 'buyer: draft competition page')

  await page.getByRole('link', { name: 'Award criteria' }).click()
  await page.waitForURL((u) => u.pathname.endsWith('/criteria'), { waitUntil: 'load' })
  await j.axe(page, 'buyer: award criteria page')
  await page.locator('#q-0-text').fill(QUESTION)
  await page.locator('#q-0-weight').fill('60')
  await page.locator('#price-scored').check()
  await page.locator('#price-weight').fill('40')
  j.check('the buyer saves one quality question (60) and price (40)',
    await submit(page, page.getByRole('button', { name: 'Save award criteria' }), overview), await why(page))

  await goto(page, `${overview}/prices`)
  await page.locator('#line-0-description').fill('Scheduling service')
  await page.locator('#line-0-quantity').fill('5')
  await page.locator('#line-0-unit').fill('year')
  j.check('the buyer saves a price line',
    await submit(page, page.getByRole('button', { name: 'Save price schedule' }), overview), await why(page))

  await goto(page, `${overview}/team`)
  await page.locator('#evaluators').fill(EVALUATORS.join('\n'))
  await page.locator('#moderator').fill(MODERATOR)
  j.check('the buyer names two evaluators and a moderator',
    await submit(page, page.getByRole('button', { name: 'Save evaluation team' }), overview), await why(page))

  // The deadline: the day after the earliest lawful one the publish page gives.
  await goto(page, `${overview}/publish`)
  await j.axe(page, 'buyer: publish page')
  const earliest = await textOf(page.locator('#earliest'))
  const deadline = dayAfter(earliest)
  if (!j.check('the publish page gives the earliest lawful deadline', deadline !== null, [earliest])) throw new Error('no earliest deadline')
  await goto(page, `${overview}/details`)
  await page.locator('#deadline-day').fill(String(deadline.day))
  await page.locator('#deadline-month').fill(String(deadline.month))
  await page.locator('#deadline-year').fill(String(deadline.year))
  await page.locator('#deadline-hour').fill('12')
  await page.locator('#deadline-minute').fill('00')
  j.check('the buyer sets the tender deadline',
    await submit(page, page.getByRole('button', { name: 'Save details' }), overview), await why(page))
  await goto(page, `${overview}/publish`)
  const checks = await textOf(page.locator('#checks'))
  j.check('the publish checks find nothing missing', checks === 'The competition is complete.', [checks])
  await Promise.all([
    page.waitForURL((u) => u.search.includes('notice=published'), { waitUntil: 'load' }).catch(() => {}),
    page.locator('#publish').click(),
  ])
  const status = await textOf(page.locator('#status'))
  j.check('the buyer publishes: open for bids', status === 'Open for bids', [...await why(page), status])
  await j.screenshot(page, 'published')
  await page.context().close()
  // London is UTC or one hour ahead, so noon UTC on the deadline day is at or after the deadline.
  return { id, deadlineUtcMs: Date.UTC(deadline.year, deadline.month - 1, deadline.day, 12, 0) }
}

/** A supplier finds the opportunity and bids; returns its receipt's SHA-256. */
async function bid (id, supplier) {
  const label = `${supplier.email}${supplier.javaScript ? '' : ' (JavaScript off)'}`
  const page = await signedIn(supplier.email, { javaScriptEnabled: supplier.javaScript })
  if (!page) return null
  await goto(page, '/opportunities')
  if (supplier.javaScript) await j.axe(page, `${supplier.email}: opportunities page`)
  const link = page.locator(`a[href="/competitions/${id}"]`)
  if (!j.check(`${label} finds the competition under Opportunities`, (await link.count()) === 1)) return null
  await Promise.all([page.waitForURL((u) => u.pathname === `/competitions/${id}`, { waitUntil: 'load' }), link.click()])
  if (supplier.javaScript) await j.axe(page, `${supplier.email}: competition page`)
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/bid'), { waitUntil: 'load' }), page.getByRole('link', { name: 'Prepare or change your bid' }).click()])
  if (supplier.javaScript) await j.axe(page, `${supplier.email}: bid form`)
  await page.locator('#answer-Q1').fill(`${supplier.marker}-ANSWER: a dedicated scheduling desk open every day.`)
  await page.locator('#price-L1').fill(supplier.unitPrice)
  const sent = await submit(page, page.getByRole('button', { name: 'Submit bid' }), '/receipts/1')
  j.check(`${label} submits a bid and gets a receipt`, sent, await why(page))
  const sha = await textOf(page.locator('#sha256'))
  j.check(`${label}'s receipt shows a SHA-256`, /^[0-9a-f]{64}$/.test(sha), [sha])
  if (supplier.javaScript) await j.axe(page, `${supplier.email}: receipt page`)
  await j.screenshot(page, `receipt-${supplier.marker}`)
  await page.context().close()
  return sha
}

/** Moves the server's clock past `deadlineUtcMs` (the server re-reads the file on every call). */
function movePastDeadline (deadlineUtcMs) {
  const seconds = Math.ceil((deadlineUtcMs - Date.now()) / 1000) + 60
  writeFileSync(clockOffsetFile, `${seconds}\n`)
  console.log(`# the server's clock now runs ${seconds} s ahead`)
}

async function open (id, opener, first) {
  const page = await signedIn(opener)
  if (!page) return
  // The scheduler (which looks at least every 5 s) moves the competition past its deadline.
  const link = page.locator(`a[href="/competitions/${id}/open"]`)
  const listed = await untilShown(page, '/opening', link)
  j.check(`${opener} sees the competition waiting to be opened`, listed, [await textOf(page.locator('main'))])
  if (first) await j.axe(page, 'opener: opening page')
  if (!listed) {
    await page.context().close()
    return
  }
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/open'), { waitUntil: 'load' }), link.click()])
  if (first) await j.axe(page, 'opener: open the bids page')
  await page.locator('#passphrase').fill(passwords[opener])
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Approve the opening' }).click()])
  const approvals = await textOf(page.locator('#approvals'))
  j.check(`${opener}'s approval is recorded`, approvals.includes(`${opener} approved`), [...await why(page), approvals])
  if (first) {
    const waiting = await page.getByText('A second opener must approve to open the bids').count()
    const opened = await page.locator('#opened').count()
    const status = await textOf(page.locator('#status'))
    j.check('after one approval the page shows progress, not opened', waiting === 1 && opened === 0 && status === 'Tender deadline passed', [status])
  } else {
    const status = await textOf(page.locator('#status'))
    j.check('after the second approval the bids are opened', (await page.locator('#opened').count()) === 1 && status === 'Bids opened', [status])
    await j.screenshot(page, 'opened')
  }
  await page.context().close()
}

/** The evaluation page's bids: marker (ALPHA or BRAVO) → bid id, read from each bid's answer. */
async function bidsByMarker (page, id) {
  const links = await page.locator('#bids tbody a').evaluateAll((as) => as.map((a) => a.textContent.trim()))
  const found = {}
  for (const bidId of links) {
    await goto(page, `/competitions/${id}/evaluation/bids/${bidId}`)
    const answer = await textOf(page.locator('#answer-Q1'))
    for (const s of SUPPLIERS) if (answer.startsWith(`${s.marker}-ANSWER`)) found[s.marker] = bidId
  }
  return found
}

/** Fills and sends the score (or consensus) form for Q1 on a bid page. */
async function scoreQ1 (page, score, reason, buttonName) {
  const form = page.locator('form').filter({ has: page.locator('input[name="question_id"][value="Q1"]') })
  await form.locator(`input[name="score"][value="${score}"]`).check()
  await form.locator('textarea[name="reason"]').fill(reason)
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), form.getByRole('button', { name: buttonName }).click()])
}

async function declare (page, id, who) {
  const evaluation = `/competitions/${id}/evaluation`
  await goto(page, evaluation)
  const before = await page.locator('#bids').count()
  await page.locator('#interest').check()
  const declared = await submit(page, page.getByRole('button', { name: 'Make declaration' }), evaluation)
  j.check(`${who} declares no conflict before seeing any bid, then sees the bids`,
    before === 0 && declared && (await page.locator('#bids tbody tr').count()) === 2, await why(page))
}

async function evaluate (id, evaluator, first) {
  const page = await signedIn(evaluator)
  if (!page) return
  if (first) {
    await goto(page, `/competitions/${id}/evaluation`)
    await j.axe(page, 'evaluator: declaration page')
  }
  await declare(page, id, evaluator)
  if (first) await j.axe(page, 'evaluator: evaluation page')
  const bids = await bidsByMarker(page, id)
  j.check(`${evaluator} reads both opened bids`, Object.keys(bids).length === 2, [JSON.stringify(bids)])
  for (const s of SUPPLIERS) {
    if (!bids[s.marker]) continue
    await goto(page, `/competitions/${id}/evaluation/bids/${bids[s.marker]}`)
    if (first && s === SUPPLIERS[0]) await j.axe(page, 'evaluator: bid page')
    await scoreQ1(page, s.score, `${evaluator} scores ${s.marker} ${s.score}`, 'Save score')
    const saved = await textOf(page.locator('.govuk-summary-card table'))
    j.check(`${evaluator} scores ${s.marker}'s answer ${s.score}`, saved.includes(`${evaluator} scores ${s.marker}`), [...await why(page), saved])
  }
  await page.context().close()
}

async function moderate (id) {
  const page = await signedIn(MODERATOR)
  if (!page) return
  const evaluation = `/competitions/${id}/evaluation`
  await declare(page, id, MODERATOR)
  await j.axe(page, 'moderator: evaluation page')
  const progress = await page.locator('#progress tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())))
  j.check('the moderator sees both evaluators declared and scored both answers',
    EVALUATORS.every((e) => progress.some((cells) => cells[0] === e && cells[1] === 'Declared no conflict' && cells[2] === '2 of 2')),
    [JSON.stringify(progress)])
  j.check('the moderator starts moderation', await submit(page, page.locator('#moderation'), evaluation), await why(page))
  const bids = await bidsByMarker(page, id)
  for (const s of SUPPLIERS) {
    if (!bids[s.marker]) continue
    await goto(page, `${evaluation}/bids/${bids[s.marker]}`)
    const scores = await textOf(page.locator('.govuk-summary-card table'))
    j.check(`the moderator sees both evaluators' scores for ${s.marker}`, EVALUATORS.every((e) => scores.includes(`${e} scores ${s.marker}`)), [scores])
    if (s === SUPPLIERS[0]) await j.axe(page, 'moderator: bid page')
    await scoreQ1(page, s.score, `Agreed: ${s.marker} ${s.agreed}`, 'Record consensus')
    j.check(`the moderator records the consensus for ${s.marker}`, (await page.getByText(`Consensus: ${s.score}.`).count()) === 1, await why(page))
  }
  await goto(page, evaluation)
  j.check('the moderator completes the evaluation', await submit(page, page.locator('#complete'), evaluation), await why(page))
  const status = await textOf(page.locator('#status'))
  j.check('the evaluation is complete', status === 'Evaluated', [status])
  await page.context().close()
}

async function award (id) {
  const page = await signedIn(BUYER)
  if (!page) return
  const path = `/competitions/${id}/award`
  await goto(page, path)
  await j.axe(page, 'buyer: award page')
  const ranking = await page.locator('#ranking-0 tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())))
  const first = ranking.find((cells) => cells[0] === '1')
  const second = ranking.find((cells) => cells[0] === '2')
  j.check(`the ranking puts ${SUPPLIERS[0].name} (better quality, dearer) first`,
    ranking.length === 2 && first?.[2] === SUPPLIERS[0].name && second?.[2] === SUPPLIERS[1].name, [JSON.stringify(ranking)])
  if (!first || !second) {
    await page.context().close()
    return
  }
  await page.locator(`input[name="winner-0"][value="${first[1]}"]`).check()
  await page.locator(`#reason-${first[1]}`).fill('Highest total score: the strongest scheduling answer.')
  await page.locator(`#reason-${second[1]}`).fill('Ranked second: gaps in the scheduling answer.')
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: 'Decide the award' }).click()])
  const decision = await textOf(page.locator('#decision'))
  j.check('the buyer decides the award with a reason for each bidder', decision.includes('Highest total score') && decision.includes('gaps in the scheduling answer'), [...await why(page), decision])
  await Promise.all([
    page.waitForURL((u) => u.search.includes('notice=notice'), { waitUntil: 'load' }).catch(() => {}),
    page.locator('#notice').click(),
  ])
  const standstill = await textOf(page.locator('#standstill'))
  const status = await textOf(page.locator('#status'))
  j.check('issuing the award notice starts the standstill, with its end date',
    status === 'Standstill' && /The standstill period ends \d{1,2} [A-Z][a-z]+ \d{4}/.test(standstill) && standstill.includes('PA 2023'),
    [...await why(page), status, standstill])
  await j.axe(page, 'buyer: competition in standstill')
  await j.screenshot(page, 'standstill')
  await page.context().close()
}

async function outcomeSeenBy (id, supplier, expected) {
  const page = await signedIn(supplier.email)
  if (!page) return
  await goto(page, `/competitions/${id}`)
  const assessment = await textOf(page.locator('#assessment'))
  j.check(`${supplier.email} sees "${expected}"`, assessment.includes(expected), [assessment])
  await page.context().close()
}

try {
  await j.launch()
  const { id, deadlineUtcMs } = await createAndPublish()
  for (const s of SUPPLIERS) await bid(id, s)
  movePastDeadline(deadlineUtcMs)
  await open(id, OPENERS[0], true)
  await open(id, OPENERS[1], false)
  await evaluate(id, EVALUATORS[0], true)
  await evaluate(id, EVALUATORS[1], false)
  await moderate(id)
  await award(id)
  await outcomeSeenBy(id, SUPPLIERS[0], 'Your bid was successful')
  await outcomeSeenBy(id, SUPPLIERS[1], 'Your bid was not successful')
  console.log(`# competition ${id}`)
} catch (err) {
  j.check('the competition journey ran to the end', false, [err.stack || String(err)])
}
await j.finish()
