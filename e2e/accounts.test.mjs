// Accounts on a server set up as an operator would (`townhall serve`, where every admin must use
// two-factor sign-in): "forgot your password", a link printed by `townhall user reset`, setting
// up an authenticator app, the code asked for after the password, and the account page. Every
// page is checked with axe at a desktop and a phone's width. Run with `npm run e2e`.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, before, test } from 'node:test'
import {
  assertNoAxeViolations,
  explain,
  signIn,
  startSession,
  submitAndWait,
  submitButton,
  visit,
  withPage
} from './support.mjs'

let session

before(async () => {
  session = await startSession({ serve: true })
})

after(async () => {
  await session?.close()
})

const WIDTHS = [1280, 320]

/** axe at each width in WIDTHS, on the page as it is now. */
async function assertNoAxeViolationsAtEveryWidth (page, label) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 })
    await assertNoAxeViolations(page, `${label} at ${width}px`)
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 900 })
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret at `unixSecs`. */
function totp (secret, unixSecs) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSecs / 30)))
  const mac = createHmac('sha1', key).update(counter).digest()
  const offset = mac[19] & 0xf
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

const now = () => Math.floor(Date.now() / 1000)

// The admin's password once the reset test has changed it.
let password

test('"forgot your password" and its answer have no axe violations', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/sign-in')
    await submitAndWait(page, page.getByRole('link', { name: 'Forgotten your password?' }))
    assert.equal(new URL(page.url()).pathname, '/forgot-password')
    await assertNoAxeViolationsAtEveryWidth(page, '/forgot-password')
    const form = page.locator('form[action="/forgot-password"]')
    await form.locator('input[name="email"]').fill('not an address')
    await submitAndWait(page, submitButton(form))
    assert.equal(await page.locator('.govuk-error-summary').count(), 1, 'a malformed address is a GOV.UK error')
    await assertNoAxeViolationsAtEveryWidth(page, '/forgot-password with an error')
    await form.locator('input[name="email"]').fill(session.app.email)
    await submitAndWait(page, submitButton(form))
    assert.match(await page.locator('h1').innerText(), /Check your email/)
    await assertNoAxeViolationsAtEveryWidth(page, 'the "check your email" answer')
  })
})

test('a link from `townhall user reset` sets a new password once', async (t) => {
  const link = session.app.cli(['user', 'reset', '--email', session.app.email, '--public-url', session.app.url]).trim()
  assert.match(link, /\/set-password\?token=/)
  await withPage(t, session, async (page) => {
    const path = new URL(link).pathname + new URL(link).search
    await visit(page, session, path)
    await assertNoAxeViolationsAtEveryWidth(page, 'the set-password form')
    const form = page.locator('form[action="/set-password"]')
    await form.locator('input[name="new_password"]').fill('password1234')
    await form.locator('input[name="confirm_password"]').fill('password1234')
    await submitAndWait(page, submitButton(form))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /harder to guess/)
    await assertNoAxeViolationsAtEveryWidth(page, 'the set-password form with an error')
    password = 'lighthouse orchard violin'
    await form.locator('input[name="new_password"]').fill(password)
    await form.locator('input[name="confirm_password"]').fill(password)
    await submitAndWait(page, submitButton(form))
    assert.equal(new URL(page.url()).pathname, '/sign-in')
    assert.match(await page.locator('.govuk-notification-banner').innerText(), /Your password has been set/)
    // Once only.
    await visit(page, session, path, { status: 400 })
    assert.match(await page.locator('h1').innerText(), /This link no longer works/)
    await assertNoAxeViolationsAtEveryWidth(page, 'a link that no longer works')
  })
})

test('an admin sets up two-factor first; the code is asked for after the password', async (t) => {
  assert.ok(password, 'the reset test ran first')
  await withPage(t, session, async (page) => {
    await signIn(page, session, { password })
    assert.equal(new URL(page.url()).pathname, '/account/two-factor', 'an admin without two-factor is sent to set it up')
    assert.ok(await page.locator('.app-qr-code svg[role="img"]').isVisible(), 'the QR code is drawn on the page')
    await assertNoAxeViolationsAtEveryWidth(page, 'two-factor set-up')
    const secret = await page.locator('input[name="secret"]').inputValue()
    const form = page.locator('form[action="/account/two-factor"]')
    await form.locator('input[name="code"]').fill(totp(secret, now()))
    await submitAndWait(page, submitButton(form))
    assert.equal(await page.locator('.app-recovery-codes li').count(), 10, 'ten recovery codes are shown once')
    await assertNoAxeViolationsAtEveryWidth(page, 'recovery codes')

    const response = await visit(page, session, '/account')
    assert.equal(response.status(), 200, await explain(page, session, response.status()))
    await assertNoAxeViolationsAtEveryWidth(page, '/account')
    await submitAndWait(page, page.getByRole('button', { name: /^sign out$/i }).first())

    await visit(page, session, '/sign-in')
    const signInForm = page.locator('form[action="/sign-in"]')
    await signInForm.locator('input[name="email"]').fill(session.app.email)
    await signInForm.locator('input[name="password"]').fill(password)
    await submitAndWait(page, submitButton(signInForm))
    assert.equal(new URL(page.url()).pathname, '/sign-in/two-factor')
    await assertNoAxeViolationsAtEveryWidth(page, 'the code page')
    const codeForm = page.locator('form[action="/sign-in/two-factor"]')
    await codeForm.locator('input[name="code"]').fill('000000')
    await submitAndWait(page, submitButton(codeForm))
    assert.equal(await page.locator('.govuk-error-summary').count(), 1)
    await assertNoAxeViolationsAtEveryWidth(page, 'the code page with an error')
    // The next step's code: the one used to set up has been taken.
    await codeForm.locator('input[name="code"]').fill(totp(secret, now() + 30))
    await submitAndWait(page, submitButton(codeForm))
    assert.equal(new URL(page.url()).pathname, '/admin', 'signed in with the second factor')
  })
})
