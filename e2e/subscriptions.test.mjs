// E-mail subscriptions in a browser, on `townhall serve` sending through a real SMTP server
// (aiosmtpd, tests/smtp_server.py): signing up, the confirmation link from the message, the
// manage page and unsubscribing, each page checked with axe at a desktop and a phone's width,
// and the whole journey done again with JavaScript switched off. Run with `npm run e2e`.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  assertNoAxeViolations,
  repoRoot,
  startSession,
  submitAndWait,
  submitButton,
  visit,
  withPage
} from './support.mjs'

let session
let relay

/** aiosmtpd keeping each message in a folder; resolves once it listens. */
async function startRelay () {
  const dir = mkdtempSync(join(tmpdir(), 'townhall-e2e-smtp-'))
  const child = spawn('python3', [join(repoRoot, 'tests', 'smtp_server.py'), dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8')
    child.stdout.once('data', (line) => {
      const m = line.match(/listening on (\d+)/)
      m ? resolve(Number(m[1])) : reject(new Error(`the SMTP server did not start: ${line} (make pydeps installs aiosmtpd)`))
    })
    child.once('exit', (code) => reject(new Error(`the SMTP server exited (${code}): make pydeps installs aiosmtpd`)))
  })
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Every message kept so far, as raw text. */
    messages: () => readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(dir, f), 'utf8')),
    stop () { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) }
  }
}

/** The confirmation link in the message to `email`, once the outbox has sent it. */
async function confirmationLink (email) {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const message = relay.messages().find((m) => m.includes(`To: ${email}`))
    if (message) {
      // Quoted-printable soft line breaks and `=3D` are undone before the link is read.
      const text = message.replace(/=\r?\n/g, '').replace(/=3D/g, '=')
      const link = text.match(/https?:\/\/[^\s"<>]+\/subscriptions\/confirm\?token=[A-Za-z0-9_-]+/)
      assert.ok(link, `a confirmation link in:\n${message}`)
      return link[0]
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`no message to ${email} within 30 s`)
}

before(async () => {
  relay = await startRelay()
  session = await startSession({ serve: { args: ['--smtp-url', relay.url] } })
})

after(async () => {
  await session?.close()
  relay?.stop()
})

const WIDTHS = [1280, 320]

async function assertNoAxeViolationsAtEveryWidth (page, label) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 })
    await assertNoAxeViolations(page, `${label} at ${width}px`)
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 900 })
}

/**
 * Signs `email` up for everything on the site, confirms from the message, changes how often it
 * hears, and unsubscribes; with `check`, runs axe on every page on the way.
 */
async function journey (page, email, check) {
  await visit(page, session, '/subscribe?list=hub')
  const form = page.locator('form[action="/subscribe"]')
  assert.equal(await form.locator('input[value="hub"]').isChecked(), true, 'the list the reader came from is ticked')
  if (check) await assertNoAxeViolationsAtEveryWidth(page, '/subscribe')

  // Nothing chosen: GOV.UK errors that link to their fields.
  await form.locator('input[value="hub"]').uncheck()
  await submitAndWait(page, submitButton(form))
  assert.equal(await page.locator('.govuk-error-summary').count(), 1)
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Choose at least one thing/)
  assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter an email address/)
  if (check) await assertNoAxeViolationsAtEveryWidth(page, '/subscribe with errors')

  await form.locator('input[value="hub"]').check()
  await form.getByLabel('Once a week').check()
  await form.getByLabel('Email address').fill(email)
  await submitAndWait(page, submitButton(form))
  assert.match(await page.locator('h1').innerText(), /Check your email/)
  if (check) await assertNoAxeViolationsAtEveryWidth(page, 'the "check your email" answer')

  // The link from the message shows a button; the button confirms.
  const link = new URL(await confirmationLink(email))
  await visit(page, session, link.pathname + link.search)
  if (check) await assertNoAxeViolationsAtEveryWidth(page, 'the confirmation page')
  await submitAndWait(page, page.getByRole('button', { name: 'Confirm' }))
  assert.equal(new URL(page.url()).pathname, '/subscriptions/manage')
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /Your subscription is confirmed/)
  if (check) await assertNoAxeViolationsAtEveryWidth(page, 'the manage page')

  // Every day instead of every week.
  const group = page.getByRole('group', { name: 'Everything published on Townhall' })
  assert.equal(await group.getByLabel('Once a week').isChecked(), true)
  await group.getByLabel('Once a day').check()
  await submitAndWait(page, page.getByRole('button', { name: 'Save choices' }))
  assert.match(await page.locator('.govuk-notification-banner').innerText(), /Your choices are saved/)
  assert.equal(await page.getByRole('group', { name: 'Everything published on Townhall' }).getByLabel('Once a day').isChecked(), true)

  // The unsubscribe link every message carries (here for the one list), then everything.
  const manage = new URL(page.url())
  const s = manage.searchParams.get('s')
  await visit(page, session, `/subscriptions/unsubscribe?s=${s}&list=hub`)
  if (check) await assertNoAxeViolationsAtEveryWidth(page, 'the unsubscribe page')
  await submitAndWait(page, page.getByRole('button', { name: 'Unsubscribe' }))
  assert.match(await page.locator('h1').innerText(), /You have unsubscribed/)
  if (check) await assertNoAxeViolationsAtEveryWidth(page, 'the unsubscribed page')
  await visit(page, session, `/subscriptions/manage?s=${s}`)
  assert.match(await page.locator('main').innerText(), /You are not subscribed to anything/)
  await submitAndWait(page, page.getByRole('button', { name: 'Unsubscribe from everything' }))
  assert.match(await page.locator('main').innerText(), /deleted it from our list of subscribers/)
  await visit(page, session, `/subscriptions/manage?s=${s}`, { status: 404 })
  assert.match(await page.locator('h1').innerText(), /This link does not work/)
}

test('signing up, confirming, managing and unsubscribing have no axe violations', async (t) => {
  await withPage(t, session, (page) => journey(page, 'reader@example.org', true))
})

test('the whole journey works with JavaScript switched off', async (t) => {
  await withPage(t, session, (page) => journey(page, 'nojs@example.org', false), { javaScriptEnabled: false })
})
