// Listening as people do it: a member of the public answers a consultation (making a mistake
// and correcting it), an analyst reviews an analysis, and anyone reads the published results.
// Every page on the way is checked with axe. Run with `npm run e2e` (docs/testing.md).
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

test('a member of the public answers a consultation, corrects a mistake and gets a reference', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/consultations')
    await assertNoAxeViolations(page, '/consultations')
    await page.getByRole('link', { name: 'Reading room opening hours' }).click()
    await page.waitForURL('**/consultations/reading-room-opening-hours')
    await assertNoAxeViolations(page, 'the consultation page')
    await page.getByRole('button', { name: 'Respond now' }).click()
    await page.waitForURL('**/respond')
    await assertNoAxeViolations(page, 'page 1 of the form')

    // Page 1: forget the required question, then answer it.
    await page.getByLabel('Saturdays').check()
    await submitAndWait(page, page.getByRole('button', { name: 'Continue' }))
    const summary = page.locator('.govuk-error-summary')
    assert.match(await summary.innerText(), /Select an answer to: How often do you visit a reading room\?/)
    await assertNoAxeViolations(page, 'page 1 with an error')
    assert.equal(await page.getByLabel('Saturdays').isChecked(), true, 'what was ticked is kept')
    await summary.getByRole('link').first().click()
    await page.getByLabel('Every month').check()
    await submitAndWait(page, page.getByRole('button', { name: 'Continue' }))
    assert.match(await page.locator('h1').innerText(), /Your ideas/)
    await assertNoAxeViolations(page, 'page 2 of the form')

    // Page 2: text with markup in it stays text.
    await page.getByLabel('What would make a visit easier?').fill('Open on <b>Sundays</b> & later 🕗')
    await page.getByLabel('4').check()
    await page.getByLabel('A researcher').check()
    await page.getByLabel('Email address for a receipt (optional)').fill('not an email')
    await submitAndWait(page, page.getByRole('button', { name: 'Send response' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter an email address in the correct format/)
    await assertNoAxeViolations(page, 'page 2 with an error')
    await page.getByLabel('Email address for a receipt (optional)').fill('')
    await submitAndWait(page, page.getByRole('button', { name: 'Send response' }))
    await page.waitForURL('**/confirmation/TH-*')
    assert.match(await page.locator('.govuk-panel').innerText(), /Your reference\s+TH-[A-Z0-9]{4}-[A-Z0-9]{4}/)
    await assertNoAxeViolations(page, 'the confirmation')
  })
})

test('the published results chart every closed question with a table, and link you said to its theme', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/consultations/local-services-plan/results')
    await assertNoAxeViolations(page, 'the results page')
    const figures = page.locator('figure.app-figure')
    assert.ok(await figures.count() >= 3, 'charts for the themes, a closed question and the segments')
    for (const figure of await figures.all()) {
      const rows = await figure.locator('.app-chart__row').count()
      assert.ok(rows > 0, 'a chart')
      assert.equal(await figure.locator('table tbody tr').count(), rows, 'every chart has its data table, row for row')
    }
    const link = page.locator('#you-said-we-did').locator('xpath=following-sibling::table[1]').getByRole('link').first()
    const target = await link.getAttribute('href')
    await link.click()
    assert.equal(new URL(page.url()).hash, target)
    assert.ok(await page.locator(target).isVisible(), 'the theme the "you said" links to is on the page')

    await visit(page, session, '/consultations/digital-skills-and-maturity/results')
    await assertNoAxeViolations(page, 'the scored survey results')
    assert.match(await page.locator('main').innerText(), /average score by team/)
  })
})

