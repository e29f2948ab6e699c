// The foundation every page stands on: hub, skip link, sign-in, admin, sign-out, assets.
// Run with `npm run e2e` (see docs/testing.md, "Browser tests").
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  assertNoAxeViolations,
  explain,
  signIn,
  signInForm,
  startSession,
  submitAndWait,
  submitButton,
  visit,
  withPage
} from './support.mjs'

let session

before(async () => {
  session = await startSession()
})

after(async () => {
  await session?.close()
})

// One sign-in shared by the admin page tests (sign-in is rate limited, and a fresh sign-in per
// page would test the same thing again): the browser storage state (session cookie) after it.
let signedInState
async function signedIn (t) {
  signedInState ??= withPage(t, session, async (page) => {
    await signIn(page, session)
    return page.context().storageState()
  })
  return signedInState
}

function signOutButton (page) {
  return page.getByRole('button', { name: /^sign out$/i })
}

describe('hub', () => {
  test('the hub / has no axe violations', async (t) => {
    await withPage(t, session, async (page) => {
      await visit(page, session, '/')
      await assertNoAxeViolations(page, 'the hub /')
    })
  })

  test('the hub has a skip link that moves focus to #main-content', async (t) => {
    await withPage(t, session, async (page) => {
      await visit(page, session, '/')
      assert.equal(await page.locator('#main-content').count(), 1, 'the page has one element with id="main-content"')

      // The skip link is the first thing a keyboard user reaches.
      await page.keyboard.press('Tab')
      const focused = await page.evaluate(() => {
        const el = document.activeElement
        return { tag: el?.tagName, className: el?.className, href: el?.getAttribute('href'), text: el?.textContent?.trim() }
      })
      assert.equal(focused.tag, 'A', `the first Tab focuses the skip link, not ${JSON.stringify(focused)}`)
      assert.match(String(focused.className), /\bgovuk-skip-link\b/, `the first Tab focuses the skip link, not ${JSON.stringify(focused)}`)
      assert.equal(focused.href, '#main-content', 'the skip link points to #main-content')
      const box = await page.locator('a.govuk-skip-link').boundingBox()
      assert.ok(box && box.width > 10 && box.height > 10, `the skip link is visible when focused (box ${JSON.stringify(box)})`)

      await page.keyboard.press('Enter')
      const after = await page.evaluate(() => {
        const main = document.getElementById('main-content')
        return {
          hash: location.hash,
          focusIsMain: document.activeElement === main,
          focusInMain: main.contains(document.activeElement)
        }
      })
      if (after.focusIsMain || after.focusInMain) return
      // Without JavaScript a fragment link to an element that cannot take focus still moves the
      // sequential focus starting point: the next Tab must then land inside #main-content.
      assert.equal(after.hash, '#main-content', 'activating the skip link goes to #main-content')
      await page.keyboard.press('Tab')
      const inMain = await page.evaluate(() => document.getElementById('main-content').contains(document.activeElement))
      assert.ok(inMain, 'after the skip link, focus is on or inside #main-content')
    })
  })
})

describe('sign-in', () => {
  test('/sign-in has no axe violations', async (t) => {
    await withPage(t, session, async (page) => {
      await visit(page, session, '/sign-in')
      assert.equal(await signInForm(page).count(), 1, '/sign-in has a form with a password field')
      await assertNoAxeViolations(page, '/sign-in')
    })
  })

  test('submitting the sign-in form empty shows a GOV.UK error summary with no axe violations', async (t) => {
    await withPage(t, session, async (page) => {
      await visit(page, session, '/sign-in')
      const response = await submitAndWait(page, submitButton(signInForm(page)))
      assert.ok(response, 'submitting the form loads a page')
      assert.ok(response.status() < 500, `the empty form answers ${response.status()}`)
      const summary = page.locator('.govuk-error-summary')
      assert.equal(await summary.count(), 1, 'the page shows one .govuk-error-summary')
      assert.ok(await summary.isVisible(), 'the error summary is visible')
      // GOV.UK pattern: each error in the summary links to its field.
      const links = await summary.locator('a[href^="#"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      assert.ok(links.length > 0, 'the error summary links to the fields in error')
      for (const href of links) {
        assert.equal(await page.locator(href).count(), 1, `the error summary link ${href} points to a field on the page`)
      }
      // GOV.UK pattern: the title says there is an error, and the summary takes focus so that
      // screen reader users hear it first.
      assert.match(await page.title(), /^Error: /, 'the page title starts with "Error: "')
      const summaryFocused = await summary.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))
      assert.ok(summaryFocused, 'the error summary has focus')
      await assertNoAxeViolations(page, 'the sign-in form with errors')
    })
  })

  test('signing in with the demo credentials reaches /admin', async (t) => {
    await withPage(t, session, async (page) => {
      const response = await signIn(page, session)
      assert.equal(new URL(page.url()).pathname, '/admin', 'signing in lands on /admin')
      assert.equal(response.status(), 200, `/admin answered ${response.status()} after signing in\n${await explain(page, session, response.status())}`)
      assert.ok(await signOutButton(page).count() > 0, 'a signed-in page has a "Sign out" button')
    })
  })
})

