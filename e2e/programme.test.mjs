// The programme register as a reader uses it: from the overview's "live" count to the list it
// counts, to a project's status and history of updates; the filter form without JavaScript;
// every register page and the programme editor's pages checked with axe.
// Run with `npm run e2e` (see docs/testing.md, "Browser tests").
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

test('follow the live count to the projects it counts, open one, see its status and updates', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/programme')
    await assertNoAxeViolations(page, '/programme')
    const live = page.locator('#projects-by-phase a[href="/programme/projects?phase=live"]')
    const count = Number(await live.innerText())
    assert.ok(count > 0, 'the demo has live projects')
    await live.click()
    await page.waitForURL('**/programme/projects?phase=live')
    await assertNoAxeViolations(page, 'the live projects')
    assert.match(await page.locator('#project-count').innerText(), new RegExp(`^${count} projects in the live phase`))
    const projects = page.locator('.app-project-list h3 a')
    assert.equal(await projects.count(), count, 'the list has as many projects as the count said')

    const first = projects.first()
    const title = await first.innerText()
    await first.click()
    await page.waitForURL('**/programme/projects/*')
    await assertNoAxeViolations(page, 'a project')
    assert.equal(await page.locator('h1').innerText(), title)
    const facts = await page.locator('#project-facts').innerText()
    assert.match(facts, /Phase\s+Live/)
    assert.match(facts, /Status\s+(On track|At risk|Off track|Done)/)
    assert.ok(await page.locator('.app-updates > li').count() >= 2, 'the history of updates is shown')
  })
})

test('filter the projects with the form (a plain GET form: no script involved)', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/programme/projects')
    await assertNoAxeViolations(page, '/programme/projects')
    await page.getByLabel('Theme').selectOption('efficiency')
    await page.getByLabel('Status').selectOption('off_track')
    await submitAndWait(page, page.getByRole('button', { name: 'Apply filters' }))
    const url = new URL(page.url())
    assert.equal(url.searchParams.get('theme'), 'efficiency')
    assert.equal(url.searchParams.get('status'), 'off_track')
    assert.match(await page.locator('#project-count').innerText(), /off track, under the theme Efficiency/)
    assert.match(await page.locator('main').innerText(), /Hosting consolidation/)
    await assertNoAxeViolations(page, 'the filtered list')
  })
})

test('every register page and the open data page pass axe', async (t) => {
  await withPage(t, session, async (page) => {
    for (const path of [
      '/programme/strategies/digital-strategy-2025-to-2028',
      '/programme/themes/openness',
      '/programme/commitments/share-platforms',
      '/programme/case-studies',
      '/programme/case-studies/publishing-our-programme-as-open-data',
      '/data',
      '/organisations/care-standards-authority',
      '/topics/finding-records',
      '/'
    ]) {
      await visit(page, session, path)
      await assertNoAxeViolations(page, path)
    }
    await page.getByRole('link', { name: /^\d+ live$/ }).click()
    await page.waitForURL('**/programme/projects?phase=live')
  })
})

test('the programme editor\'s pages pass axe, and a linked commitment cannot be deleted', async (t) => {
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    for (const path of ['/admin/programme', '/admin/programme/projects/new', '/admin/programme/updates/new', '/admin/programme/import']) {
      await visit(page, session, path)
      await assertNoAxeViolations(page, path)
    }
    await visit(page, session, '/admin/programme')
    await page.getByRole('link', { name: 'Share platforms across the department and its bodies' }).click()
    await page.waitForURL('**/admin/programme/commitments/*/edit')
    await submitAndWait(page, page.getByRole('button', { name: 'Delete commitment' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /cannot be deleted because .* projects/)
    await assertNoAxeViolations(page, 'the refused deletion')
  })
})
