// Publishing as people do it: an editor writes and publishes, a reader comments, a moderator
// approves, the reader reads. Every page on the way is checked with axe.
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

const TITLE = 'Testing our new service with real users'
const SLUG = '/blog/testing-our-new-service-with-real-users'
const COMMENT = 'Will you publish what the testing found?'

test('write, publish, comment as a reader, moderate, read', async (t) => {
  // The editor (the demo admin holds every role) writes and publishes a post.
  const editorState = await withPage(t, session, async (page) => {
    await signIn(page, session)
    await visit(page, session, '/admin/posts/new')
    await assertNoAxeViolations(page, 'the new post form')
    await page.getByLabel('Blog', { exact: true }).selectOption('national-records-agency')
    await page.getByLabel('Title', { exact: true }).fill(TITLE)
    await page.getByLabel('Summary').fill('What we learned in five rounds of research.')
    await page.getByLabel('Text').fill('## What we did\n\nWe tested with 25 people.\n\n* round one\n* round two')
    await page.getByLabel('Categories').fill('Research')
    await page.getByLabel('Publish', { exact: true }).check()
    await submitAndWait(page, page.getByRole('button', { name: 'Save post' }))
    assert.equal(new URL(page.url()).pathname, '/admin/posts')
    await assertNoAxeViolations(page, 'the list of posts')
    assert.match(await page.locator('main').innerText(), new RegExp(TITLE))
    return page.context().storageState()
  })

  // A reader finds it on the blog and comments; a mistake first, then corrected.
  await withPage(t, session, async (page) => {
    await visit(page, session, '/blog')
    await assertNoAxeViolations(page, '/blog')
    await page.getByRole('link', { name: TITLE }).click()
    await page.waitForURL(`**${SLUG}`)
    await assertNoAxeViolations(page, 'the post')
    await page.getByLabel('Your name').fill('Sam Reader')
    await page.getByRole('textbox', { name: 'Comment' }).fill(COMMENT)
    await submitAndWait(page, page.getByRole('button', { name: 'Send comment' }))
    const summary = page.locator('.govuk-error-summary')
    assert.match(await summary.innerText(), /Enter your email address/)
    await assertNoAxeViolations(page, 'the comment form with an error')
    assert.equal(await page.getByRole('textbox', { name: 'Comment' }).inputValue(), COMMENT, 'what was typed is kept')
    await page.getByLabel('Email address').fill('sam@example.org')
    await submitAndWait(page, page.getByRole('button', { name: 'Send comment' }))
    assert.match(await page.locator('h1').innerText(), /Comment received/)
    await visit(page, session, SLUG)
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(COMMENT), 'invisible until approved')
  })

  // The moderator approves it.
  await withPage(t, session, async (page) => {
    await visit(page, session, '/admin/comments')
    await assertNoAxeViolations(page, 'the moderation queue')
    const item = page.locator('div[id^="comment-"]', { hasText: COMMENT })
    await submitAndWait(page, item.getByRole('button', { name: 'Approve' }))
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(COMMENT))
  }, { storageState: editorState })

  // The reader reads it, with the name but never the email.
  await withPage(t, session, async (page) => {
    await visit(page, session, SLUG)
    const main = await page.locator('main').innerText()
    assert.match(main, new RegExp(COMMENT))
    assert.match(main, /Sam Reader/)
    assert.doesNotMatch(await page.content(), /sam@example\.org/)
  })
})

test('a closed post shows "Comments closed" and no comment form', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/blog/our-projects-as-a-list-you-can-open')
    assert.match(await page.locator('main').innerText(), /Comments closed/)
    assert.equal(await page.getByRole('button', { name: 'Send comment' }).count(), 0)
    await assertNoAxeViolations(page, 'a post with comments closed')
  })
})

test('organisation, category, topic, topics index, page, search and syndicated pages have no axe violations', async (t) => {
  await withPage(t, session, async (page) => {
    for (const path of ['/organisations/national-records-agency', '/blog/categories/research', '/pages/digital-strategy-2025-to-2028', '/search?q=strategy', '/topics', '/topics/digital-strategy', '/syndicated/1', '/accessibility', '/privacy', '/cookies']) {
      await visit(page, session, path)
      await assertNoAxeViolations(page, path)
    }
  })
})

test('the admin pages for feeds, moderation, posts (preview, versions) and media have no axe violations', async (t) => {
  await withPage(t, session, async (page) => {
    await signIn(page, session)
    // The demo's first post (id 1) has one saved version (id 1); the library's first item is
    // its banner.
    for (const path of ['/admin/feeds', '/admin/comments', '/admin/posts', '/admin/posts/1/preview', '/admin/posts/1/revisions/1', '/admin/media', '/admin/media/1', '/admin/statements', '/admin/statements/privacy']) {
      await visit(page, session, path)
      await assertNoAxeViolations(page, path)
    }
  })
})

test('a long document prints cleanly: content only, with link addresses', async (t) => {
  await withPage(t, session, async (page) => {
    await visit(page, session, '/pages/digital-strategy-2025-to-2028')
    await page.emulateMedia({ media: 'print' })
    for (const chrome of ['.app-masthead', '.govuk-service-navigation', '.govuk-phase-banner', '.govuk-breadcrumbs', '.app-footer']) {
      assert.equal(await page.locator(chrome).first().isVisible(), false, `${chrome} is not printed`)
    }
    assert.ok(await page.locator('main h1').isVisible(), 'the title is printed')
    assert.ok(await page.locator('.app-contents').isVisible(), 'the contents list is printed')
    // A post prints without its comment form, or any other form.
    await visit(page, session, '/blog/why-we-are-rewriting-our-digital-strategy-in-the-open')
    assert.ok(await page.locator('main h1').isVisible(), 'the post is printed')
    assert.equal(await page.getByRole('button', { name: 'Send comment' }).isVisible(), false, 'the comment form is not printed')
    assert.equal(await page.getByText('Leave a comment').isVisible(), false)
    // Links in printed content show where they go (the strategy has none: use a page that does).
    await visit(page, session, '/organisations/community-services')
    const after = await page.locator('main a[href^="/"]').evaluateAll((links) =>
      links.map((a) => getComputedStyle(a, '::after').content))
    assert.ok(after.length > 0 && after.every((c) => c.includes('/')), `printed links show their address: ${after.join(' | ')}`)
  })
})
