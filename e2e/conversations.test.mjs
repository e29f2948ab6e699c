// A conversation from both sides: a visitor votes on statements one at a time (with the
// keyboard as well as the mouse), writes a statement (making a mistake first), a moderator
// approves it from the moderation queue, the visitor is then asked about it, and the
// published results show the opinion map with its tables. Every page on the way is checked
// with axe, at a desktop's width and a phone's. Run with `npm run e2e`.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { join } from 'node:path'
import { artifactsDir, assertNoAxeViolations, signIn, startSession, submitAndWait, visit, withPage } from './support.mjs'

const SLUG = 'town-centre-future'
const PAGE = `/conversations/${SLUG}`

let session

before(async () => {
  session = await startSession()
})

after(async () => {
  await session?.close()
})

/** The statement the page asks about, as its text. */
async function shownStatement (page) {
  const legend = page.locator('form[action$="/vote"] legend .app-statement')
  return (await legend.count()) ? (await legend.innerText()).trim() : null
}

test('a visitor votes and writes a statement, a moderator approves it, and the results show the map with its tables', async (t) => {
  const statement = 'The bus station needs a proper waiting room.'
  let visitorState
  await withPage(t, session, async (page) => {
    await visit(page, session, '/conversations')
    await assertNoAxeViolations(page, 'the conversations (phone)')
    await page.getByRole('link', { name: 'What should the town centre be like in ten years?', exact: true }).click()
    await page.waitForURL(`**${PAGE}`)
    assert.match(await page.locator('#vote').innerText(), /Statement 1 of 12/)
    await assertNoAxeViolations(page, 'a statement to vote on (phone)')
    await page.screenshot({ path: join(artifactsDir, 'conversation-vote-390.png'), fullPage: true })

    // Three votes: by mouse, then by keyboard alone, then a pass.
    const first = await shownStatement(page)
    await submitAndWait(page, page.getByRole('button', { name: 'Agree', exact: true }))
    assert.match(await page.locator('#vote').innerText(), /Statement 2 of 12/)
    assert.notEqual(await shownStatement(page), first, 'a statement voted on is not asked again')
    await page.getByRole('button', { name: 'Disagree', exact: true }).focus()
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')])
    assert.match(await page.locator('#vote').innerText(), /Statement 3 of 12/)
    await submitAndWait(page, page.getByRole('button', { name: 'Pass or unsure' }))
    assert.match(await page.locator('#vote').innerText(), /Statement 4 of 12/)

    // A statement: empty first, then a real one, held for a moderator.
    await submitAndWait(page, page.getByRole('button', { name: 'Send statement' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter your statement/)
    await assertNoAxeViolations(page, 'the statement form with an error (phone)')
    await page.locator('.govuk-error-summary').getByRole('link').first().click()
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'statement')
    await page.getByLabel('Your statement').fill(statement)
    await submitAndWait(page, page.getByRole('button', { name: 'Send statement' }))
    assert.match(await page.locator('.govuk-panel').innerText(), /Statement sent/)
    await assertNoAxeViolations(page, 'the statement sent (phone)')
    assert.ok(!(await page.locator('main').innerText()).includes(statement), 'not shown before a moderator approves it')
    visitorState = await page.context().storageState()
  }, { viewport: { width: 390, height: 900 } })

  // The moderator approves it from the queue beside comments.
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, '/admin/comments')
    await assertNoAxeViolations(page, 'the moderation queue with statements')
    const item = page.locator('#statements ~ div').filter({ hasText: statement })
    await submitAndWait(page, item.getByRole('button', { name: 'Approve' }))
    assert.ok(!(await page.locator('main').innerText()).includes(statement), 'it leaves the queue')
    await visit(page, session, `/admin/conversations/${SLUG}`)
    await assertNoAxeViolations(page, 'the conversation in the admin')
    assert.match(await page.locator('table').innerText(), new RegExp(`${statement}\\s+Approved`))
  })

  // The visitor is asked about it before the statement list runs out.
  await withPage(t, session, async (page) => {
    await visit(page, session, PAGE)
    const asked = []
    for (let i = 0; i < 12; i++) {
      const shown = await shownStatement(page)
      if (shown === null) break
      asked.push(shown)
      if (shown.includes(statement)) break
      await submitAndWait(page, page.getByRole('button', { name: 'Agree', exact: true }))
    }
    assert.ok(asked.some((s) => s.includes(statement)), `the approved statement is asked: ${asked.join(' | ')}`)
  }, { storageState: visitorState })

  // The results: the map with its tables, readable at a desktop's width and at 320px.
  for (const width of [1280, 320]) {
    await withPage(t, session, async (page) => {
      await visit(page, session, `${PAGE}/results`)
      const map = page.locator('svg.app-opinion-map')
      assert.equal(await map.getAttribute('role'), 'img')
      assert.match(await map.locator('title').textContent(), /Opinion map: \d+ people in \d+ groups/)
      assert.ok(await map.locator('circle').count() > 10, 'the map has its clusters')
      const groups = page.locator('table').filter({ has: page.locator('caption', { hasText: /^Groups$/ }) })
      assert.ok(await groups.locator('tbody tr').count() >= 2, 'the groups table has a row per group')
      await page.getByText("The map's circles as a table").click()
      assert.ok(await page.locator('details table tbody tr').count() > 10)
      assert.match(await page.locator('#groups ~ ul').first().innerText(), /% of the \d+ in group A who voted on it (agreed|disagreed)/)
      const box = await map.boundingBox()
      assert.ok(box.width <= width, `the map fits the page at ${width}px (${box.width}px)`)
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(scroll <= width, `nothing scrolls sideways at ${width}px (${scroll}px)`)
      await assertNoAxeViolations(page, `the results at ${width}px`)
      await page.screenshot({ path: join(artifactsDir, `conversation-results-${width}.png`), fullPage: true })
    }, { viewport: { width, height: 900 } })
  }
})