test('an analyst reviews the analysis: renames a theme and sees the change recorded', async (t) => {
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, '/admin/consultations')
    await assertNoAxeViolations(page, 'the admin list of exercises')
    // The details form's date inputs, as they are and with an error (31 June).
    await visit(page, session, '/admin/consultations/new')
    await assertNoAxeViolations(page, 'the new exercise form')
    await page.getByLabel('Title').fill('Dates test')
    const closes = page.getByRole('group', { name: 'Closes' })
    await closes.getByLabel('Day').fill('31')
    await closes.getByLabel('Month').fill('6')
    await closes.getByLabel('Year').fill('2027')
    await submitAndWait(page, page.getByRole('button', { name: 'Save and continue' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Closing date must be a real date/)
    await assertNoAxeViolations(page, 'the new exercise form with date errors')
    await visit(page, session, '/admin/ideas')
    await assertNoAxeViolations(page, 'the idea challenges, with the form to open one')
    await visit(page, session, '/admin/consultations')
    await page.getByRole('link', { name: 'Local services plan: what matters most to you' }).click()
    await assertNoAxeViolations(page, 'the exercise working page')
    // The evidence log's form, with a date left unfinished.
    const working = page.url()
    await page.getByRole('link', { name: 'Evidence log' }).click()
    await page.waitForURL('**/evidence')
    await assertNoAxeViolations(page, 'the evidence log')
    await page.getByRole('group', { name: 'Date' }).getByLabel('Day').fill('14')
    await submitAndWait(page, page.getByRole('button', { name: 'Add to the log' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Date must include a month and year/)
    await assertNoAxeViolations(page, 'the evidence log with errors')
    await page.goto(working)
    await page.locator('#analyses').locator('xpath=following-sibling::table[1]').getByRole('link').first().click()
    await page.waitForURL('**/admin/analyses/*')
    await assertNoAxeViolations(page, 'the analysis review')
    const rename = page.locator('input[name="label"][id^="label-"]').first()
    await rename.fill('Buses in the evening')
    await submitAndWait(page, page.getByRole('button', { name: 'Rename' }).first())
    assert.match(await page.locator('main').innerText(), /renamed theme t\d+ from .* to "Buses in the evening"/)
  })
})

test('an idea challenge: read the criteria, vote once, put forward an idea', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/ideas')
    await assertNoAxeViolations(page, '/ideas')
    await page.getByRole('link', { name: 'Open policy ideas 2026' }).click()
    await page.waitForURL('**/ideas/open-policy-ideas-2026')
    await assertNoAxeViolations(page, 'the challenge page')
    assert.match(await page.locator('main').innerText(), /Benefit to the public/)
    await submitAndWait(page, page.getByRole('button', { name: 'Vote for this idea' }).first())
    assert.match(await page.locator('main').innerText(), /You voted for this idea/)
    await page.getByLabel('Your idea, in a few words').fill('Open data for bus punctuality')
    await submitAndWait(page, page.getByRole('button', { name: 'Send idea' }))
    assert.match(await page.locator('main').innerText(), /Describe your idea/)
    await assertNoAxeViolations(page, 'the idea form with errors')
    await page.getByLabel('Describe it').fill('Publish arrival times every day.')
    await page.getByLabel('Your name').fill('Kim')
    await submitAndWait(page, page.getByRole('button', { name: 'Send idea' }))
    assert.match(await page.locator('h1').innerText(), /Idea received/)
  })
})

test('the evidence chain: from a theme on a results page to a project and its status, and back', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/consultations/digital-skills-and-maturity/results')
    const table = page.locator('#you-said-we-did').locator('xpath=following-sibling::table[1]')
    const row = table.locator('tr', { has: page.getByRole('link', { name: /Project: Digital academy/ }) }).first()
    const theme = await row.getByRole('link', { name: /^Theme:/ }).getAttribute('href')
    assert.match(theme, /^#theme-help-t\d+$/)
    assert.ok(await page.locator(theme).isVisible(), 'the "you said" theme is on the results page')
    await row.getByRole('link', { name: /Project: Digital academy/ }).click()
    await page.waitForURL('**/programme/projects/digital-academy')
    await assertNoAxeViolations(page, 'the project page with its evidence')
    const facts = await page.locator('#project-facts').innerText()
    assert.match(facts, /Phase/)
    assert.match(facts, /Status/)
    const back = page.locator('#evidence').getByRole('link', { name: /Digital skills and maturity self-assessment/ }).first()
    await back.click()
    await page.waitForURL('**/consultations/digital-skills-and-maturity/results#theme-help-*')
    const hash = new URL(page.url()).hash
    assert.ok(await page.locator(hash).isVisible(), 'back on the results page, at the theme')
  })
})
