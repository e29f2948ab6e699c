// Analytics: the admin reads the dashboard (the demo holds six weeks of sample counts),
// changes the period, makes a mistake in a date and downloads the CSV. Every page is
// checked with axe. Run with `npm run e2e` (see docs/testing.md, "Browser tests").
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { assertNoAxeViolations, signIn, startSession, submitAndWait, visit, withPage } from './support.mjs'

let session

before(async () => {
  session = await startSession()
})

after(async () => {
  await session?.close()
})

test('the analytics dashboard, a period, a wrong date and the CSV', async (t) => {
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, '/admin')
    await page.getByRole('link', { name: 'Analytics' }).click()
    await page.waitForURL('**/admin/analytics')
    await assertNoAxeViolations(page, 'the analytics dashboard')
    const main = await page.locator('main').innerText()
    assert.match(main, /The most visited page ever is \//)
    assert.match(main, /www\.search\.example/, 'referring sites')
    assert.equal(await page.locator('#trend .app-chart').count(), 1, 'a trend chart')
    assert.equal(await page.locator('#trend table tbody tr').count(), 30, 'with a row per day')

    await page.getByLabel('From').fill('2026-02-30')
    await submitAndWait(page, page.getByRole('button', { name: 'Show' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter the start date/)
    await assertNoAxeViolations(page, 'the dashboard with a wrong date')

    await page.getByLabel('Pages of').selectOption('national-records-agency')
    await page.getByLabel('From').fill('')
    await submitAndWait(page, page.getByRole('button', { name: 'Show' }))
    assert.match(await page.locator('h1').innerText(), /National Records Agency/)
    await assertNoAxeViolations(page, 'one organisation\'s analytics')

    const href = await page.getByRole('link', { name: /Download views per page per day/ }).getAttribute('href')
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href)
    assert.match(csv.split('\n')[0], /^date,path,views,visitors/)
    assert.match(csv, /\/organisations\/national-records-agency/)
    assert.doesNotMatch(csv, /,\/blog,/, 'only that organisation\'s pages')
  })
})
