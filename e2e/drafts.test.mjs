// A consultation's draft, commented on paragraph by paragraph: an editor sets a draft of 30
// paragraphs, a member of the public comments on paragraph 12 (making a mistake first), a
// moderator approves the comment, and the analyst finds it under paragraph 12. Every page on
// the way is checked with axe, at a desktop's width and a phone's. Run with `npm run e2e`.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { join } from 'node:path'
import { artifactsDir, assertNoAxeViolations, signIn, startSession, submitAndWait, visit, withPage } from './support.mjs'

const SLUG = 'reading-room-opening-hours'
const WIDTHS = [1280, 390]

let session

before(async () => {
  session = await startSession()
})

after(async () => {
  await session?.close()
})

/** A draft of 30 numbered paragraphs under two headings. */
function draftOf30 () {
  const lines = ['# Why we are changing reading room hours', '']
  for (let i = 1; i <= 30; i++) {
    if (i === 16) lines.push('## What we propose', '')
    lines.push(i === 12
      ? 'Paragraph twelve: the reading rooms would close at **6pm** on weekdays.'
      : `Paragraph ${i} of the proposal, with its own reasons.`, '')
  }
  return lines.join('\n')
}

test('a draft of 30 paragraphs takes a comment on paragraph 12, which the analyst reads under paragraph 12', async (t) => {
  const comment = 'Closing at 6pm on weekdays is too early for people who work until 5:30.'
  let draftPage
  // The editor sets the draft (an empty form first would remove nothing: a bad one is refused).
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, '/admin/consultations')
    await page.getByRole('link', { name: 'Reading room opening hours' }).first().click()
    await page.waitForURL(/\/admin\/consultations\/\d+$/)
    await page.getByRole('link', { name: 'Draft for comment, paragraph by paragraph' }).click()
    await page.waitForURL(/\/draft$/)
    draftPage = new URL(page.url()).pathname
    await assertNoAxeViolations(page, 'the draft page')

    await page.getByLabel('Draft (Markdown)').fill('# Only a heading')
    await submitAndWait(page, page.getByRole('button', { name: 'Save the draft' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Add at least one paragraph/)
    await assertNoAxeViolations(page, 'the draft page with an error')
    await page.getByLabel('Draft (Markdown)').fill(draftOf30())
    await submitAndWait(page, page.getByRole('button', { name: 'Save the draft' }))
    assert.match(await page.locator('main').innerText(), /The draft has 30 numbered paragraphs/)
  })

  // A member of the public comments on paragraph 12, at a phone's width.
  await withPage(t, session, async (page) => {
    await visit(page, session, `/consultations/${SLUG}`)
    assert.equal(await page.locator('[id^="paragraph-"]').count(), 30)
    await assertNoAxeViolations(page, 'the consultation with its draft (phone)')
    await page.getByRole('link', { name: 'Comment on paragraph 12', exact: true }).click()
    await page.waitForURL(`**/consultations/${SLUG}/draft/12/comment`)
    assert.match(await page.locator('.govuk-inset-text').innerText(), /close at 6pm on weekdays/)
    await assertNoAxeViolations(page, 'the comment form (phone)')
    await page.screenshot({ path: join(artifactsDir, 'draft-comment-390.png'), fullPage: true })
    await submitAndWait(page, page.getByRole('button', { name: 'Send comment' }))
    assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter your comment on this paragraph/)
    await assertNoAxeViolations(page, 'the comment form with an error (phone)')
    await page.locator('.govuk-error-summary').getByRole('link').first().click()
    await page.getByLabel('Your comment on paragraph 12').fill(comment)
    await submitAndWait(page, page.getByRole('button', { name: 'Send comment' }))
    assert.match(await page.locator('.govuk-panel').innerText(), /Comment received/)
    await assertNoAxeViolations(page, 'the comment received (phone)')
  }, { viewport: { width: 390, height: 900 } })

  // The moderator approves it; the analyst reads it under paragraph 12.
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, draftPage)
    assert.match(await page.locator('#moderate').innerText(), /Comments to moderate \(1\)/)
    await assertNoAxeViolations(page, 'the draft page with a comment to moderate')
    await submitAndWait(page, page.getByRole('button', { name: /^Approve comment \d+ on paragraph 12$/ }))
    assert.match(await page.locator('#moderate').innerText(), /Comments to moderate \(0\)/)
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 })
      await visit(page, session, `${draftPage}/analysis`)
      await assertNoAxeViolations(page, `the analyst's page at ${width}px`)
      await page.screenshot({ path: join(artifactsDir, `draft-analysis-${width}.png`), fullPage: true })
      const heading = page.locator('#paragraph-12')
      assert.equal(await heading.innerText(), 'Paragraph 12')
      // The comments listed after paragraph 12's heading, before any other paragraph's.
      const under12 = await page.evaluate(() => {
        const out = []
        for (let el = document.getElementById('paragraph-12').nextElementSibling; el && !/^paragraph-/.test(el.id); el = el.nextElementSibling) out.push(el.innerText)
        return out.join('\n')
      })
      assert.ok(under12.includes(comment), `the comment is under paragraph 12: ${under12}`)
      assert.match(under12, /Too few comments for themes/)
      assert.equal(await page.locator('#most-discussed table tbody tr').count(), 1, 'one paragraph discussed, in the chart\'s table')
    }
  })

  // The public page counts it, at both widths.
  for (const width of WIDTHS) {
    await withPage(t, session, async (page) => {
      await visit(page, session, `/consultations/${SLUG}`)
      assert.match(await page.locator('#paragraph-12').innerText(), /1 comment published/)
      await assertNoAxeViolations(page, `the consultation after moderation at ${width}px`)
      await page.locator('#paragraph-12').screenshot({ path: join(artifactsDir, `draft-paragraph-12-${width}.png`) })
    }, { viewport: { width, height: 900 } })
  }
})