test('an editor imports a Pol.is export from the admin, correcting a mistake on the way', async (t) => {
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    // The demo's conversation, downloaded as Pol.is exports it, is the export to bring in.
    const files = {}
    for (const name of ['comments', 'votes']) {
      const r = await page.request.get(session.url(`/admin/conversations/${SLUG}/data/${name}.csv`))
      assert.equal(r.status(), 200)
      files[name] = { name: `${name}.csv`, mimeType: 'text/csv', buffer: await r.body() }
    }
    await visit(page, session, '/admin/conversations')
    await page.getByRole('link', { name: 'Import a conversation held on Pol.is' }).click()
    await page.waitForURL('**/admin/conversations/import')
    await assertNoAxeViolations(page, 'the import form')

    // Both files, but no web address: the error summary says so and leads to the field.
    await page.getByLabel('comments.csv').setInputFiles(files.comments)
    await page.getByLabel('votes.csv').setInputFiles(files.votes)
    await submitAndWait(page, page.getByRole('button', { name: 'Import the conversation' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter a short name for the web address/)
    await assertNoAxeViolations(page, 'the import form with errors')
    await page.locator('.govuk-error-summary').getByRole('link').first().click()
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'slug')

    await page.getByLabel('Short name for the web address').fill('imported-from-polis')
    await page.getByLabel('comments.csv').setInputFiles(files.comments)
    await page.getByLabel('votes.csv').setInputFiles(files.votes)
    await submitAndWait(page, page.getByRole('button', { name: 'Import the conversation' }))
    await page.waitForURL('**/admin/conversations/imported-from-polis')
    await assertNoAxeViolations(page, 'the imported conversation in the admin')
    assert.match(await page.locator('main').innerText(), /Not published/)
  }, { viewport: { width: 1280, height: 900 } })
})