describe('admin', () => {
  for (const path of ['/admin', '/admin/users', '/admin/organisations']) {
    test(`${path} has no axe violations when signed in`, async (t) => {
      const storageState = await signedIn(t)
      await withPage(t, session, async (page) => {
        await visit(page, session, path)
        assert.equal(new URL(page.url()).pathname, path, `${path} is shown to the signed-in admin`)
        await assertNoAxeViolations(page, path)
      }, { storageState })
    })
  }

  test('signing out (the "Sign out" button, a form POST) returns to a signed-out page', async (t) => {
    await withPage(t, session, async (page) => {
      await signIn(page, session)
      const button = signOutButton(page).first()
      assert.ok(await button.isVisible(), 'the navigation shows a "Sign out" button')
      const method = await button.evaluate((b) => b.form?.method)
      assert.equal(method, 'post', 'the "Sign out" button submits a POST form')

      const response = await submitAndWait(page, button)
      assert.ok(response && response.status() < 400, `signing out answers ${response?.status()}`)
      assert.equal(await signOutButton(page).count(), 0, 'after signing out, no "Sign out" button is shown')

      // The session is really gone: /admin no longer shows admin pages.
      const admin = await visit(page, session, '/admin', { status: null })
      const landed = new URL(page.url()).pathname
      assert.ok(
        landed !== '/admin' || [401, 403].includes(admin.status()),
        `after signing out, /admin is refused (landed on ${landed} with status ${admin.status()})`
      )
      assert.equal(await signOutButton(page).count(), 0, 'after signing out, /admin shows no "Sign out" button')
    })
  })
})

describe('assets and privacy', () => {
  test('the stylesheet is a fingerprinted /assets/...css without GDS Transport', async (t) => {
    await withPage(t, session, async (page) => {
      await visit(page, session, '/')
      const hrefs = await page.locator('link[rel~="stylesheet"]').evaluateAll((ls) => ls.map((l) => l.href))
      assert.ok(hrefs.length > 0, 'the hub links a stylesheet')
      for (const href of hrefs) {
        const url = new URL(href)
        assert.equal(url.origin, session.app.origin, `the stylesheet ${href} is served by the app`)
        assert.match(url.pathname, /^\/assets\/.+\.css$/, `the stylesheet ${href} is an /assets/...css URL`)
        // A content hash in the file name or path (name.HASH.css, name-HASH.css, /assets/HASH/...).
        assert.match(url.pathname.slice('/assets/'.length), /(^|[./_-])[0-9a-f]{8,}[./_-]/,
          `the stylesheet ${href} is fingerprinted (a content hash in its path)`)
        const response = await page.request.get(href)
        assert.equal(response.status(), 200, `GET ${href}`)
        assert.match(response.headers()['content-type'] || '', /^text\/css/, `${href} is served as text/css`)
        const css = await response.text()
        assert.ok(css.length > 1000, `${href} is a real stylesheet (${css.length} bytes)`)
        assert.doesNotMatch(css, /GDS Transport/i, `${href} mentions "GDS Transport"`)
      }
    })
  })

  test('no page requests anything from another origin', async (t) => {
    // The hub, the sign-in page, and every page the hub links to (same origin, one level deep).
    // withPage fails on any request to another origin, CSP violation or console error.
    await withPage(t, session, async (page, recorder) => {
      await visit(page, session, '/')
      const links = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href))
      const paths = new Set(['/', '/sign-in'])
      for (const href of links) {
        const url = new URL(href)
        if (url.origin !== session.app.origin) continue // a link away is fine; a request is not
        if (/^\/(sign-out|api\/|healthz|metrics)/.test(url.pathname)) continue
        if (/\.(atom|xml|json|csv|zip)$/.test(url.pathname)) continue // downloads, not pages
        paths.add(url.pathname + url.search)
        if (paths.size >= 25) break
      }
      for (const path of paths) {
        await visit(page, session, path, { status: null })
      }
      assert.ok(recorder.requests.some((u) => /\.css(\?|$)/.test(u)), 'the pages load their stylesheet')
      assert.deepEqual(recorder.foreign, [], 'no request goes to another origin')
    })
  })
})
